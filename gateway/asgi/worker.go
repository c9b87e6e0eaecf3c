package asgi

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/gateway/internal/pyproc"
	"github.com/brick-server/brick/internal/procpool"
)

// worker is one Python process, its event loop and the Go end of its
// socket. Any number of handlers write frames to it (under wmu); one
// goroutine, read, reads its frames and routes them to their streams.
type worker struct {
	pool  *Pool
	proc  *procpool.Process
	conn  *sock
	out   pyproc.Output
	gen   int
	limit int // scopes before it is recycled; 0: no limit

	mu       sync.Mutex
	streams  map[uint32]*stream
	nextID   uint32
	dead     bool
	retiring bool          // out of service: finishes its streams, then leaves
	drained  chan struct{} // closed when retiring with no stream left

	// woken: the streams the frames routed since the reader last found
	// its buffer without a whole frame, to wake once it does (wakeLater).
	// The reader's alone.
	woken []*stream

	served   atomic.Int64
	lastPong atomic.Int64 // unix ns of the last heartbeat answer
	recycle  atomic.Bool  // a replacement was asked for
	timedOut atomic.Bool  // killed for a blocked event loop
}

// errStartup is a worker that could not load the application or whose
// lifespan startup failed.
type errStartup struct{ app, why string }

func (e *errStartup) Error() string {
	return fmt.Sprintf("asgi: the worker could not start %s:\n%s", e.app, strings.TrimRight(e.why, "\n"))
}

// spawn starts a worker and waits until it is ready or has failed.
func (p *Pool) spawn(gen int) (*worker, error) {
	fds, err := pyproc.SocketPair()
	if err != nil {
		return nil, fmt.Errorf("asgi: socketpair: %w", err)
	}
	theirs := os.NewFile(uintptr(fds[1]), "asgi-worker-peer")
	w := &worker{pool: p, conn: newSock(fds[0]), gen: gen, streams: map[uint32]*stream{}, drained: make(chan struct{})}
	w.out = pyproc.Output{Log: p.log, Kind: "asgi"}
	proc, err := procpool.Start(procpool.Spec{
		Path: p.python, Args: []string{p.script, p.cfg.App}, Dir: p.cfg.Dir, Env: p.env,
		ExtraFiles: []*os.File{theirs}, Output: w.out.Line,
	})
	theirs.Close()
	if err != nil {
		w.conn.Close()
		if derr := pyproc.CheckDir(p.cfg.pySpec()); derr != nil {
			return nil, derr
		}
		return nil, fmt.Errorf("asgi: cannot start %s: %w (install Python 3 or pass --python)", p.python, err)
	}
	w.proc = proc
	w.out.SetPid(proc.Pid())
	w.limit = p.cfg.RequestLimit()
	fr := newFrameReader(w.conn)
	// Readiness is a frame on the socket, never an exit code. Killing the
	// worker ends the read: at StartTimeout, or when the pool closes.
	stop := make(chan struct{})
	var late atomic.Bool
	go func() {
		t := time.NewTimer(p.cfg.StartTimeout)
		defer t.Stop()
		select {
		case <-p.closing:
			proc.Kill()
		case <-t.C:
			late.Store(true)
			proc.Kill()
		case <-stop:
		}
	}()
	typ, _, n, err := fr.next()
	var payload []byte
	if err == nil {
		payload, err = fr.payload(n)
	}
	close(stop)
	switch {
	case err == nil && typ == FrameReady:
		p.log.Info("asgi worker ready", "pid", proc.Pid(), "info", string(payload))
		w.lastPong.Store(time.Now().UnixNano())
		go w.read(fr)
		go w.heartbeat()
		go w.sweep()
		return w, nil
	case err == nil && typ == FrameFatal:
		err = &errStartup{app: p.cfg.App, why: string(payload)}
	case err == nil:
		err = fmt.Errorf("asgi: worker sent frame %q before ready", typ)
	case late.Load():
		err = fmt.Errorf("asgi: worker for %s not ready after %v (raise --start-timeout if the app is slow to import or start)", p.cfg.App, p.cfg.StartTimeout)
	case p.stopping():
		err = errPoolClosed
	default:
		proc.Kill()
		<-proc.Done()
		w.out.Flush()
		err = fmt.Errorf("asgi: worker for %s exited before it was ready (%s); its output is in the log above", p.cfg.App, proc.Exit())
	}
	w.kill()
	<-proc.Done()
	w.out.Flush()
	return nil, err
}

// open registers a new stream on w, unless w is full, retiring or dead.
func (w *worker) open(s *stream, max int) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.dead || w.retiring || len(w.streams) >= max {
		return false
	}
	w.nextID++
	if w.nextID == 0 {
		w.nextID = 1 // 0 is the worker's own stream
	}
	s.reset(w.nextID, w)
	w.streams[s.id] = s
	return true
}

