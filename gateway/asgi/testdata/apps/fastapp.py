"""A FastAPI application for the ASGI gateway's tests."""

from fastapi import FastAPI, File, Form, UploadFile
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

app = FastAPI()
STARTED = []


@app.on_event("startup")
async def startup():
    STARTED.append("startup ran")


class Item(BaseModel):
    name: str
    price: float


@app.get("/")
async def root():
    return {"hello": "fastapi", "startup": STARTED}


@app.get("/items/{item_id}")
async def read_item(item_id: int, q: str = ""):
    return {"item_id": item_id, "q": q}


@app.post("/items")
async def create_item(item: Item):
    return {"name": item.name, "double": item.price * 2}


@app.post("/upload")
async def upload(name: str = Form(...), file: UploadFile = File(...)):
    data = await file.read()
    return {"name": name, "filename": file.filename, "size": len(data)}


@app.get("/stream")
async def stream():
    async def gen():
        for i in range(3):
            yield b"chunk%d\n" % i
    return StreamingResponse(gen(), media_type="text/plain")


@app.get("/boom")
async def boom():
    raise RuntimeError("boom from fastapi")


def create_app():
    return app
