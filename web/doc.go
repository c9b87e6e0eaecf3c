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
// # Optional abilities
//
// Flushing, hijacking and sending a file with sendfile(2) are reached
// through Flush, Hijack and SendFile, which walk the Unwrap chain of
// wrapping writers, so a middleware wrapper never hides what the underlying
// writer can do.
package web
