package proxy

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
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

	tunnels tunnelSet // guarded by tunnelsMu (retire.go)
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
// Open tunnels (WebSockets) are left to package websocket's Drain, which
// a stop or a binary upgrade runs; a reload calls Retire or PassTunnels
// instead (retire.go).
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
	var body *spool
	if h.cfg.BufferRequests && !bodyless && upgrade == nil {
		body = getSpool(int(h.cfg.BufferMemory))
		defer body.release()
		if err := h.bufferRequest(r, body); err != nil {
			return err
		}
		// The body can be sent again: a retry is as for no body.
		canRetry = idempotent(r.Method)
	}
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
		retry, err := h.exchange(w, r, c, upgrade, body, sticky, canRetry)
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

// bufferRequest reads r's body into body (buffer_requests).
func (h *Handler) bufferRequest(r *web.Request, body *spool) error {
	err := body.readFrom(r.Body, h.cfg.BufferMax)
	switch {
	case err == nil:
		return nil
	case err == errSpoolFull:
		return web.Error(413, fmt.Errorf("proxy: request body over buffer_max (%d bytes)", h.cfg.BufferMax))
	case errors.Is(err, errClientBody):
		return err
	}
	h.log.Error("proxy: cannot buffer a request body; answering 500 (is the temporary directory writable and not full?)", "err", err)
	return web.Error(500, err)
}

// exchange sends r over c, its body from body when it was buffered, and
// relays the response. retry reports that the request may go elsewhere:
// nothing reached the client and nothing of r's body was consumed.
func (h *Handler) exchange(w web.ResponseWriter, r *web.Request, c *conn, upgrade []byte, body *spool, sticky, canRetry bool) (retry bool, err error) {
	u := c.up
	length := int64(-1)
	if body != nil {
		length = body.size
	}
	c.out = h.appendRequestHead(c.out[:0], r, upgrade, length)
	c.arm(h.cfg.Timeout)
	sendFailed := func(err error) (bool, error) {
		c.close()
		if !c.reused {
			u.fail(h)
		}
		// The body is still unread: any method may go elsewhere.
		return true, web.Error(502, fmt.Errorf("proxy: sending to %s: %w", u.url, err))
	}
	if rc, ok := c.nc.(*rawConn); ok && body == nil && r.ContentLength == 0 && !r.Chunked {
		// The head is all there is to send: the read of the answer
		// sends it (rawio_linux.go).
		rc.sendThenRead(c.out)
	} else if _, err := c.nc.Write(c.out); err != nil {
		return sendFailed(err)
	}
	if err := h.sendBody(c, r, body); err != nil {
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
	if err != nil && notSent(err) {
		return sendFailed(err)
	}
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
// chunk by chunk, re-framed, for a chunked one; or the buffered body,
// whose length the head gave.
func (h *Handler) sendBody(c *conn, r *web.Request, body *spool) error {
	if body != nil {
		return body.each(func(p []byte) error {
			c.arm(h.cfg.Timeout)
			_, err := c.nc.Write(p)
			return err
		})
	}
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
			c.arm(h.cfg.Timeout)
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
