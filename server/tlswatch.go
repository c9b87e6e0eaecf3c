package server

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"sync/atomic"

	"github.com/brick-server/brick/internal/bufpool"
	"github.com/brick-server/brick/web"
)

// A watched TLS connection (HijackWatched over TLS, and HTTP/2 over TLS)
// is its tls.Conn over the plain watched connection, which the readiness
// loop watches (watch_linux.go). The loop sees only the socket, but
// crypto/tls may hold input the socket no longer has: plaintext of a
// record it decrypted and the owner did not read yet, or the start of a
// record. So Watch first asks crypto/tls for a byte without waiting for
// the socket (probe): a byte, or a lasting error (close_notify, a broken
// record), calls the owner back at once, the byte kept for its next Read;
// "would block" arms the loop's watch, part of a record staying in
// crypto/tls's buffer until the rest arrives and raises its edge.

// watcher is a transport that can be handed over and still watched.
type watcher interface {
	// canWatch reports whether watch may be called.
	canWatch() bool
	watch() (web.WatchedConn, error)
}

// watchable returns t as a watcher when it can be handed over watched.
func watchable(t transport) (watcher, bool) {
	w, ok := t.(watcher)
	if !ok || !w.canWatch() {
		return nil, false
	}
	return w, true
}

// canWatch: a TLS connection can be watched over a transport that can,
// once its handshake is done.
func (t *tlsConn) canWatch() bool {
	w, ok := t.raw.(watcher)
	return ok && w.canWatch() && t.state == tlsOpen
}

// watch hands the connection over as its tls.Conn, now running over the
// plain watched connection.
func (t *tlsConn) watch() (web.WatchedConn, error) {
	if !t.canWatch() {
		return nil, web.ErrNotSupported
	}
	wc, err := t.raw.(watcher).watch()
	if err != nil {
		return nil, err
	}
	t.hj = wc
	// A byte peerGone took is the first the new owner reads.
	tw := &tlsWatched{Conn: t.tc, t: t, w: wc, held: t.hasHeld, b: t.held}
	t.hasHeld = false
	return tw, nil
}

// tlsWatched is a watched TLS connection (web.WatchedConn).
type tlsWatched struct {
	*tls.Conn
	t      *tlsConn
	w      web.WatchedConn
	held   bool    // b holds a byte of plaintext the probe took
	b      [1]byte //
	closed atomic.Bool
}

// Read gives the byte the probe took first, with what else crypto/tls has
// at once: a caller that reads once per callback (the proxy's relay) must
// get the rest of the record, not one byte per Watch.
func (w *tlsWatched) Read(p []byte) (int, error) {
	if !w.held || len(p) == 0 {
		return w.Conn.Read(p)
	}
	p[0], w.held = w.b[0], false
	n, _ := w.t.probe(p[1:])
	// A lasting error (EOF) is crypto/tls's to report again next time.
	return 1 + n, nil
}

// Watch calls fn at once when crypto/tls has input for the next Read,
// and otherwise arms the loop's watch of the socket.
func (w *tlsWatched) Watch(fn func()) error {
	if w.closed.Load() {
		return net.ErrClosed
	}
	if !w.held {
		n, err := w.t.probe(w.b[:])
		w.held = n > 0
		if n == 0 && (err == nil || errors.Is(err, wouldBlock{})) {
			return w.w.Watch(fn)
		}
	}
	go fn()
	return nil
}

// Write gathers the records crypto/tls makes of a write longer than one
// record (HTTP/2's batches of DATA frames: four records) and writes them
// in one system call, not one each; a shorter write is one record and
// goes as it is. The records are copied once more, from crypto/tls's
// buffer, which it reuses for the next record, into a pooled buffer that
// goes back once written, so an idle connection holds none. The write is
// bounded by the write deadline as any other. The gathered records go
// out before any record crypto/tls makes after them (an alert Close sends
// from another goroutine): writeHijacked waits for gmu, held until then.
func (w *tlsWatched) Write(p []byte) (int, error) {
	if len(p) <= tlsRecordPayload {
		return w.Conn.Write(p)
	}
	t := w.t
	t.gmu.Lock()
	t.gathering = true
	t.gmu.Unlock()
	n, err := w.Conn.Write(p)
	t.gmu.Lock()
	defer t.gmu.Unlock()
	t.gathering = false
	buf := t.gathered
	t.gathered = nil
	if buf == nil {
		return n, err
	}
	if err == nil {
		if _, werr := t.hj.Write(buf); werr != nil {
			// The records crypto/tls counted as sent did not all go.
			n, err = 0, werr
		}
	}
	bufpool.Put(buf)
	return n, err
}

// tlsRecordPayload is the most plaintext a TLS record carries (RFC 8446
// §5.1).
const tlsRecordPayload = 16 << 10

// gatherSize bounds the records gathered for one system call: four full
// records with their headers, nonces and tags.
const gatherSize = 4 * (tlsRecordPayload + 256)

// writeHijacked is Write (crypto/tls's records) after a hijack or watch:
// while a tlsWatched write gathers, the record joins the others, what
// they hold written out first when it would not fit; otherwise it goes to
// the socket, in order after gathered records still being written.
func (t *tlsConn) writeHijacked(p []byte) (int, error) {
	t.gmu.Lock()
	defer t.gmu.Unlock()
	if !t.gathering {
		return t.hj.Write(p)
	}
	if t.gathered != nil && len(t.gathered)+len(p) > gatherSize {
		_, err := t.hj.Write(t.gathered)
		bufpool.Put(t.gathered)
		t.gathered = nil
		if err != nil {
			return 0, err
		}
	}
	if t.gathered == nil {
		if len(p) > gatherSize {
			return t.hj.Write(p)
		}
		t.gathered = bufpool.Get(gatherSize)
	}
	t.gathered = append(t.gathered, p...)
	return len(p), nil
}

// Close sends close_notify and closes the plain watched connection.
func (w *tlsWatched) Close() error {
	w.closed.Store(true)
	return w.Conn.Close()
}

// probe reads into p what crypto/tls can give without waiting for the
// socket: Read reports wouldBlock meanwhile, which crypto/tls does not
// keep as the connection's error.
func (t *tlsConn) probe(p []byte) (int, error) {
	t.probing = true
	n, err := t.tc.Read(p)
	t.probing = false
	return n, err
}

// readProbing is Read while probing: the plain transport's read, which
// never blocks on a watched pollConn.
func (t *tlsConn) readProbing(p []byte) (int, error) {
	n, err := t.raw.read(p, 0)
	switch {
	case n > 0:
		return n, nil
	case err == errAgain:
		return 0, wouldBlock{}
	case err == nil:
		return 0, io.EOF
	}
	return 0, err
}
