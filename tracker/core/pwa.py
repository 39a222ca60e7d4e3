"""The installable web app's two server pieces: the service worker and the offline page.

Both run outside ATOMIC_REQUESTS and touch neither the database nor the session: the
worker fetches them in the background (install, updates) while the page is busy with its
own requests, and the offline page is cached for whoever uses the device next, so it must
not carry anyone's name or CSRF token.
"""

from __future__ import annotations

import json

from django.contrib.staticfiles import finders
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.views.decorators.http import require_GET


@transaction.non_atomic_requests
@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """static/sw.js from the site's root, so that its scope covers every page.

    Static files live under /static/ and a worker may only control pages below its own
    address (unless this header widens it), hence a view rather than WhiteNoise.
    """
    path = finders.find("sw.js")
    if not path:
        raise Http404
    with open(path, encoding="utf-8") as source:
        script = source.read()
    # The queue module under its hashed name in production: a new version of it changes
    # these bytes, which is what makes browsers install the new worker.
    prelude = f"self.TRACKER_LOG_QUEUE_URL = {json.dumps(static('js/log-queue.js'))};\n"
    response = HttpResponse(prelude + script, content_type="application/javascript")
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = "/"
    return response


@transaction.non_atomic_requests
@require_GET
def offline(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page it has not saved; rendered without the request so
    that no context processor reads the session or the database."""
    return HttpResponse(render_to_string("core/offline.html"))
