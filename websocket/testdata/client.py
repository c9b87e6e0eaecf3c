"""A WebSocket client on Python's websockets library, for clients_test.go.

Usage: client.py URI COMPRESSION(deflate|none). It echoes a conversation
through the server (text, binary, 1 MiB, a fragmented message), pings,
closes with 4003 and prints one line of JSON describing what it saw.
"""
import asyncio
import json
import sys

import websockets


async def main(uri, compression):
    comp = "deflate" if compression == "deflate" else None
    out = {"echoes": []}
    async with websockets.connect(uri, compression=comp, max_size=2**21) as ws:
        out["extensions"] = ws.response_headers.get("Sec-WebSocket-Extensions", "")
        for msg in ["hello", b"\x00\x01\xff", "é" * 1000, b"x" * (1 << 20)]:
            await ws.send(msg)
            got = await ws.recv()
            out["echoes"].append(got == msg)
        await ws.send(["frag", "mented ", "✓"])
        out["fragmented"] = await ws.recv()
        pong = await ws.ping(b"py")
        await asyncio.wait_for(pong, 5)
        out["pong"] = True
        await ws.close(code=4003, reason="py done")
        out["close_code"] = ws.close_code
    print(json.dumps(out))


asyncio.run(main(sys.argv[1], sys.argv[2]))
