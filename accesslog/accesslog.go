package accesslog

import (
	"sync"

	"github.com/brick-server/brick/web"
)

// Logger writes a line in its format for every request the server
// reports. It is a web.Observer: attach it to a server.Server's Observer
// (with web.Observers to attach more than one).
type Logger struct {
	out    *Writer
	format Format
}

// New returns a Logger that writes lines in format to out.
func New(out *Writer, format Format) *Logger {
	return &Logger{out: out, format: format}
}

var _ web.Observer = (*Logger)(nil)

// linePool holds line buffers: scratch memory used inside one call, never
// handed to anyone.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Complete writes the line for a request the server finished with.
func (l *Logger) Complete(r *web.Request, c web.Completion) {
	e := entry{r: r, status: c.Code(), bytes: c.Bytes, end: c.Start.Add(c.Duration), dur: c.Duration}
	bp := linePool.Get().(*[]byte)
	line := appendLine((*bp)[:0], l.format, &e)
	l.out.Write(line)
	if cap(line) <= 64<<10 {
		*bp = line[:0]
		linePool.Put(bp)
	}
}
