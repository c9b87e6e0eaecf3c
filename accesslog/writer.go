package accesslog

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Buffering: lines are written once flushAt bytes have gathered, and at
// least every flushEvery.
const (
	flushAt    = 32 << 10
	flushEvery = time.Second
)

// ErrClosed is returned by a Writer's methods after Close.
var ErrClosed = errors.New("accesslog: writer closed")

// Writer buffers log lines for a file or a stream. It is safe for
// concurrent use. See the package documentation.
type Writer struct {
	// Two locks: mu guards buf, which requests append to; wmu serialises
	// writing out, so a slow disk holds up only the goroutine that found
	// the buffer full, and the others keep appending to a fresh buffer.
	// wmu is taken before mu.
	mu     sync.Mutex
	buf    []byte
	closed bool

	wmu   sync.Mutex
	spare []byte    // the buffer being written out
	out   io.Writer // the file, or the stream given to NewWriter
	file  *os.File  // when the Writer opened it (Reopen and Close act on it)
	path  string
	err   error // the last write error, returned by the next Flush

	// Lines lost to write errors: lost counts them for good (it may be
	// shared with the Writers before and after this one); unreported and
	// lastErr are what the next once-a-second report says.
	lost       *atomic.Uint64
	unreported uint64
	lastErr    error
	log        *slog.Logger

	stop chan struct{}
	done chan struct{}
}

// Option changes how a Writer reports the lines it could not write.
type Option func(*Writer)

// WithLogger makes the Writer report lost lines to log rather than to
// slog.Default().
func WithLogger(log *slog.Logger) Option { return func(w *Writer) { w.log = log } }

// WithLostCounter makes the Writer count lost lines in c, which the
// Writers that follow each other at one destination may share, so that a
// count (a metric read from it) carries on when a reload replaces the
// Writer.
func WithLostCounter(c *atomic.Uint64) Option { return func(w *Writer) { w.lost = c } }

// Open returns a Writer to dest: "stderr", "stdout", or the path of a
// file, opened for appending and created with mode 0644 when missing (a
// file named "stderr" is "./stderr").
func Open(dest string, opts ...Option) (*Writer, error) {
	switch dest {
	case "stderr":
		return NewWriter(os.Stderr, opts...), nil
	case "stdout":
		return NewWriter(os.Stdout, opts...), nil
	case "":
		return nil, errors.New("accesslog: no destination")
	}
	f, err := openFile(dest)
	if err != nil {
		return nil, err
	}
	w := newWriter(f, dest, opts)
	w.file = f
	return w, nil
}

func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
}

// NewWriter returns a Writer to out, which it never closes.
func NewWriter(out io.Writer, opts ...Option) *Writer {
	return newWriter(out, "", opts)
}

func newWriter(out io.Writer, path string, opts []Option) *Writer {
	w := &Writer{
		out:   out,
		path:  path,
		buf:   make([]byte, 0, 2*flushAt),
		spare: make([]byte, 0, 2*flushAt),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	for _, o := range opts {
		o(w)
	}
	if w.lost == nil {
		w.lost = new(atomic.Uint64)
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	go w.flusher()
	return w
}

// Lost returns the number of lines lost to write errors: those of this
// Writer, and of the others sharing its counter (WithLostCounter).
func (w *Writer) Lost() uint64 { return w.lost.Load() }

// flusher writes what gathered every flushEvery, so lines of a quiet
// server do not wait, and reports lines lost since its last report.
func (w *Writer) flusher() {
	defer close(w.done)
	t := time.NewTicker(flushEvery)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
			w.flush()
			w.wmu.Lock()
			w.reportLost()
			w.wmu.Unlock()
		}
	}
}

// Write adds p, one or more whole lines, to the buffer; it writes the
// buffer out when it is full. The error is ErrClosed after Close; write
// errors are reported by Flush.
func (w *Writer) Write(p []byte) (int, error) {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return 0, ErrClosed
	}
	w.buf = append(w.buf, p...)
	full := len(w.buf) >= flushAt
	w.mu.Unlock()
	if full {
		w.flush()
	}
	return len(p), nil
}

// Flush writes out what gathered. It returns the last error from writing
// out since the previous Flush, if any.
func (w *Writer) Flush() error {
	w.flush()
	w.wmu.Lock()
	defer w.wmu.Unlock()
	err := w.err
	w.err = nil
	return err
}

// flush writes the buffer out.
func (w *Writer) flush() {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.writeOut()
}

// writeOut swaps the buffers and writes the full one; wmu is held.
func (w *Writer) writeOut() {
	w.mu.Lock()
	w.buf, w.spare = w.spare[:0], w.buf
	w.mu.Unlock()
	if len(w.spare) == 0 {
		return
	}
	if n, err := w.out.Write(w.spare); err != nil {
		// The lines are dropped, as nginx drops what it cannot write:
		// keeping them would only grow memory while the disk is full.
		// They are counted, and reported at most once a second: a line
		// per failed write would flood the log it may share the disk with.
		w.err = err
		lines := uint64(bytes.Count(w.spare[min(max(n, 0), len(w.spare)):], []byte{'\n'}))
		w.lost.Add(lines)
		w.unreported += lines
		w.lastErr = err
	}
	if cap(w.spare) > 8*flushAt {
		// A burst grew it: let it go rather than keep it for good.
		w.spare = make([]byte, 0, 2*flushAt)
	}
	w.spare = w.spare[:0]
}

// reportLost logs the lines lost since the last report, if any; wmu is
// held.
func (w *Writer) reportLost() {
	if w.unreported == 0 {
		return
	}
	dest := w.path
	if dest == "" {
		dest = "stream"
	}
	w.log.Error("access log lines lost: writing them failed; free disk space or check the destination",
		"dest", dest, "lines", w.unreported, "err", w.lastErr)
	w.unreported, w.lastErr = 0, nil
}

// Reopen writes out what gathered, then reopens the file at the Writer's
// path, so that after the file was renamed new lines go to a new file at
// the original path. It does nothing for stderr, stdout or a stream given
// to NewWriter. On error the Writer keeps the old file.
func (w *Writer) Reopen() error {
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.writeOut()
	if w.file == nil {
		return nil
	}
	f, err := openFile(w.path)
	if err != nil {
		return err
	}
	old := w.file
	w.file, w.out = f, f
	return old.Close()
}

// Close writes out what gathered, stops the periodic flush and closes
// the file the Writer opened. Lines written after Close are refused.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ErrClosed
	}
	w.closed = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	err := w.Flush()
	w.wmu.Lock()
	defer w.wmu.Unlock()
	w.reportLost()
	if w.file != nil {
		if cerr := w.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
