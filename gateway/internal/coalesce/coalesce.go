// Package coalesce gathers the frames many goroutines send to one worker
// process into as few writes as possible.
//
// Each write(2) to a worker's socket wakes the worker, and with the
// server and its workers on one CPU that wake-up is the larger part of
// the write's cost. Requests come in bursts: the network poller hands the
// scheduler every client connection that became readable at once, and
// their handlers run one after the other. So the first handler of a burst
// to queue a frame for a worker (the leader) yields once (runtime.Gosched)
// before it writes: the handlers runnable at that moment queue theirs
// meanwhile, and the leader writes them all with one system call. The
// others return at once. A yield with nothing else runnable costs a pass
// through the scheduler, far less than a write.
//
// Frame order is the order of Add calls. Large frames are not copied:
// Exclusive writes whatever is queued and then lets its caller write
// directly, in order.
package coalesce

import (
	"errors"
	"runtime"
	"sync"
)

// MaxQueued is the largest frame a caller should queue (copy) rather than
// write directly (Exclusive); four times it bounds the queue buffer kept
// for reuse.
const MaxQueued = 16 << 10

// ErrBroken is returned once a write failed: the frames after it would
// follow a frame cut short, so nothing more is written. Errors wraps the
// write's own error.
var ErrBroken = errors.New("a write to the worker failed before")

// Writer queues frames for one socket and writes them in batches. The
// zero Writer is not usable: make one with New.
type Writer struct {
	write func([]byte) error

	qmu     sync.Mutex
	queued  []byte // frames not yet written, in order
	spare   []byte // the other buffer, reused for the next batch
	leading bool   // a leader has promised to write queued
	err     error  // the write that failed, if one did: sticky
	added   Ticket // the last frame queued
	written Ticket // the last frame written whole (frames go out in order)

	wmu sync.Mutex // one write at a time, in the order batches were taken
}

// New returns a Writer whose batches are written with write, which must
// write all of p or fail. write is called with the Writer's write lock
// held, one call at a time.
func New(write func(p []byte) error) *Writer {
	return &Writer{write: write}
}

// Ticket names a frame queued by Add, for Sent. The zero Ticket names no
// frame: Sent reports it written.
type Ticket uint64

// Add queues a frame in two pieces (payload may be nil), copied. lead
// reports whether the caller is the batch's leader, which must call Flush
// (at once: the others rely on it); a follower's frame is written by the
// leader, and Sent(t) tells whether it was. err is a write that failed
// before: the frame was not queued.
func (w *Writer) Add(head, payload []byte) (t Ticket, lead bool, err error) {
	w.qmu.Lock()
	if w.err != nil {
		err = w.err
		w.qmu.Unlock()
		return 0, false, err
	}
	w.queued = append(append(w.queued, head...), payload...)
	w.added++
	t = w.added
	lead = !w.leading
	w.leading = true
	w.qmu.Unlock()
	return t, lead, nil
}

// Sent returns once frame t was written whole (nil), or with the error
// that kept it from the socket, writing it first if its batch's leader has
// not yet. A failure after t was written is not t's: its reader may take
// its answer. A leader calls Sent rather than Flush to learn about its own
// frame; so does a follower that must know before it goes on (one whose
// turn to read its answer came).
func (w *Writer) Sent(t Ticket) error {
	if w.wrote(t) {
		return nil
	}
	err := w.Flush()
	if err == nil || w.wrote(t) {
		return nil
	}
	return err
}

// wrote reports whether frame t was written whole.
func (w *Writer) wrote(t Ticket) bool {
	w.qmu.Lock()
	defer w.qmu.Unlock()
	return t <= w.written
}

// Flush lets the goroutines runnable now add their frames, then writes
// everything queued with one write. It returns once every frame added
// before it was written, or with the error that kept one of them from the
// socket (perhaps a later one's: Sent tells a frame's own fate).
func (w *Writer) Flush() error {
	runtime.Gosched()
	w.wmu.Lock()
	defer w.wmu.Unlock()
	return w.flushLocked()
}

// Queue adds a frame and, when the caller leads the batch, flushes it;
// a frame larger than MaxQueued is written directly, after what is
// queued. A follower's error is the leader's to see (and the reader's of
// the socket, which fails with it).
func (w *Writer) Queue(head, payload []byte) error {
	if len(head)+len(payload) > MaxQueued {
		return w.Exclusive(func(write func([]byte) error) error {
			if err := write(head); err != nil {
				return err
			}
			if len(payload) == 0 {
				return nil
			}
			return write(payload)
		})
	}
	t, lead, err := w.Add(head, payload)
	if err != nil || !lead {
		return err
	}
	return w.Sent(t)
}

// Exclusive writes what is queued, then calls fn with the write lock
// held, so that what fn writes (through write, or on the socket by other
// means such as sendmsg with descriptors) follows every frame added
// before. A failure of fn makes the Writer broken as a failed batch does.
func (w *Writer) Exclusive(fn func(write func([]byte) error) error) error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	if err := w.flushLocked(); err != nil {
		return err
	}
	w.qmu.Lock()
	err := w.err
	w.qmu.Unlock()
	if err != nil {
		return err
	}
	if err := fn(w.write); err != nil {
		w.fail(err)
		return err
	}
	return nil
}

// flushLocked writes what is queued; w.wmu is held.
func (w *Writer) flushLocked() error {
	w.qmu.Lock()
	b, err, last := w.queued, w.err, w.added
	w.queued, w.spare, w.leading = w.spare[:0], nil, false
	w.qmu.Unlock()
	if len(b) > 0 && err == nil {
		if err = w.write(b); err != nil {
			w.fail(err)
		}
	}
	w.keep(b, last, err == nil)
	return err
}

// fail makes every later Add, Flush and Exclusive return err.
func (w *Writer) fail(err error) {
	w.qmu.Lock()
	if w.err == nil {
		w.err = brokenError{err}
	}
	w.qmu.Unlock()
}

// keep records a batch's frames up to last as written when ok, and gives
// its buffer back for reuse, unless it grew large (a burst must not cost
// its size for the worker's life).
func (w *Writer) keep(b []byte, last Ticket, ok bool) {
	w.qmu.Lock()
	if ok {
		w.written = last
	}
	if w.spare == nil && cap(b) <= 4*MaxQueued {
		w.spare = b[:0]
	}
	w.qmu.Unlock()
}

// brokenError is the sticky error: the first failed write's, which is
// also ErrBroken.
type brokenError struct{ err error }

func (e brokenError) Error() string        { return e.err.Error() }
func (e brokenError) Unwrap() error        { return e.err }
func (e brokenError) Is(target error) bool { return target == ErrBroken }
