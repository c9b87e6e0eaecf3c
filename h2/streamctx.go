package h2

import (
	"context"
	"sync"
	"time"
)

// streamCtx is a stream's context, part of the stream so that a request
// costs no allocation for it: its Done channel is made only when someone
// asks for it, and the base context (the server's) is watched only then.
// A stream whose context was asked for Done or Err is not reused (see
// Conn.recycle): a goroutine the handler left behind may still hold it,
// and must keep seeing it cancelled.
type streamCtx struct {
	base context.Context

	mu      sync.Mutex
	done    chan struct{}
	err     error
	stop    func() bool // stops watching base
	watched bool        // Done or Err was called: the stream is not reused
}

var _ context.Context = (*streamCtx)(nil)

// closedChan is the Done channel of a context cancelled before anyone
// asked for its channel.
var closedChan = func() chan struct{} {
	c := make(chan struct{})
	close(c)
	return c
}()

func (x *streamCtx) init(base context.Context) {
	if base == nil {
		base = context.Background()
	}
	x.base, x.done, x.err, x.stop, x.watched = base, nil, nil, nil, false
}

// Deadline is the base context's.
func (x *streamCtx) Deadline() (time.Time, bool) { return x.base.Deadline() }

// Value is the base context's.
func (x *streamCtx) Value(key any) any { return x.base.Value(key) }

// Done returns a channel closed when the stream is cancelled or the base
// context is done.
func (x *streamCtx) Done() <-chan struct{} {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.watched = true
	if x.done == nil {
		if x.err != nil {
			return closedChan
		}
		x.done = make(chan struct{})
		if x.base.Done() != nil {
			x.stop = context.AfterFunc(x.base, func() { x.cancel(x.base.Err()) })
		}
	}
	return x.done
}

// Err is context.Canceled once the stream ended or was reset.
func (x *streamCtx) Err() error {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.watched = true
	if x.err != nil {
		return x.err
	}
	return x.base.Err()
}

// cancel ends the context; later calls do nothing.
func (x *streamCtx) cancel(err error) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.err != nil {
		return
	}
	x.err = err
	if x.done != nil {
		close(x.done)
	}
	if x.stop != nil {
		x.stop()
	}
}

// reusable reports whether no one looked at the context: only then may
// the stream serve another request.
func (x *streamCtx) reusable() bool {
	x.mu.Lock()
	defer x.mu.Unlock()
	return !x.watched
}
