package web

import (
	"bufio"
	"errors"
	"net"
	"os"

	"github.com/brick-server/brick/wire"
)

// Recorder is a ResponseWriter that records the response's status and
// body size, for middleware such as access logs and metrics. A middleware
// that finds a Recorder on the writer it is given (one further out already
// records) reads it instead of wrapping the writer again.
type Recorder interface {
	ResponseWriter
	// Status is the first final status written (101 or 200-599), or 0.
	Status() int
	// BytesWritten is the number of body bytes written.
	BytesWritten() int64
	// Started reports whether part of the response may have left the
	// server (flushed, a file sent, the connection hijacked): an error
	// returned afterwards cuts the connection instead of being answered.
	Started() bool
}

// recorder wraps a ResponseWriter to record the status and body size.
type recorder struct {
	w       ResponseWriter
	status  int
	bytes   int64
	started bool
}

var (
	_ Recorder   = (*recorder)(nil)
	_ Unwrapper  = (*recorder)(nil)
	_ FileSender = (*recorder)(nil)
	_ Flusher    = (*recorder)(nil)
	_ Hijacker   = (*recorder)(nil)
)

func (w *recorder) Header() *wire.Header { return w.w.Header() }

func (w *recorder) WriteHeader(status int) {
	if w.status == 0 && (status >= 200 || status == 101) {
		w.status = status
	}
	w.w.WriteHeader(status)
}

func (w *recorder) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.w.Write(p)
	w.bytes += int64(n)
	return n, err
}

func (w *recorder) WriteString(s string) (int, error) {
	if w.status == 0 {
		w.status = 200
	}
	n, err := w.w.WriteString(s)
	w.bytes += int64(n)
	return n, err
}

// SendFile counts the bytes while the file goes out through the writer
// underneath, with sendfile(2) when it can.
func (w *recorder) SendFile(f *os.File, offset, n int64) (int64, error) {
	if w.status == 0 {
		w.status = 200
	}
	w.started = true
	m, err := SendFile(w.w, f, offset, n)
	w.bytes += m
	return m, err
}

// Flush notes that the response started and flushes the writer underneath.
func (w *recorder) Flush() error {
	if w.status == 0 {
		w.status = 200
	}
	w.started = true
	return Flush(w.w)
}

// Hijack notes the hijack and hands over the connection underneath.
func (w *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := Hijack(w.w)
	if err == nil {
		w.started = true
		if w.status == 0 {
			w.status = 101 // the connection left HTTP
		}
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer.
func (w *recorder) Unwrap() ResponseWriter { return w.w }

// Status returns the first final status written, or 0.
func (w *recorder) Status() int { return w.status }

// BytesWritten returns the number of body bytes written.
func (w *recorder) BytesWritten() int64 { return w.bytes }

// Started reports whether the response may have left the server.
// The server may have sent part of the response by itself (a body larger
// than its buffer), which only the writer underneath knows.
func (w *recorder) Started() bool {
	if w.started {
		return true
	}
	for inner := w.w; ; {
		switch t := inner.(type) {
		case interface{ Started() bool }:
			return t.Started()
		case Unwrapper:
			inner = t.Unwrap()
		default:
			return false
		}
	}
}

// Record returns w itself when it already records (a middleware further
// out wrapped it), else a new Recorder around w; wrapped says which.
func Record(w ResponseWriter) (rec Recorder, wrapped bool) {
	if rec, ok := w.(Recorder); ok {
		return rec, false
	}
	return &recorder{w: w}, true
}

// Outcome returns the status and body bytes the client gets for a
// response recorded by rec whose handler returned err, as far as a
// middleware can tell: a handler's error becomes the status the server
// answers with and its short text, an abort nginx's 444, and a response
// cut after it started keeps what was recorded. The server itself may
// still answer a broken request body with its own 400, 408 or 413.
func Outcome(rec Recorder, r *Request, err error) (status int, bytes int64) {
	status, bytes = rec.Status(), rec.BytesWritten()
	switch {
	case err == nil:
		if status == 0 {
			status = 200
		}
	case rec.Started():
		// The connection is cut after whatever was sent.
	case errors.Is(err, ErrAbortHandler):
		// Closed without a response.
		status, bytes = 444, 0
	default:
		// The server answers the error with its status and a short text.
		if we, ok := find[*wire.Error](err); ok {
			status, bytes = we.Status, int64(len(we.Reason)+1)
			break
		}
		status = 500
		if he, ok := find[*HandlerError](err); ok && he.Status >= 400 && he.Status <= 599 {
			status = he.Status
		}
		text := wire.StatusText(status)
		if text == "" {
			text = "error"
		}
		bytes = int64(len(text) + 1)
	}
	if string(r.Method) == "HEAD" {
		bytes = 0
	}
	return status, bytes
}

// find returns the first error of type T in err's tree, as errors.As
// does (and so as web.StatusOf does), without the allocation errors.As
// makes for its target.
func find[T error](err error) (T, bool) {
	for err != nil {
		if t, ok := err.(T); ok {
			return t, true
		}
		switch u := err.(type) {
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				if t, ok := find[T](e); ok {
					return t, true
				}
			}
			return *new(T), false
		default:
			return *new(T), false
		}
	}
	return *new(T), false
}
