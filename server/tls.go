package server

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/brick-server/brick/internal/bufpool"
)

// TLS. A TLS connection is a transport (tlsConn) layered over the plain
// one, pollConn or netConn, so the request loop in exchange.go runs over
// it unchanged. crypto/tls does the handshake and the records; its
// tls.Conn runs over tlsConn itself as its net.Conn, whose Read and Write
// go to the plain transport. See the package documentation for what an
// idle TLS connection holds.

// tlsState is where a TLS connection is in its life.
type tlsState uint8

const (
	tlsNew    tlsState = iota // no byte read yet
	tlsOpen                   // handshake done
	tlsPlain                  // the client spoke plain HTTP: answered 400 in plain text
	tlsFailed                 // the handshake failed
)

// errPlainHTTP is read's error when a client sends plain HTTP to a TLS
// listener; the exchange answers 400 in plain HTTP, as nginx does.
var errPlainHTTP = errors.New("server: plain HTTP request sent to an HTTPS port")

// plainHTTPReason is the 400's text for errPlainHTTP.
const plainHTTPReason = "plain HTTP request sent to an HTTPS port; use https://"

// recordTypeHandshake is the first byte of every TLS ClientHello.
const recordTypeHandshake = 0x16

// wouldBlock is what tlsConn.Read gives crypto/tls when the socket has no
// more bytes: a temporary net.Error, which crypto/tls does not record as
// the connection's error (conn.go, readRecordOrCCS), so the next Read
// resumes the record it was in. Write errors, by contrast, are sticky in
// crypto/tls, so Write never reports "would block": it waits.
type wouldBlock struct{}

func (wouldBlock) Error() string   { return "server: no data yet" }
func (wouldBlock) Timeout() bool   { return false }
func (wouldBlock) Temporary() bool { return true }

// tlsTimeout is tlsConn.Read's error at the read deadline.
type tlsTimeout struct{}

func (tlsTimeout) Error() string   { return "server: TLS read timeout" }
func (tlsTimeout) Timeout() bool   { return true }
func (tlsTimeout) Temporary() bool { return false }

// tlsConn is the TLS transport. Its exported methods make it the net.Conn
// under its tls.Conn; its unexported ones make it a transport.
type tlsConn struct {
	raw transport
	c   *conn
	cfg *tls.Config
	tc  *tls.Conn            // made at the first byte, so a silent socket costs none
	cs  *tls.ConnectionState // for web.Request.TLS, made at the first request
	hj  net.Conn             // after a hijack, the plain connection tc runs over

	// pendingSince is when crypto/tls was first given bytes that have not
	// yet come out as plaintext (part of a record): the connection then
	// waits for a head with the header timeout, as with part of a plain
	// head, so a record trickled byte by byte cannot hold it open.
	pendingSince int64
	deadline     int64 // for Read, unix ns
	state        tlsState
	// nonblocking is set over a pollConn, whose read returns errAgain.
	nonblocking bool
	blocking    bool // Read waits for bytes (during the handshake)
	closing     bool // close is sending close_notify
	probing     bool // a watched connection's Watch is looking for input (tlswatch.go)
	ended       bool // crypto/tls has a lasting read error (EOF) for the next read
	hasFirst    bool // first holds the connection's first byte, not yet given to tc
	first       [1]byte
	// peeking makes Read take only what has arrived, for peerGone.
	peeking bool
	// hasHeld: held is a byte of plaintext peerGone took from crypto/tls
	// (a request the client pipelined), the next read's first byte.
	hasHeld bool
	held    [1]byte

	// A watched connection's long writes gather crypto/tls's records
	// (tlsWatched.Write): gathering is set while one is under way, and
	// gathered holds the records. gmu guards both and orders the writes
	// to hj: crypto/tls may write an alert from another goroutine (Close)
	// while gathered records are still being written.
	gmu       sync.Mutex
	gathering bool
	gathered  []byte
}

func newTLSConn(raw transport, c *conn, cfg *tls.Config, nonblocking bool) *tlsConn {
	return &tlsConn{raw: raw, c: c, cfg: cfg, nonblocking: nonblocking}
}

