package asgi

import (
	"errors"
	"sync"
	"sync/atomic"

	"github.com/brick-server/brick/wire/wsframe"
)

// stream is one scope in flight on a worker, as the Go side sees it. The
// worker's reader fills it; the request's handler drains it. Its buffer
// never holds more than Window bytes of response: that many are all the
// worker may send before the handler, having written them to the client,
// grants more.
type stream struct {
	id uint32
	w  *worker

	// wake tells the handler there is something new; credit tells the
	// request body's pump that the worker took some of the body.
	wake   chan struct{}
	credit chan struct{}
	// swept: a handler waits on wake for the worker's sweeper to poke
	// it now and then (its deadline, its client).
	swept atomic.Bool

	mu      sync.Mutex
	head    Head
	hasHead bool   // head parsed, not yet taken
	started bool   // head taken by the handler
	pending []byte // response bytes not yet taken
	spare   []byte
	ended   bool   // 'E'
	aborted bool   // 'A'
	trace   string // the abort's traceback
	path    string // the file of http.response.pathsend, which ended the stream
	err     error  // the worker died or broke the protocol
	window  int    // request body bytes the worker may still take
	bodyErr error  // reading the request body failed (client gone, too large)
	// left marks a stream its handler gave up (timeout, client gone):
	// its data is dropped and credited back at once, so that the
	// application's send() never waits on a client that is not there.
	left bool
	// ws is a websocket scope's state; nil for http.
	ws *wsState
}

// errWorkerLost is a worker that died, or broke the protocol, while the
// stream was in flight.
var errWorkerLost = errors.New("asgi: the worker serving the request exited")

func newStream() *stream {
	return &stream{wake: make(chan struct{}, 1), credit: make(chan struct{}, 1)}
}

// reset readies a pooled stream for a new scope.
func (s *stream) reset(id uint32, w *worker) {
	s.id, s.w = id, w
	s.hasHead, s.started, s.ended, s.aborted, s.left = false, false, false, false, false
	s.trace, s.err, s.bodyErr, s.path = "", nil, nil, ""
	s.pending = s.pending[:0]
	s.window = Window
	drain(s.wake)
	drain(s.credit)
}

func drain(c chan struct{}) {
	select {
	case <-c:
	default:
	}
}

func poke(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// finished reports whether the worker is done with the stream.
func (s *stream) finished() bool { return s.ended || s.aborted || s.err != nil }

// take hands the handler what arrived: a head when one is new, the
// response bytes buffered (ownership passes to the caller until it calls
// give back), and whether the stream is over.
func (s *stream) take() (head bool, data []byte, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hasHead {
		s.hasHead, s.started, head = false, true, true
	}
	if len(s.pending) > 0 {
		data = s.pending
		s.pending, s.spare = s.spare[:0], nil
	}
	return head, data, s.finished() && len(s.pending) == 0
}

// giveBack returns a buffer from take for reuse.
func (s *stream) giveBack(b []byte) {
	s.mu.Lock()
	if s.spare == nil && cap(b) <= 2*Window {
		s.spare = b[:0]
	}
	s.mu.Unlock()
}

// fail ends the stream because its worker is gone.
func (s *stream) fail(err error) {
	s.mu.Lock()
	if !s.finished() {
		s.err = err
		if s.ws != nil && s.ws.accepted {
			s.ws.queue(s, wsOut{close: true, code: wsframe.CloseInternalError})
		}
	}
	s.mu.Unlock()
	poke(s.wake)
	poke(s.credit)
}
