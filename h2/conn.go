package h2

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/web"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Config is what a connection needs from the server; the server builds
// one and shares it between its connections. Fields must not change once
// a connection uses it.
type Config struct {
	Handler  web.Handler
	Logger   *slog.Logger
	Observer web.Observer
	// Context is every request's context.
	Context context.Context
	// MaxHeaderBytes bounds a request's decoded header list (names,
	// values and 32 bytes per field, as SETTINGS_MAX_HEADER_LIST_SIZE
	// counts); larger is answered 431.
	MaxHeaderBytes int
	// MaxHeaderCount bounds the number of regular header fields in a
	// request (pseudo-header fields aside); more is answered 431. Default
	// 100, HTTP/1.1's bound on field lines.
	MaxHeaderCount int
	// MaxBodyBytes bounds a request body; larger is 413.
	MaxBodyBytes int64
	// MaxStreams is SETTINGS_MAX_CONCURRENT_STREAMS; default 100.
	MaxStreams uint32
	// ReadHeader bounds the wait for the connection preface; Read each
	// wait for request body bytes; Write each wait for window or for the
	// socket; Idle a connection without streams.
	ReadHeader, Read, Write, Idle time.Duration
	// Date returns the cached Date header value.
	Date func() []byte
	// Trace, when set, receives each exchange as `brick -v` prints it.
	Trace io.Writer
	// Limits on floods, per connection and second; zero fields take
	// defaults (see limits.go).
	MaxResetsPerSecond, MaxSettingsPerSecond, MaxPingsPerSecond, MaxEmptyPerSecond int
	// MaxWindowUpdatesPerSecond counts WINDOW_UPDATE frames that come
	// while no DATA went out since the last one; MaxPrioritiesPerSecond
	// PRIORITY frames; MaxOtherPerSecond frames of unknown types,
	// RST_STREAM for streams already closed, GOAWAY, and SETTINGS and
	// PING acknowledgements.
	MaxWindowUpdatesPerSecond, MaxPrioritiesPerSecond, MaxOtherPerSecond int
}

// ConnOptions describes one connection.
type ConnOptions struct {
	// TLS is the connection's TLS state; nil for h2c.
	TLS *tls.ConnectionState
	// RemoteAddr and LocalAddr are the connection's addresses.
	RemoteAddr, LocalAddr netip.AddrPort
	// Buffered holds bytes already read from the connection (the preface
	// and what followed it, for h2c with prior knowledge).
	Buffered []byte
	// Upgrade is the request of an "Upgrade: h2c" (RFC 7540 §3.2): it
	// becomes stream 1, half-closed, and its answer goes out over HTTP/2.
	// It must be the caller's own copy (web.Request.Clone).
	Upgrade *web.Request
	// UpgradeSettings is the decoded HTTP2-Settings payload of the
	// upgrade request, applied as the client's first SETTINGS.
	UpgradeSettings []http2.Setting
	// Done, when set, is called once when the connection has closed.
	Done func()
}

// Our settings. streamWindow and connWindow are the receive windows: see
// the package documentation for the policy.
const (
	streamWindow      = 256 << 10
	connWindow        = 1 << 20
	initialWindow     = 65535 // RFC 9113 §6.9.2, before SETTINGS
	defaultMaxStreams = 100
	maxFrameSize      = 16384
)

// ClientPreface is what a client sends first (RFC 9113 §3.4).
const ClientPreface = http2.ClientPreface