// room reports the streams in flight and whether w takes new ones.
func (w *worker) room() (int, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.streams), !w.dead && !w.retiring
}

// load is the number of streams in flight.
func (w *worker) load() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.streams)
}

// close removes a finished stream; it is the reader's, when the worker
// says the scope ended.
func (w *worker) closeStream(id uint32) {
	w.mu.Lock()
	delete(w.streams, id)
	drained := w.retiring && len(w.streams) == 0
	w.mu.Unlock()
	if drained {
		w.signalDrained()
	}
	if n := w.served.Add(1); w.limit > 0 && n >= int64(w.limit) {
		w.pool.askRecycle(w, "max requests")
	}
}

func (w *worker) signalDrained() {
	w.mu.Lock()
	defer w.mu.Unlock()
	select {
	case <-w.drained:
	default:
		close(w.drained)
	}
}

// write sends one or more whole frames, coalesced with those of other
// streams (sock.queue).
func (w *worker) write(b []byte) error { return w.conn.queue(b) }

// write2 sends a frame's head and payload as one frame; a large payload
// (a WebSocket message) is not copied.
func (w *worker) write2(head, payload []byte) error { return w.conn.queue2(head, payload) }

// control sends a frame without payload but a stream id (disconnect,
// cancel, body end).
func (w *worker) control(typ byte, id uint32) error {
	var b [FrameHeaderLen]byte
	return w.write(AppendFrameHeader(b[:0], typ, id, 0))
}

// grant gives the worker n more bytes of response on stream id.
func (w *worker) grant(id uint32, n int) error {
	var b [FrameHeaderLen + 4]byte
	return w.write(AppendCredit(b[:0], id, uint32(n)))
}

// read routes the worker's frames to their streams until the socket
// ends; then every stream in flight fails and the worker is killed.
func (w *worker) read(fr *frameReader) {
	err := w.readLoop(fr)
	w.mu.Lock()
	w.dead = true
	streams := w.streams
	w.streams = map[uint32]*stream{}
	w.mu.Unlock()
	if err != nil && !errors.Is(err, os.ErrClosed) && !errors.Is(err, io.EOF) && len(streams) > 0 {
		w.pool.log.Error("asgi: worker connection failed; its requests in flight fail", "pid", w.proc.Pid(), "in_flight", len(streams), "err", err)
	}
	for _, s := range streams {
		s.fail(errWorkerLost)
	}
	w.signalDrained()
	w.mu.Lock()
	retiring := w.retiring
	w.mu.Unlock()
	if !retiring || err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, os.ErrClosed) {
		// A retiring worker that closed its socket runs its lifespan
		// shutdown: stop waits for it. Any other end is a failure.
		w.kill()
	}
}

func (w *worker) readLoop(fr *frameReader) error {
	defer w.wakeAll()
	for {
		if len(w.woken) > 0 && !fr.whole() {
			w.wakeAll()
		}
		typ, id, n, err := fr.next()
		if err != nil {
			return err
		}
		if id == 0 {
			if typ != FramePong {
				return fmt.Errorf("%w: %q frame after ready", errFrame, typ)
			}
			w.lastPong.Store(time.Now().UnixNano())
			continue
		}
		w.mu.Lock()
		s := w.streams[id]
		w.mu.Unlock()
		if s == nil {
			return fmt.Errorf("%w: %q frame for unknown stream %d", errFrame, typ, id)
		}
		if err := w.route(fr, s, typ, n); err != nil {
			return err
		}
	}
}

