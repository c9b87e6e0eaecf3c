package asgi

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/websocket"
	"github.com/brick-server/brick/wire"
	"github.com/brick-server/brick/wire/wsframe"
)

// wsState is a websocket scope's Go side: what the application answered
// to the handshake, and the messages it sent that the client has not
// taken yet.
type wsState struct {
	accepted bool
	refused  bool // websocket.close before accept: 403
	accept   websocket.AcceptOptions
	conn     *websocket.Conn
	out      []wsOut
	// unacked is what the worker sent (messages cost their length plus
	// one) that Go has not credited back: at most a window plus one
	// message, because the worker sends only while it has credit.
	unacked int
	owed    int  // written to the client, not yet credited back
	writing bool // a writer goroutine drains out
	closing bool // a close is queued or sent: later messages are dropped
}

// wsOut is one message, or the close, for the client.
type wsOut struct {
	typ    websocket.MessageType
	data   []byte
	close  bool
	code   int
	reason string
}

// wsOptions are the connection's: watched, so an idle WebSocket holds no
// goroutine; the ping interval (which bounds an idle peer that vanished)
// and the message limit are the Config's.
var wsOptions = websocket.Options{Watched: true, Compression: true}

// isWebSocket reports whether r asks for a WebSocket upgrade; Check then
// validates the rest.
func isWebSocket(r *web.Request) bool {
	u := r.Header.Get("Upgrade")
	return u != nil && bytes.Contains(bytes.ToLower(u), []byte("websocket"))
}

// serveWebSocket runs r as a websocket scope: websocket.connect, then the
// application's answer (accept, close, or a denial response), then
// messages both ways until either side closes. After the accept the
// handler returns: the connection is watched by the server and the
// worker's reader hands the application's messages to a writer that runs
// only while some wait.
func (h *Handler) serveWebSocket(w web.ResponseWriter, r *web.Request, c *call, path []byte) error {
	hs, err := websocket.Check(r)
	if err != nil {
		websocket.Reject(w, err)
		return nil
	}
	h.scope(c, r, path)
	c.watch = true
	s := newStream()
	s.ws = &wsState{}
	wk, err := h.pool.pick(s)
	if err != nil {
		return h.unavailable(w, r, err)
	}
	c.frame = c.enc.AppendFrame(c.frame[:0], s.id, KindWebSocket, 0, nil)
	if err := wk.write(c.frame); err != nil {
		s.fail(errWorkerLost)
	}
	if c.timer == nil {
		c.timer = time.NewTimer(h.cfg.Timeout)
	} else {
		c.timer.Reset(h.cfg.Timeout)
	}
	defer c.timer.Stop()
	for {
		s.mu.Lock()
		accepted, refused, head := s.ws.accepted, s.ws.refused, s.hasHead
		over := s.aborted || s.err != nil
		ended := s.ended
		s.mu.Unlock()
		switch {
		case accepted:
			return h.acceptWebSocket(w, r, hs, s, wk)
		case head || over:
			return h.relay(w, r, s, wk, c) // the denial response, or 500
		case refused || ended:
			// ASGI: a close before the accept, or an application that
			// returns without either, is an HTTP 403.
			s.mu.Lock()
			s.left = true
			s.mu.Unlock()
			return plain(w, 403, "Forbidden\n")
		}
		select {
		case <-s.wake:
		case <-c.timer.C:
			wk.control(FrameCancel, s.id)
			h.pool.stats.timeouts.Add(1)
			h.log.Warn("asgi: no websocket.accept within the timeout; answering 504", "request", requestLine(r), "timeout", h.cfg.Timeout.String())
			return plain(w, 504, "Gateway Timeout: the application took too long\n")
		}
	}
}

