"""Brick's ASGI worker: one Python process, one asyncio event loop, many
connection scopes in flight.

Brick (the Go server) starts this program with the application's
"module:callable" as its argument and a Unix socket as file descriptor 3.
The worker imports the application, runs its lifespan startup, says
"ready", then serves the scopes Brick starts on the socket until the socket
closes, when it runs the lifespan shutdown and leaves. The frame format is
described in gateway/asgi/doc.go; this file must stay in step with
gateway/asgi/codec.go. Only the standard library is used (uvloop when the
interpreter has it).
"""

import asyncio
import faulthandler
import gc
import importlib
import inspect
import os
import re
import signal
import socket
import struct
import sys
import traceback

from _brick_asgi_ws import WebSocketStream

_HDR = struct.Struct("<BII")
_U32 = struct.Struct("<I")
_START = struct.Struct("<III")
_WINDOW = 256 << 10
# A head frame's status, by code.
_STATUS = [b"%03d" % code for code in range(600)]
_MAX_FRAME = 1 << 30
_ASGI = {"version": "3.0", "spec_version": "2.4"}

_TOKEN = re.compile(rb"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CTL = re.compile(b"[\x00-\x08\x0a-\x1f\x7f]")
# Response header pairs (tuples of bytes) that passed check_headers: most
# responses repeat their fields, and a set lookup is a fraction of the
# two regular expressions.
_GOOD = set()
# The end-offset tables of start frames, by string count (the count is a
# function of the header count, so there are few).
_ENDS = {}
# The HTTP version, method and scheme of start frames, decoded once
# (build_scope).
_FIXED = {}
# Clients' hosts, and the listeners' address tuples, decoded once.
_HOSTS = {}
_SERVERS = {}


class ClientDisconnected(OSError):
    """send() on a connection whose client has gone (ASGI 2.4)."""


class ProtocolError(Exception):
    """Brick sent something this worker does not understand."""


def frame(typ, stream, payload=b""):
    return _HDR.pack(typ, stream, len(payload)) + payload


def check_headers(headers, out=None):
    """Encodes response headers as NUL-separated names and values
    (appended to out), refusing what would break the response's framing."""
    if out is None:
        out = []
    good = _GOOD
    for pair in headers:
        try:
            if pair in good:
                out += pair
                continue
        except TypeError:
            pass  # a list, or a tuple holding a bytearray: checked below
        name, value = pair
        if type(name) is not bytes:
            name = bytes(name)
        if type(value) is not bytes:
            value = bytes(value)
        if _TOKEN.fullmatch(name) is None:
            raise ValueError("invalid header name %r" % name)
        if _CTL.search(value):
            raise ValueError("invalid header value %r for %r" % (value, name))
        out.append(name)
        out.append(value)
        if type(pair) is tuple and type(pair[0]) is bytes and type(pair[1]) is bytes and len(value) <= 256:
            if len(good) >= 1024:
                good.clear()  # many distinct fields (cookies, dates): start again
            good.add(pair)
    return out


class HTTPStream:
    """One http scope: its request body queue, its response state and the
    credit it has to send response bytes."""

    __slots__ = ("conn", "id", "chunks", "body_done", "counted", "gone", "started",
                 "done", "credit", "waiters", "task", "body_ended")

    def __init__(self, conn, sid, body, more):
        self.conn = conn
        self.id = sid
        self.chunks = [body] if body or not more else []
        self.body_done = not more
        self.counted = []  # parallel to chunks: bytes to credit back on read
        if self.chunks:
            self.counted.append(0)
        self.gone = False
        self.started = False
        self.done = False
        self.body_ended = False  # the more_body False message was received
        self.credit = _WINDOW
        self.waiters = []  # receive() and send() may wait at once
        self.task = None

    def wake(self):
        if not self.waiters:
            return
        ws, self.waiters = self.waiters, []
        for w in ws:
            if not w.done():
                w.set_result(None)

    async def wait(self):
        w = self.conn.loop.create_future()
        self.waiters.append(w)
        await w

    async def receive(self):
        while True:
            if self.chunks:
                # What arrived since the last receive() goes up as one
                # message: frameworks pay per message (a multipart parser
                # call, a thread hop to spool a file), not per byte.
                if len(self.chunks) == 1:
                    data = self.chunks[0]
                else:
                    data = b"".join(self.chunks)
                n = sum(self.counted)
                self.chunks.clear()
                self.counted.clear()
                if n and not self.done:
                    self.conn.write(frame(0x57, self.id, _U32.pack(n)))  # 'W'
                more = not self.body_done
                self.body_ended = not more
                return {"type": "http.request", "body": data, "more_body": more}
            if self.body_done and not self.body_ended and not self.gone:
                self.body_ended = True
                return {"type": "http.request", "body": b"", "more_body": False}
            if self.gone or self.done:
                return {"type": "http.disconnect"}
            await self.wait()

    async def send(self, message):
        t = message["type"]
        if self.gone:
            raise ClientDisconnected("the client disconnected")
        if t == "http.response.start":
            if self.started:
                raise RuntimeError("http.response.start sent twice")
            if message.get("trailers"):
                raise RuntimeError("this server does not offer http.response.trailers")
            status = int(message["status"])
            if not 200 <= status <= 599:
                # An informational (1xx) status is not a response: the
                # app would have no way to send the final one.
                raise ValueError("invalid status %r: a response status is from 200 to 599" % status)
            head = b"\0".join(check_headers(message.get("headers", ()), [_STATUS[status]]))
            self.started = True
            # The connection's batch of this loop iteration carries it,
            # with the body when the application sends it at once.
            self.conn.write(_HDR.pack(0x48, self.id, len(head)) + head)  # 'H'
            return
        if t == "http.response.body":
            if not self.started:
                raise RuntimeError("http.response.body before http.response.start")
            if self.done:
                raise RuntimeError("http.response.body after the response ended")
            body = message.get("body", b"")
            if type(body) is not bytes:
                # Any bytes-like body as its bytes: len() of a memoryview
                # counts items, which may be wider than a byte.
                body = bytes(body)
            more = message.get("more_body", False)
            n = len(body)
            if n <= self.credit:
                # The common case, a body within the credit: its frames
                # join the connection's batch, a small body's as one
                # piece with the end frame.
                conn = self.conn
                sid = self.id
                if not more:
                    if not n:
                        conn.write(_HDR.pack(0x45, sid, 0))  # 'E'
                    elif n <= 4096:
                        conn.write(_HDR.pack(0x44, sid, n) + body + _HDR.pack(0x45, sid, 0))  # 'D', 'E'
                    else:
                        conn.write(_HDR.pack(0x44, sid, n))  # 'D'
                        conn.write(body)
                        conn.write(_HDR.pack(0x45, sid, 0))  # 'E'
                    self.credit -= n
                    self.done = True
                    conn.finish(self)
                elif n:
                    self.credit -= n
                    conn.write(_HDR.pack(0x44, sid, n))  # 'D'
                    conn.write(body)
                return
            out = []
            mv = memoryview(body)
            while len(mv):
                if self.credit <= 0:
                    if out:
                        self.conn.write(b"".join(out))
                        out = []
                    await self.wait()
                    if self.gone:
                        raise ClientDisconnected("the client disconnected")
                    continue
                piece = mv[: self.credit]
                self.credit -= len(piece)
                out.append(_HDR.pack(0x44, self.id, len(piece)))  # 'D'
                out.append(piece)
                mv = mv[len(piece):]
            if not more:
                self.done = True
                out.append(_HDR.pack(0x45, self.id, 0))  # 'E'
                self.conn.finish(self)
            if out:
                self.conn.write(b"".join(out))
            return
        if t == "http.response.pathsend":
            # Brick opens the file and sends it (sendfile(2)); the
            # response ends with it.
            if not self.started or self.done:
                raise RuntimeError("http.response.pathsend outside a started response")
            path = message["path"]
            if not os.path.isabs(path):
                raise ValueError("http.response.pathsend path %r is not absolute" % path)
            self.done = True
            self.conn.write(frame(0x59, self.id, os.fsencode(path)))  # 'Y'
            self.conn.finish(self)
            return
        raise RuntimeError("unexpected ASGI message %r for an http scope" % t)

    async def run(self, app, scope):
        try:
            await app(scope, self.receive, self.send)
            if not self.done and self.gone:
                self.abort("")
            elif not self.done:
                raise RuntimeError("the application returned without completing its response")
        except asyncio.CancelledError:
            if not self.gone or self.conn.transport.is_closing():
                raise
            sys.stderr.write("asgi: %s %s cancelled (timeout): no response start in time\n" % (scope["method"], scope["path"]))
            self.abort("")
        except BaseException:
            if self.gone:
                self.abort("")
            elif self.done:
                sys.stderr.write("asgi: the application raised after its response was complete:\n" + traceback.format_exc())
            else:
                self.abort(traceback.format_exc())
        finally:
            # The task leaves the connection's set itself: no done
            # callback per request.
            self.conn.tasks.discard(self.task)

    def abort(self, why):
        if self.done:
            return
        self.done = True
        self.conn.write(frame(0x41, self.id, why.encode("utf-8", "replace")))  # 'A'
        self.conn.finish(self)


def build_scope(buf, start, end, state):
    kind, flags, n = _START.unpack_from(buf, start)
    table = start + 12
    ends_of = _ENDS.get(n)
    if ends_of is None:
        ends_of = _ENDS[n] = struct.Struct("<%dI" % n)
    ends = ends_of.unpack_from(buf, table)
    # One copy of the strings and the body; slicing bytes copies once
    # more, where slicing the bytearray and then converting would twice.
    payload = bytes(buf[table + 4 * n:end])
    e0, e1, e2, e3, e4, e5, e6, e7, e8, e9, e10 = ends[:11]
    # The strings before the path repeat from request to request: one
    # lookup finds them decoded. The key is their concatenation, so the
    # entry also records where they split.
    key = payload[:e2]
    fixed = _FIXED.get(key)
    if fixed is None or fixed[0] != e0 or fixed[1] != e1:
        if len(_FIXED) > 64:
            _FIXED.clear()
        fixed = _FIXED[key] = (e0, e1, payload[:e0].decode("latin-1"),
                               payload[e0:e1].decode("latin-1"), payload[e1:e2].decode("latin-1"))
    _, _, version, method, scheme = fixed
    headers = []
    pairs = iter(ends[11:])
    prev = e10
    for name_end in pairs:
        value_end = next(pairs)
        headers.append((payload[prev:name_end], payload[name_end:value_end]))
        prev = value_end
    client = server = None
    if e7 > e6:
        hosts = _HOSTS
        host = payload[e6:e7]
        decoded = hosts.get(host)
        if decoded is None:
            if len(hosts) >= 512:
                hosts.clear()  # many clients' addresses: start again
            decoded = hosts[host] = host.decode("latin-1")
        client = (decoded, int(payload[e7:e8]))
    if e9 > e8:
        # The listener's address: the same tuple for every request. The
        # key is host and port together; the entry records their split.
        key = payload[e8:e10]
        got = _SERVERS.get(key)
        if got is None or got[0] != e9 - e8:
            if len(_SERVERS) >= 64:
                _SERVERS.clear()
            got = _SERVERS[key] = (e9 - e8, (payload[e8:e9].decode("latin-1"), int(payload[e9:e10])))
        server = got[1]
    body = payload[prev:]
    scope = {
        "type": "http",
        "asgi": _ASGI,
        "http_version": version,
        "method": method,
        "scheme": scheme,
        "path": payload[e2:e3].decode("utf-8", "replace"),
        "raw_path": payload[e3:e4],
        "query_string": payload[e4:e5],
        "root_path": payload[e5:e6].decode("utf-8", "replace") if e6 > e5 else "",
        "headers": headers,
        "client": client,
        "server": server,
        "extensions": {"http.response.pathsend": {}},
    }
    if kind == 2:
        scope["type"] = "websocket"
        scope["scheme"] = "wss" if scheme == "https" else "ws"
        del scope["method"]
        protos = []
        for name, value in headers:
            if name == b"sec-websocket-protocol":
                protos.extend(p.strip().decode("latin-1") for p in value.split(b",") if p.strip())
        scope["subprotocols"] = protos
        scope["extensions"] = {"websocket.http.response": {}}
    if state is not None:
        scope["state"] = dict(state)
    return kind, flags, scope, body


class Conn(asyncio.Protocol):
    """The socket to Brick: parses frames and dispatches them by stream."""

    def __init__(self, app, loop, state):
        self.app = app
        self.loop = loop
        self.state = state
        self.streams = {}
        # Every scope's task, including those whose response is complete
        # but that still run (background tasks): the worker waits for them
        # before it leaves.
        self.tasks = set()
        self.buf = bytearray()
        # Frames for Brick queued during this turn of the event loop,
        # written with one write at its end (flush): a batch of responses
        # costs one system call, and so does a head and its body.
        self.out = []
        self.transport = None
        self.closed = loop.create_future()

    check_headers = staticmethod(check_headers)
    disconnected = ClientDisconnected

    def connection_made(self, transport):
        self.transport = transport

    def write(self, data):
        out = self.out
        if not out:
            self.loop.call_soon(self.flush)
        out.append(data)

    def flush(self):
        out, self.out = self.out, []
        if not self.transport.is_closing():
            self.transport.write(out[0] if len(out) == 1 else b"".join(out))

    def finish(self, st):
        self.streams.pop(st.id, None)
        st.wake()

    def connection_lost(self, exc):
        for st in list(self.streams.values()):
            st.gone = True
            if st.task is not None:
                st.task.cancel()
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data):
        buf = self.buf
        if buf:
            buf += data
            data = buf
        # else the frames are parsed from data as it came, without a
        # copy: most reads end on a frame boundary.
        pos = 0
        n = len(data)
        while n - pos >= 9:
            typ, sid, length = _HDR.unpack_from(data, pos)
            if length > _MAX_FRAME:
                raise ProtocolError("frame too large")
            end = pos + 9 + length
            if end > n:
                break
            self.dispatch(typ, sid, data, pos + 9, end)
            pos = end
        if data is buf:
            del buf[:pos]
        elif pos < n:
            buf += memoryview(data)[pos:]

    def dispatch(self, typ, sid, buf, start, end):
        if typ == 0x53:  # 'S'
            kind, flags, scope, body = build_scope(buf, start, end, self.state)
            if kind == 2:
                st = WebSocketStream(self, sid, HTTPStream)
            else:
                st = HTTPStream(self, sid, body, flags & 1)
            self.streams[sid] = st
            st.task = task = self.loop.create_task(st.run(self.app, scope))
            self.tasks.add(task)
            if kind == 2:
                task.add_done_callback(self.tasks.discard)
            # An http scope's task leaves the set itself (HTTPStream.run).
            return
        if typ == 0x50:  # 'P'
            self.write(frame(0x70, 0))  # 'p'
            return
        st = self.streams.get(sid)
        if st is None:
            return  # the scope ended while this frame was on its way
        if type(st) is WebSocketStream:
            if not st.on_frame(typ, buf, start, end):
                raise ProtocolError("unexpected frame %r" % chr(typ))
            return
        if typ == 0x42:  # 'B'
            data = bytes(buf[start:end])
            st.chunks.append(data)
            st.counted.append(len(data))
        elif typ == 0x46:  # 'F'
            st.body_done = True
        elif typ == 0x57:  # 'W'
            st.credit += _U32.unpack_from(buf, start)[0]
        elif typ == 0x43:  # 'C'
            st.gone = True
        elif typ == 0x4B:  # 'K'
            st.gone = True
            if st.task is not None:
                st.task.cancel()
        else:
            raise ProtocolError("unexpected frame %r" % chr(typ))
        st.wake()


