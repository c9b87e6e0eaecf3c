// Package wsgi runs Python WSGI applications (PEP 3333) behind Brick: a
// web.Handler that hands each request to one of a pool of Python worker
// processes and streams the answer back. `brick wsgi module:app` is its
// command.
//
// # Process model
//
// The Go side does all the HTTP work: it parses the request, reads the
// whole body from the client (in memory, or a temporary file above a
// threshold), builds the environ, and only then takes an idle worker (or,
// when all are busy, queues a small request on one that answers quickly:
// see the pipelining below). It absorbs the worker's answer as fast as the
// worker produces it (memory, then a temporary file) and writes it to the
// client at the client's pace.
// A slow client therefore never pins a Python process: that is the job
// nginx does in front of gunicorn, done here in the same binary.
//
// Each worker is a Python process running python/worker.py (embedded in
// the binary; standard library only) that imports the application once and
// serves one request at a time. Workers are supervised: started, declared
// healthy only when they say "ready" on their socket, reaped when they exit
// (no zombies, the lesson of the article's part 3), replaced with backoff,
// recycled after --max-requests (with jitter) or --max-memory with the
// replacement ready before the old worker leaves (a replacement that
// cannot start is retried with backoff while the old worker serves on),
// and killed once their Python stack has been logged when the application
// is silent past --timeout: before its response head, or between two parts
// of a stream (a stream that keeps sending may last; --max-stream bounds a
// whole response and then cancels it). A pool starts its workers side by
// side and is ready when all are; a reload (SIGHUP) starts a whole new set
// and swaps it in only once every new worker is ready, or keeps the old set
// when the new code fails.
//
// With --preload a zygote (python/zygote.py) imports the application once,
// freezes its objects out of the collector's reach and forks the workers,
// which share its memory copy-on-write. Brick starts and supervises the
// zygote like a worker, asks it for each worker over its own socket (a
// fork frame carrying the new worker's socket and output pipe), and
// watches the forked workers, its grandchildren, through pidfds; the
// zygote reaps them and says how each ended. A reload starts a new zygote;
// the application module's brick_post_fork() runs in each worker after the
// fork. Each generation's zygote starts on its own (a slow import holds up
// no other), and one that does not answer a fork within StartTimeout is
// killed. The forked workers are the zygote's children, beyond the reach
// of Brick's parent-death signal: the zygote takes one of its own
// (SIGUSR2) and kills them with it, and on its socket's end stays their
// parent until they end. Each forked worker leads a process group, as the
// workers Brick starts do: what its application started dies with it,
// when it is killed and when it exits.
//
// An application may answer "X-Sendfile: /path" (under SendfileRoot) or
// "X-Accel-Redirect: /uri" (to a route marked internal): its body is
// cancelled, read and dropped, the worker given back, and the file served by Brick
// (Handler.Files, Handler.Dispatch; see offload.go).
//
// # Why a protocol of our own
//
// Go and a worker talk over one Unix socket pair per worker, in frames:
//
//	type    1 byte
//	length  4 bytes, little-endian: the payload's length
//	payload length bytes
//
// HTTP to the worker would cost tens of microseconds of Python parsing per
// request. The uwsgi and SCGI protocols send the request well but have no
// way to say that a response ended, as against died halfway: the end of a
// response is the end of the connection. Here every response ends with an
// explicit frame, so a worker that crashes mid-body is never mistaken for
// one that finished, and one socket serves request after request.
//
// Go to worker:
//
//	'Q' request. Payload: u32 n (an even number of strings), u32 flags,
//	    n u32 end offsets (cumulative, from the start of the string bytes),
//	    the string bytes, each string followed by a NUL (counted in its
//	    end offset), then the request body inline. The strings are
//	    environ keys and values, alternately, as latin-1: Python decodes
//	    them once and, when flag 2 says no string holds a NUL, splits
//	    them at the NULs in one call; else it slices them apart by the
//	    offsets. Flag 1 means the body is not inline but in a file whose
//	    descriptor travels with the frame's first byte (SCM_RIGHTS),
//	    CONTENT_LENGTH bytes from offset 0.
//	'C' cancel. Payload: u32, the number of the request cancelled (the
//	    worker numbers the request frames it receives from 1). The client
//	    went away, or the response ran past --max-stream: the worker stops
//	    iterating the response, calls its close() and ends with 'E'. A
//	    request cancelled before it started is answered with 'A' alone
//	    and never reaches the application; a cancel for a request already
//	    answered is ignored.
//
// Requests may be pipelined: while a worker answers one request, Brick
// may send it more (at most three, or fifteen small ones; only whole
// requests with a small inline body, never behind a streamed response;
// see pipeline.go and pack.go), which the worker reads with the same recv
// and answers in order, back to back. This saves a round
// trip of thread wake-ups per request when workers are saturated. The
// worker starts a request only after it sent the previous one's end, so
// one that dies or times out cost only the request it ran: those queued
// behind it are sent to another worker.
//
// Worker to Go:
//
//	'R' ready: sent once, after the application imported. Payload: text.
//	'X' fatal: the application could not be loaded. Payload: the Python
//	    traceback (UTF-8). The worker exits after sending it.
//	'H' head: the status line and the header fields as latin-1 strings
//	    separated by NUL: status, name, value, name, value...
//	'D' data: response body bytes.
//	'E' end: the response is complete; the worker takes the next request.
//	    Its payload is empty, or on one request in sixteen a sample of
//	    one byte: 'b' if the application's thread blocked in the kernel
//	    while it ran, 'r' if not (see pack.go).
//	'A' abort: the application failed. Payload: its traceback (UTF-8).
//	    The worker takes the next request. Before any 'D' the client gets
//	    a 500; after, its connection is cut so it cannot take a truncated
//	    body for a whole one.
//
// A response is 'H' 'D'* 'E', or 'A' at any point. Frames other than 'D'
// are at most 16 MiB. Anything else is a protocol error: the request gets
// a 502 and the worker is replaced.
//
// Worker health comes only from these frames, never from exit codes: an
// application that calls os._exit(3) costs the request it held (502) and a
// new worker, nothing more.
package wsgi
