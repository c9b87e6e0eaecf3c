package h2

import (
	"bytes"
	"fmt"
	"strconv"
	"sync"
)

// traceBodyMax is how much of a response body `brick -v` shows, as for
// HTTP/1.1.
const traceBodyMax = 256

var traceMu sync.Mutex

// trace prints an exchange as `brick -v` prints HTTP/1.1 ones, the
// request's pseudo-header fields first, then the response's.
func (c *Conn) trace(st *stream) {
	var b bytes.Buffer
	r := &st.req
	line := func(prefix, name string, value []byte) {
		b.WriteString(prefix)
		b.WriteString(name)
		b.WriteString(": ")
		for _, ch := range value {
			if ch < 0x20 && ch != '\t' || ch == 0x7f {
				fmt.Fprintf(&b, "\\x%02x", ch)
			} else {
				b.WriteByte(ch)
			}
		}
		b.WriteByte('\n')
	}
	fmt.Fprintf(&b, "< [HTTP/2 stream %d]\n", st.id)
	line("< ", ":method", r.Method)
	line("< ", ":path", r.Target)
	if len(r.Host) > 0 {
		line("< ", ":authority", r.Host)
	}
	for _, f := range r.Header.Fields() {
		line("< ", string(f.Name), f.Value)
	}
	resp := &st.resp
	line("> ", ":status", []byte(strconv.Itoa(resp.status)))
	for _, f := range resp.header.Fields() {
		line("> ", string(bytes.ToLower(f.Name)), f.Value)
	}
	if len(resp.traceBody) > 0 && !resp.isHead {
		for _, l := range bytes.Split(resp.traceBody, []byte("\n")) {
			b.WriteString("> ")
			b.Write(l)
			b.WriteByte('\n')
		}
		if resp.written > int64(len(resp.traceBody)) {
			fmt.Fprintf(&b, "> [... %d more bytes]\n", resp.written-int64(len(resp.traceBody)))
		}
	}
	b.WriteByte('\n')
	traceMu.Lock()
	c.cfg.Trace.Write(b.Bytes())
	traceMu.Unlock()
}
