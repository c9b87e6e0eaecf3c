// Package nethttp runs unchanged net/http handlers on Brick: Handler turns
// an http.Handler (a ServeMux, chi, gorilla/mux...) into a web.Handler.
//
// Each request gets its own *http.Request, header map and context, as
// net/http gives them, so handlers may keep them after returning; the cost
// is the allocations net/http itself makes. Streaming (http.Flusher,
// http.ResponseController), request bodies, 1xx responses and
// http.Hijacker work. As in net/http, the request body and the
// ResponseWriter must not be used after ServeHTTP returns.
//
// Differences from net/http worth knowing: Content-Type sniffing looks at
// the first Write only (net/http looks at up to 512 buffered bytes), and the
// request's context is cancelled when ServeHTTP returns or the server closes,
// not when the client disconnects mid-request.
package nethttp
