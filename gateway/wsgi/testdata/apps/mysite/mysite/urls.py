"""Routes of the test project."""

import time

from django.http import HttpResponse, StreamingHttpResponse
from django.urls import path, re_path
from django.views.decorators.csrf import csrf_exempt

import common


def hello(request):
    return HttpResponse("Hello, World!", content_type="text/plain")


@csrf_exempt
def echo(request):
    return HttpResponse(common.echo_body(request.body), content_type="text/plain")


def query(request):
    return HttpResponse(request.META.get("QUERY_STRING", "") + "|" + request.GET.get("q", ""), content_type="text/plain")


def rest(request, rest):
    return HttpResponse(rest, content_type="text/plain; charset=utf-8")


def headers(request):
    r = HttpResponse(request.headers.get("X-Custom", ""), content_type="text/plain")
    r["X-Reply"] = "yes"
    return r


def cookies(request):
    r = HttpResponse("cookies", content_type="text/plain")
    r.set_cookie("a", "1")
    r.set_cookie("b", "2")
    return r


def stream(request):
    return StreamingHttpResponse(common.stream_chunks(), content_type="text/plain")


def big(request):
    return HttpResponse(common.BIG, content_type="application/octet-stream")


def error(request):
    raise RuntimeError("boom from django")


def crash(request):
    common.crash()


def sleep(request):
    time.sleep(float(request.GET.get("s", "1")))
    return HttpResponse("slept", content_type="text/plain")


@csrf_exempt
def env(request):
    return HttpResponse(common.environ_json(request.META), content_type="application/json")


urlpatterns = [
    path("hello", hello),
    path("echo", echo),
    path("query", query),
    re_path(r"^path/(?P<rest>.*)$", rest),
    path("headers", headers),
    path("cookies", cookies),
    path("stream", stream),
    path("big", big),
    path("error", error),
    path("crash", crash),
    path("sleep", sleep),
    path("env", env),
]