// Conn is one HTTP/2 connection. NewConn makes it, Serve runs it.
type Conn struct {
	cfg  *Config
	opts ConnOptions
	nc   net.Conn
	tcp  *net.TCPConn // nc as a TCP connection, for writev
	wv   writever     // nc when it writes two buffers at once (watched)
	br   *connReader
	fr   *http2.Framer // writes, under wmu
	rf   *http2.Framer // reads, on the read loop (replaced by release)
	// rfMax is the largest payload rf has read into its buffer.
	rfMax uint32
	hpay  []byte // a HEADERS frame's payload (readframe.go)
	// hdecByte is what the HPACK decoder is left holding when idle
	// (releaseLocked).
	hdecByte [1]byte
	// watch, when the server watches nc, lets an idle connection park
	// (idle.go); wakeFn and timeoutFn are its callbacks, bound once.
	watch     watcher
	wakeFn    func()
	timeoutFn func()
	hf        headersFrame
	hdec      *hpack.Decoder
	log       *slog.Logger

	// The writer (writer.go): everything under wmu.
	wmu          sync.Mutex
	out          []byte // frames not yet written (buffers.go)
	henc         *hpack.Encoder
	hbuf         []byte
	vals         map[string]string // response field values as strings (str)
	flushPending bool              // a flusher is on its way (writer.go)
	flushFn      func()            // flushSoon, bound once: go on it allocates nothing
	wbroken      error             // first write failure; later writes fail at once
	wdeadline    time.Time         // the write deadline last set (setWriteDeadline)
	// peerFrame is the client's SETTINGS_MAX_FRAME_SIZE.
	peerFrame atomic.Uint32

	// State shared with the streams, under mu.
	mu         sync.Mutex
	streams    map[uint32]*stream
	maxID      uint32 // highest stream id the client opened
	sendWindow int64  // connection window the client gave us
	// updatesEarned counts the WINDOW_UPDATEs our DATA earned (limits.go).
	updatesEarned uint64
	peerWindow    int32 // SETTINGS_INITIAL_WINDOW_SIZE of the client
	recvUnacked   int32 // connection body bytes consumed, not yet returned
	recvConn      int32 // connection window left for the client to use
	connWaiters   map[*stream]struct{}
	fileBufs      int                  // file batch buffers held (sendfile.go)
	fileWaiters   map[*stream]struct{} // streams waiting for one
	free          []*stream            // finished streams kept for reuse (recycleLocked)
	idleUntil     time.Time            // the idle wait's end (setReadDeadline)
	noDeadline    bool                 // the read deadline is cleared
	park          parkState            // idle and watched: parking, parked (idle.go)
	woken         bool                 // the watch called back while parking
	idleTimer     *time.Timer
	runq          []*stream // streams waiting for a worker, from runHead (workers.go)
	runHead       int
	starting      int    // workers started that have not taken a stream yet
	workerFn      func() // worker, bound once: go on it allocates nothing
	goAwaySent    bool
	goAwayID      uint32
	peerGoneAway  bool
	closing       bool

	// Read-loop state (only the read goroutine touches it).
	hb        headerBlock
	gotFirst  bool // the client's first SETTINGS arrived
	limits    floodCounters
	shutdownC chan struct{}
	closeOnce sync.Once
	doneC     chan struct{}
	shutOnce  sync.Once
	hard      atomic.Bool // Close: no lingering
	// peerClosed: the read loop ended at the client's end of the
	// connection (EOF, reset), not at the server's close.
	peerClosed atomic.Bool
}

