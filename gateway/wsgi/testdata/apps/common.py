"""Helpers the test applications share: what every framework's routes
answer, so one Go test table can drive Flask, Django and Pyramid alike."""

import hashlib
import json
import os
import time


def echo_body(data):
    """The POST routes answer the body's length and SHA-256."""
    return "%d %s" % (len(data), hashlib.sha256(data).hexdigest())


def environ_json(environ):
    keep = {k: v for k, v in environ.items() if isinstance(v, str)}
    return json.dumps(keep, sort_keys=True)


def stream_chunks(n=3, pause=0.3):
    for i in range(n):
        yield ("chunk %d\n" % i).encode()
        time.sleep(pause)


BIG = b"0123456789abcdef" * (5 * 1024 * 1024 // 16)  # 5 MiB


def crash():
    os._exit(3)
