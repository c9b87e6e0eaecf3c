"""A Flask application for Brick's WSGI tests."""

import time

from flask import Flask, Response, request

import common

app = Flask(__name__)


@app.route("/hello")
def hello():
    return Response("Hello, World!", mimetype="text/plain")


@app.route("/echo", methods=["POST"])
def echo():
    return Response(common.echo_body(request.get_data()), mimetype="text/plain")


@app.route("/query")
def query():
    return Response(request.query_string.decode("latin-1") + "|" + request.args.get("q", ""), mimetype="text/plain")


@app.route("/path/<path:rest>")
def path(rest):
    return Response(rest, mimetype="text/plain; charset=utf-8")


@app.route("/headers")
def headers():
    r = Response(request.headers.get("X-Custom", ""), mimetype="text/plain")
    r.headers["X-Reply"] = "yes"
    return r


@app.route("/cookies")
def cookies():
    r = Response("cookies", mimetype="text/plain")
    r.set_cookie("a", "1")
    r.set_cookie("b", "2")
    return r


@app.route("/stream")
def stream():
    return Response(common.stream_chunks(), mimetype="text/plain")


@app.route("/big")
def big():
    return Response(common.BIG, mimetype="application/octet-stream")


@app.route("/error")
def error():
    raise RuntimeError("boom from flask")


@app.route("/crash")
def crash():
    common.crash()


@app.route("/sleep")
def sleep():
    time.sleep(float(request.args.get("s", "1")))
    return Response("slept", mimetype="text/plain")


@app.route("/env", methods=["GET", "POST"])
def env():
    return Response(common.environ_json(request.environ), mimetype="application/json")
