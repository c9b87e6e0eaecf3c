// Package server is Brick's connection engine: listeners, the accept loop,
// persistent connections, pipelining, request bodies, timeouts, limits,
// panic recovery and graceful shutdown. It speaks HTTP/1.1 through the pure
// codec in package wire and calls a web.Handler; connections that speak
// HTTP/2 it hands to package h2 (h2.go: ALPN "h2", the preface on a
// cleartext connection, "Upgrade: h2c"), which keeps the connection's
// slot and is drained by Shutdown with GOAWAY.
//
// # Connection model
//
// An idle kept-alive connection is the most common thing a server holds,
// so its cost sets how many clients a machine can keep. A goroutine per
// connection (net/http, fasthttp) keeps a goroutine stack and buffers for
// every idle connection: about 16–20 KiB each, and still 3.5 KiB when the
// goroutine holds no buffer. nginx holds one in about 0.5 KiB. Brick's rule
// is therefore: an idle connection holds neither a goroutine nor a buffer.
//
// On Linux, one readiness loop per core (an epoll instance and a goroutine
// waiting on it) owns the sockets. The goroutine waits in Go's netpoller,
// on the epoll descriptor itself, rather than in a blocking epoll_wait,
// which would hold a P until the runtime's sysmon took it back. Each socket
// is registered once, edge-triggered for reading and writing, so the steady
// state needs no epoll_ctl calls. A parked connection that becomes readable
// goes into a run queue drained by pooled worker goroutines: a worker reads,
// parses with package wire, runs the handler for every complete request in
// the buffer, writes the responses of that pipelined batch in one write,
// parks the connection again and takes the next one from the queue, so a
// burst of ready connections costs one goroutine wake-up. A worker that
// takes a connection while others wait first makes sure another worker is
// on its way, so a handler that blocks holds up only its own connection.
// A parked connection is a 192-byte struct and a slot in a descriptor
// table.
//
// Readiness that arrives while a worker owns a connection is recorded on the
// connection; code that must block (a request body still in flight, a
// client slow to read a response, the net/http adapter's body reads) waits
// on that record, which the loop wakes. So blocking reads exist where they
// are needed without a goroutine per idle connection.
//
// Timeouts need no timer per connection either: a per-server clock ticks
// once a second, refreshes the cached Date header value and sweeps parked
// connections past their idle or header deadline (408 for a head that
// stopped half-way, a silent close for an idle connection). Waits inside a
// request use a timer, since they are the slow path.
//
// A connection the server closes while the client may still be sending
// (an error response, an unread body) is closed lingering: response, FIN,
// then input discarded for up to a second, so the client's kernel does
// not receive a reset that would destroy the response before it is read.
//
// # Hijack
//
// Hijack hands a connection over as a net.Conn and forgets it.
// HijackWatched (web.HijackWatched, watch_linux.go; connections of the
// epoll engine, plain or TLS) hands it over but keeps its descriptor in
// the loop, in state stWatched: the new owner arms a callback with Watch
// and returns, and the loop calls it on a new goroutine when the
// connection turns readable, so a WebSocket idle between messages costs
// no goroutine. The owner's I/O goes through an os.File over the same
// descriptor, in Go's netpoller as well (one descriptor per connection,
// as when parked), its writes raw system calls under the file's write
// lock; over TLS, through the tls.Conn over it, and Watch first asks
// crypto/tls, without waiting, for input it holds already, and a write
// longer than a record has its records gathered into one system call
// (tlswatch.go). HTTP/2 connections are handed to package h2 the same
// way, so an idle one parks in its loop too (h2.go).
//
// # TLS
//
// ServeTLS serves a listener over TLS with crypto/tls (handshake, records,
// session tickets): TLS 1.2 and 1.3 only, ECDHE with AEAD ciphers only
// (CipherSuites, Mozilla's "intermediate" profile), ALPN h2 then http/1.1. The
// certificate is the tls.Config's to pick, by SNI (package certs in
// Brick's service). A TLS connection is a transport like the plain ones
// (tls.go): the request loop runs over it unchanged, pipelining, bodies,
// 100-continue, timeouts, shutdown and hijack included (the hijacked
// net.Conn is the tls.Conn); a file response is copied through it, since
// sendfile(2) cannot encrypt.
//
// The tls.Conn runs over the transport itself as its net.Conn. The
// transport's Read hands crypto/tls the socket's bytes; with none left it
// returns a temporary net.Error, which crypto/tls does not keep as the
// connection's error (readRecordOrCCS in crypto/tls/conn.go: only errors
// that are not Temporary are recorded), so a half-received record waits
// in the tls.Conn's buffer for the next readiness event, and the worker
// parks the connection like any other. Writes are sticky in crypto/tls,
// so the transport's Write never reports "would block": it waits for the
// socket through the loop, bounded by the write timeout, as plain writes
// do. A worker reads until crypto/tls must wait for the socket, because
// crypto/tls may have read whole records ahead, and the loop reports only
// new bytes.
//
// The handshake runs on the worker that takes the connection when its
// first bytes arrive (never on a readiness loop), waiting for the client
// through the loop, bounded by the header timeout: a handshake that never
// finishes is a slowloris like a head that never ends. Later, a record
// that arrives only in part starts the header timeout as part of a head
// would, so one trickled a byte at a time is cut off the same way (and
// answered 408 when it had begun a head). The first byte tells TLS from
// plain HTTP: plain HTTP sent to a TLS port is answered 400 in plain
// HTTP and closed, as nginx does. A connection closes with close_notify.
//
// Session tickets resume sessions (TLS 1.2 and 1.3) without a full
// handshake. Their keys are random, in memory only, shared by the
// listeners given one configuration and rotated every TicketKeyRotation
// (12 h), the previous key kept for one more period (tickets.go): a key
// that leaks exposes at most a day of resumed sessions, against seven
// days with crypto/tls's own rotation.
//
// An idle kept-alive TLS connection holds no goroutine either: its parked
// pollConn, its tlsConn (about 100 bytes) and its tls.Conn, which keeps
// the session's keys, cipher state and the record buffer it read into
// (crypto/tls returns its write buffer to a pool after each record, so a
// large response leaves nothing behind). Measured by TestIdleMemory (2,000
// idle connections from another process, server heap and stacks): about
// 6.7 KiB per idle TLS connection, after a small response and after a
// 1 MiB one alike, against 0.2 KiB for plain HTTP; nginx holds 14.9 KiB
// per idle TLS connection, net/http 42 KiB (issue 11's anchors). In
// resident memory, with the Go heap's headroom, `bench/run tls` measured
// 13.1 KiB per idle TLS connection (10,000 of them) against nginx's 14.7,
// h2o's 30.7 and net/http's 40.2 in the same run.
//
// Listeners without a file descriptor, Server.GoroutinePerConn, and systems
// other than Linux use the portable model: a goroutine per connection over
// Go's netpoller, running the same protocol code (exchange.go) through the
// same transport interface (conn.go).
//
// # Files
//
//   - server.go: Server, Limits, Timeouts, Serve, Shutdown, Close.
//   - settings.go: Update: limits, timeouts and h2c changed while serving,
//     published whole behind an atomic pointer; the connection slots.
//   - listen.go: listening sockets (backlog, SO_REUSEADDR, SO_REUSEPORT).
//   - conn.go: per-connection state and the transport interface.
//   - exchange.go: the request loop: parse, handle, respond, keep alive.
//   - response.go: the ResponseWriter and response framing.
//   - sendfile.go: web.FileSender: a file's bytes sent with sendfile(2)
//     (pollConn.sendFile) or io.Copy onto the net.Conn (netConn.sendFile).
//   - body.go: streaming request bodies, 100-continue, draining.
//   - tls.go: the TLS transport over either model, ServeTLS's defaults.
//   - tickets.go: session ticket keys, rotated.
//   - h2.go: handing a connection to package h2 (HTTP/2).
//   - tlswatch.go: watched TLS connections (HijackWatched, HTTP/2).
//   - The readiness loops (Linux): engine_linux.go (the engine, its sweep
//     and shutdown), accept_linux.go (accept4 and handing a socket to a
//     loop), poller_linux.go (an epoll loop), dispatch_linux.go (the run
//     queue and its workers), pollconn_linux.go (a connection's hand-over
//     between loop and worker, its I/O), fdtable_linux.go (descriptor to
//     connection), rawsyscall_linux.go (non-blocking raw system calls).
//   - std.go: goroutine per connection.
//   - e2e_*_test.go: end-to-end tests over loopback, in a matrix of both
//     models and both handler kinds (native and through nethttp).
//   - clock.go: the cached Date value and the timeout sweep.
//   - trace.go: the `brick -v` exchange printer.
//   - complete.go: telling Server.Observer how each request ended.
package server
