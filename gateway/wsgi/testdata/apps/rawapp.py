"""A bare WSGI application for Brick's gateway tests: each route exercises
one rule of PEP 3333 with no framework in between.

Unknown paths answer 200 with the environ's str entries as JSON, so that a
test can see what the gateway passed (and a 404 can only be the gateway's).
close() calls on response iterables are appended, one name per line, to the
file named by RAWAPP_CLOSE_LOG.
"""

import hashlib
import io
import json
import os
import sys
import time
from urllib.parse import parse_qs
from wsgiref.validate import validator

BIG = b"0123456789abcdef" * (5 * 1024 * 1024 // 16)  # 5 MiB


def record_close(name):
    path = os.environ.get("RAWAPP_CLOSE_LOG")
    if path and name:
        with open(path, "a") as f:
            f.write(name + "\n")


class Body:
    """A response iterable with close(), as PEP 3333 allows."""

    def __init__(self, name, chunks, pause=0.0, fail_at=None):
        self.name, self.chunks, self.pause, self.fail_at = name, chunks, pause, fail_at

    def __iter__(self):
        for i, chunk in enumerate(self.chunks):
            if i == self.fail_at:
                raise RuntimeError("boom mid-iteration")
            yield chunk
            if self.pause:
                time.sleep(self.pause)

    def close(self):
        record_close(self.name)


def text(start_response, body, status="200 OK", extra=()):
    body = body.encode() if isinstance(body, str) else body
    start_response(status, [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))] + list(extra))
    return [body]


def read_input(inp, how):
    """Reads the whole body with one of wsgi.input's methods; returns the
    bytes and the longest piece one call returned."""
    parts = []
    if how == "read":
        while True:
            b = inp.read(1000)
            if not b:
                break
            parts.append(b)
    elif how == "readall":
        parts.append(inp.read())
    elif how == "readline":
        while True:
            b = inp.readline(100)
            if not b:
                break
            parts.append(b)
    elif how == "readlines":
        parts = inp.readlines()
    elif how == "iter":
        parts = list(inp)
    elif how == "mixed":
        parts = [inp.read(5), inp.readline(), inp.readline(7), inp.read(3)] + inp.readlines()
    else:
        raise ValueError("unknown read method %r" % how)
    return b"".join(parts), max([len(p) for p in parts] or [0])


