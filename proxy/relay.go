package proxy

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// relay writes the upstream's response to the client, flushing whenever
// the upstream has nothing more buffered, so a stream (SSE) reaches the
// client as it is produced. A response cut by the upstream is cut for
// the client too: the error makes the server close the connection
// without ending the body. With buffer_responses the body is read whole
// first (relayBuffered).
func (h *Handler) relay(w web.ResponseWriter, r *web.Request, c *conn, sticky bool) error {
	u := c.up
	resp := &c.resp
	head := string(r.Method) == "HEAD"
	framing := resp.Framing(head)
	hd := w.Header()
	copyResponseHeader(hd, &resp.Header)
	if sticky {
		hd.Add("Set-Cookie", h.policy.name+"="+u.id+"; Path=/; HttpOnly; SameSite=Lax")
	}
	if h.cfg.BufferResponses && framing != wire.NoBody {
		return h.relayBuffered(w, c, framing)
	}
	if framing == wire.LengthBody || head && resp.ContentLength >= 0 && wire.BodyAllowed(resp.Status) {
		// A HEAD's length is the upstream's to state.
		setLength(hd, resp.ContentLength)
	}
	w.WriteHeader(resp.Status)
	// The head goes out before the first wait for the body.
	c.unflushed = true
	return h.relayBody(w, c, framing)
}

func setLength(hd *wire.Header, n int64) {
	var num [20]byte
	hd.AddBytes([]byte("Content-Length"), strconv.AppendInt(num[:0], n, 10))
}

// relayBody copies the body by its framing, then keeps the connection
// for the next request or closes it.
func (h *Handler) relayBody(w web.ResponseWriter, c *conn, framing wire.BodyFraming) error {
	u := c.up
	var err error
	switch framing {
	case wire.LengthBody:
		err = h.relayLength(w, c, c.resp.ContentLength)
	case wire.ChunkedBody:
		err = h.relayChunked(w, c)
	case wire.CloseBody:
		err = h.relayToClose(w, c)
	}
	if err != nil {
		c.close()
		if errors.Is(err, errClientGone) || errors.Is(err, errBuffer) {
			return err
		}
		u.fail(h)
		return fmt.Errorf("proxy: response of %s cut: %w", u.url, err)
	}
	if c.resp.Close || c.r != c.w {
		// Bytes past the response are an upstream error; never pass
		// them to the next request.
		c.close()
	} else {
		u.put(c, h)
	}
	return nil
}

// relayBuffered reads the body into a spool as fast as the upstream
// sends it, gives the connection back (or closes it), and only then
// writes the response to the client, with its length. A body over
// buffer_max is sent on as it comes from there (spill).
func (h *Handler) relayBuffered(w web.ResponseWriter, c *conn, framing wire.BodyFraming) error {
	s := getSpool(int(h.cfg.BufferMemory))
	defer s.release()
	c.spool, c.framing, c.unflushed = s, framing, false
	err := h.relayBody(w, c, framing)
	if c.spool == nil {
		return err // spilled: the response went out as it came
	}
	c.spool = nil
	if err == nil {
		// The upstream is done with the request: it is not in flight
		// there while the client reads (least_conn, /upstreams). The
		// count comes back for ServeHTTP to take off.
		u := c.up
		u.active.Add(-1)
		defer u.active.Add(1)
	}
	if err != nil {
		// Nothing reached the client: an error status, not a cut.
		w.Header().Reset()
		if errors.Is(err, errBuffer) {
			return web.Error(500, err)
		}
		return web.Error(502, err)
	}
	setLength(w.Header(), s.size)
	w.WriteHeader(c.resp.Status)
	err = s.each(func(p []byte) error {
		_, err := w.Write(p)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	return nil
}

// errBuffer wraps a failure of buffer_responses' temporary file: neither
// the upstream's fault nor the client's.
var errBuffer = errors.New("proxy: buffering the response")

// spill ends the buffering of a response over buffer_max: the head and
// what was buffered go to the client, and the rest follows as it comes.
func (h *Handler) spill(w web.ResponseWriter, c *conn) error {
	s := c.spool
	c.spool = nil
	if c.framing == wire.LengthBody {
		setLength(w.Header(), c.resp.ContentLength)
	}
	w.WriteHeader(c.resp.Status)
	c.unflushed = true
	err := s.each(func(p []byte) error {
		_, err := w.Write(p)
		return err
	})
	if err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	return nil
}

// errClientGone wraps a failed write to the client.
var errClientGone = errors.New("proxy: writing to the client")

func (h *Handler) write(w web.ResponseWriter, c *conn, p []byte) error {
	if s := c.spool; s != nil {
		if s.size+int64(len(p)) <= h.cfg.BufferMax {
			if err := s.write(p); err != nil {
				h.log.Error("proxy: cannot buffer a response (is the temporary directory writable and not full?)", "err", err)
				return fmt.Errorf("%w: %w", errBuffer, err)
			}
			return nil
		}
		if err := h.spill(w, c); err != nil {
			return err
		}
	}
	if _, err := w.Write(p); err != nil {
		return fmt.Errorf("%w: %w", errClientGone, err)
	}
	c.unflushed = true
	return nil
}

// fill reads more of the response, first sending the client what it has
// so far, since the read may wait: a stream (SSE) reaches the client as
// the upstream produces it, and a fast response in one piece is not
// flushed at all before the handler returns.
func (h *Handler) fill(w web.ResponseWriter, c *conn) error {
	if c.unflushed {
		c.unflushed = false
		if err := web.Flush(w); err != nil && err != web.ErrNotSupported {
			return fmt.Errorf("%w: %w", errClientGone, err)
		}
	}
	_, err := c.fill(h.cfg.Timeout, readBuf)
	return err
}

func (h *Handler) relayLength(w web.ResponseWriter, c *conn, left int64) error {
	for left > 0 {
		if c.r == c.w {
			if err := h.fill(w, c); err != nil {
				return err
			}
		}
		k := int(min(int64(c.w-c.r), left))
		p := c.buf[c.r : c.r+k]
		c.r += k
		left -= int64(k)
		if err := h.write(w, c, p); err != nil {
			return err
		}
	}
	return nil
}

func (h *Handler) relayChunked(w web.ResponseWriter, c *conn) error {
	c.chunks = wire.ChunkedDecoder{}
	for {
		n, data, err := c.chunks.Decode(c.buf[c.r:c.w])
		c.r += n
		switch {
		case err == io.EOF:
			return nil
		case err == wire.ErrNeedMore:
			if err := h.fill(w, c); err != nil {
				return err
			}
			continue
		case err != nil:
			return err
		}
		if len(data) > 0 {
			if err := h.write(w, c, data); err != nil {
				return err
			}
		}
	}
}

func (h *Handler) relayToClose(w web.ResponseWriter, c *conn) error {
	for {
		if c.r < c.w {
			p := c.buf[c.r:c.w]
			c.r = c.w
			if err := h.write(w, c, p); err != nil {
				return err
			}
		}
		if err := h.fill(w, c); err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
	}
}
