"""Brick's WSGI worker: one Python process that serves one request at a time.

Brick (the Go server) starts this program with the application's
"module:callable" as its argument and a Unix socket as file descriptor 3.
The worker imports the application once, says "ready" on the socket, then
answers request frames with response frames until the socket closes. The
frame format is described in gateway/wsgi/doc.go; this file must stay in
step with gateway/wsgi/codec.go.

Only the standard library is used, so the worker runs under any Python 3
that can import the application.
"""

import faulthandler
import gc
import importlib
import io
import os
import re
import resource
import select
import signal
import socket
import stat
import struct
import sys
import time
import traceback

_FRAME = struct.Struct("<BI")
_QUERY = struct.Struct("<II")
_SEQ = struct.Struct("<I")
# Room for the most descriptors a frame carries: two, the socket and
# output pipe of a zygote's fork frame (a request carries at most its body
# file). CMSG_SPACE(4) holds two only where alignment pads it (64-bit).
_SCM_SPACE = socket.CMSG_SPACE(8)

# Response frame types, already packed with their type byte.
_END = _FRAME.pack(ord("E"), 0)
# Once every _SAMPLE_EVERY requests the end frame carries a byte: whether
# the application blocked in the kernel while it ran (a voluntary context
# switch of its thread: a database, a file, a lock). Brick packs requests
# only onto a worker whose requests do not (gateway/wsgi/pack.go).
_SAMPLE_EVERY = 16
_END_BLOCKED = _FRAME.pack(ord("E"), 1) + b"b"
_END_RAN = _FRAME.pack(ord("E"), 1) + b"r"
_RUSAGE = getattr(resource, "RUSAGE_THREAD", resource.RUSAGE_SELF)
_SKIPPED = b"cancelled before it started"
_SKIP = _FRAME.pack(ord("A"), len(_SKIPPED)) + _SKIPPED

# Hop-by-hop fields belong to one connection; PEP 3333 forbids them from
# applications, and letting one through would let an app break the framing
# Brick chose for the response.
_HOP_BY_HOP = frozenset(
    (
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    )
)

_MAX_FRAME = 1 << 30

try:
    # signal.getsignal wraps the handler in an enum conversion, which
    # costs more than the rest of holding an answer.
    from _signal import getsignal as _getsignal
except ImportError:
    _getsignal = signal.getsignal

# Holding finished answers (Worker.finish): at most _HOLD_MAX of them, for
# at most _HOLD_BOUND seconds, and only ahead of requests whose method is
# idempotent (RFC 9110 section 9.2.2), since Brick sends a request queued
# behind one whose answer never came to another worker.
_HOLD_MAX = 16  # answers, not buffers
_HOLD_BOUND = float(os.environ.get("BRICK_WSGI_HOLD_BOUND", 0.001))  # tests raise it
_IDEMPOTENT = frozenset(("GET", "HEAD", "OPTIONS"))

# The largest data frame a file goes out in: a frame's length is 32 bits,
# and files may be larger; between two frames the worker looks for a
# cancel (a client that left, a body Brick drops), so a frame is also
# what it sends in vain at most. The environment may lower it, for tests.
_SENDFILE_FRAME = int(os.environ.get("BRICK_WSGI_SENDFILE_FRAME", 16 << 20))

# What the Go side accepts (wire.IsToken, wire.IsFieldValue); anything else
# must fail here, as the application's error, and not there, as a protocol
# error that costs the worker. NUL is the frame's separator, counted apart.
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CTL = re.compile("[\x01-\x08\x0a-\x1f\x7f]")


class ProtocolError(Exception):
    """Brick sent something this worker does not understand."""


class FileWrapper:
    """wsgi.file_wrapper: lets an app return a file. When it is a regular
    file, the worker sends it with os.sendfile, without copying it through
    Python."""

    def __init__(self, filelike, blksize=65536):
        self.filelike = filelike
        self.blksize = blksize
        if hasattr(filelike, "close"):
            self.close = filelike.close

    def __iter__(self):
        return self

    def __next__(self):
        data = self.filelike.read(self.blksize)
        if data:
            return data
        raise StopIteration


