// Package web is Brick's handler API: the Request a handler reads, the
// ResponseWriter it answers through, and the Handler interface.
//
// # Lifetime
//
// A *Request and its ResponseWriter belong to the connection that carries
// them and are valid only until ServeHTTP returns. The request's byte slices
// point into the connection's read buffer, which is what makes a plain GET
// allocation-free; after the handler returns that memory is reused for the
// next request. A handler that needs the request later (in a goroutine, a
// cache) keeps r.Clone(), never r. Code that wants net/http's
// one-object-per-request safety uses the nethttp adapter instead.
//
// # Errors
//
// ServeHTTP returns an error. Before anything was sent, the server turns it
// into a response: the status of a *HandlerError (see Error), else 500, with
// a short plain-text reason; 5xx errors are logged. After the response has
// started, an error aborts it: the connection is closed so the client sees a
// truncated response rather than a complete-looking wrong one.
//
// # Context
//
// Context returns the request's context. WithContext returns a shallow
// copy with another context, as net/http's does (it allocates);
// SetContext changes the request in place, for the server and for
// middleware that restores the old context before returning.
//
// # Observing
//
// A server tells its Observer (an access log, metrics; Observers fans out
// to several) how every request ended: the status and body bytes it sent,
// its own answers included, the duration, and whether the connection was
// cut or hijacked (Completion). A router records the site and route it
// matched on the request (Site, Route), as net/http's Request.Pattern, so
// observers label requests without routing them again.
//
// # Optional abilities
//
// Flushing, hijacking (HijackWatched: with the server still watching the
// connection for its new owner) and sending a file with sendfile(2) are
// reached through Flush, Hijack, HijackWatched and SendFile, which walk the Unwrap chain of
// wrapping writers, so a middleware wrapper never hides what the underlying
// writer can do.
package web