// NewConn makes a connection over nc, which it owns from now on.
func NewConn(nc net.Conn, cfg *Config, opts ConnOptions) *Conn {
	c := &Conn{cfg: cfg, opts: opts, nc: nc, log: cfg.Logger}
	if c.log == nil {
		c.log = slog.Default()
	}
	var r io.Reader = nc
	if len(opts.Buffered) > 0 {
		r = io.MultiReader(&onceReader{b: opts.Buffered}, nc)
	}
	c.br = &connReader{r: r, idle: c.idleWait}
	// Two Framers: reads are the read loop's, writes are under wmu, and
	// the reading one is replaced when idle to drop its buffer (idle.go).
	c.fr = http2.NewFramer(outWriter{c}, nil)
	c.rf = newReadFramer(c.br)
	c.tcp, _ = nc.(*net.TCPConn)
	c.wv, _ = nc.(writever)
	if w, ok := nc.(watcher); ok {
		c.watch = w
		c.wakeFn, c.timeoutFn = c.wake, c.idleTimeout
	}
	// The emit function is bound once: the block's fields stay at c.hb.f.
	c.hdec = hpack.NewDecoder(4096, c.hb.f.emit)
	// A string longer than the header list bound still decodes (the
	// request is answered 431); the block bound caps it.
	c.hdec.SetMaxStringLength(c.maxBlockBytes())
	c.henc = hpack.NewEncoder(hbufWriter{c})
	c.flushFn = c.flushSoon
	c.workerFn = c.worker
	c.streams = make(map[uint32]*stream)
	c.connWaiters = make(map[*stream]struct{})
	c.sendWindow = initialWindow
	c.peerWindow = initialWindow
	c.peerFrame.Store(16384)
	c.recvConn = connWindow
	c.shutdownC = make(chan struct{})
	c.doneC = make(chan struct{})
	return c
}

// onceReader gives its bytes once, then io.EOF, so io.MultiReader moves on.
type onceReader struct{ b []byte }

func (o *onceReader) Read(p []byte) (int, error) {
	if len(o.b) == 0 {
		return 0, io.EOF
	}
	n := copy(p, o.b)
	o.b = o.b[n:]
	return n, nil
}

func (c *Conn) maxHeaderBytes() int {
	if c.cfg.MaxHeaderBytes > 0 {
		return c.cfg.MaxHeaderBytes
	}
	return 64 << 10
}

func (c *Conn) maxHeaderCount() int {
	if c.cfg.MaxHeaderCount > 0 {
		return c.cfg.MaxHeaderCount
	}
	return 100
}

func (c *Conn) maxStreams() uint32 {
	if c.cfg.MaxStreams > 0 {
		return c.cfg.MaxStreams
	}
	return defaultMaxStreams
}

// connErr is a connection error: GOAWAY with code, then close.
type connErr struct {
	code   http2.ErrCode
	reason string
}

func (e connErr) Error() string { return "h2: " + e.code.String() + ": " + e.reason }

// Serve runs the connection until it closes; it closes nc. When nc is
// watched by the server (web.WatchedConn), Serve returns as soon as the
// connection parks, idle: the server's callback goes on with it, and
// Done tells when it has closed.
func (c *Conn) Serve() {
	if c.start() {
		c.readLoop()
	} else {
		c.finish()
	}
}

// start reads the preface, sends the server's SETTINGS and takes the
// upgrade's stream, and reports whether the connection goes on.
func (c *Conn) start() bool {
	if err := c.readPreface(); err != nil {
		c.log.Debug("HTTP/2 preface failed", "remote", c.opts.RemoteAddr.String(), "err", err)
		return false
	}
	c.writeFrames(func() error {
		if err := c.fr.WriteSettings(
			http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: c.maxStreams()},
			http2.Setting{ID: http2.SettingInitialWindowSize, Val: streamWindow},
			http2.Setting{ID: http2.SettingMaxHeaderListSize, Val: uint32(c.maxHeaderBytes())},
		); err != nil {
			return err
		}
		return c.fr.WriteWindowUpdate(0, connWindow-initialWindow)
	})
	if c.opts.UpgradeSettings != nil {
		c.wmu.Lock()
		err := c.applySettingsLocked(c.opts.UpgradeSettings)
		c.wmu.Unlock()
		if err != nil {
			var ce connErr
			errors.As(err, &ce)
			c.goAway(ce)
			return false
		}
		c.gotFirst = true
	}
	if c.opts.Upgrade != nil {
		c.startUpgraded(c.opts.Upgrade)
	}
	return true
}

// readLoop reads frames until the connection ends, then finishes it, or
// until it parks (idle.go).
func (c *Conn) readLoop() {
	if !c.readFrames() {
		c.finish()
	}
}