class Input(io.RawIOBase):
    """wsgi.input for a body spooled by Brick into a file: exactly
    CONTENT_LENGTH bytes, so no read can go past the body."""

    def __init__(self, fd, length):
        self._f = io.open(fd, "rb", buffering=65536, closefd=True)
        self._left = length

    def readable(self):
        return True

    def read(self, size=-1):
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._f.read(size)
        self._left -= len(data)
        return data

    def readinto(self, b):
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def readline(self, size=-1):
        if size is None or size < 0 or size > self._left:
            size = self._left
        data = self._f.readline(size)
        self._left -= len(data)
        return data

    def close(self):
        self._f.close()
        super().close()


class Channel:
    """Frames over the socket to Brick: a growable receive buffer and the
    file descriptors that arrived with it.

    Brick may queue requests behind the one being answered, so frames
    past the current request wait in the buffer. Cancel frames name the
    request they are for; scan() notes them as they arrive."""

    def __init__(self, sock):
        self.sock = sock
        # cancelled() asks this poller, once per streamed chunk: poll(0)
        # answers "nothing" without raising, where a non-blocking recv
        # raised and caught BlockingIOError, about half of a chunk's cost.
        self.poller = select.poll()
        self.poller.register(sock.fileno(), select.POLLIN)
        self.buf = bytearray(1 << 16)
        self.mv = memoryview(self.buf)
        self.r = 0
        self.w = 0
        self.fds = []
        self.seq = 0  # the number of the request being answered
        self.scanned = 0  # frames before this offset were scanned
        # The requests named by the cancel frames received and not yet
        # consumed (serve() forgets each as it passes it).
        self.cancels = set()

    def room(self, k):
        """Makes room for k unread bytes from self.r on."""
        if self.r + k > len(self.buf):
            have = self.w - self.r
            if k > len(self.buf):
                nbuf = bytearray(max(k, 2 * len(self.buf)))
                nbuf[:have] = self.mv[self.r : self.w]
                self.mv.release()
                self.buf, self.mv = nbuf, memoryview(nbuf)
            else:
                self.buf[:have] = self.buf[self.r : self.w]
            self.scanned = max(0, self.scanned - self.r)
            self.r, self.w = 0, have

    def recv(self, flags=0):
        n, anc, _, _ = self.sock.recvmsg_into([self.mv[self.w :]], _SCM_SPACE, flags)
        for level, kind, data in anc:
            if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
                usable = len(data) - len(data) % 4
                self.fds.extend(struct.unpack("%di" % (usable // 4), data[:usable]))
        self.w += n
        return n

    def need(self, k):
        """Makes k unread bytes available from self.r on."""
        if self.w - self.r >= k:
            return
        self.room(k)
        while self.w - self.r < k:
            if self.recv() == 0:
                raise EOFError

    def frame(self):
        """Returns the next frame's type, and the start and end of its
        payload in self.buf; the caller consumes it with done()."""
        self.need(5)
        kind, length = _FRAME.unpack_from(self.buf, self.r)
        if length > _MAX_FRAME:
            raise ProtocolError("frame of %d bytes" % length)
        self.need(5 + length)
        start = self.r + 5
        return kind, start, start + length

    def done(self, end):
        self.r = end
        if self.r == self.w:
            self.r = self.w = self.scanned = 0

    def whole(self):
        """Reports whether a whole frame is buffered: the next frame()
        returns without waiting for Brick."""
        have = self.w - self.r
        return have >= 5 and have - 5 >= _FRAME.unpack_from(self.buf, self.r)[1]

    def scan(self):
        """Notes the cancel frames among the whole frames received and not
        yet scanned."""
        pos = max(self.scanned, self.r)
        buf, w = self.buf, self.w
        while pos + 5 <= w:
            kind, length = _FRAME.unpack_from(buf, pos)
            if pos + 5 + length > w:
                break
            if kind == 0x43 and length == 4:  # 'C'
                self.cancels.add(_SEQ.unpack_from(buf, pos + 5)[0])
            pos += 5 + length
        self.scanned = pos

    def skip(self):
        """Reports whether the request just taken was cancelled before it
        started: its client left while it was queued."""
        if self.w > self.scanned:
            self.scan()
        return self.seq in self.cancels

    def cancelled(self):
        """Reports, without waiting, whether Brick cancelled the request
        being answered (its client went away while a streamed response was
        being produced) or closed the socket."""
        if self.poller.poll(0):
            # Readable: take what came (a cancel, requests queued behind
            # this one) without waiting.
            self.room(self.w - self.r + 4096)
            try:
                if self.recv(socket.MSG_DONTWAIT) == 0:
                    return True
            except (BlockingIOError, InterruptedError):
                pass
            self.scan()
        return self.seq in self.cancels


_offset_structs = {}
_NO_NUL = 2  # codec.go's FlagNoNul


def decode_environ(buf, mv, start, end):
    """Splits a request frame's payload into the environ dict and the
    inline body. Each string is followed by a NUL, and a table gives where
    each ends: when no string holds a NUL (the flag says so), one split at
    the NULs cuts them all; else the table does."""
    n, flags = _QUERY.unpack_from(buf, start)
    base = start + 8 + 4 * n
    strings_end = base + (_SEQ.unpack_from(buf, base - 4)[0] if n else 0)
    if strings_end > end:
        raise ProtocolError("environ table runs past its frame")
    s = str(mv[base:strings_end], "latin-1")
    if flags & _NO_NUL:
        # n strings and the empty one after the last NUL, which zip leaves.
        it = iter(s.split("\0"))
        return dict(zip(it, it)), flags, strings_end
    table = _offset_structs.get(n)
    if table is None:
        table = _offset_structs[n] = struct.Struct("<%dI" % n)
    offs = table.unpack_from(buf, start + 8)
    parts = [s[a : b - 1] for a, b in zip((0,) + offs, offs)]
    return dict(zip(parts[0::2], parts[1::2])), flags, strings_end


_heads = {}  # (status, headers as a tuple) -> check_head's result
_HEADS_MAX = 256


def head_frame(status, headers):
    """check_head, remembered: most applications answer with a few
    distinct heads, and validating one costs more than the rest of the
    worker's work for a small response. Only valid heads are remembered,
    and only when their parts can be keys (str, tuples of str)."""
    try:
        key = (status, tuple(headers))
        hit = _heads.get(key)
    except TypeError:  # an unhashable part: check_head says what is wrong
        return check_head(status, headers)
    if hit is None:
        hit = check_head(status, headers)
        if len(_heads) >= _HEADS_MAX:
            _heads.clear()
        _heads[key] = hit
    return hit


def check_head(status, headers):
    """Validates start_response's arguments and returns the head frame and
    the Content-Length the application declared (None if it did not).
    Errors are raised in start_response, while the application still runs,
    as PEP 3333 asks; Brick then answers 500 and logs the traceback."""
    if type(status) is not str:
        raise TypeError("status must be a str, got %r" % (status,))
    code = status[:3]
    if len(status) < 4 or status[3] != " " or not (code.isascii() and code.isdigit() and "200" <= code <= "599"):
        raise ValueError("status must look like '200 OK', got %r" % (status,))
    parts = [status]
    length = None
    for item in headers:
        if type(item) is not tuple or len(item) != 2:
            raise TypeError("each header must be a (name, value) tuple, got %r" % (item,))
        name, value = item
        if type(name) is not str or type(value) is not str:
            raise TypeError("header names and values must be str, got %r" % (item,))
        # Spaces and tabs around a value are not part of it (RFC 9110
        # section 5.5): " a=b" is sent as "a=b", as gunicorn does.
        value = value.strip(" \t")
        if name.lower() in _HOP_BY_HOP:
            raise ValueError("hop-by-hop header %r is the server's to send (PEP 3333)" % name)
        if name.lower() == "content-length":
            if not (value.isascii() and value.isdigit() and int(value) < 1 << 63) or length not in (None, int(value)):
                raise ValueError("Content-Length %r is not one number of bytes" % value)
            length = int(value)
        parts.append(name)
        parts.append(value)
    joined = "\0".join(parts)
    if _CTL.search(joined) or joined.count("\0") != len(parts) - 1:
        raise ValueError("a control character (CR, LF, NUL...) in the status or a header: %r" % (parts,))
    try:
        payload = joined.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError("status and headers must be latin-1: %r" % (parts,)) from None
    for name in parts[1::2]:
        if not name or not _TCHAR.issuperset(name):
            raise ValueError("header name %r is not a token" % (name,))
    return _FRAME.pack(ord("H"), len(payload)) + payload, length


class Worker:
    def __init__(self, app, chan, multiprocess):
        self.app = app
        self.chan = chan
        self.sock = chan.sock
        self.base = {
            "wsgi.version": (1, 0),
            "wsgi.multithread": False,
            "wsgi.multiprocess": multiprocess,
            "wsgi.run_once": False,
            "wsgi.errors": sys.stderr,
            "wsgi.file_wrapper": FileWrapper,
            "wsgi.input_terminated": True,
        }
        self.head = None  # the head frame start_response built
        self.length = None  # the Content-Length the application declared
        self.ended = False  # the end frame went out with the last chunk
        self.head_sent = False
        # The thread's voluntary context switches when a sampled request
        # began; -1 when the request is not sampled.
        self.switches = -1
        # Finished answers not sent yet (finish), and whether send or
        # finish is at work on them: the alarm that bounds the hold then
        # leaves them be.
        self.held = []
        self.held_n = 0  # the answers in held
        # The request being answered is idempotent: only its answer may be
        # held, since a worker that dies with answers held costs them, and
        # a POST that was applied must not be answered 502.
        self.idem = True
        # The request is a HEAD: a wrapped file's bytes have nowhere to go.
        self.head_only = False
        self.out_busy = False
        signal.signal(signal.SIGALRM, self.alarm)

    # start_response and write are bound methods rather than closures made
    # per request: one request at a time, and fewer objects on the hot path.
    def start_response(self, status, headers, exc_info=None):
        if exc_info is not None:
            try:
                if self.head_sent:
                    raise exc_info[1].with_traceback(exc_info[2])
            finally:
                exc_info = None
        elif self.head is not None:
            raise AssertionError("start_response called a second time without exc_info")
        self.head, self.length = head_frame(status, headers)
        return self.write

    def write(self, data, end=b""):
        if type(data) is not bytes:
            if not isinstance(data, (bytes, bytearray, memoryview)):
                raise TypeError("write() takes bytes, got %s" % type(data).__name__)
            data = bytes(data)
        if self.head is None:
            raise AssertionError("write() before start_response")
        if not data:
            return
        if self.head_sent:
            bufs = [_FRAME.pack(ord("D"), len(data)), data, end]
        else:
            self.head_sent = True
            bufs = [self.head, _FRAME.pack(ord("D"), len(data)), data, end]
        if end:
            self.finish(bufs)
        else:
            self.send(bufs)

    # Answers held and sent together. When Brick has queued requests
    # behind the one being answered (they are whole in the receive
    # buffer), the finished answers wait and go out with one sendmsg
    # after the batch: Brick's reader wakes once for several answers, and
    # on a shared CPU each wake-up is two thread switches. The hold is
    # bounded, so that a slow request does not keep finished answers:
    # - only whole answers are held (finish); anything else sent (a
    #   streamed chunk, a file, an abort) sends what is held first;
    # - they go out as soon as no whole frame is buffered (serve), so the
    #   worker never waits for Brick with answers held;
    # - at most _HOLD_MAX, for at most _HOLD_BOUND: an alarm
    #   (ITIMER_REAL) sends them from within the request that runs past
    #   it. An application that installs its own SIGALRM handler turns
    #   holding off;
    # - a request that is not idempotent is never started with answers
    #   held. A worker that dies mid-batch costs Brick the answers it
    #   held (the first one's request is answered 502, the others are
    #   sent to another worker with the request that was running), so
    #   everything that may run twice this way is a GET, HEAD or OPTIONS.

    def send(self, bufs):
        """Sends what is held, then bufs, with one sendmsg."""
        self.out_busy = True
        try:
            if self.held:
                bufs = self.release() + bufs
            self.sendv(bufs)
        finally:
            self.out_busy = False

    def finish(self, bufs):
        """Sends a response's last frames, or holds them when the next
        frame is already buffered (see above)."""
        self.out_busy = True
        try:
            if self.held_n < _HOLD_MAX and self.idem and self.chan.whole():
                first = not self.held
                if first and _getsignal(signal.SIGALRM) != self.alarm:
                    self.sendv(bufs)
                    return
                self.held += bufs
                self.held_n += 1
                if first:
                    signal.setitimer(signal.ITIMER_REAL, _HOLD_BOUND)
                return
            if self.held:
                bufs = self.release() + bufs
            self.sendv(bufs)
        finally:
            self.out_busy = False

    def end(self):
        """The end frame: a sample for a sampled request."""
        if self.switches < 0:
            return _END
        blocked = resource.getrusage(_RUSAGE).ru_nvcsw > self.switches
        self.switches = -1
        return _END_BLOCKED if blocked else _END_RAN

    def release(self):
        held, self.held, self.held_n = self.held, [], 0
        signal.setitimer(signal.ITIMER_REAL, 0)
        return held

    def flush(self):
        if self.held:
            self.send([])

    def alarm(self, signum, frame):
        """The hold's bound: sends the answers held from within whatever
        runs (a request that is taking its time)."""
        if self.out_busy:
            # Held answers are being sent or added to: look again shortly.
            if self.held:
                signal.setitimer(signal.ITIMER_REAL, _HOLD_BOUND / 4)
            return
        try:
            self.flush()
        except OSError:
            pass  # Brick is gone: the next send says so

    def sendv(self, bufs):
        """Sends the buffers in order with one sendmsg, without joining
        them into a copy; what a short send leaves goes out the slow way."""
        sent = self.sock.sendmsg(bufs)
        for b in bufs:
            if sent >= len(b):
                sent -= len(b)
                continue
            self.sock.sendall(memoryview(b)[sent:])
            sent = 0

    def send_file(self, wrapper):
        """Sends a FileWrapper around a regular file with os.sendfile, in
        data frames whose bytes go from the file to the socket unseen. The
        application's Content-Length bounds what is sent (PEP 3333), and a
        file of any size goes out in frames of at most _SENDFILE_FRAME,
        until Brick cancels the response."""
        f = wrapper.filelike
        try:
            fd = f.fileno()
            st = os.fstat(fd)
        except (AttributeError, OSError, io.UnsupportedOperation):
            return False
        if not stat.S_ISREG(st.st_mode):
            return False
        if hasattr(f, "tell"):
            offset = f.tell()
        else:
            offset = os.lseek(fd, 0, os.SEEK_CUR)
        count = max(0, st.st_size - offset)
        if self.length is not None:
            if self.length > count and not self.head_sent:
                # The response would end short of its Content-Length, a
                # 200 cut off that Brick could only close the connection
                # on, and log nothing: the application's error, said now.
                raise ValueError(
                    "Content-Length %d is more than the %d bytes the wrapped file holds from offset %d"
                    % (self.length, count, offset)
                )
            count = min(count, self.length)
        if self.head_only:
            count = 0  # the head and the end, as the first frame would have been cancelled
        if self.head is None:
            raise AssertionError("the application returned before start_response")
        out = self.sock.fileno()
        while count > 0:
            if self.head_sent and self.chan.cancelled():
                break  # the end frame follows (handle)
            n = min(count, _SENDFILE_FRAME)
            frame = _FRAME.pack(ord("D"), n)
            if not self.head_sent:
                self.head_sent = True
                frame = self.head + frame
            self.send([frame])
            while n > 0:
                sent = os.sendfile(out, fd, offset, n)
                if sent == 0:
                    # The file shrank under us: the frame promised more,
                    # and the only honest way out is to let Brick see a
                    # broken worker rather than a short body posing as
                    # complete.
                    raise EOFError("file shrank while being sent")
                offset += sent
                n -= sent
                count -= sent
        return True

    def handle(self, environ):
        """Runs the application for one request and sends its response."""
        self.head = None
        self.head_sent = False
        self.ended = False
        result = None
        try:
            result = self.app(environ, self.start_response)
            if type(result) is list or type(result) is tuple:
                body = b"".join(result)
                if self.head is None:
                    raise AssertionError("the application returned before start_response")
                # After write() the head has gone out already.
                head = b"" if self.head_sent else self.head
                self.head_sent = True
                if body:
                    self.finish([head, _FRAME.pack(ord("D"), len(body)), body, self.end()])
                else:
                    self.finish([head, self.end()])
                return
            self.ended = False
            if isinstance(result, FileWrapper) and self.send_file(result):
                pass
            else:
                sent = 0
                wrapped = isinstance(result, FileWrapper)
                # A wrapped file with a Content-Length of 0 has nothing to
                # send: not a read, which a pipe or device may never end.
                for data in () if wrapped and self.length == 0 else result:
                    if not data:
                        if self.head is None:
                            raise AssertionError("the application yielded before start_response")
                        continue
                    if self.ended:
                        # Past the declared Content-Length: Brick would drop
                        # it. The iterable still runs to its end, as under
                        # gunicorn: code after its last yield runs.
                        continue
                    if self.length is not None and sent + len(data) >= self.length:
                        # This chunk completes the body the application
                        # declared: end the response in the same write, so
                        # Brick has it whole at once (Flask and Django
                        # return iterables, not lists, with a length).
                        # A wrapped file ends there (PEP 3333), and is
                        # read no further: what follows is only its bytes
                        # past the length, and a device or a pipe may
                        # never end. Any other iterable that overshoots is
                        # left for Brick to cut (and report).
                        if wrapped:
                            data = data[: self.length - sent]
                        if data:
                            self.write(data, self.end())
                            self.ended = True
                        if wrapped:
                            break
                        continue
                    sent += len(data)
                    self.write(data)
                    if self.chan.cancelled():
                        break
            if self.head is None:
                raise AssertionError("the application returned before start_response")
            if self.ended:
                pass
            elif self.head_sent:
                self.finish([self.end()])
            else:
                self.head_sent = True
                self.finish([self.head, self.end()])
        except (BrokenPipeError, ConnectionResetError, EOFError):
            raise
        except Exception:
            if self.ended:
                # The response went out whole; the error came after (from
                # the iterable past its Content-Length): log it only.
                traceback.print_exc()
                return
            tb = traceback.format_exc().encode("utf-8", "replace")
            self.send([_FRAME.pack(ord("A"), len(tb)), tb])
        finally:
            if result is not None and hasattr(result, "close"):
                try:
                    result.close()
                except Exception:
                    traceback.print_exc()

    def serve(self):
        chan = self.chan
        base = self.base
        while True:
            if self.held and not chan.whole():
                self.flush()  # never wait for Brick with answers held
            kind, start, end = chan.frame()
            if kind == 0x43:  # 'C': noted by scan(), or for a request already answered
                if end - start == 4 and chan.cancels:
                    chan.cancels.discard(_SEQ.unpack_from(chan.buf, start)[0])
                chan.done(end)
                continue
            if kind != 0x51:  # 'Q'
                raise ProtocolError("unexpected frame %r" % chr(kind))
            chan.seq += 1
            self.switches = -1 if chan.seq % _SAMPLE_EVERY else resource.getrusage(_RUSAGE).ru_nvcsw
            environ, flags, body_start = decode_environ(chan.buf, chan.mv, start, end)
            environ.update(base)
            if flags & 1:
                if not chan.fds:
                    raise ProtocolError("body file descriptor missing")
                fd = chan.fds.pop(0)
                inp = Input(fd, int(environ.get("CONTENT_LENGTH") or 0))
            else:
                inp = io.BytesIO(chan.buf[body_start:end])
            chan.done(end)
            if chan.r != chan.w and chan.skip():
                inp.close()
                self.finish([_SKIP])
                continue
            method = environ.get("REQUEST_METHOD")
            self.idem = method in _IDEMPOTENT
            self.head_only = method == "HEAD"
            if self.held and not self.idem:
                self.flush()
            environ["wsgi.input"] = inp
            try:
                self.handle(environ)
            finally:
                inp.close()


def load(spec):
    """Imports "module:callable" (callable defaults to "application"; a
    trailing "()" calls a factory without arguments, as gunicorn allows)."""
    module, _, name = spec.partition(":")
    name = name or "application"
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


def settle():
    """Moves what the import made into the permanent generation (after
    collecting its garbage): the collector's full passes then skip the
    application's modules, classes and caches, which never become garbage
    while the worker lives. A forked worker has this from its zygote."""
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
    multiprocess = len(sys.argv) > 2 and sys.argv[2] == "multiprocess"
    sock = socket.socket(fileno=3)
    # Brick asks for a worker's stack with SIGUSR1 before killing it for
    # running past --timeout, so the operator learns where it hung.
    faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
    # Terminal signals are Brick's to handle; it stops workers in order.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    # systemd's stop signals every process of the service at once; the
    # worker must finish its request while Brick drains, and leaves when
    # Brick closes its socket (or kills it).
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    sys.path.insert(0, os.getcwd())
    try:
        app = load(spec)
    except BaseException:
        tb = traceback.format_exc().encode("utf-8", "replace")
        sock.sendall(_FRAME.pack(ord("X"), len(tb)) + tb)
        sys.exit(1)
    settle()
    info = ("pid=%d python=%s app=%s" % (os.getpid(), sys.version.split()[0], spec)).encode()
    sock.sendall(_FRAME.pack(ord("R"), len(info)) + info)
    try:
        Worker(app, Channel(sock), multiprocess).serve()
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # Brick closed the socket: stop quietly.


if __name__ == "__main__":
    main()
