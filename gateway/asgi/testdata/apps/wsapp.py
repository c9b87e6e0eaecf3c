"""WebSocket routes for the ASGI gateway's tests: FastAPI and Starlette
routes, and raw ASGI ones for what the frameworks do not offer (the denial
response)."""

import asyncio
import os

from fastapi import FastAPI, WebSocket, WebSocketDisconnect
from starlette.responses import JSONResponse
from starlette.routing import WebSocketRoute

app = FastAPI()
SEEN = {"disconnects": [], "sent": 0, "after": None}


@app.websocket("/echo")
async def echo(ws: WebSocket):
    """Echoes; "close:CODE" closes with CODE; records the client's code."""
    sub = ws.scope["subprotocols"][0] if ws.scope["subprotocols"] else None
    await ws.accept(subprotocol=sub, headers=[(b"x-brick", b"yes")])
    try:
        while True:
            m = await ws.receive()
            if m["type"] == "websocket.disconnect":
                SEEN["disconnects"].append(m["code"])
                return
            if m.get("text", "").startswith("close:"):
                await ws.close(int(m["text"][6:]), "asked to")
                return
            if m.get("text") == "pid":
                await ws.send_text(str(os.getpid()))
            elif m.get("text") == "scheme":
                await ws.send_text(ws.scope["scheme"])
            elif m.get("text") is not None:
                await ws.send_text(m["text"])
            else:
                await ws.send_bytes(m["bytes"])
    except WebSocketDisconnect as e:
        SEEN["disconnects"].append(e.code)


async def star_echo(ws):
    """A plain Starlette route: echoes text until the client leaves."""
    await ws.accept()
    try:
        while True:
            await ws.send_text("star:" + await ws.receive_text())
    except WebSocketDisconnect:
        pass


app.router.routes.append(WebSocketRoute("/star", star_echo))


@app.websocket("/refuse")
async def refuse(ws: WebSocket):
    await ws.close(1008)


@app.websocket("/flood")
async def flood(ws: WebSocket):
    """Sends 64 KiB messages as fast as it may, counting them."""
    await ws.accept()
    SEEN["sent"] = 0
    msg = b"x" * (64 << 10)
    try:
        while True:
            await ws.send_bytes(msg)
            SEEN["sent"] += 1
    except OSError:
        pass


@app.websocket("/after")
async def after(ws: WebSocket):
    """Waits for the disconnect, then sends: ASGI 2.4 raises an OSError."""
    await ws.accept()
    m = await ws.receive()
    while m["type"] != "websocket.disconnect":
        m = await ws.receive()
    try:
        await ws._send({"type": "websocket.send", "text": "too late"})
        SEEN["after"] = "sent"
    except OSError:
        SEEN["after"] = "OSError"
    except Exception as e:
        SEEN["after"] = repr(e)


@app.websocket("/boom")
async def boom(ws: WebSocket):
    await ws.accept()
    await ws.receive_text()
    raise RuntimeError("boom")


@app.get("/seen")
async def seen():
    return JSONResponse(SEEN)


async def deny(scope, receive, send):
    """The denial response extension, raw."""
    assert "websocket.http.response" in scope["extensions"]
    await receive()
    await send({"type": "websocket.http.response.start", "status": 401,
                "headers": [(b"content-type", b"text/plain"), (b"www-authenticate", b"Bearer")]})
    await send({"type": "websocket.http.response.body", "body": b"den", "more_body": True})
    await send({"type": "websocket.http.response.body", "body": b"ied"})


async def longpoll(scope, receive, send):
    """Never answers: waits for the http.disconnect of a client that left."""
    SEEN["longpoll"] = "waiting"
    await receive()
    SEEN["longpoll"] = (await receive())["type"]


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == "/longpoll":
        return await longpoll(scope, receive, send)
    if scope["type"] == "websocket" and scope["path"] == "/deny":
        return await deny(scope, receive, send)
    return await app(scope, receive, send)
