"""Raw ASGI applications for the gateway's tests: no framework."""

import asyncio
import json


async def app(scope, receive, send):
    if scope["type"] == "lifespan":
        while True:
            m = await receive()
            if m["type"] == "lifespan.startup":
                scope["state"]["greeting"] = "hello from lifespan"
                await send({"type": "lifespan.startup.complete"})
            elif m["type"] == "lifespan.shutdown":
                import sys
                sys.stderr.write("rawapp: lifespan shutdown ran\n")
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    handler = ROUTES.get(path.rsplit("/", 1)[-1], hello)
    await handler(scope, receive, send)


async def respond(send, status, body, headers=()):
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"text/plain")] + list(headers)})
    await send({"type": "http.response.body", "body": body})


async def hello(scope, receive, send):
    await respond(send, 200, b"hello")


async def scope_(scope, receive, send):
    """Echoes the scope as JSON, bytes as latin-1 strings."""
    def conv(v):
        if isinstance(v, bytes):
            return {"bytes": v.decode("latin-1")}
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        return v
    await respond(send, 200, json.dumps(conv(scope)).encode())


async def echo(scope, receive, send):
    """Reads the body as it comes and answers its length and the number
    of http.request messages; sleeps between reads when ?slow."""
    n, msgs = 0, 0
    while True:
        m = await receive()
        msgs += 1
        n += len(m["body"])
        if scope["query_string"] == b"slow":
            await asyncio.sleep(0.002)
        if not m["more_body"]:
            break
    await respond(send, 200, b"%d %d" % (n, msgs))


async def stream(scope, receive, send):
    """Server-sent events: ?n events, one every 10 ms."""
    n = int(scope["query_string"] or b"3")
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/event-stream")]})
    for i in range(n):
        await send({"type": "http.response.body", "body": b"data: %d\n\n" % i, "more_body": True})
        await asyncio.sleep(0.01)
    await send({"type": "http.response.body", "body": b""})


async def big(scope, receive, send):
    """?n MiB in one send: flow control splits it."""
    n = int(scope["query_string"] or b"1")
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"x" * (n << 20)})


async def wide(scope, receive, send):
    """A body that is a memoryview of 4-byte items ("ABCD" * n, n items):
    its length in bytes is not len() of it. ?big sends 2 MiB, past the
    credit, in one send; otherwise 1, 2000 (8000 bytes) and a last piece."""
    import array
    await send({"type": "http.response.start", "status": 200, "headers": []})
    item = int.from_bytes(b"ABCD", "little")
    if scope["query_string"] == b"big":
        await send({"type": "http.response.body", "body": memoryview(array.array("I", [item] * (1 << 19)))})
        return
    for n, more in ((1, True), (2000, True), (3, False)):
        await send({"type": "http.response.body", "body": memoryview(array.array("I", [item] * n)), "more_body": more})


async def crash(scope, receive, send):
    raise RuntimeError("boom before start")


async def crashmid(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"100")]})
    await send({"type": "http.response.body", "body": b"partial", "more_body": True})
    raise RuntimeError("boom mid-stream")


async def noresponse(scope, receive, send):
    return


async def badheader(scope, receive, send):
    """A field the worker must refuse beside one it has passed before
    (content-type, as every route sends it): ?name for a bad name."""
    bad = (b"x bad", b"1") if scope["query_string"] == b"name" else (b"x-bad", b"a\r\nInjected: 1")
    await respond(send, 200, b"sent", [(b"x-ok", b"1"), bad])


async def trailers(scope, receive, send):
    await send({"type": "http.response.start", "status": 200, "headers": [], "trailers": True})


DISCONNECTS = []


