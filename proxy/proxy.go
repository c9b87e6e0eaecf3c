package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// Handler sends each request to one of its upstreams and relays the
// answer, streaming both bodies.
type Handler struct {
	cfg       Config
	policy    policy
	ups       []*upstream
	transport Transport
	log       *slog.Logger
	strip     string // the prefix StripPrefix removes, without a final "/"
	healthOK  func(int) bool
	rr        atomic.Uint64

	stop chan struct{}
	wg   sync.WaitGroup
	once sync.Once
}

var _ web.Handler = (*Handler)(nil)

// New checks c and returns a Handler for it, starting its health checks
// when c asks for them; Close stops them.
func New(c Config) (*Handler, error) {
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	pol, _ := parsePolicy(c.Policy)
	h := &Handler{cfg: c, policy: pol, transport: c.Transport, log: c.Logger, stop: make(chan struct{})}
	if h.transport == nil {
		h.transport = &tcpTransport{d: net.Dialer{KeepAlive: 30 * time.Second}}
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	h.strip = strings.TrimSuffix(c.Prefix, "/")
	var base *tls.Config
	for _, to := range c.To {
		addr, secure, _ := parseUpstream(to)
		u := newUpstream(to, addr)
		if secure {
			if base == nil {
				var err error
				if base, err = clientTLS(&c); err != nil {
					return nil, err
				}
				if c.TLSInsecureSkipVerify {
					h.log.Warn("proxy: tls_insecure_skip_verify is on: any certificate is accepted from the https upstreams, so anyone between can read and change the traffic; for development only",
						"route", c.Prefix)
				}
			}
			u.tls = upstreamTLS(base, addr)
		}
		h.ups = append(h.ups, u)
	}
	if c.HealthURI != "" {
		h.healthOK, _ = parseHealthStatus(c.HealthStatus)
		for _, u := range h.ups {
			h.wg.Add(1)
			go h.checkLoop(u)
		}
	}
	return h, nil
}

// Close stops the health checks and closes the idle connections.
// Requests in flight finish; their connections are closed after them.
func (h *Handler) Close() error {
	h.once.Do(func() {
		close(h.stop)
		h.wg.Wait()
		for _, u := range h.ups {
			u.closeIdle()
		}
	})
	return nil
}

// idempotent reports whether a request may be sent twice (RFC 9110
// §9.2.2), which a retry after a failed connection may do.
func idempotent(m []byte) bool {
	switch string(m) {
	case "GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE":
		return true
	}
	return false
}

// errNoUpstream: every upstream failed to take the request.
var errNoUpstream = errors.New("proxy: no upstream answered")

// ServeHTTP sends r to an upstream and relays its response. A request
// whose connection fails before any response byte arrives is sent to
// another upstream when nothing of its body was read yet, or when it is
// idempotent without a body; a connect failure always moves on.
func (h *Handler) ServeHTTP(w web.ResponseWriter, r *web.Request) error {
	if r.Form == wire.AuthorityForm {
		// CONNECT asks for a tunnel to any host: a forward proxy's job,
		// never passed to an upstream.
		w.Header().Set("Allow", "GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH")
		return web.Error(405, errors.New("proxy: CONNECT is not proxied"))
	}
	var upgrade []byte
	var ct connectionTokens
	if r.Header.Has("Upgrade") {
		ct.collect(&r.Header)
		if ct.upgrade {
			upgrade = upgradeValue(&r.Header)
		}
	}
	bodyless := r.ContentLength == 0 && !r.Chunked
	canRetry := bodyless && idempotent(r.Method)
	var tried uint64
	lastErr := errNoUpstream
	for attempt := 0; attempt <= len(h.ups); attempt++ {
		i, sticky := h.pick(r, tried)
		if i < 0 {
			break
		}
		u := h.ups[i]
		c, err := u.get(r.Context(), h)
		if err != nil {
			h.log.Warn("proxy: cannot connect to upstream", "upstream", u.url, "err", err)
			u.fail(h)
			tried |= bit(i)
			lastErr = web.Error(502, fmt.Errorf("proxy: connecting to %s: %w", u.url, err))
			if isTimeout(err) {
				lastErr = web.Error(504, fmt.Errorf("proxy: connecting to %s: %w", u.url, err))
			}
			continue
		}
		u.active.Add(1)
		retry, err := h.exchange(w, r, c, upgrade, sticky, canRetry)
		u.active.Add(-1)
		if err == nil {
			return nil
		}
		if !retry {
			return err
		}
		lastErr = err
		if !c.reused {
			tried |= bit(i)
		}
	}
	return lastErr
}

func bit(i int) uint64 {
	if i < 64 {
		return 1 << i
	}
	return 0
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, errTimeout) || errors.As(err, &ne) && ne.Timeout()
}