class Lifespan:
    """Runs the application's lifespan scope, as uvicorn's "auto": an
    application that fails before it answers the startup event does not
    support lifespan, and is served without it."""

    def __init__(self, app, loop):
        self.app = app
        self.loop = loop
        self.state = {}
        self.events = asyncio.Queue()
        self.answer = asyncio.Queue()
        self.task = None
        self.supported = True

    async def receive(self):
        return await self.events.get()

    async def send(self, message):
        await self.answer.put(message)

    async def run(self):
        scope = {"type": "lifespan", "asgi": _ASGI, "state": self.state}
        try:
            await self.app(scope, self.receive, self.send)
        except BaseException as e:
            await self.answer.put({"type": "_error", "error": traceback.format_exc(), "exc": e})
        else:
            await self.answer.put({"type": "_returned"})

    async def startup(self):
        """Returns None when started (or lifespan is unsupported), else the
        failure message."""
        self.task = self.loop.create_task(self.run())
        await self.events.put({"type": "lifespan.startup"})
        m = await self.answer.get()
        t = m["type"]
        if t == "lifespan.startup.complete":
            return None
        if t == "lifespan.startup.failed":
            return m.get("message", "") or "lifespan.startup.failed"
        self.supported = False
        if t == "_error":
            sys.stderr.write("asgi: the application does not support lifespan; serving without it:\n" + m["error"])
        return None

    async def shutdown(self):
        if not self.supported or self.task.done():
            return
        await self.events.put({"type": "lifespan.shutdown"})
        try:
            m = await asyncio.wait_for(self.answer.get(), 30)
        except asyncio.TimeoutError:
            sys.stderr.write("asgi: lifespan shutdown did not complete within 30 s\n")
            return
        if m["type"] == "lifespan.shutdown.failed":
            sys.stderr.write("asgi: lifespan shutdown failed: %s\n" % m.get("message", ""))
        elif m["type"] == "_error":
            sys.stderr.write("asgi: lifespan shutdown raised:\n" + m["error"])


