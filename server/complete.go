package server

import (
	"time"

	"github.com/brick-server/brick/web"
	"github.com/brick-server/brick/wire"
)

// The server tells its Observer how each request ended, from what it sent
// rather than from what a middleware can see: its own answers (a 408 for a
// body that stopped coming, a 413, a 500 for a panic) are among them. Each
// way a request can end reports once, before the request's memory (views
// into the read buffer) can be reused: a canned answer in fail, a cut in
// cut, a complete response once finish has run, and a hijack. A head the
// server answers itself (unparsable, or timed out part way) reports in
// reportUnparsed; a connection that sent nothing, or closed or timed out
// between requests, has no request to report.

// observation is the exchange's record of the request being served, for
// the Observer; it is zero when the server has none.
type observation struct {
	active bool // a request is being served and has not been reported
	start  time.Time
}

// beginRequest prepares the exchange's request for a newly parsed head.
func (x *exchange) beginRequest() {
	x.req.Site, x.req.Route = "", ""
	if x.c.srv.Observer != nil {
		x.obs = observation{active: true, start: time.Now()}
	}
}

// endRequest drops what the exchange holds of the request served, so that
// nothing keeps pointing into a read buffer that goes back to the pool.
func (x *exchange) endRequest() {
	h := x.req.Header
	h.Reset()
	x.req.RequestHead = wire.RequestHead{Header: h}
	x.req.Body = nil
	x.req.Site, x.req.Route = "", ""
	x.obs.active = false
}

// report tells the Observer, once per request, how it ended.
func (x *exchange) report(c web.Completion) {
	if !x.obs.active {
		return
	}
	x.obs.active = false
	c.Start = x.obs.start
	c.Duration = time.Since(x.obs.start)
	x.c.srv.Observer.Complete(&x.req, c)
}

// reportUnparsed tells the Observer of a request whose head the server
// answered itself with a canned status before any handler saw it: a head
// it could not parse (400, 414, 431, 501, 505) or one that stopped coming
// (408). Only the connection's side of req is set: its head is empty,
// since what was read of it cannot be trusted, and Site and Route are "".
// req is the exchange's (or, for the readiness loops' sweep, which has
// none, a fresh one): the bad path may allocate. The request began when
// the first byte of its head came.
func (c *conn) reportUnparsed(req *web.Request, status int, reason string) {
	s := c.srv
	if s.Observer == nil {
		return
	}
	req.RemoteAddr, req.LocalAddr = c.remote.AddrPort(), c.local.AddrPort()
	req.TLS = nil
	if t, ok := c.t.(*tlsConn); ok {
		req.TLS = t.connState()
	}
	req.SetContext(s.ctx)
	start := time.Unix(0, c.headSince)
	s.Observer.Complete(req, web.Completion{
		Status: status, Bytes: int64(len(reason) + 1),
		Start: start, Duration: time.Since(start),
	})
}

// reportCanned reports a canned answer of the server's: the request ends
// with it, whatever the handler wrote before.
func (x *exchange) reportCanned(status int, reason string) {
	if !x.obs.active {
		return
	}
	// The canned body goes out even to a HEAD: the connection closes
	// after it, so no client takes it for the next response.
	x.report(web.Completion{Status: status, Bytes: int64(len(reason) + 1)})
}

// reportResponse reports the response the handler (or handlerError)
// completed.
func (x *exchange) reportResponse() {
	if !x.obs.active {
		return
	}
	x.report(web.Completion{Status: x.resp.status, Bytes: x.resp.bodyBytes()})
}

// cut reports the request as cut short and closes the connection.
func (x *exchange) cut() { x.cutGone(false) }

// cutGone is cut, for a request whose handler found the client gone when
// gone is set.
func (x *exchange) cutGone(gone bool) {
	if x.obs.active {
		c := web.Completion{Cut: true, ClientGone: gone && !x.resp.onWire}
		if x.resp.onWire {
			c.Status, c.Bytes = x.resp.status, x.resp.bodyBytes()
		}
		x.report(c)
	}
	x.c.closeNow()
}

// bodyBytes returns the body bytes the handler wrote that the response
// carries: none for HEAD or a status without a body.
func (r *response) bodyBytes() int64 {
	if r.isHead || !wire.BodyAllowed(r.status) {
		return 0
	}
	return r.written
}
