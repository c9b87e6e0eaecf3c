package fastcgi

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"time"

	"github.com/brick-server/brick/gateway/cgienv"
	"github.com/brick-server/brick/web"
)

// maxHead bounds the header block a script may send before its body.
const maxHead = 64 << 10

// requestID is the id of every request: PHP-FPM serves one request per
// connection at a time, so a connection never needs two.
const requestID = 1

// stdinChunk is the most body bytes sent in one STDIN record.
const stdinChunk = 32 << 10

// exchange sends the request whose head is in c.out, then body, and
// relays the response. A kept-alive connection that PHP-FPM is closing (a
// child that reached pm.max_requests shuts it down just after its last
// answer, and drains what arrives meanwhile unread) is found closed when
// taken from the pool (alive), or fails without a byte of answer; the
// request then goes once more on a new connection, when its body can be
// sent again (none, or one read whole: replay). A streamed body cannot:
// it goes on a new connection from the start, since a kept-alive one can
// take all of it into its socket buffer and only then be found closed.
func (h *Handler) exchange(w web.ResponseWriter, r *web.Request, c *call, t *target, body io.Reader, replay bool) error {
	deadline := time.Now().Add(h.cfg.Timeout)
	for attempt := 0; ; attempt++ {
		cn, err := h.pool.get(r.Context(), deadline, body != nil && !replay)
		if err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				h.log.Error("php: no connection to PHP-FPM became free in time; answering 504", "fastcgi", h.cfg.FastCGI,
					"conns", h.cfg.Conns, "request", requestLine(r))
				return plain(w, 504, "Gateway Timeout: PHP did not answer in time\n")
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, errPoolClosed) {
				// The server is stopping (the request's context) or the
				// route was replaced while the request waited.
				w.Header().Set("Retry-After", "1")
				return plain(w, 503, "Service Unavailable: the server is shutting down, try again shortly\n")
			}
			h.log.Error("php: cannot reach PHP-FPM; answering 502 (is php-fpm running, and is the fastcgi address its listen address?)",
				"fastcgi", h.cfg.FastCGI, "err", err)
			return plain(w, 502, "Bad Gateway: PHP is not reachable\n")
		}
		cn.nc.SetDeadline(deadline)
		if attempt > 0 && body != nil {
			if _, err := body.(io.Seeker).Seek(0, io.SeekStart); err != nil {
				h.pool.discard(cn)
				return web.Error(500, err)
			}
		}
		retry, err := h.roundTrip(w, r, c, t, cn, body, replay)
		if retry && attempt < h.cfg.Conns {
			h.log.Debug("php: kept-alive connection closed by PHP-FPM; retrying on a new one", "err", err)
			continue
		}
		return err
	}
}

// roundTrip runs one request on cn. retry reports that cn failed before
// anything of the request was taken, so it may go on another connection.
func (h *Handler) roundTrip(w web.ResponseWriter, r *web.Request, c *call, t *target, cn *conn, body io.Reader, replay bool) (retry bool, err error) {
	if _, err := cn.nc.Write(c.out); err != nil {
		h.pool.discard(cn)
		if cn.reused && !isTimeout(err) {
			return true, err // the body is not read yet: it can go again
		}
		return false, h.failed(w, r, err)
	}
	if body != nil {
		if err := h.sendBody(cn, c, body); err != nil {
			h.pool.discard(cn)
			if errors.Is(err, errUpstreamWrite) && cn.reused && replay && !isTimeout(err) {
				return true, err
			}
			if errors.Is(err, errUpstreamWrite) {
				return false, h.failed(w, r, err)
			}
			return false, err // the client's: the server answers (413) or closes
		}
	}
	return h.relay(w, r, c, t, cn, body == nil || replay)
}

// errUpstreamWrite marks a failure to write to the FastCGI server, as
// opposed to reading the client's body.
var errUpstreamWrite = errors.New("fastcgi: writing the request body to PHP-FPM")