def load(spec):
    """Imports "module:callable" (default "app"; a trailing "()" calls a
    factory without arguments). An ASGI 2 application (a class taking the
    scope) is not supported: it would need a wrapper per scope."""
    module, _, name = spec.partition(":")
    name = name or "app"
    mod = importlib.import_module(module)
    call = name.endswith("()")
    if call:
        name = name[:-2]
    obj = mod
    for part in name.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AttributeError("module %r has no attribute %r" % (module, name)) from None
    if call:
        obj = obj()
    if not callable(obj):
        raise TypeError("%s is not callable" % spec)
    return obj


async def serve(sock, spec):
    loop = asyncio.get_running_loop()
    try:
        app = load(spec)
    except BaseException:
        sock.sendall(frame(0x58, 0, traceback.format_exc().encode("utf-8", "replace")))  # 'X'
        return 1
    life = Lifespan(app, loop)
    failed = await life.startup()
    if failed is not None:
        sock.sendall(frame(0x58, 0, ("lifespan startup failed: " + failed).encode("utf-8", "replace")))
        return 1
    state = life.state if life.supported else None
    settle()
    kind = "uvloop" if "uvloop" in type(loop).__module__ else "asyncio"
    info = ("pid=%d python=%s app=%s loop=%s" % (os.getpid(), sys.version.split()[0], spec, kind)).encode()
    sock.sendall(frame(0x52, 0, info))  # 'R'
    sock.setblocking(False)
    _, conn = await loop.connect_accepted_socket(lambda: Conn(app, loop, state), sock)
    await conn.closed
    # Brick retires a worker once no response is in flight; what still
    # runs (background tasks after a response) may finish, within Brick's
    # grace period, before the lifespan shutdown.
    if conn.tasks:
        await asyncio.wait(list(conn.tasks), timeout=25)
    await life.shutdown()
    return 0


