// Package asgi runs Python ASGI 3.0 applications (FastAPI, Starlette,
// Django's asgi.py, Quart) behind Brick: a web.Handler that starts each
// request as an http scope on one of a pool of Python worker processes and
// streams the answer back. `brick asgi module:app` is its command.
//
// # Process model
//
// Go does all of HTTP: it parses the request, decodes the path, and owns
// the client's connection. Each worker is a Python process running
// python/worker.py (embedded; standard library only, uvloop when the
// interpreter has it) with one event loop and any number of scopes in
// flight (MaxStreams). A request goes to the worker with the fewest in
// flight. Workers are started, supervised and recycled as the WSGI
// gateway's are (internal/procpool, the interpreter search of
// gateway/internal/pyproc), with one difference: a worker serves many
// requests at once, so it is never killed for one slow request. A request
// without a response start after Timeout gets 504 and its task is
// cancelled; an event loop that stops answering the heartbeat for Timeout
// (a blocking call in async code) has its Python stack logged and is
// killed, costing only the requests it held. A retired worker (reload,
// recycle, shutdown) takes no new scope, finishes those in flight, runs
// the lifespan shutdown and leaves.
//
// # Protocol
//
// Go and a worker talk over one Unix socket pair, in frames:
//
//	type    1 byte
//	stream  4 bytes, little-endian: the scope; 0 is the worker itself
//	length  4 bytes, little-endian: the payload's length
//	payload length bytes
//
// The WSGI gateway's frames have no stream id because a WSGI worker holds
// one request at a time. An ASGI worker holds thousands, so frames are
// multiplexed by stream: one socket and one reader per worker instead of
// a socket per request, no connection set-up per request, and frames of
// many streams coalesce into one write. HTTP/1.1 or FastCGI to the worker
// would cost Python a parser per request and could not multiplex;
// HTTP/2 could, but its HPACK and framing would cost Python more than the
// application does.
//
// Go to worker:
//
//	'S' start a scope. Payload: u32 kind (1 http, 2 websocket), u32
//	    flags, u32 n, n u32 end offsets, the string bytes, then the
//	    request body inline. Strings: http_version, method, scheme, path
//	    (decoded; UTF-8), raw_path, query_string, root_path, client host,
//	    client port, server host, server port (empty host: none), then
//	    header names (lowercased) and values, duplicates kept. Flag 1:
//	    the body continues in 'B' frames; without it the inline body is
//	    the whole body (a GET is one frame).
//	'B' request body bytes.   'F' the request body is complete.
//	'C' the client is gone: receive() returns http.disconnect and
//	    send() raises OSError (ASGI 2.4).
//	'K' cancel the scope's task (no response start within Timeout).
//	'W' credit: u32, more response bytes the worker may send.
//	'P' heartbeat (stream 0), answered with 'p'.
//
// Worker to Go:
//
//	'R' ready (stream 0): imported, lifespan startup complete.
//	'X' fatal (stream 0): import or lifespan startup failed; payload:
//	    the traceback or the startup.failed message. The worker exits.
//	'H' http.response.start: three status digits (200 to 599), then
//	    NUL-separated header names and values.
//	'D' http.response.body bytes.
//	'E' the scope ended cleanly (the body's more_body false).
//	'A' the application failed; payload: its traceback, empty when the
//	    client had gone. Before 'H' the client gets 500, after it the
//	    connection is cut: a truncated body never looks complete.
//	'W' credit: u32, more request body bytes Go may send.
//	'Y' http.response.pathsend: payload the file's absolute path; it ends
//	    the scope like 'E'. Go opens the file and sends it with
//	    sendfile(2), with a Content-Length when the app gave none.
//
// Every scope ends with exactly one 'E', 'Y' or 'A', after which the
// worker sends nothing more for its id: Go takes any frame for an id it
// does not know as a protocol error, which costs the worker. Go's frames
// may cross the worker's end, so the worker drops frames for a stream it
// has ended. Stream ids count up per worker and are not reused before
// they wrap at 2^32.
//
// # Flow control
//
// Each stream has a window of Window bytes each way, as HTTP/2's. Go sends
// request body only against credit, and the worker grants credit as the
// application's receive() takes the bytes: a fast client never makes
// Python buffer more than a window of body the application has not asked
// for. The worker's send() splits a body into pieces within its credit and
// waits when it has none; Go grants credit once it has written the bytes
// to the client: a slow client makes the application's send() wait, and
// Go never holds more than a window per stream. A worker that sends past
// its credit breaks the protocol.
//
// # Batching
//
// Frames are coalesced both ways, which the multiplexing allows: the cost
// of a request is mostly system calls and process wake-ups, not bytes.
// In Go, the first handler to queue a frame yields once before writing,
// so the handlers runnable at that moment add theirs and the lot goes out
// in one write(2) (sock.go); the worker's socket is non-blocking, read by
// one goroutine parked in Go's poller, with raw system calls. In Python,
// every frame of one turn of the event loop joins one batch, written at
// the end of the turn (Conn.write): the head and body of a response and
// the responses of every request the turn served. Under load (64
// connections, one worker) a write on either side carries twenty or more
// requests. A request waits on its stream alone, without a timer: the
// worker's sweeper pokes waiting requests every quarter Timeout (at most
// every second) to check their deadline and their client.
//
// # WebSocket
//
// Go does the whole WebSocket protocol with package websocket (handshake,
// framing, UTF-8, ping, the closing handshake, permessage-deflate); the
// worker (python/_brick_asgi_ws.py) sees ASGI events. The websocket scope
// uses the same framing and adds these frames:
//
//	'S' kind 2: websocket.connect (same strings as http; the worker
//	    derives scheme ws/wss and subprotocols).
//	'M' Go to worker: a client message, u8 opcode (1 text, 2 binary),
//	    then the data.
//	'a' websocket.accept: the subprotocol, then NUL-separated header
//	    names and values, as 'H'.
//	'm' websocket.send: u8 opcode, then the data (at most 16 MiB).
//	'x' websocket.close: u16 code (big-endian), then the reason. Before
//	    the accept it refuses the handshake: the client gets 403.
//	'C' Go to worker, with a payload: u16 code and reason of the client's
//	    close (websocket.disconnect; 1006 when the connection dropped).
//	'H'/'D'/'E' before the accept: the denial response extension, an
//	    http response on the same stream.
//
// The stream ends with 'E' (the application returned; an open connection
// closes with 1000) or 'A' (it raised; 1011). Flow control is the
// window's, per message: a message costs its length plus one, so empty
// ones count. Each side sends while its credit is positive (it may go
// below zero by one message) and the receiver grants the cost back when
// the message is consumed: by receive() in Python, by the write to the
// client in Go. Neither side holds more than a window plus one message
// per WebSocket; a client that never reads makes send() wait, a client
// that floods is not read until the application catches up. The
// connection is watched by the server between messages (Options.Watched)
// and the Go writer runs only while messages wait, so an idle WebSocket
// holds no goroutine. A retired worker keeps its WebSockets until they
// close or WSGrace ends (counted from the retirement, whether shorter or
// longer than Grace), then closes them with 1001. WSPingInterval (20 s)
// and WSMaxSize (16 MiB, for client messages) are uvicorn's
// --ws-ping-interval and --ws-max-size.
//
// # Scope
//
// http scopes follow ASGI 3.0 (spec_version 2.4): path is the full
// decoded path, including root_path (the Mount), as the spec's clarified
// wording and current Starlette and uvicorn have it; raw_path is the path
// as received; state is a shallow copy of what the lifespan startup left.
// The extension http.response.pathsend is offered (frame 'Y'); the
// extension http.response.trailers is not: Brick's server
// does not send trailers, and an application that asks for them fails
// cleanly (500) instead of losing them silently. Lifespan is as uvicorn's
// "auto": an application that raises before answering lifespan.startup is
// served without lifespan; startup.failed stops the pool from starting.
package asgi
