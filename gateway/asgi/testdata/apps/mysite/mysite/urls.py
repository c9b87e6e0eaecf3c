import asyncio
import json

from django.http import HttpResponse, JsonResponse, StreamingHttpResponse
from django.urls import path


async def hello(request):
    await asyncio.sleep(0)
    return HttpResponse("hello from django async")


async def info(request, name):
    return JsonResponse({
        "name": name,
        "q": request.GET.get("q"),
        "script_name": request.META.get("SCRIPT_NAME"),
        "path_info": request.path_info,
        "method": request.method,
    })


async def upload(request):
    return JsonResponse({"size": len(request.body), "field": request.POST.get("field")})


async def boom(request):
    raise RuntimeError("boom from django")


def sync_view(request):
    return HttpResponse("sync view under asgi")


urlpatterns = [
    path("", hello),
    path("info/<str:name>", info),
    path("upload", upload),
    path("boom", boom),
    path("sync", sync_view),
]
