package server

import (
	"bytes"
	"fmt"
	"io"
	"sync"
)

// traceBodyMax is how much of a response body `brick -v` shows.
const traceBodyMax = 256

// tracer prints each exchange as the article's first server does: the
// request head with "< " before each line, then the response head and the
// start of its body with "> ".
type tracer struct {
	mu  sync.Mutex
	w   io.Writer
	buf bytes.Buffer
}

func (t *tracer) exchange(reqHead []byte, r *response) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.buf.Reset()
	prefixLines(&t.buf, "< ", reqHead)
	prefixLines(&t.buf, "> ", r.traceHead)
	if len(r.traceBody) > 0 && !r.isHead {
		prefixLines(&t.buf, "> ", r.traceBody)
		if r.written > int64(len(r.traceBody)) {
			fmt.Fprintf(&t.buf, "> [... %d more bytes]\n", r.written-int64(len(r.traceBody)))
		}
	}
	t.buf.WriteByte('\n')
	t.w.Write(t.buf.Bytes())
}

// prefixLines writes each line of b, CRLF or LF terminated, after prefix.
func prefixLines(dst *bytes.Buffer, prefix string, b []byte) {
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b
		if i >= 0 {
			line, b = b[:i], b[i+1:]
		} else {
			b = nil
		}
		line = bytes.TrimSuffix(line, []byte("\r"))
		dst.WriteString(prefix)
		for _, c := range line {
			if c < 0x20 && c != '\t' || c == 0x7f {
				fmt.Fprintf(dst, "\\x%02x", c)
			} else {
				dst.WriteByte(c)
			}
		}
		dst.WriteByte('\n')
	}
}
