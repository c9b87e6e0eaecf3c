package accesslog

import (
	"errors"
	"io"
	"os"
	"sync"
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

	stop chan struct{}
	done chan struct{}
}

// Open returns a Writer to dest: "stderr", "stdout", or the path of a
// file, opened for appending and created with mode 0644 when missing (a
// file named "stderr" is "./stderr").
func Open(dest string) (*Writer, error) {
	switch dest {
	case "stderr":
		return NewWriter(os.Stderr), nil
	case "stdout":
		return NewWriter(os.Stdout), nil
	case "":
		return nil, errors.New("accesslog: no destination")
	}
	f, err := openFile(dest)
	if err != nil {
		return nil, err
	}
	w := newWriter(f)
	w.file, w.path = f, dest
	return w, nil
}

func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
}

// NewWriter returns a Writer to out, which it never closes.
func NewWriter(out io.Writer) *Writer {
	return newWriter(out)
}

func newWriter(out io.Writer) *Writer {
	w := &Writer{
		out:   out,
		buf:   make([]byte, 0, 2*flushAt),
		spare: make([]byte, 0, 2*flushAt),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
	}
	go w.flusher()
	return w
}

// flusher writes what gathered every flushEvery, so lines of a quiet
// server do not wait.
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
	if _, err := w.out.Write(w.spare); err != nil {
		// The lines are dropped, as nginx drops what it cannot write:
		// keeping them would only grow memory while the disk is full.
		w.err = err
	}
	if cap(w.spare) > 8*flushAt {
		// A burst grew it: let it go rather than keep it for good.
		w.spare = make([]byte, 0, 2*flushAt)
	}
	w.spare = w.spare[:0]
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
	if w.file != nil {
		if cerr := w.file.Close(); err == nil {
			err = cerr
		}
	}
	return err
}