// sendBody streams the request body as STDIN records, then ends it.
func (h *Handler) sendBody(cn *conn, c *call, body io.Reader) error {
	if cap(c.chunk) < HeaderLen+stdinChunk {
		c.chunk = make([]byte, HeaderLen+stdinChunk)
	}
	buf := c.chunk[:HeaderLen+stdinChunk]
	for {
		n, err := body.Read(buf[HeaderLen:])
		if n > 0 {
			AppendHeader(buf[:0], TypeStdin, requestID, n, 0)
			if _, werr := cn.nc.Write(buf[:HeaderLen+n]); werr != nil {
				return errors.Join(errUpstreamWrite, werr)
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	AppendHeader(buf[:0], TypeStdin, requestID, 0, 0)
	if _, err := cn.nc.Write(buf[:HeaderLen]); err != nil {
		return errors.Join(errUpstreamWrite, err)
	}
	return nil
}

// relay reads the response records and writes the script's output to the
// client as it comes: whenever everything PHP sent so far has been
// written, it is flushed, so PHP's flush() reaches the client at once. A
// response that arrives whole is sent with a Content-Length.
func (h *Handler) relay(w web.ResponseWriter, r *web.Request, c *call, t *target, cn *conn, replay bool) (retry bool, err error) {
	c.head = c.head[:0]
	started := false // the head went to the client
	skip := false    // the client takes no more body (HEAD, 304, a Content-Length reached)
	got := false     // any record arrived
	for {
		hd, content, err := cn.rd.Next()
		if err != nil {
			h.pool.discard(cn)
			if !got && cn.reused && replay && !isTimeout(err) {
				return true, err
			}
			if started {
				h.log.Error("php: connection to PHP-FPM failed mid-response; cutting the response", "request", requestLine(r), "err", err)
				return false, web.ErrAbortHandler
			}
			return false, h.failed(w, r, err)
		}
		got = true
		if hd.RequestID != requestID {
			if hd.RequestID == 0 {
				continue // a management record (§3.3): not ours
			}
			h.pool.discard(cn)
			return false, h.broken(w, r, started, "a record of another request")
		}
		switch hd.Type {
		case TypeStdout:
			if !started {
				c.head = append(c.head, content...)
				block, body := cgienv.HeadEnd(c.head)
				if block < 0 {
					if len(c.head) > maxHead {
						h.pool.discard(cn)
						return false, h.broken(w, r, false, "a header block over 64 KiB")
					}
					continue
				}
				head, err := cgienv.ParseResponseHead(c.head[:block], w.Header())
				if err != nil {
					h.pool.discard(cn)
					w.Header().Reset()
					return false, h.broken(w, r, false, err.Error())
				}
				w.WriteHeader(head.Code())
				started = true
				content = c.head[body:]
			}
			if len(content) > 0 && !skip {
				if _, err := w.Write(content); err != nil {
					if !errors.Is(err, web.ErrContentLength) && !errors.Is(err, web.ErrBodyNotAllowed) {
						h.pool.discard(cn)
						return false, web.ErrAbortHandler // the client left
					}
					skip = true // the rest is dropped; the answer stands
				}
			}
			if started && !skip && cn.rd.Buffered() == 0 {
				// Everything PHP sent so far is written: send it
				// before waiting for more.
				if err := web.Flush(w); err != nil && !errors.Is(err, web.ErrNotSupported) {
					h.pool.discard(cn)
					return false, web.ErrAbortHandler
				}
			}
		case TypeStderr:
			if len(content) > 0 {
				h.log.Warn("php: stderr", "script", t.script, "request", requestLine(r), "message", strings.TrimRight(string(content), "\n"))
			}
		case TypeEndRequest:
			end, _ := ParseEndRequest(content)
			if end.ProtocolStatus != StatusRequestComplete {
				h.pool.discard(cn)
				return false, h.broken(w, r, started, "END_REQUEST with protocol status "+protocolStatus(end.ProtocolStatus))
			}
			if !started {
				h.pool.discard(cn)
				return false, h.broken(w, r, false, "no response header block")
			}
			h.pool.put(cn)
			return false, nil
		default:
			h.pool.discard(cn)
			return false, h.broken(w, r, started, "an unexpected record type")
		}
	}
}

func protocolStatus(s uint8) string {
	switch s {
	case StatusCantMpxConn:
		return "FCGI_CANT_MPX_CONN"
	case StatusOverloaded:
		return "FCGI_OVERLOADED"
	case StatusUnknownRole:
		return "FCGI_UNKNOWN_ROLE"
	}
	return "unknown"
}

// failed answers for a connection that failed before the response began:
// 504 when it ran out of time, else 502.
func (h *Handler) failed(w web.ResponseWriter, r *web.Request, err error) error {
	if isTimeout(err) {
		h.log.Error("php: PHP did not answer in time; answering 504", "request", requestLine(r), "timeout", h.cfg.Timeout.String())
		return plain(w, 504, "Gateway Timeout: PHP did not answer in time\n")
	}
	h.log.Error("php: PHP-FPM closed the connection without an answer; answering 502", "request", requestLine(r), "err", err)
	return plain(w, 502, "Bad Gateway: PHP failed\n")
}

// broken answers for a response that broke the protocol: 502, or a cut
// response once its head was sent.
func (h *Handler) broken(w web.ResponseWriter, r *web.Request, started bool, why string) error {
	h.log.Error("php: invalid response from PHP-FPM", "request", requestLine(r), "problem", why)
	if started {
		return web.ErrAbortHandler
	}
	return plain(w, 502, "Bad Gateway: PHP sent an invalid response\n")
}

func requestLine(r *web.Request) string {
	return string(r.Method) + " " + string(r.Target)
}

func isTimeout(err error) bool {
	return errors.Is(err, os.ErrDeadlineExceeded)
}
