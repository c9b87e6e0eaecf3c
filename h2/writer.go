package h2

import (
	"runtime"
	"strconv"
	"time"

	"github.com/brick-server/brick/wire"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// writeFrames runs fn, which writes frames with c.fr (or
// writeDataLocked) into the connection's output buffer, under the write
// lock. The buffer is written out by a flusher started for it, which first
// lets the goroutines already runnable (other streams' handlers finishing
// their responses) add theirs: frames produced together leave in one
// write, whatever the number of streams. A full buffer is written at once.
// A failed write breaks the connection for good.
func (c *Conn) writeFrames(fn func() error) error {
	return c.writeFramesFlush(fn, false)
}

// writeFramesNow is writeFrames with the buffer written before it returns:
// for Flush, and for a GOAWAY before the connection closes.
func (c *Conn) writeFramesNow(fn func() error) error {
	return c.writeFramesFlush(fn, true)
}

func (c *Conn) writeFramesFlush(fn func() error, now bool) error {
	c.wmu.Lock()
	err := c.wbroken
	if err == nil {
		err = fn()
		if err == nil && (now || len(c.out) >= ioBufSize) {
			err = c.flushOutLocked(nil)
		}
		if err != nil {
			c.wbroken = err
		} else if len(c.out) > 0 && !c.flushPending {
			c.flushPending = true
			go c.flushFn()
		}
	}
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
	return err
}

// flushSoon writes the output buffer once the goroutines runnable now
// have run.
func (c *Conn) flushSoon() {
	runtime.Gosched()
	c.wmu.Lock()
	c.flushPending = false
	err := c.wbroken
	if err == nil {
		if err = c.flushOutLocked(nil); err != nil {
			c.wbroken = err
		}
	}
	c.wmu.Unlock()
	if err != nil {
		c.close()
	}
}

// writeSocket is the buffer's way to the socket, bounded by the write
// timeout.
func (c *Conn) writeSocket(p []byte) (int, error) {
	c.setWriteDeadline()
	return c.nc.Write(p)
}

// setWriteDeadline runs under the write lock. Setting a deadline
// updates a runtime timer, a cost paid per write (a file's 64 KiB batch,
// a flush of small responses); a deadline set less than an eighth of the
// timeout ago is kept, so a write may time out up to an eighth early.
func (c *Conn) setWriteDeadline() {
	d := orDefault(c.cfg.Write, 60*time.Second)
	now := time.Now()
	if c.wdeadline.Sub(now) > d-d/8 {
		return
	}
	c.wdeadline = now.Add(d)
	c.nc.SetWriteDeadline(c.wdeadline)
}

// writeDataLocked writes a DATA frame without the framer, whose write
// buffer would grow to the largest frame and keep it: the header goes in
// c.out, a large payload straight to the socket behind it.
func (c *Conn) writeDataLocked(id uint32, end bool, p []byte) error {
	var flags byte
	if end {
		flags = 0x1 // END_STREAM
	}
	n := len(p)
	hdr := [frameHeaderLen]byte{byte(n >> 16), byte(n >> 8), byte(n), 0x0, flags, byte(id >> 24), byte(id >> 16), byte(id >> 8), byte(id)}
	if n >= 1024 && c.opts.TLS != nil && frameHeaderLen+n <= ioBufSize {
		// Over TLS the payload is copied by the encryption anyway: header
		// and payload go in one write, one record (maxData).
		if len(c.out)+frameHeaderLen+n > ioBufSize {
			if err := c.flushOutLocked(nil); err != nil {
				return err
			}
		}
		outWriter{c}.Write(hdr[:])
		c.out = append(c.out, p...)
		return c.flushOutLocked(nil)
	}
	outWriter{c}.Write(hdr[:])
	if n < 1024 {
		c.out = append(c.out, p...)
		return nil
	}
	return c.flushOutLocked(p)
}

// hbufWriter collects the HPACK encoder's output in c.hbuf.
type hbufWriter struct{ c *Conn }

func (w hbufWriter) Write(p []byte) (int, error) {
	w.c.hbuf = append(w.c.hbuf, p...)
	return len(p), nil
}

// connectionFields are HTTP/1.1 fields with no meaning in HTTP/2 (RFC 9113
// §8.2.2); a handler's are dropped rather than sent malformed.
func connectionField(name []byte) bool {
	for _, n := range [...]string{"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade"} {
		if wire.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// commonNames are field names sent without converting them to lower case
// each time.
var commonNames = [...]string{
	"content-type", "content-length", "date", "server", "cache-control",
	"etag", "last-modified", "location", "set-cookie", "vary",
	"content-encoding", "accept-ranges", "x-content-type-options",
	"content-range", "allow", "retry-after", "expires", "link",
}

func lowerName(name []byte) string {
	for _, n := range commonNames {
		if wire.EqualFold(name, n) {
			return n
		}
	}
	b := make([]byte, len(name))
	for i, ch := range name {
		if 'A' <= ch && ch <= 'Z' {
			ch += 'a' - 'A'
		}
		b[i] = ch
	}
	return string(b)
}

// headerSpec says what a HEADERS frame carries besides the handler's fields.
type headerSpec struct {
	status        int   // 0 for trailers
	contentLength int64 // -1: none
	date          bool
	trailers      []string // for trailers: the names to send
}

// encodeLocked HPACK-encodes a header block into c.hbuf; it must run under
// the write lock, since the encoder's table is the connection's.
func (c *Conn) encodeLocked(h *wire.Header, spec headerSpec) {
	c.hbuf = c.hbuf[:0]
	e := c.henc
	if spec.status != 0 {
		e.WriteField(hpack.HeaderField{Name: ":status", Value: statusString(spec.status)})
	}
	if spec.trailers != nil {
		for _, name := range spec.trailers {
			if v := h.Get(name); v != nil {
				e.WriteField(hpack.HeaderField{Name: lowerName([]byte(name)), Value: string(v)})
			}
		}
		return
	}
	hasDate := false
	for _, f := range h.Fields() {
		switch {
		case connectionField(f.Name):
			continue
		case wire.EqualFold(f.Name, "content-length"):
			if spec.contentLength >= 0 {
				continue // ours, below
			}
		case wire.EqualFold(f.Name, "date"):
			hasDate = true
		}
		e.WriteField(hpack.HeaderField{Name: lowerName(f.Name), Value: c.strLocked(f.Value)})
	}
	if spec.contentLength >= 0 {
		var num [20]byte
		e.WriteField(hpack.HeaderField{Name: "content-length", Value: c.strLocked(strconv.AppendInt(num[:0], spec.contentLength, 10))})
	}
	if spec.date && !hasDate && c.cfg.Date != nil {
		e.WriteField(hpack.HeaderField{Name: "date", Value: c.strLocked(c.cfg.Date())})
	}
}

// strLocked returns b as a string, from the connection's set of the
// values it sent before when b is among them: the values a handler sends
// repeat (content-type, content-length, the date within a second), and
// the encoder takes strings. The set is bounded by maxVals entries of up
// to maxValLen bytes, and starts over when full. Under the write lock.
func (c *Conn) strLocked(b []byte) string {
	if len(b) > maxValLen {
		return string(b)
	}
	if v, ok := c.vals[string(b)]; ok {
		return v
	}
	if c.vals == nil || len(c.vals) >= maxVals {
		c.vals = make(map[string]string)
	}
	v := string(b)
	c.vals[v] = v
	return v
}

const (
	maxVals   = 64
	maxValLen = 128
)

// statusString spares the common statuses a conversion.
func statusString(s int) string {
	switch s {
	case 200:
		return "200"
	case 204:
		return "204"
	case 206:
		return "206"
	case 304:
		return "304"
	case 404:
		return "404"
	}
	return strconv.Itoa(s)
}

// writeHeadersLocked writes c.hbuf as HEADERS and CONTINUATION frames no
// larger than the client's frame size.
func (c *Conn) writeHeadersLocked(id uint32, endStream bool) error {
	block := c.hbuf
	max := int(c.peerFrame.Load())
	first := true
	for first || len(block) > 0 {
		n := min(len(block), max)
		frag, end := block[:n], n == len(block)
		block = block[n:]
		var err error
		if first {
			err = c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag, EndStream: endStream, EndHeaders: end})
			first = false
		} else {
			err = c.fr.WriteContinuation(id, end, frag)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// sendHeaders encodes and writes a header block for st.
func (st *stream) sendHeaders(h *wire.Header, spec headerSpec, endStream bool) error {
	c := st.c
	return c.writeFrames(func() error {
		c.encodeLocked(h, spec)
		if endStream {
			st.markLocalDone()
		}
		return c.writeHeadersLocked(st.id, endStream)
	})
}

// sendData writes p as DATA frames as the windows allow, the last one
// with END_STREAM when end is set.
func (st *stream) sendData(p []byte, end bool) error {
	c := st.c
	if len(p) == 0 {
		if !end {
			return nil
		}
		return c.writeFrames(func() error {
			st.markLocalDone()
			return c.writeDataLocked(st.id, true, nil)
		})
	}
	for len(p) > 0 {
		n, err := st.reserve(len(p))
		if err != nil {
			return err
		}
		chunk := p[:n]
		p = p[n:]
		last := end && len(p) == 0
		if err := c.writeFrames(func() error {
			if last {
				st.markLocalDone()
			}
			return c.writeDataLocked(st.id, last, chunk)
		}); err != nil {
			return err
		}
	}
	return nil
}
