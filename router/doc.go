// Package router picks what answers a request: a site by the request's
// Host, then a route of that site by the request's path. A Router is a
// web.Handler built once by New from plain values (Site, Route) and never
// changed afterwards, so it is safe for any number of connections at once
// and allocates nothing to route a request.
//
// # Sites
//
// The Host of the request (the Host field, or the authority of an
// absolute-form target) loses its port and a trailing dot and is compared
// without regard to case. An exact name wins, then the longest wildcard
// ("*.example.com" matches "a.example.com" and "a.b.example.com", not
// "example.com"), then the default site (the one listing "*" or no host at
// all). Without a default site an unknown host is 404: 421 Misdirected
// Request is about HTTP/2 connection reuse, which Brick does not do.
//
// # Routes
//
// A site's routes are tried in order and the first whose Prefix matches
// answers. A prefix ending in "/" matches the paths under it ("/static/"
// matches "/static/a.css" and "/static/", not "/static"); any other prefix
// matches that path exactly and the paths under it ("/api" matches "/api"
// and "/api/x", not "/apix"). No matching route is 404.
//
// # Which path is matched
//
// Prefixes are compared with the path a handler will see once it has
// decoded the request's, not with the raw bytes: otherwise a client could
// write a path that a prefix check reads one way and the handler another.
// With routes "/admin" (guarded) and "/" (an application), the raw bytes
// "/%61dmin", "/admin%2Fusers", "//admin" and "/public/../admin" all miss
// "/admin", yet a WSGI application, which gets PATH_INFO percent-decoded,
// sees "/admin..." in the first two. So the router matches against a
// normalised copy of the path, as nginx matches its locations: escapes
// decoded once ("%2F" becomes a slash, "%252F" stays "%2F"), empty segments
// merged and "." and ".." segments removed (RFC 3986 §5.2.4). The copy
// lives in a buffer on the stack; a path without '%', "//" or "/." is
// already normal and is matched as it is.
//
// Refused with 400, because no reading of them is safe to match: a '%' not
// followed by two hex digits, a backslash (raw or encoded; a separator to
// some tools and platforms), and a ".." that climbs above the root.
//
// The handler still receives the request untouched: r.Path stays the raw,
// encoded path, and each handler keeps doing its own safe decoding (static
// removes dot-segments and stays inside its root; the WSGI gateway refuses
// them). Normalising only for the decision means the route chosen is the
// one the handler's own reading of the path belongs to, whatever the
// handler does with it. Rejecting every dot-segment instead would have been
// simpler but refuses nothing the normaliser does not already make safe,
// and would not have covered the encoded forms above.
//
// Prefixes are written as decoded paths ("/café/", not "/caf%C3%A9/") and
// must be normal themselves: starting with "/", without "//", "." or ".."
// segments or backslashes.
//
// # Per-route settings
//
// Headers are added to every response of the route, errors included (they
// are set before the handler runs, so a handler setting the same name
// replaces them). MaxBody bounds the request body below the server's own
// limit: a declared Content-Length over it is 413 before the handler runs;
// a chunked body is wrapped so that reading past the bound fails with a
// 413 *web.HandlerError, and a handler that returns any error after that is
// answered 413. Timeout gives the request's context a deadline; handlers
// that watch the context (the WSGI gateway, net/http handlers through
// nethttp) stop at it. A chunked body under a MaxBody and a Timeout each
// cost an allocation or a few; routing itself costs none.
//
// # Built-in handlers
//
// Redirect answers with a redirection, keeping the rest of the path after
// the route's prefix and the query when asked; Respond answers a fixed
// response. Both are checked by New.
//
// # Logs and metrics
//
// ServeHTTP records the names of the site and route it matched on the
// request (web.Request's Site and Route, as net/http's Request.Pattern),
// so the server's Observer (access log, metrics) reads them without
// routing the request again; Match returns the same for a request not
// served. New fills an empty Name with the site's first host (or
// "default") and the route's prefix, so the names can label log lines and
// metrics.
package router
