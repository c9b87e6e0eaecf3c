"""The ASGI benchmark applications: a raw ASGI hello (any path), a raw
WebSocket echo, and a
FastAPI hello returning JSON at /hello, the path the harness requests."""

from fastapi import FastAPI


async def raw(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")]})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


async def wsecho(scope, receive, send):
    """A raw ASGI WebSocket echo (any path); http gets raw's hello, which
    the harness asks for to know the server is up."""
    if scope["type"] == "http":
        return await raw(scope, receive, send)
    if scope["type"] != "websocket":
        return
    await receive()  # websocket.connect
    await send({"type": "websocket.accept"})
    while True:
        m = await receive()
        if m["type"] == "websocket.disconnect":
            return
        if m.get("text") is not None:
            await send({"type": "websocket.send", "text": m["text"]})
        else:
            await send({"type": "websocket.send", "bytes": m["bytes"]})


fast = FastAPI()


@fast.get("/hello")
async def hello():
    return {"message": "Hello, World!"}
