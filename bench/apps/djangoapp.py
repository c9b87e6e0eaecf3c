"""The real-app scenario of `bench/run wsgi`: a Django view that renders a
template from a sqlite query.

GET / (and /hello) runs SELECT over a 100-row table in a sqlite file and
renders the 20 newest rows through a Django template into an HTML page
(about 2 KiB), with Django's usual middleware in the way. GET /big answers
1 MiB through the same stack, for the slow clients of `bench/run wsgi-slow`. Every worker
creates the database if it is missing: the statements are idempotent.
"""

import os
import tempfile

import django
from django.conf import settings

DB = os.path.join(tempfile.gettempdir(), "brick-bench-django.sqlite3")

settings.configure(
    DEBUG=False,
    SECRET_KEY="bench-only",
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        "django.middleware.clickjacking.XFrameOptionsMiddleware",
    ],
    DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": DB}},
    TEMPLATES=[{"BACKEND": "django.template.backends.django.DjangoTemplates"}],
    USE_TZ=True,
)
django.setup()

from django.db import connection  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import path  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402

with connection.cursor() as c:
    c.execute("CREATE TABLE IF NOT EXISTS post (id INTEGER PRIMARY KEY, title TEXT, author TEXT, votes INTEGER)")
    c.executemany(
        "INSERT OR IGNORE INTO post (id, title, author, votes) VALUES (%s, %s, %s, %s)",
        [(i, "Post number %d about <servers> & sockets" % i, "author%d" % (i % 7), i * 37 % 101) for i in range(1, 101)],
    )
connection.close()

PAGE = engines["django"].from_string(
    """<!doctype html>
<html><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1>
<table>
{% for p in posts %}<tr class="{% cycle 'odd' 'even' %}"><td>{{ p.0 }}</td><td>{{ p.1 }}</td><td>{{ p.2|upper }}</td><td>{{ p.3 }}</td></tr>
{% endfor %}</table>
<p>{{ posts|length }} posts, {{ total }} votes.</p>
</body></html>
"""
)


def index(request):
    with connection.cursor() as c:
        c.execute("SELECT id, title, author, votes FROM post ORDER BY id DESC LIMIT 20")
        posts = c.fetchall()
    return HttpResponse(PAGE.render({"title": "Newest posts", "posts": posts, "total": sum(p[3] for p in posts)}))


# BIG is the slow clients' response: larger than any socket buffer between
# the server and a client that reads it at 1 KiB/s.
BIG = b"x" * (1 << 20)


def big(request):
    return HttpResponse(BIG, content_type="application/octet-stream")


urlpatterns = [path("", index), path("hello", index), path("big", big)]

application = get_wsgi_application()
