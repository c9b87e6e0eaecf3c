"""The bare WSGI hello app of `bench/run wsgi` (PEP 3333, no framework).

Every path answers 200, text/plain, "Hello, World!" (13 bytes).
"""

BODY = b"Hello, World!"
HEADERS = [("Content-Type", "text/plain"), ("Content-Length", str(len(BODY)))]


def application(environ, start_response):
    start_response("200 OK", HEADERS)
    return [BODY]