// handshake reads the first byte, answers plain HTTP with errPlainHTTP, and
// otherwise runs the TLS handshake on the calling goroutine (a worker, never
// a readiness loop), waiting for the client's bytes until deadline: the
// header deadline, so a handshake that never finishes is a slowloris like
// any other.
func (t *tlsConn) handshake(deadline int64) error {
	n, err := t.raw.read(t.first[:], deadline)
	if n == 0 {
		if err == nil {
			err = io.EOF
		}
		return err
	}
	if t.first[0] != recordTypeHandshake {
		t.state = tlsPlain
		return errPlainHTTP
	}
	t.hasFirst = true
	t.tc = tls.Server(t, t.cfg)
	t.blocking, t.deadline = true, deadline
	err = t.tc.Handshake()
	t.blocking = false
	if err != nil {
		t.state = tlsFailed
		var tt tlsTimeout
		if errors.As(err, &tt) {
			return errTimeout
		}
		t.c.srv.log.Debug("TLS handshake failed", "remote", t.c.remote.AddrPort().String(), "err", err)
		return io.EOF
	}
	t.state = tlsOpen
	t.pendingSince = 0
	if t.tc.ConnectionState().NegotiatedProtocol == "h2" {
		return errH2
	}
	return nil
}

func (t *tlsConn) read(p []byte, deadline int64) (int, error) {
	switch t.state {
	case tlsPlain:
		return t.raw.read(p, deadline)
	case tlsFailed:
		return 0, io.EOF
	case tlsNew:
		if err := t.handshake(deadline); err != nil {
			return 0, err
		}
	}
	t.deadline = deadline
	total := 0
	if t.hasHeld && len(p) > 0 {
		p[0], t.hasHeld = t.held[0], false
		total = 1
		if !t.nonblocking {
			// The rest of its record waits in crypto/tls: the next
			// read returns it without blocking.
			return total, nil
		}
	}
	for total < len(p) {
		n, err := t.tc.Read(p[total:])
		total += n
		if n > 0 {
			t.pendingSince = 0
		}
		if err != nil {
			if total > 0 {
				// Not "would block": the error (close_notify's EOF)
				// lasts, and the next read reports it; park must not
				// wait for readiness that will not come.
				if !errors.Is(err, wouldBlock{}) {
					t.ended = true
				}
				return total, nil
			}
			var ne net.Error
			switch {
			case errors.Is(err, wouldBlock{}):
				return 0, errAgain
			case errors.As(err, &ne) && ne.Timeout():
				return 0, errTimeout
			case err == io.EOF:
				return 0, io.EOF
			}
			return 0, err
		}
		// Over a pollConn, read until crypto/tls must wait for the socket:
		// it may hold whole records it read with an earlier one, and the
		// loop reports only new bytes, so parking before they are taken
		// would leave them there. A netConn never parks.
		if !t.nonblocking {
			break
		}
	}
	return total, nil
}

// connState is the state handlers see in web.Request.TLS, made once.
func (t *tlsConn) connState() *tls.ConnectionState {
	if t.cs == nil && t.tc != nil {
		cs := t.tc.ConnectionState()
		t.cs = &cs
	}
	return t.cs
}

func (t *tlsConn) waitRead(deadline int64) error { return t.raw.waitRead(deadline) }

func (t *tlsConn) pendingInput() int64 { return t.pendingSince }

// peerGone cannot be a peek at the socket alone: a TLS client sends
// close_notify before its FIN, and that alert is a record, readable bytes
// in front of the end (under TLS 1.3 it even looks like application
// data). So the records that have arrived go through crypto/tls without
// waiting: close_notify or a broken record ends the input (gone), and a
// first byte of plaintext, a request the client pipelined, is held for
// the next read (not gone, as a peek at pipelined bytes says of a plain
// connection). Only the goroutine serving the request calls it, as it
// does read.
func (t *tlsConn) peerGone() bool {
	if t.state != tlsOpen || t.hj != nil {
		return t.raw.peerGone()
	}
	if !t.hasHeld && !t.ended {
		t.peeking = true
		n, err := t.tc.Read(t.held[:])
		t.peeking = false
		if n > 0 {
			t.hasHeld, t.pendingSince = true, 0
		}
		if err != nil && !errors.Is(err, wouldBlock{}) {
			t.ended = true
		}
	}
	if t.hasHeld {
		return false
	}
	return t.ended || t.raw.peerGone()
}