// readFrames reads and handles frames; it reports whether the connection
// parked (false: it ended).
func (c *Conn) readFrames() (parked bool) {
	rearm := true
	for {
		if rearm {
			c.setReadDeadline()
		}
		rearm = true
		c.br.boundary = true
		f, isHeaders, err := c.readFrame(&c.hf)
		if c.isClosing() {
			return false // finish discards the rest
		}
		if err == errIdle {
			switch c.onIdle() {
			case idleRead:
				rearm = false
				continue
			case idleRearm:
				continue
			case idleParked:
				return true
			case idleGoAway:
				c.goAway(connErr{http2.ErrCodeNo, "idle"})
			}
			return false
		}
		switch {
		case err != nil:
		case isHeaders && !c.gotFirst:
			// RFC 9113 §3.4: the client's preface ends with SETTINGS.
			err = connErr{http2.ErrCodeProtocol, "first frame is not SETTINGS"}
		case isHeaders:
			err = c.onHeaders(&c.hf)
		default:
			err = c.handleFrame(f)
		}
		if err == nil {
			continue
		}
		var se http2.StreamError
		if errors.As(err, &se) {
			c.resetStream(se.StreamID, se.Code)
			continue
		}
		if code, ok := frameConnError(err); ok {
			c.goAway(connErr{code, err.Error()})
			return false
		}
		var ce connErr
		if errors.As(err, &ce) {
			c.goAway(ce)
			return false
		}
		var ne net.Error
		if errors.As(err, &ne) && ne.Timeout() && c.activeStreams() == 0 {
			c.goAway(connErr{http2.ErrCodeNo, "idle"})
			return false
		}
		// EOF or a broken socket: nothing to tell the client.
		if !errors.As(err, &ne) || !ne.Timeout() {
			c.peerClosed.Store(true)
		}
		return false
	}
}

// frameConnError maps the framer's errors to a connection error code.
func frameConnError(err error) (http2.ErrCode, bool) {
	var ce http2.ConnectionError
	if errors.As(err, &ce) {
		return http2.ErrCode(ce), true
	}
	if errors.Is(err, http2.ErrFrameTooLarge) {
		return http2.ErrCodeFrameSize, true
	}
	// The framer's unexported connError carries its code in a field.
	v := reflect.ValueOf(err)
	if v.Kind() == reflect.Struct && v.Type().PkgPath() == "golang.org/x/net/http2" {
		if f := v.FieldByName("Code"); f.IsValid() && f.Kind() == reflect.Uint32 {
			return http2.ErrCode(f.Uint()), true
		}
	}
	return 0, false
}

// readPreface reads the client preface within the header timeout.
func (c *Conn) readPreface() error {
	c.nc.SetReadDeadline(time.Now().Add(orDefault(c.cfg.ReadHeader, 10*time.Second)))
	var buf [len(ClientPreface)]byte
	if _, err := io.ReadFull(c.br, buf[:]); err != nil {
		return err
	}
	if string(buf[:]) != ClientPreface {
		// RFC 9113 §3.4: a connection error; the client may not speak
		// HTTP/2 at all, so a GOAWAY is all it gets.
		c.goAway(connErr{http2.ErrCodeProtocol, "bad connection preface"})
		return errors.New("bad connection preface")
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

func (c *Conn) activeStreams() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.streams)
}

func (c *Conn) isClosing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closing
}

// goAway sends GOAWAY for a connection error and closes the connection.
func (c *Conn) goAway(ce connErr) {
	c.mu.Lock()
	last := c.maxID
	c.goAwaySent, c.goAwayID = true, last
	c.mu.Unlock()
	if ce.code != http2.ErrCodeNo {
		c.log.Debug("HTTP/2 connection error", "remote", c.opts.RemoteAddr.String(), "err", ce.Error())
	}
	c.writeFramesNow(func() error { return c.fr.WriteGoAway(last, ce.code, nil) })
	c.close()
}

