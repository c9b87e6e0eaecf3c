"""A Pyramid application for Brick's WSGI tests."""

import time

from pyramid.config import Configurator
from pyramid.response import Response

import common


def hello(request):
    return Response("Hello, World!", content_type="text/plain")


def echo(request):
    return Response(common.echo_body(request.body), content_type="text/plain")


def query(request):
    return Response(request.query_string + "|" + request.params.get("q", ""), content_type="text/plain")


def path(request):
    return Response("/".join(request.matchdict["rest"]), content_type="text/plain", charset="utf-8")


def headers(request):
    r = Response(request.headers.get("X-Custom", ""), content_type="text/plain")
    r.headers["X-Reply"] = "yes"
    return r


def cookies(request):
    r = Response("cookies", content_type="text/plain")
    r.set_cookie("a", "1")
    r.set_cookie("b", "2")
    return r


def stream(request):
    return Response(app_iter=common.stream_chunks(), content_type="text/plain")


def big(request):
    return Response(common.BIG, content_type="application/octet-stream")


def error(request):
    raise RuntimeError("boom from pyramid")


def crash(request):
    common.crash()


def sleep(request):
    time.sleep(float(request.params.get("s", "1")))
    return Response("slept", content_type="text/plain")


def env(request):
    return Response(common.environ_json(request.environ), content_type="application/json", charset="utf-8")


def make_app():
    with Configurator() as config:
        for name, pattern, view in [
            ("hello", "/hello", hello),
            ("echo", "/echo", echo),
            ("query", "/query", query),
            ("path", "/path/*rest", path),
            ("headers", "/headers", headers),
            ("cookies", "/cookies", cookies),
            ("stream", "/stream", stream),
            ("big", "/big", big),
            ("error", "/error", error),
            ("crash", "/crash", crash),
            ("sleep", "/sleep", sleep),
            ("env", "/env", env),
        ]:
            config.add_route(name, pattern)
            config.add_view(view, route_name=name)
        return config.make_wsgi_app()


application = make_app()