def settle():
    """Moves what the import and the startup made into the permanent
    generation (after collecting their garbage): the collector's full
    passes then skip the application's modules, classes and caches, which
    never become garbage while the worker lives. Measured with FastAPI: a
    full pass over them was a request's wait of several milliseconds, and
    p99 fell from about 10 ms to 5 ms."""
    gc.collect()
    gc.freeze()


def set_scheduling():
    """Takes the CPU scheduling policy Brick asks for (its scheduling
    setting: batch or normal) before anything starts a thread or a
    process, which inherit it. Under SCHED_BATCH a worker woken by a
    request does not preempt Brick on a busy CPU, so Brick hands over what
    is ready first."""
    policy = os.environ.pop("BRICK_WORKER_SCHEDULING", None)
    if not hasattr(os, "SCHED_BATCH"):
        return
    want = {"batch": os.SCHED_BATCH, "normal": os.SCHED_OTHER}.get(policy)
    # "normal" is set too: Brick may itself run under another policy (chrt,
    # a systemd unit), which its workers would otherwise inherit.
    if want is None or os.sched_getscheduler(0) == want:
        return
    try:
        os.sched_setscheduler(0, want, os.sched_param(0))
    except OSError as e:
        sys.stderr.write("worker: cannot set the %s scheduling policy (%s); running under the one inherited\n" % (policy, e))


def main():
    set_scheduling()
    spec = sys.argv[1]
    sock = socket.socket(fileno=3)
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    for sig in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM):
        signal.signal(sig, signal.SIG_IGN)
    sys.path.insert(0, os.getcwd())
    try:
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    except ImportError:
        pass
    code = asyncio.run(serve(sock, spec))
    sys.exit(code)


if __name__ == "__main__":
    main()
