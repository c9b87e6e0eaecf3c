package accesslog

import (
	"errors"
	"sync"
	"time"

	"github.com/brick-server/brick/web"
)

// New returns a handler that serves next and writes a line in format to
// out for every request.
func New(next web.Handler, out *Writer, format Format) web.Handler {
	return &logger{next: next, out: out, format: format}
}

type logger struct {
	next   web.Handler
	out    *Writer
	format Format
}

// linePool holds line buffers: scratch memory used inside one call, never
// handed to anyone.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// ServeHTTP serves the request and logs it, also when next panics.
func (l *logger) ServeHTTP(w web.ResponseWriter, r *web.Request) (err error) {
	start := time.Now()
	rec, wrapped := web.Record(w)
	if wrapped {
		w = rec
	}
	returned := false
	defer func() {
		if returned {
			l.log(rec, r, start, err)
			return
		}
		// A panic: log what the server will answer, then let it go on.
		// Panicking again from here keeps the original frames on the
		// stack, so the server's log still shows where it came from.
		v := recover()
		perr := errPanic
		if v == web.ErrAbortHandler {
			perr = web.ErrAbortHandler
		}
		l.log(rec, r, start, perr)
		if v != nil {
			panic(v)
		}
	}()
	err = l.next.ServeHTTP(w, r)
	returned = true
	return err
}

// log writes the line for a request.
func (l *logger) log(rec web.Recorder, r *web.Request, start time.Time, err error) {
	e := entry{r: r, end: time.Now()}
	e.dur = e.end.Sub(start)
	e.status, e.bytes = web.Outcome(rec, r, err)
	bp := linePool.Get().(*[]byte)
	line := appendLine((*bp)[:0], l.format, &e)
	l.out.Write(line)
	if cap(line) <= 64<<10 {
		*bp = line[:0]
		linePool.Put(bp)
	}
}

// errPanic stands for a panic, which the server answers with a 500.
var errPanic = web.Error(500, errors.New("handler panic"))

var _ web.Handler = (*logger)(nil)