// exchange sends r over c and relays the response. retry reports that
// the request may go elsewhere: nothing reached the client and nothing
// of r's body was consumed.
func (h *Handler) exchange(w web.ResponseWriter, r *web.Request, c *conn, upgrade []byte, sticky, canRetry bool) (retry bool, err error) {
	u := c.up
	c.out = h.appendRequestHead(c.out[:0], r, upgrade)
	c.nc.SetWriteDeadline(time.Now().Add(h.cfg.Timeout))
	if _, err := c.nc.Write(c.out); err != nil {
		c.close()
		if !c.reused {
			u.fail(h)
		}
		// The body is still unread: any method may go elsewhere.
		return true, web.Error(502, fmt.Errorf("proxy: sending to %s: %w", u.url, err))
	}
	if err := h.sendBody(c, r); err != nil {
		if errors.Is(err, errClientBody) {
			c.close()
			return false, err
		}
		// An upstream may answer before reading the whole body (a 413)
		// and stop reading: its answer is the client's, not a 502.
		if _, herr := c.readHead(h.cfg.Timeout); herr == nil && c.resp.Status != 101 {
			c.resp.Close = true
			return false, h.relay(w, r, c, sticky)
		}
		c.close()
		u.fail(h)
		return false, web.Error(502, fmt.Errorf("proxy: sending the body to %s: %w", u.url, err))
	}
	got, err := c.readHead(h.cfg.Timeout)
	if err != nil {
		c.close()
		if isTimeout(err) {
			u.fail(h)
			return false, web.Error(504, fmt.Errorf("proxy: %s did not answer in %v", u.url, h.cfg.Timeout))
		}
		if !got && c.reused {
			// Most likely an idle connection the upstream closed just as
			// it was taken: not the upstream's failure, so it is not
			// counted against it.
			return canRetry, web.Error(502, fmt.Errorf("proxy: %s closed the connection: %w", u.url, err))
		}
		u.fail(h)
		return !got && canRetry, web.Error(502, fmt.Errorf("proxy: reading the response of %s: %w", u.url, err))
	}
	if c.resp.Status == 101 {
		if upgrade == nil {
			c.close()
			return false, web.Error(502, fmt.Errorf("proxy: %s switched protocols unasked", u.url))
		}
		return false, h.tunnel(w, c)
	}
	return false, h.relay(w, r, c, sticky)
}

// errClientBody wraps a failure to read the client's body: the client's
// fault, answered with the error's own status.
var errClientBody = errors.New("proxy: reading the request body")

// sendBody streams r's body to c: as it came for a Content-Length,
// chunk by chunk, re-framed, for a chunked one.
func (h *Handler) sendBody(c *conn, r *web.Request) error {
	if r.ContentLength == 0 && !r.Chunked {
		return nil
	}
	if c.body == nil {
		c.body = make([]byte, copyBuf)
	}
	const room = 16 // chunk-size line and CRLF around the data
	for {
		n, rerr := r.Body.Read(c.body[room : len(c.body)-2])
		if n > 0 {
			p := c.body[room : room+n]
			if r.Chunked {
				hd := wire.AppendChunkHeader(c.out[:0], n)
				start := room - len(hd)
				copy(c.body[start:], hd)
				p = append(c.body[start:room+n], '\r', '\n')
			}
			c.nc.SetWriteDeadline(time.Now().Add(h.cfg.Timeout))
			if _, err := c.nc.Write(p); err != nil {
				return err
			}
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			return fmt.Errorf("%w: %w", errClientBody, rerr)
		}
	}
	if r.Chunked {
		_, err := io.WriteString(c.nc, wire.LastChunk)
		return err
	}
	return nil
}

// relay writes the upstream's response to the client, flushing whenever
// the upstream has nothing more buffered, so a stream (SSE) reaches the
// client as it is produced. A response cut by the upstream is cut for
// the client too: the error makes the server close the connection
// without ending the body.
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
	if framing == wire.LengthBody || head && resp.ContentLength >= 0 && wire.BodyAllowed(resp.Status) {
		// A HEAD's length is the upstream's to state.
		var num [20]byte
		hd.AddBytes([]byte("Content-Length"), strconv.AppendInt(num[:0], resp.ContentLength, 10))
	}
	w.WriteHeader(resp.Status)
	// The head goes out before the first wait for the body.
	c.unflushed = true
	var err error
	switch framing {
	case wire.LengthBody:
		err = h.relayLength(w, c, resp.ContentLength)
	case wire.ChunkedBody:
		err = h.relayChunked(w, c)
	case wire.CloseBody:
		err = h.relayToClose(w, c)
	}
	if err != nil {
		c.close()
		if errors.Is(err, errClientGone) {
			return err
		}
		u.fail(h)
		return fmt.Errorf("proxy: response of %s cut: %w", u.url, err)
	}
	if resp.Close || c.r != c.w {
		// Bytes past the response are an upstream error; never pass
		// them to the next request.
		c.close()
	} else {
		u.put(c, h)
	}
	return nil
}

// errClientGone wraps a failed write to the client.
var errClientGone = errors.New("proxy: writing to the client")

func (h *Handler) write(w web.ResponseWriter, c *conn, p []byte) error {
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