// nowReader is a transport that can read what has arrived without
// waiting, errAgain when nothing has.
type nowReader interface {
	readNow(p []byte) (int, error)
}

func (t *tlsConn) write(p []byte, timeout time.Duration) error {
	switch t.state {
	case tlsOpen:
		_, err := t.tc.Write(p)
		return err
	case tlsPlain:
		return t.raw.write(p, timeout)
	}
	return io.ErrClosedPipe
}

// sendFile copies the file through crypto/tls: sendfile(2) cannot encrypt.
func (t *tlsConn) sendFile(head []byte, f *os.File, offset, n int64, timeout time.Duration) (int64, error) {
	if t.state != tlsOpen {
		return 0, io.ErrClosedPipe
	}
	if len(head) > 0 {
		if err := t.write(head, timeout); err != nil {
			return 0, err
		}
	}
	buf := bufpool.Get(flushAt)
	buf = buf[:cap(buf)]
	defer bufpool.Put(buf)
	var sent int64
	for sent < n {
		k, err := f.ReadAt(buf[:min(int64(len(buf)), n-sent)], offset+sent)
		if k > 0 {
			if werr := t.write(buf[:k], timeout); werr != nil {
				return sent, werr
			}
			sent += int64(k)
		}
		if err != nil && sent < n {
			if err == io.EOF {
				err = io.ErrUnexpectedEOF // the file shrank
			}
			return sent, err
		}
	}
	return sent, nil
}

func (t *tlsConn) park(deadline int64, partial bool) bool {
	return !t.ended && !t.hasHeld && t.raw.park(deadline, partial)
}

// closeWrite sends close_notify, then FIN.
func (t *tlsConn) closeWrite() error {
	if t.state == tlsOpen {
		if err := t.tc.CloseWrite(); err != nil {
			return err
		}
	}
	return t.raw.closeWrite()
}

// close sends close_notify, so that the client can tell the end from a
// truncation, then closes. It may run on the sweep's goroutine, so the
// alert gets closeNotifyTimeout, not the write timeout.
func (t *tlsConn) close() {
	if t.state == tlsOpen {
		t.closing = true
		t.tc.CloseWrite()
	}
	t.raw.close()
}

// writeLast writes p, waiting no longer than closeNotifyTimeout, before the
// connection closes: for the sweep's 408, which must not stall the sweep.
func (t *tlsConn) writeLast(p []byte) {
	if t.state == tlsOpen {
		t.closing = true
		t.tc.Write(p)
	}
}

// closeNotifyTimeout bounds sending close_notify on close.
const closeNotifyTimeout = 10 * time.Millisecond

func (t *tlsConn) abort() { t.raw.abort() }

// hijack hands over the tls.Conn, now running over the plain connection
// the underlying transport hands over.
func (t *tlsConn) hijack() (net.Conn, error) {
	nc, err := t.raw.hijack()
	if err != nil || t.state != tlsOpen {
		return nc, err
	}
	t.hj = nc
	if t.hasHeld {
		// peerGone took the first byte of what the client sent next.
		t.hasHeld = false
		return &heldConn{Conn: t.tc, b: t.held[0], has: true}, nil
	}
	return t.tc, nil
}

// heldConn is a hijacked tls.Conn whose first byte peerGone took.
type heldConn struct {
	*tls.Conn
	b   byte
	has bool
}

// Read gives the held byte alone: the rest of its record is in crypto/tls
// for the next Read, but asking for it here could wait on the socket.
func (h *heldConn) Read(p []byte) (int, error) {
	if !h.has || len(p) == 0 {
		return h.Conn.Read(p)
	}
	p[0], h.has = h.b, false
	return 1, nil
}