// acceptWebSocket completes the handshake as the application asked and
// starts relaying.
func (h *Handler) acceptWebSocket(w web.ResponseWriter, r *web.Request, hs *websocket.Handshake, s *stream, wk *worker) error {
	s.mu.Lock()
	a := s.ws.accept
	s.mu.Unlock()
	opts := wsOptions
	opts.PingInterval, opts.MaxMessageSize = h.cfg.WSPingInterval, h.cfg.WSMaxSize
	conn, err := hs.Accept(w, a, &opts)
	if err != nil {
		disconnect(wk, s, wsframe.CloseAbnormal, "")
		if errors.Is(err, websocket.ErrBadAccept) {
			h.log.Error("asgi: websocket.accept with a subprotocol the client did not offer, or a reserved header; answering 500", "request", requestLine(r))
			return plain(w, 500, "Internal Server Error\n")
		}
		return nil // the client left during the handshake
	}
	s.mu.Lock()
	s.ws.conn = conn
	s.kickLocked()
	s.mu.Unlock()
	var hdr [FrameHeaderLen + 1]byte
	conn.Serve(func(typ websocket.MessageType, msg []byte) error {
		return toWorker(s, wk, hdr[:0], typ, msg)
	}, func(err error) {
		reason := ""
		var ce *websocket.CloseError
		if errors.As(err, &ce) {
			reason = ce.Reason
		}
		disconnect(wk, s, websocket.CloseCode(err), reason)
	})
	return nil
}

// toWorker sends a client's message to the application once the stream
// has credit; waiting here stops reading the client, so a fast client
// never makes Python hold more than a window plus one message.
func toWorker(s *stream, wk *worker, hdr []byte, typ websocket.MessageType, msg []byte) error {
	cost := len(msg) + 1
	for {
		s.mu.Lock()
		if s.finished() || s.left {
			s.mu.Unlock()
			return nil // the application has ended: the close is on its way
		}
		if s.window > 0 {
			s.window -= cost
			s.mu.Unlock()
			break
		}
		s.mu.Unlock()
		<-s.credit
	}
	if len(msg) <= smallMessage {
		// One write for the frame: a small message is copied after its
		// head in a pooled buffer.
		bp := frameBufs.Get().(*[]byte)
		b := append(AppendFrameHeader((*bp)[:0], FrameWSReceive, s.id, 1+len(msg)), byte(typ))
		b = append(b, msg...)
		wk.write(b)
		*bp = b
		frameBufs.Put(bp)
		return nil
	}
	hdr = append(AppendFrameHeader(hdr, FrameWSReceive, s.id, 1+len(msg)), byte(typ))
	wk.write2(hdr, msg) // an error is the worker gone: fail closes the connection
	return nil
}

// smallMessage is the largest client message copied into one write with
// its frame head; larger ones go out as head and payload.
const smallMessage = 16 << 10

var frameBufs = sync.Pool{New: func() any { b := make([]byte, 0, FrameHeaderLen+1+smallMessage); return &b }}

// disconnect tells the application the client left with code and reason
// (websocket.disconnect), unless its scope is over.
func disconnect(wk *worker, s *stream, code int, reason string) {
	s.mu.Lock()
	over := s.finished() || s.left
	s.left = true
	s.mu.Unlock()
	poke(s.credit)
	if over {
		return
	}
	b := make([]byte, 0, FrameHeaderLen+2+len(reason))
	b = AppendFrameHeader(b, FrameDisconnect, s.id, 2+len(reason))
	b = append(binary.BigEndian.AppendUint16(b, uint16(code)), reason...)
	wk.write(b)
}

// routeWS takes the worker's websocket.accept, send and close frames.
func (w *worker) routeWS(s *stream, typ byte, p []byte) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	ws := s.ws
	switch {
	case typ == FrameWSAccept && !ws.accepted && !ws.refused && !s.hasHead && !s.started:
		a, ok := parseAccept(p)
		if !ok {
			return fmt.Errorf("%w: malformed websocket.accept on stream %d", errFrame, s.id)
		}
		ws.accepted, ws.accept = true, a
		poke(s.wake)
	case typ == FrameWSClose && !ws.accepted && !ws.refused && !s.hasHead && !s.started:
		ws.refused = true
		poke(s.wake)
	case typ == FrameWSClose && ws.accepted:
		ws.queue(s, wsOut{close: true, code: int(binary.BigEndian.Uint16(p)), reason: string(p[2:])})
	case typ == FrameWSSend && ws.accepted:
		if ws.unacked >= Window {
			return fmt.Errorf("%w: stream %d sent past its window", errFrame, s.id)
		}
		ws.unacked += len(p)
		ws.queue(s, wsOut{typ: websocket.MessageType(p[0]), data: bytes.Clone(p[1:])})
	default:
		return fmt.Errorf("%w: %q frame out of order on stream %d", errFrame, typ, s.id)
	}
	return nil
}

