"""The websocket scope of Brick's ASGI worker (imported by worker.py).

Go does the WebSocket protocol itself (handshake, framing, ping, the
closing handshake); this side turns Go's frames into ASGI events and the
application's messages into frames. See gateway/asgi/doc.go, "WebSocket".
"""

import struct
import sys
import traceback

_HDR = struct.Struct("<BII")
_U32 = struct.Struct("<I")
_U16 = struct.Struct(">H")
_WINDOW = 256 << 10
# The largest message the application may send: Go holds it whole.
MAX_MESSAGE = 16 << 20


def _frame(typ, sid, payload=b""):
    return _HDR.pack(typ, sid, len(payload)) + payload


class WebSocketStream:
    """One websocket scope. Messages from the client wait in a queue that
    Go fills only against credit: each costs its length plus one, and
    receive() grants the cost back as the application takes it. send()
    spends the credit Go grants once the client took the message, so a
    slow client makes send() wait instead of buffering."""

    __slots__ = ("conn", "id", "queue", "gone", "code", "reason", "connected", "accepted",
                 "closed", "done", "credit", "owed", "waiters", "task", "denial")

    def __init__(self, conn, sid, http_stream):
        self.conn = conn
        self.id = sid
        self.queue = []
        self.gone = False
        self.code = 1006
        self.reason = ""
        self.connected = False  # websocket.connect was received
        self.accepted = False
        self.closed = False  # websocket.close sent
        self.done = False
        self.credit = _WINDOW
        self.owed = 0  # consumed, not yet granted back
        self.waiters = []
        self.task = None
        # The denial response (websocket.http.response.*) is an http
        # response on the same stream.
        self.denial = http_stream(conn, sid, b"", False)

    def wake(self):
        ws, self.waiters = self.waiters, []
        for w in ws:
            if not w.done():
                w.set_result(None)

    async def wait(self):
        w = self.conn.loop.create_future()
        self.waiters.append(w)
        await w

    def on_frame(self, typ, buf, start, end):
        if typ == 0x4D:  # 'M'
            self.queue.append((buf[start], bytes(buf[start + 1 : end])))
        elif typ == 0x57:  # 'W'
            n = _U32.unpack_from(buf, start)[0]
            if self.denial.started:
                self.denial.credit += n
                self.denial.wake()
            else:
                self.credit += n
        elif typ == 0x43:  # 'C'
            self.gone = self.denial.gone = True
            self.denial.wake()
            if end - start >= 2:
                self.code = _U16.unpack_from(buf, start)[0]
                self.reason = bytes(buf[start + 2 : end]).decode("utf-8", "replace")
        elif typ == 0x4B:  # 'K'
            self.gone = self.denial.gone = True
            if self.task is not None:
                self.task.cancel()
        else:
            return False
        self.wake()
        return True

    async def receive(self):
        if not self.connected:
            self.connected = True
            return {"type": "websocket.connect"}
        while True:
            if self.queue:
                op, data = self.queue.pop(0)
                # Credit goes back in batches of a quarter window, one
                # frame instead of one per message: Go still has three
                # quarters to send with, so it never waits on credit
                # that is owed but not sent.
                self.owed += len(data) + 1
                if self.owed >= _WINDOW // 4 and not self.done:
                    self.conn.write(_frame(0x57, self.id, _U32.pack(self.owed)))  # 'W'
                    self.owed = 0
                if op == 1:
                    return {"type": "websocket.receive", "text": data.decode("utf-8")}
                return {"type": "websocket.receive", "bytes": data}
            if self.gone or self.done:
                return {"type": "websocket.disconnect", "code": self.code, "reason": self.reason}
            await self.wait()

    async def send(self, message):
        t = message["type"]
        if t == "websocket.send":
            if self.gone:
                # ASGI 2.4: send() after the client left raises an OSError
                # (Starlette turns it into WebSocketDisconnect); returning
                # quietly would spin a send loop that never awaits.
                raise self.conn.disconnected("the client disconnected")
            if not self.accepted:
                raise RuntimeError("websocket.send before websocket.accept")
            if self.closed:
                raise RuntimeError("websocket.send after websocket.close")
            text, data = message.get("text"), message.get("bytes")
            if text is not None:
                payload = b"\x01" + text.encode("utf-8")
            elif data is not None:
                payload = b"\x02" + bytes(data)
            else:
                raise ValueError("websocket.send needs text or bytes")
            if len(payload) > MAX_MESSAGE + 1:
                raise ValueError("websocket.send of %d bytes: the limit is %d" % (len(payload) - 1, MAX_MESSAGE))
            while self.credit <= 0 and not self.gone:
                await self.wait()
            if self.gone:
                raise self.conn.disconnected("the client disconnected")
            self.credit -= len(payload)
            self.conn.write(_frame(0x6D, self.id, payload))  # 'm'
            return
        if t == "websocket.accept":
            if self.accepted or self.closed or self.denial.started:
                raise RuntimeError("websocket.accept in the wrong state")
            if self.gone:
                return
            sub = message.get("subprotocol") or ""
            parts = self.conn.check_headers(message.get("headers", ()))
            self.accepted = True
            self.conn.write(_frame(0x61, self.id, b"\0".join([sub.encode("latin-1")] + parts)))  # 'a'
            return
        if t == "websocket.close":
            if self.closed or self.denial.started:
                raise RuntimeError("websocket.close twice or after a denial response")
            self.closed = True
            if self.gone:
                return
            code = int(message.get("code", 1000) or 1000)
            reason = (message.get("reason") or "").encode("utf-8")[:123]
            self.conn.write(_frame(0x78, self.id, _U16.pack(code) + reason))  # 'x'
            return
        if t in ("websocket.http.response.start", "websocket.http.response.body"):
            if self.accepted or self.closed:
                raise RuntimeError("%s after websocket.accept or close" % t)
            m = dict(message)
            m["type"] = t[len("websocket."):]
            await self.denial.send(m)
            if self.denial.done:
                self.done = True
            return
        raise RuntimeError("unexpected ASGI message %r for a websocket scope" % t)

    async def run(self, app, scope):
        try:
            await app(scope, self.receive, self.send)
            self.end()
        except BaseException:
            if self.gone or self.done:
                if not self.gone:
                    sys.stderr.write("asgi: the websocket application raised after its denial response:\n" + traceback.format_exc())
                self.end()
            else:
                self.abort(traceback.format_exc())

    def end(self):
        if self.denial.done:
            self.done = True
            return  # the denial's 'E' ended the stream
        if self.denial.started:
            self.abort("the application returned in the middle of its denial response")
            return
        if self.done:
            return
        self.done = True
        self.conn.write(_frame(0x45, self.id))  # 'E'
        self.conn.finish(self)

    def abort(self, why):
        if self.done:
            return
        self.done = True
        self.conn.write(_frame(0x41, self.id, why.encode("utf-8", "replace")))  # 'A'
        self.conn.finish(self)
