"""The Flask hello app of `bench/run wsgi`.

GET /hello (and /) answers 200, text/plain, "Hello, World!" (13 bytes),
through Flask's routing, request and response objects. GET /big answers
1 MiB, for the slow clients of `bench/run wsgi-slow`.
"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
@app.route("/hello")
def hello():
    return "Hello, World!", 200, {"Content-Type": "text/plain"}


# BIG is the slow clients' response: larger than any socket buffer between
# the server and a client that reads it at 1 KiB/s.
BIG = b"x" * (1 << 20)


@app.route("/big")
def big():
    return BIG, 200, {"Content-Type": "application/octet-stream"}
