// Package h2 is Brick's HTTP/2 (RFC 9113): the connection and stream
// state machine, flow control and the defences, serving web.Handlers
// unchanged. The server package hands it a connection that negotiated h2
// by ALPN, or a cleartext one that began with the connection preface or
// upgraded with "Upgrade: h2c".
//
// # Why its own
//
// Frames are read and written with golang.org/x/net/http2's Framer and
// headers coded with its hpack package: both are well kept and fuzzed, and
// the frame layer has no policy in it. Its http2.Server is not used: it is
// net/http's server (from Go 1.27 a wrapper around net/http's internal
// one), built around http.Handler and net/http's types, so the serving
// path would go through net/http. Here a stream's request is a web.Request
// whose head views the stream's own decoded fields, as an HTTP/1.1
// request's views its read buffer.
//
// # Model
//
// One goroutine per busy connection reads frames and runs the state
// machine; it never runs a handler and never waits for flow-control
// window, so a slow handler or a stalled stream cannot hold up the others. Streams
// run on the connection's workers (workers.go): a worker runs queued
// streams one after another, and one that takes a stream while others
// wait first starts another worker for them, so a blocked handler holds
// up no one, while the streams of a burst that do not block share one
// goroutine and its grown stack. Workers end when no stream waits. A
// finished stream is kept for the connection's next request with its
// buffers (the request's fields, the response's header and body), and
// its context is part of it: a request allocates nothing (alloc_test.go).
// Frames are written under one lock by whoever produces them; a writer
// that finds others queued behind it leaves the flush to the last one,
// so frames produced together leave in one write.
//
// An idle connection (no stream) waits for its next frame with no buffer:
// after releaseAfter (100 ms) it also lets go of the streams kept for
// reuse, the other buffers a busy connection keeps and the read Framer's
// buffer, and, when the server watches its socket (web.WatchedConn: the
// epoll engine, plain or TLS), parks: its reading goroutine returns, and
// the server's callback runs the read loop again when the socket turns
// readable, a timer standing for the idle timeout meanwhile (idle.go). A
// parked connection holds its HPACK tables and its Conn, no goroutine and
// no buffer; in the goroutine-per-connection model its reader waits on.
// Frames are read with a Framer of their own, apart from the one that
// writes under the write lock, so that the reading one can be replaced.
//
// # Flow control
//
// The window policy keeps a fast client at line rate without letting a
// slow handler make the server hold memory: a stream may have up to
// streamWindow (256 KiB) of body buffered, the connection connWindow
// (1 MiB) across its streams, and window is returned to the client only as
// the handler reads, in steps of half a window so a fast reader costs one
// WINDOW_UPDATE per 128 KiB. The memory a connection's request bodies
// hold is therefore bounded by connWindow, whatever the client does.
// Sending, a handler's Write waits for window from the client; a client
// that opens none for the write timeout has the stream reset, and the
// connection closed when the connection window is the one that stalled.
//
// # Sending files
//
// A response's SendFile (web.FileSender, what package static uses for
// files past its cache) reads the file straight into whole DATA frames:
// up to four frames laid out behind their headers in one pooled 64 KiB
// buffer, filled by one preadv(2), and written as they are under one
// lock, the head in the same write as the first frames. The bytes are
// copied once, by the read, as HTTP/1.1 over TLS copies them (sendfile(2)
// cannot encrypt); over TLS each frame fills one record, and the server's
// watched connection writes a batch's records in one system call. The
// window is taken before the buffer, and a connection's streams hold at
// most two buffers at once, so a client reading slowly on many streams
// makes the server hold 128 KiB, not 64 KiB a stream; a stream whose
// window is shut holds none, and its head goes out without waiting for
// window. A part that completes a declared length ends the stream with
// its last frame.
//
// # Defences
//
// Every flood a client can send for free is counted per second and ends
// the connection with GOAWAY ENHANCE_YOUR_CALM past its cap: streams reset
// by the client (CVE-2023-44487, "rapid reset"), SETTINGS, PING, frames
// that carry nothing (empty DATA, empty CONTINUATION), PRIORITY, and the
// rare ones (unknown types, GOAWAY, unasked acknowledgements, RST_STREAM
// on closed streams). WINDOW_UPDATEs are counted only beyond those the
// server's DATA earned (two per frame and one per KiB), so a client that
// returns window per read is never cut off while it downloads. A header
// block is bounded in encoded bytes before it is decoded (CVE-2024-27316,
// a CONTINUATION flood) and in frames; its decoded size is bounded too
// (HPACK bombs): past that bound the block is still decoded, to keep the
// HPACK state in step, but its fields are dropped and the stream answered
// 431, the connection kept, as is a request with more regular fields
// than MaxHeaderCount. Streams past SETTINGS_MAX_CONCURRENT_STREAMS
// are refused with REFUSED_STREAM.
//
// Priorities are ignored, as RFC 9113 §5.3 allows; there is no server
// push (SETTINGS_ENABLE_PUSH is not needed: the server never pushes).
// CONNECT is answered 405: Brick is not a tunnel. When a handler returns
// without reading its whole body and before sending its head, what the
// client sends right behind the head (64 KiB, one second at most) is read
// and checked first, as the HTTP/1.1 exchange drains a body: a
// content-length the DATA frames contradict resets the stream instead of
// answering it.
//
// # Files
//
//   - conn.go: Conn, its read loop and lifetime, GOAWAY and shutdown.
//   - idle.go: idle waits, releasing memory, parking in the server's
//     watch.
//   - frames.go: what each frame type does to the state machine.
//   - headers.go: header blocks: bounds, decoding, what a block is for.
//   - stream.go: a stream, running its handler, and its request body.
//   - workers.go: the goroutines streams run on.
//   - streamctx.go: a stream's context.
//   - readframe.go: reading frames; HEADERS without the Framer's allocation.
//   - flow.go: flow-control windows, both directions.
//   - sendfile.go: files as DATA frames (SendFile); fileread_*.go reads them.
//   - writer.go: writing frames and encoding headers.
//   - buffers.go: the pooled read and write buffers.
//   - fields.go: checking a request's fields and building its head.
//   - trace.go: the `brick -v` printer.
//   - response.go: a stream's web.ResponseWriter.
//   - limits.go: the per-second flood counters.
//   - preface.go: recognising the preface and "HTTP2-Settings".
package h2
