"""The ASGI benchmark applications: a raw ASGI hello (any path) and a
FastAPI hello returning JSON at /hello, the path the harness requests."""

from fastapi import FastAPI


async def raw(scope, receive, send):
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"text/plain"), (b"content-length", b"13")]})
    await send({"type": "http.response.body", "body": b"Hello, World!"})


fast = FastAPI()


@fast.get("/hello")
async def hello():
    return {"message": "Hello, World!"}