// Read gives crypto/tls the socket's bytes: the first byte (read to tell
// TLS from plain HTTP), then what the plain transport reads. Without bytes
// it waits during the handshake and otherwise reports wouldBlock.
func (t *tlsConn) Read(p []byte) (int, error) {
	if t.probing {
		return t.readProbing(p)
	}
	if t.hj != nil {
		return t.hj.Read(p)
	}
	if len(p) == 0 {
		return 0, nil
	}
	if t.hasFirst {
		p[0], t.hasFirst = t.first[0], false
		return 1, nil
	}
	for {
		var n int
		var err error
		if nr, ok := t.raw.(nowReader); ok && t.peeking {
			n, err = nr.readNow(p)
		} else if t.peeking {
			return 0, wouldBlock{} // this transport cannot look without waiting
		} else {
			n, err = t.raw.read(p, t.deadline)
		}
		if n > 0 {
			if t.pendingSince == 0 && t.state == tlsOpen {
				t.pendingSince = t.c.srv.clock.Now()
			}
			return n, nil
		}
		switch {
		case err == errAgain:
			if !t.blocking || t.peeking {
				return 0, wouldBlock{}
			}
			if err := t.raw.waitRead(t.deadline); err != nil {
				return 0, tlsTimeout{}
			}
			continue
		case err == errTimeout:
			return 0, tlsTimeout{}
		case err == nil:
			return 0, io.EOF
		}
		return 0, err
	}
}

// Write sends crypto/tls's records, waiting for the client to take them
// up to the write timeout.
func (t *tlsConn) Write(p []byte) (int, error) {
	if t.hj != nil {
		return t.writeHijacked(p)
	}
	timeout := t.c.srv.live().to.Write
	if t.closing {
		timeout = closeNotifyTimeout
	}
	if err := t.raw.write(p, timeout); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close is the server's to do (close), except after a hijack.
func (t *tlsConn) Close() error {
	if t.hj != nil {
		return t.hj.Close()
	}
	return nil
}

func (t *tlsConn) LocalAddr() net.Addr  { return net.TCPAddrFromAddrPort(t.c.local.AddrPort()) }
func (t *tlsConn) RemoteAddr() net.Addr { return net.TCPAddrFromAddrPort(t.c.remote.AddrPort()) }

// The deadlines are the server's (the header, read and write timeouts),
// except after a hijack, when they are the handler's.
func (t *tlsConn) SetDeadline(d time.Time) error {
	if t.hj != nil {
		return t.hj.SetDeadline(d)
	}
	return nil
}

func (t *tlsConn) SetReadDeadline(d time.Time) error {
	if t.hj != nil {
		return t.hj.SetReadDeadline(d)
	}
	return nil
}

func (t *tlsConn) SetWriteDeadline(d time.Time) error {
	if t.hj != nil {
		return t.hj.SetWriteDeadline(d)
	}
	return nil
}

// CipherSuites are the TLS 1.2 suites a listener offers when its
// configuration names none: Mozilla's "intermediate" profile, ECDHE key
// exchange with AEAD ciphers only. (TLS 1.3's suites are all AEAD and not
// configurable in crypto/tls.)
var CipherSuites = []uint16{
	tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
	tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
	tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
	tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
}

// serverTLSConfig is cfg as a listener uses it: ALPN h2 and http/1.1, in
// that order of preference, unless the caller chose protocols, TLS 1.2 at least, CipherSuites unless the caller
// chose suites.
func serverTLSConfig(cfg *tls.Config) *tls.Config {
	c := cfg.Clone()
	if len(c.NextProtos) == 0 {
		c.NextProtos = []string{"h2", "http/1.1"}
	}
	if c.MinVersion < tls.VersionTLS12 {
		c.MinVersion = tls.VersionTLS12
	}
	if len(c.CipherSuites) == 0 {
		c.CipherSuites = CipherSuites
	}
	return c
}
