package h2

import (
	"io"
	"net"

	"github.com/brick-server/brick/internal/bufpool"
)

// An idle connection holds no I/O buffer: the reader and the writer take
// theirs from the pool while bytes are in flight and give them back once
// drained, as the HTTP/1.1 engine does. What an idle connection still
// holds is listed in the package documentation.

// ioBufSize is the size of the pooled read and write buffers.
const ioBufSize = 16 << 10

// connReader buffers the socket's input for the framer. A connection
// without streams waits for a frame header: that read goes straight into
// the framer's header buffer (direct), so the wait holds no buffer; the
// rest of the burst is read in one call into a pooled buffer, which goes
// back to the pool once consumed.
type connReader struct {
	r    io.Reader
	buf  []byte
	i, n int
	// direct is set by the read loop while the connection has no streams.
	direct bool
	// boundary is set by the read loop before it reads a frame, and
	// cleared with the first byte read: a read that times out at a
	// boundary returns errIdle, for the read loop to decide (onIdle).
	boundary bool
	// idle is called when a read times out without bytes within a
	// frame; the read goes on when it reports true (Conn.idleWait).
	idle func() bool
}

func (cr *connReader) Read(p []byte) (int, error) {
	if cr.i == cr.n {
		cr.release()
		direct := cr.direct && len(p) <= 64 || len(p) >= ioBufSize
		for {
			var n int
			var err error
			if direct {
				n, err = cr.r.Read(p)
			} else {
				cr.buf = bufpool.Get(ioBufSize)
				cr.buf = cr.buf[:cap(cr.buf)]
				n, err = cr.r.Read(cr.buf)
				if n == 0 {
					cr.release()
				}
			}
			if n == 0 && isTimeout(err) {
				if cr.boundary {
					return 0, errIdle
				}
				if cr.idle != nil && cr.idle() {
					// An idle wait goes on, without a buffer when it can.
					direct = direct || len(p) <= 64
					continue
				}
			}
			if n > 0 {
				cr.boundary = false
			}
			if direct {
				cr.direct = false
				return n, err
			}
			cr.i, cr.n = 0, n
			if n == 0 {
				return 0, err
			}
			break
		}
	}
	k := copy(p, cr.buf[cr.i:cr.n])
	cr.i += k
	cr.boundary = false
	if cr.i == cr.n {
		cr.release()
	}
	return k, nil
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

func (cr *connReader) release() {
	if cr.buf != nil {
		bufpool.Put(cr.buf)
		cr.buf, cr.i, cr.n = nil, 0, 0
	}
}

// writever is a connection that writes two buffers in one system call
// when the socket takes them: the server's watched connection.
type writever interface {
	Writev(a, b []byte) error
}

// outWriter gathers frames in c.out (under the write lock) for flushOut.
type outWriter struct{ c *Conn }

func (w outWriter) Write(p []byte) (int, error) {
	c := w.c
	if c.out == nil {
		c.out = bufpool.Get(ioBufSize)
	}
	c.out = append(c.out, p...)
	return len(p), nil
}

// flushOutLocked writes c.out, then extra (a DATA payload, which is not
// copied into the buffer), and gives the buffer back. Over TCP both go in
// one writev.
func (c *Conn) flushOutLocked(extra []byte) error {
	defer func() {
		if c.out != nil {
			bufpool.Put(c.out)
			c.out = nil
		}
	}()
	if len(extra) == 0 {
		if len(c.out) == 0 {
			return nil
		}
		_, err := c.writeSocket(c.out)
		return err
	}
	if tc := c.tcp; tc != nil {
		c.setWriteDeadline()
		bufs := net.Buffers{c.out, extra}
		_, err := bufs.WriteTo(tc)
		return err
	}
	if c.wv != nil {
		c.setWriteDeadline()
		return c.wv.Writev(c.out, extra)
	}
	if len(c.out) > 0 {
		if _, err := c.writeSocket(c.out); err != nil {
			return err
		}
	}
	_, err := c.writeSocket(extra)
	return err
}