// parseAccept splits an accept frame's payload: the subprotocol, then
// NUL-separated header names and values, copied. The handshake checks
// the fields themselves (websocket.ErrBadAccept).
func parseAccept(p []byte) (websocket.AcceptOptions, bool) {
	parts := bytes.Split(p, []byte{0})
	if len(parts)%2 != 1 {
		return websocket.AcceptOptions{}, false
	}
	a := websocket.AcceptOptions{Subprotocol: string(parts[0])}
	for i := 1; i+1 < len(parts); i += 2 {
		a.Header = append(a.Header, wire.Field{Name: bytes.Clone(parts[i]), Value: bytes.Clone(parts[i+1])})
	}
	return a, true
}

// queue adds a message for the client; s.mu is held.
func (ws *wsState) queue(s *stream, m wsOut) {
	if ws.closing {
		ws.unacked -= len(m.data) + 1
		return
	}
	if m.close {
		ws.closing = true
	}
	ws.out = append(ws.out, m)
	s.kickLocked()
}

// ended is the scope's end ('E' or 'A'): a connection still open closes,
// normally or, when the application failed, with 1011. s.mu is held.
func (ws *wsState) ended(s *stream) {
	if !ws.accepted {
		return
	}
	code := wsframe.CloseNormal
	if s.aborted {
		code = wsframe.CloseInternalError
		if s.trace != "" {
			s.w.pool.log.Error("asgi: the websocket application raised; closing with 1011", "pid", s.w.proc.Pid(), "traceback", s.trace)
		}
	}
	ws.queue(s, wsOut{close: true, code: code})
}

// kickLocked starts a writer when messages wait and none runs; s.mu is
// held. The writer leaves once the queue is empty: an idle WebSocket holds
// no goroutine on this side either.
func (s *stream) kickLocked() {
	ws := s.ws
	if ws.conn == nil || ws.writing || len(ws.out) == 0 {
		return
	}
	ws.writing = true
	go s.writeWS()
}

// writeWS sends the queued messages to the client and credits each back
// to the worker once written: a client that reads slowly makes the
// application's send() wait.
func (s *stream) writeWS() {
	ws := s.ws
	for {
		s.mu.Lock()
		if len(ws.out) == 0 {
			ws.writing = false
			s.mu.Unlock()
			return
		}
		m := ws.out[0]
		ws.out[0] = wsOut{}
		ws.out = ws.out[1:]
		conn := ws.conn
		s.mu.Unlock()
		if m.close {
			conn.Close(m.code, m.reason)
			continue
		}
		// After the client left the write fails and the message is
		// dropped: the application learns from the disconnect frame.
		conn.WriteMessage(m.typ, m.data)
		// Credit goes back a quarter window at a time, one frame for
		// many small messages: the worker keeps three quarters to send
		// with, so it never waits on credit owed but not sent.
		s.mu.Lock()
		cost := len(m.data) + 1
		ws.unacked -= cost
		ws.owed += cost
		grant := 0
		if ws.owed >= Window/4 {
			grant, ws.owed = ws.owed, 0
		}
		over := s.finished()
		s.mu.Unlock()
		if grant > 0 && !over {
			s.w.grant(s.id, grant)
		}
	}
}

// webSockets counts w's accepted WebSockets.
func (w *worker) webSockets() int {
	_, n, _ := w.census()
	return n
}

// goAway closes w's WebSockets with 1001 (going away), at the end of a
// retired worker's WSGrace; each application gets its disconnect when
// the client answers.
func (w *worker) goAway() {
	w.mu.Lock()
	streams := make([]*stream, 0, len(w.streams))
	for _, s := range w.streams {
		streams = append(streams, s)
	}
	w.mu.Unlock()
	for _, s := range streams {
		s.mu.Lock()
		if s.ws != nil && s.ws.accepted {
			s.ws.queue(s, wsOut{close: true, code: wsframe.CloseGoingAway, reason: "server restarting"})
		}
		s.mu.Unlock()
	}
}