async def wait_disconnect(scope, receive, send):
    """Streams until the client leaves, then records that it saw
    http.disconnect (or that send raised)."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    try:
        for i in range(100000):
            await send({"type": "http.response.body", "body": b"tick\n" * 1000, "more_body": True})
            await asyncio.sleep(0.001)
    except OSError:
        DISCONNECTS.append("send raised OSError")
        return
    DISCONNECTS.append("never")


async def disconnects(scope, receive, send):
    await respond(send, 200, ",".join(DISCONNECTS).encode())


async def sleep(scope, receive, send):
    await asyncio.sleep(float(scope["query_string"] or b"1"))
    await respond(send, 200, b"slept")


async def block(scope, receive, send):
    import time
    time.sleep(float(scope["query_string"] or b"5"))
    await respond(send, 200, b"blocked")


async def die(scope, receive, send):
    import os
    os._exit(3)


async def pid(scope, receive, send):
    import os
    await respond(send, 200, str(os.getpid()).encode())


async def frozen(scope, receive, send):
    # How many objects the worker moved to the permanent generation.
    import gc
    await respond(send, 200, str(gc.get_freeze_count()).encode())


async def sched(scope, receive, send):
    # The scheduling policy of the event loop's thread and of the
    # executor's threads.
    import asyncio
    import os
    loop = asyncio.get_running_loop()
    other = await loop.run_in_executor(None, os.sched_getscheduler, 0)
    await respond(send, 200, b"%d,%d" % (os.sched_getscheduler(0), other))


async def state(scope, receive, send):
    await respond(send, 200, scope["state"]["greeting"].encode())


ROUTES = {
    "scope": scope_, "echo": echo, "stream": stream, "big": big, "crash": crash,
    "crashmid": crashmid, "noresponse": noresponse, "trailers": trailers, "badheader": badheader,
    "wait_disconnect": wait_disconnect, "disconnects": disconnects, "sleep": sleep,
    "block": block, "die": die, "pid": pid, "state": state, "sched": sched, "wide": wide, "frozen": frozen,
}


def create_app():
    return app


async def nolifespan(scope, receive, send):
    assert scope["type"] == "http", "no lifespan here"
    await respond(send, 200, b"no lifespan")


async def failstart(scope, receive, send):
    if scope["type"] == "lifespan":
        await receive()
        await send({"type": "lifespan.startup.failed", "message": "database unreachable"})
        return


async def peek(scope, receive, send):
    """Waits without reading, then reports how many body bytes the worker
    holds for it unread (flow control bounds them), then reads all."""
    await asyncio.sleep(0.5)
    held = sum(len(c) for c in receive.__self__.chunks)
    n = 0
    while True:
        m = await receive()
        n += len(m["body"])
        if not m["more_body"]:
            break
    await respond(send, 200, b"%d %d" % (held, n))


SENT = []


async def flood(scope, receive, send):
    """Sends 64 MiB in 64 KiB pieces; records how much went out in 1 s."""
    await send({"type": "http.response.start", "status": 200, "headers": []})
    loop = asyncio.get_running_loop()
    start, n, piece = loop.time(), 0, b"y" * 65536
    recorded = False
    while n < 64 << 20:
        await send({"type": "http.response.body", "body": piece, "more_body": True})
        n += len(piece)
        if not recorded and loop.time() - start > 1:
            SENT.append(n)
            recorded = True
    if not recorded:
        SENT.append(n)
    await send({"type": "http.response.body", "body": b""})


async def sent(scope, receive, send):
    await respond(send, 200, b",".join(b"%d" % n for n in SENT))

ROUTES.update({"peek": peek, "flood": flood, "sent": sent})


async def background(scope, receive, send):
    """Answers at once, then works on for 0.5 s after the response."""
    await respond(send, 200, b"queued")
    await asyncio.sleep(0.5)
    import sys
    sys.stderr.write("rawapp: background work finished\n")

ROUTES["background"] = background


async def pathsend(scope, receive, send):
    """Sends this file itself with the pathsend extension."""
    assert "http.response.pathsend" in scope["extensions"]
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/x-python")]})
    await send({"type": "http.response.pathsend", "path": __file__})

ROUTES["pathsend"] = pathsend
