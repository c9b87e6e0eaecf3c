// Package accesslog writes one line per request: New wraps a web.Handler,
// and a Writer buffers the lines for stderr, stdout or a file.
//
// # Formats
//
// Common and Combined are nginx's formats, byte for byte, so log
// analysers (GoAccess, AWStats, fail2ban filters) read them unchanged:
//
//	Common:   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent
//	Combined: Common + ` "$http_referer" "$http_user_agent"`
//
// An empty field is "-". In the request line, user, referer and user
// agent, a double quote, a backslash, control bytes and bytes from 0x7F
// up are written \xHH (uppercase hex), as nginx does: a client cannot
// end a field early or forge a line. $remote_user is the user name of
// Basic authentication, whether or not the handler accepted it.
//
// JSON writes one object per line with the fields time (RFC 3339 with
// milliseconds), remote, method, target, proto, status, bytes,
// duration_ms, referer, user_agent and host. Strings are escaped as JSON
// needs, and bytes that are not UTF-8 become U+FFFD.
//
// The time is when the handler returned, as nginx logs the time a request
// ended; duration_ms is how long the handler ran, which for a response the
// server holds back to compute its Content-Length does not include sending
// it.
//
// # Status and bytes
//
// A ResponseWriter wrapper records the first final status the handler
// writes and the body bytes it writes (Write, WriteString and SendFile,
// through which the wrapper keeps sendfile(2) working). It implements
// Unwrap, so Flush and Hijack reach the server's writer. When the handler
// returns an error, the line says what the server answers: the error's
// status (web.StatusOf, or a *wire.Error's) with the server's short text
// as body, unless the response had already started (flushed, sent a file,
// hijacked), when the connection is cut and the line keeps what was sent.
// An abort (web.ErrAbortHandler) before anything was sent is 444, nginx's
// code for closing without a response; a hijack without a status is 101.
// A HEAD response has no body bytes. What a middleware cannot see is
// logged as the handler left it: a request body the server itself found
// broken is answered by the server with 400, 408 or 413 whatever the
// handler did.
//
// The wrapper exports Status and BytesWritten; another middleware finding
// them on its ResponseWriter (package metrics does) reads them instead of
// wrapping again, so logging and metrics together cost one wrapper.
//
// # Writer
//
// A Writer gathers lines in memory and writes them when 32 KiB have
// gathered, every second, on Flush and on Close, so a busy server makes a
// write call per many requests. It is safe for concurrent use; the
// formatting happens outside its lock, into a pooled buffer. Reopen
// reopens a file at its path, for log rotation: rename the file, send
// SIGUSR1 (the command that owns the Writer calls Reopen on it), and new
// lines go to a new file at the original path, as with nginx's USR1.
//
// # Allocations
//
// Formatting and writing a line allocate nothing. The wrapper is one
// allocation per request: it holds the status and byte count of one
// response, and a wrapper pooled across requests would let a handler that
// kept its writer write into another client's response.
package accesslog