// route hands one frame to its stream.
func (w *worker) route(fr *frameReader, s *stream, typ byte, n uint32) error {
	switch typ {
	case FrameData:
		s.mu.Lock()
		left, started := s.left, s.started || s.hasHead
		if !left && started && len(s.pending)+int(n) > Window {
			s.mu.Unlock()
			return fmt.Errorf("%w: stream %d sent past its window", errFrame, s.id)
		}
		var err error
		if left || !started {
			s.mu.Unlock()
			if !started {
				return fmt.Errorf("%w: data before head on stream %d", errFrame, s.id)
			}
			if err = fr.discard(n); err == nil {
				err = w.grant(s.id, int(n))
			}
			return err
		}
		s.pending, err = fr.into(s.pending, n)
		s.mu.Unlock()
		w.wakeLater(s)
		return err
	case FrameCredit:
		b, err := fr.payload(n)
		if err != nil {
			return err
		}
		s.mu.Lock()
		s.window += int(binary.LittleEndian.Uint32(b))
		over := s.window > Window
		s.mu.Unlock()
		if over {
			return fmt.Errorf("%w: stream %d granted more than the window", errFrame, s.id)
		}
		poke(s.credit)
		return nil
	}
	p, err := fr.payload(n)
	if err != nil {
		return err
	}
	if s.ws != nil && (typ == FrameWSAccept || typ == FrameWSSend || typ == FrameWSClose) {
		return w.routeWS(s, typ, p)
	}
	s.mu.Lock()
	switch {
	case typ == FrameHead && !s.started && !s.hasHead:
		if err := ParseHead(p, &s.head); err != nil {
			s.mu.Unlock()
			return err
		}
		s.hasHead = true
	case typ == FrameEnd && (s.started || s.hasHead || s.ws != nil):
		s.ended = true
	case typ == FramePathSend && (s.started || s.hasHead) && len(p) > 0:
		s.ended, s.path = true, string(p)
	case typ == FrameAbort:
		s.aborted, s.trace = true, string(p)
	default:
		s.mu.Unlock()
		return fmt.Errorf("%w: %q frame out of order on stream %d", errFrame, typ, s.id)
	}
	// Once unlocked, an ended stream may be reused by another request at
	// any moment: its id is taken now.
	end, id := s.ended || s.aborted, s.id
	if end && s.ws != nil {
		s.ws.ended(s)
	}
	s.mu.Unlock()
	if end {
		w.closeStream(id)
	}
	w.wakeLater(s)
	if end {
		// What waits on credit (a request body's pump, a WebSocket
		// message to the worker) waits for window or for the end; a
		// head is neither.
		poke(s.credit)
	}
	return nil
}

// wakeLater wakes s's handler once the frames the worker sent with this
// one are routed too: what the worker sent in one write (a head, its body
// and its end) reaches the handler together, so that what it does does
// not depend on where the reader happened to be when it woke. A HEAD's
// response ends at its head unless the body's end came with it (relay):
// woken at the head alone, a complete response lost its Content-Length
// now and then. The wait is for bytes already read, never for the socket.
func (w *worker) wakeLater(s *stream) {
	if n := len(w.woken); n == 0 || w.woken[n-1] != s {
		w.woken = append(w.woken, s)
	}
}

// wakeAll wakes the streams wakeLater listed.
func (w *worker) wakeAll() {
	for i, s := range w.woken {
		poke(s.wake)
		w.woken[i] = nil
	}
	w.woken = w.woken[:0]
}

// heartbeatEvery is how often a worker's event loop is asked to answer.
const heartbeatEvery = time.Second

// heartbeat detects an event loop that stopped turning (a blocking call
// in async code): it pings the worker every second, and one that has not
// answered for the request timeout has its Python stack logged and is
// killed. Its requests in flight fail; its slot starts a replacement.
func (w *worker) heartbeat() {
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	var ping [FrameHeaderLen]byte
	AppendFrameHeader(ping[:0], FramePing, 0, 0)
	for {
		select {
		case <-w.proc.Done():
			return
		case <-t.C:
		}
		if w.write(ping[:]) != nil {
			return
		}
		silent := time.Since(time.Unix(0, w.lastPong.Load()))
		if silent < w.pool.cfg.Timeout+heartbeatEvery {
			continue
		}
		stack := w.out.DumpStack(w.proc)
		w.pool.log.Error("asgi: worker's event loop blocked; killing it", "pid", w.proc.Pid(), "silent", silent.Round(time.Millisecond).String(),
			"in_flight", w.load(), "stack", stack)
		w.timedOut.Store(true)
		w.kill()
		return
	}
}

// sweepEvery is how often the sweeper pokes the requests waiting on w:
// a quarter of the request timeout, so that a 504 comes at most a
// quarter late, and at least as often as the client checks.
func (w *worker) sweepEvery() time.Duration {
	return max(min(goneEvery, w.pool.cfg.Timeout/4), 10*time.Millisecond)
}

// sweep pokes every stream whose handler waits (stream.swept), so that
// it checks its deadline and its client without a timer of its own
// (relay), until the worker exits.
func (w *worker) sweep() {
	t := time.NewTicker(w.sweepEvery())
	defer t.Stop()
	for {
		select {
		case <-w.proc.Done():
			return
		case <-t.C:
		}
		w.mu.Lock()
		for _, s := range w.streams {
			if s.swept.Load() {
				poke(s.wake)
			}
		}
		w.mu.Unlock()
	}
}

// kill ends the worker at once.
func (w *worker) kill() {
	w.conn.Close()
	w.proc.Kill()
}

// stop ends a worker gracefully: with its socket closed, its event loop
// runs the lifespan shutdown and the process exits; one that has not left
// after grace is killed.
func (w *worker) stop(grace time.Duration) {
	w.conn.CloseWrite()
	select {
	case <-w.proc.Done():
	case <-time.After(grace):
		w.proc.Kill()
		<-w.proc.Done()
	}
	w.conn.Close()
	w.out.Flush()
}