// Shutdown drains the connection: GOAWAY tells the client which streams
// will be served, those finish, and the connection closes. Any goroutine
// may call it, more than once.
func (c *Conn) Shutdown() {
	c.shutOnce.Do(func() {
		c.mu.Lock()
		c.goAwaySent, c.goAwayID = true, c.maxID
		last := c.maxID
		idle := len(c.streams) == 0
		c.mu.Unlock()
		c.writeFramesNow(func() error { return c.fr.WriteGoAway(last, http2.ErrCodeNo, nil) })
		if idle {
			c.close()
		}
	})
}

// Close closes the connection at once; streams in flight are cut.
func (c *Conn) Close() {
	c.hard.Store(true)
	c.close()
	c.nc.Close()
}

// Done is closed when the connection has closed.
func (c *Conn) Done() <-chan struct{} { return c.doneC }

// close ends the connection: streams see their writes fail and their
// bodies end. The socket is half-closed (FIN after what was written, a
// GOAWAY most often) and the read loop discards what the client still
// sends for up to lingerTime before closing it: closing with unread input
// would make the kernel send a reset, which can destroy the GOAWAY before
// the client reads it.
func (c *Conn) close() {
	took := false
	c.closeOnce.Do(func() {
		c.mu.Lock()
		c.closing = true
		// A parked connection has no read loop to finish it.
		if took = c.park == parked; took {
			c.park = running
		}
		for _, st := range c.streams {
			st.wakeLocked()
		}
		// Wakes the read loop if it waits, and bounds its lingering.
		c.nc.SetReadDeadline(time.Now().Add(lingerTime))
		c.mu.Unlock()
		c.nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
		if !c.hard.Load() {
			// What is gathered (the last responses, a GOAWAY) goes first.
			c.wmu.Lock()
			if c.wbroken == nil {
				c.flushOutLocked(nil)
			}
			c.wmu.Unlock()
		}
		if cw, ok := c.nc.(interface{ CloseWrite() error }); ok && !c.hard.Load() {
			cw.CloseWrite()
		}
	})
	if took {
		c.idleTimer.Stop()
		c.finish()
	}
}

// lingerTime and lingerMax bound the input discarded after close.
const (
	lingerTime = time.Second
	lingerMax  = 1 << 20
)

// finish runs when the read loop ends: every stream still open is cut.
func (c *Conn) finish() {
	c.close()
	if !c.hard.Load() {
		io.Copy(io.Discard, io.LimitReader(c.br, lingerMax))
	}
	c.nc.Close()
	c.mu.Lock()
	for _, st := range c.streams {
		st.cancelLocked(errConnClosed)
	}
	c.mu.Unlock()
	close(c.doneC)
	if c.opts.Done != nil {
		c.opts.Done()
	}
}

var errConnClosed = errors.New("h2: connection closed")

// streamDone removes a finished stream; a draining connection closes when
// its last stream is done.
// A stream whose client is still sending is reset with NO_ERROR (RFC 9113
// §8.1), and the body its handler left unread gives its window back.
func (c *Conn) streamDone(st *stream) {
	c.mu.Lock()
	id := st.id
	rst := st.reset == nil && !st.remoteDone
	if c.streams[id] == st {
		delete(c.streams, id)
	}
	delete(c.connWaiters, st)
	u := st.dropBodyLocked()
	drained := (c.goAwaySent || c.peerGoneAway) && len(c.streams) == 0
	if len(c.streams) == 0 && !c.closing {
		// The read loop may wait with no deadline, set while streams
		// were open: the connection's idle wait starts now.
		c.armIdleLocked(orDefault(c.cfg.Idle, 75*time.Second), true)
	}
	c.recycleLocked(st)
	c.mu.Unlock()
	if rst {
		c.writeFrames(func() error { return c.fr.WriteRSTStream(id, http2.ErrCodeNo) })
	}
	c.sendWindowUpdates(0, windowUpdate{conn: u})
	if drained {
		c.close()
	}
}