def application(environ, start_response):
    path = environ["PATH_INFO"]
    q = {k: v[0] for k, v in parse_qs(environ["QUERY_STRING"]).items()}

    if path == "/hello":
        return text(start_response, "Hello, World!")

    if path == "/pid":
        # ?sleep=S: an application that waits (for a database, say).
        if "sleep" in q:
            time.sleep(float(q["sleep"]))
        return text(start_response, str(os.getpid()))

    if path == "/frozen":
        # How many objects the worker moved to the permanent generation.
        import gc
        return text(start_response, str(gc.get_freeze_count()))

    if path == "/sched":
        # The scheduling policy of this thread and of a thread it starts.
        import threading
        seen = []
        t = threading.Thread(target=lambda: seen.append(os.sched_getscheduler(0)))
        t.start()
        t.join()
        return text(start_response, "%d,%d" % (os.sched_getscheduler(0), seen[0]))

    if path == "/write":
        # The write() callable, then an iterable after it.
        write = start_response("200 OK", [("Content-Type", "text/plain")])
        write(b"one,")
        write(b"two,")
        return [b"three"]

    if path == "/close":
        name = q.get("name", "")
        mode = q.get("mode", "normal")
        start_response("200 OK", [("Content-Type", "text/plain")])
        if mode == "normal":
            return Body(name, [b"a", b"b", b"c"])
        if mode == "slow":  # 1 KiB every 50 ms for 10 s
            return Body(name, [b"x" * 1024] * 200, pause=0.05)
        if mode == "raise":
            return Body(name, [b"first", b"never"], pause=0.3, fail_at=1)
        raise ValueError(mode)

    if path == "/ticks":
        # A stream of n events, one every `every` seconds (server-sent
        # events), then a silence of `stall` seconds before the end.
        n, every, stall = int(q.get("n", "3")), float(q.get("every", "0.1")), float(q.get("stall", "0"))
        start_response(q.get("status", "200 OK"), [("Content-Type", "text/event-stream")])
        chunks = [("data: %d\n\n" % i).encode() for i in range(n)]

        def gen():
            yield from Body(q.get("name", ""), chunks, pause=every)
            time.sleep(stall)
            yield b"data: end\n\n"

        body = gen()

        class Closing:
            def __iter__(self):
                return body

            def close(self):
                record_close(q.get("name", ""))

        return Closing()

    if path == "/excinfo/before":
        # An error before anything was sent: start_response again with
        # exc_info replaces the status and headers.
        start_response("200 OK", [("Content-Type", "text/plain"), ("X-First", "yes")])
        try:
            raise ValueError("caught by the app")
        except ValueError:
            start_response("503 Replaced", [("Content-Type", "text/plain")], sys.exc_info())
        return [b"replaced"]

    if path == "/excinfo/after":
        # An error after the head went out: start_response with exc_info
        # must re-raise, and the client must not get a clean response.
        def gen():
            yield b"first"
            time.sleep(0.3)
            try:
                raise ValueError("too late")
            except ValueError:
                start_response("500 Oops", [("Content-Type", "text/plain")], sys.exc_info())
            yield b"unreachable"

        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()

    if path == "/file":
        wrap = environ["wsgi.file_wrapper"]
        if "path" in q:
            f = open(q["path"], "rb")
            f.seek(int(q.get("seek", "0")))
        elif "pipe" in q:
            # A pipe holding that many bytes whose writer stays open while
            # the response is sent: a read past them would wait forever.
            r, w = os.pipe()
            os.write(w, b"p" * int(q["pipe"]))
            f = os.fdopen(r, "rb", buffering=0)
            wrapper = wrap(f, 8192)
            wrapper.close = lambda: (f.close(), os.close(w))
            start_response("200 OK", [("Content-Type", "application/octet-stream"), ("Content-Length", q["length"])])
            return wrapper
        else:  # not a real file: the wrapper is iterated
            f = io.BytesIO(BIG)
        headers = [("Content-Type", "application/octet-stream")]
        if "length" in q:  # the application's Content-Length bounds the file (PEP 3333)
            headers.append(("Content-Length", q["length"]))
        start_response("200 OK", headers)
        return wrap(f, 8192)

    if path == "/badheader":
        headers = {
            "crlf": ("X-Bad", "a\r\nInjected: yes"),
            "lf": ("X-Bad", "a\nInjected: yes"),
            "nul": ("X-Bad", "a\0b"),
            "latin1": ("X-Euro", "\u20ac"),
            "name": ("Bad Name", "x"),
            "connection": ("Connection", "close"),
            "transfer-encoding": ("Transfer-Encoding", "chunked"),
            "keep-alive": ("Keep-Alive", "timeout=5"),
            "upgrade": ("Upgrade", "websocket"),
            "ctl": ("X-Bad", "a\x01b"),
            "del": ("X-Bad", "a\x7fb"),
            "ctl-name": ("X\x01Bad", "x"),
            "empty-name": ("", "x"),
            "bad-length": ("Content-Length", "abc"),
            "negative-length": ("Content-Length", "-1"),
            "two-lengths": ("Content-Length", "3"),  # after a "1"
        }[q["kind"]]
        extra = [("Content-Length", "1")] if q["kind"] == "two-lengths" else []
        start_response("200 OK", [("Content-Type", "text/plain")] + extra + [headers])
        return [b"should not be seen"]

    if path == "/ows":
        # Whitespace around header values, which is not part of them.
        start_response("200 OK", [("Content-Type", "text/plain"), ("Set-Cookie", " a=b "), ("X-Tab", "\tx y\t"), ("Content-Length", " 2")])
        return [b"ok"]

    if path == "/nobody":
        # A status without a body (204, 304) and a body all the same,
        # whole or streamed: the body must be dropped, the answer kept.
        start_response(q["s"], [("ETag", '"x"')])
        if q.get("stream"):

            def gen():
                yield b"body"
                time.sleep(0.1)
                yield b"more"

            return gen()
        return [b"body"]

    if path == "/status":
        # A status the gateway cannot send: 1xx, past 599, not ASCII digits.
        start_response(q["s"], [("Content-Type", "text/plain")])
        return [b"should not be seen"]

    if path == "/cl":
        # The application's own Content-Length, honest or not.
        body = b"x" * int(q["body"])
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", q["declared"])])
        if q.get("stream"):
            return iter([body[: len(body) // 2], body[len(body) // 2 :]])
        return [body]

    if path == "/input":
        inp = environ["wsgi.input"]
        data, longest = read_input(inp, q["how"])
        after = inp.read() + inp.read(10) + inp.readline()
        reply = {
            "len": len(data),
            "sha": hashlib.sha256(data).hexdigest(),
            "longest": longest,
            "after": len(after),
            "content_length": environ.get("CONTENT_LENGTH"),
        }
        return text(start_response, json.dumps(reply))

    if path == "/sleep":
        time.sleep(float(q.get("s", "1")))
        record_close(q.get("note", ""))  # proof that the application finished
        return text(start_response, "slept")

    if path == "/big":
        return text(start_response, BIG)

    if path == "/stream":

        def gen():
            for i in range(3):
                yield ("chunk %d\n" % i).encode()
                time.sleep(0.3)

        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()

    if path == "/lazy":
        # start_response from inside the iterable, before its first item.
        def gen():
            start_response("200 OK", [("Content-Type", "text/plain"), ("X-Lazy", "yes")])
            yield b""
            yield b"lazy"

        return gen()

    if path == "/twice":
        start_response("200 OK", [("Content-Type", "text/plain")])
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"should not be seen"]

    if path == "/crashstream":
        def gen():
            yield b"first"
            time.sleep(0.3)
            os._exit(3)

        start_response("200 OK", [("Content-Type", "text/plain")])
        return gen()

    if path == "/error":
        raise RuntimeError("boom from rawapp")

    if path == "/crash":
        time.sleep(float(q.get("after", "0")))
        os._exit(3)

    if environ.get("CONTENT_LENGTH"):
        environ["wsgi.input"].read()
    keep = {k: v for k, v in environ.items() if isinstance(v, str)}
    return text(start_response, json.dumps(keep, sort_keys=True))


def plain(environ, start_response):
    """An application that stays within what wsgiref.validate checks: it
    reads the body with read(n), as the validator insists, and answers
    every request with what it saw."""
    inp = environ["wsgi.input"]
    n = int(environ.get("CONTENT_LENGTH") or 0)
    body = b""
    while len(body) < n:
        b = inp.read(min(65536, n - len(body)))
        if not b:
            break
        body += b
    reply = "%s %s?%s %d %s" % (
        environ["REQUEST_METHOD"],
        environ["PATH_INFO"],
        environ["QUERY_STRING"],
        len(body),
        hashlib.sha256(body).hexdigest(),
    )
    if environ["PATH_INFO"] == "/violate":  # a str body: the validator must object
        start_response("200 OK", [("Content-Type", "text/plain")])
        return ["not bytes"]
    if environ["PATH_INFO"] == "/stream":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return iter([reply.encode(), b"\n", b"end"])
    return text(start_response, reply)


validated = validator(plain)
