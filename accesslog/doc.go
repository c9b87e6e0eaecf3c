// Package accesslog writes one line per request: a Logger (New) is a
// web.Observer the server tells of every request it finished, and a
// Writer buffers the lines for stderr, stdout or a file.
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
// duration_ms, referer, user_agent, host, and site and route: the names
// the router recorded on the request (empty when none took it). Strings
// are escaped as JSON needs, and bytes that are not UTF-8 become U+FFFD.
//
// The time is when the response was complete (or the connection cut), as
// nginx logs the time a request ended; duration_ms is how long from the
// request head to then. A response the server holds back to compute its
// Content-Length is complete once it is queued, before it is sent.
//
// # Status and bytes
//
// The server reports what it sent (web.Completion), so a line says what
// the client got: the handler's status and body bytes; for a returned
// error or a panic, the server's answer (the error's status with a short
// text); for a request body the server found broken, its own 400, 408
// (too slow) or 413, whatever the handler made of the read error. A
// response cut after it started (an error after a flush, a client gone)
// keeps what had been written. A connection closed without a response
// (an abort, web.ErrAbortHandler) is 444, nginx's code for that, and a
// hijacked one 101 (web.Completion.Code). A HEAD response has no body
// bytes. A request whose head the server answered itself (could not
// parse, or timed out part way) has a line with its status and "-" for a
// request line, as nginx writes; "-" for method, target and proto in JSON.
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
// Lines that cannot be written (a full disk) are dropped, as nginx drops
// them, but not silently: they are counted (Lost, and a counter shared
// with WithLostCounter, which package metrics exports as
// brick_access_log_errors_total) and logged at most once a second with
// the number lost since the last report.
//
// # Allocations
//
// Formatting and writing a line allocate nothing, and nothing wraps the
// ResponseWriter: the line is written from what the server reports.
package accesslog
