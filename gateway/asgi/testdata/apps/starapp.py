"""A Starlette application for the ASGI gateway's tests."""

import asyncio
import contextlib

from starlette.applications import Starlette
from starlette.background import BackgroundTask
from starlette.responses import JSONResponse, PlainTextResponse, StreamingResponse
from starlette.routing import Route

DONE = []


@contextlib.asynccontextmanager
async def lifespan(app):
    yield {"started": "yes"}


async def home(request):
    return PlainTextResponse("hello from starlette")


async def item(request):
    return JSONResponse({"id": request.path_params["id"], "q": request.query_params.get("q"),
                         "started": request.state.started})


async def form(request):
    f = await request.form()
    up = f["file"]
    data = await up.read()
    return JSONResponse({"name": f["name"], "filename": up.filename, "size": len(data)})


async def sse(request):
    async def events():
        for i in range(3):
            yield "data: %d\n\n" % i
            await asyncio.sleep(0.01)
    return StreamingResponse(events(), media_type="text/event-stream")


async def record():
    DONE.append("background ran")


async def background(request):
    return PlainTextResponse("queued", background=BackgroundTask(record))


async def done(request):
    return PlainTextResponse(",".join(DONE))


async def boom(request):
    raise RuntimeError("boom from starlette")


app = Starlette(routes=[
    Route("/", home), Route("/items/{id:int}", item), Route("/form", form, methods=["POST"]),
    Route("/sse", sse), Route("/background", background), Route("/done", done), Route("/boom", boom),
], lifespan=lifespan)
