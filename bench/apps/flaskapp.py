"""The Flask hello app of `bench/run wsgi`.

GET /hello (and /) answers 200, text/plain, "Hello, World!" (13 bytes),
through Flask's routing, request and response objects.
"""

from flask import Flask

app = Flask(__name__)


@app.route("/")
@app.route("/hello")
def hello():
    return "Hello, World!", 200, {"Content-Type": "text/plain"}
