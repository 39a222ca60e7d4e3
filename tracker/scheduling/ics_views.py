"""The private calendar feed (no sign-in: the secret is the credential) and the page where
a person makes, copies and revokes their link."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from tracker.scheduling import ics

# Private: the answer is one person's, so no shared cache may keep it. Five minutes spares the
# database when one person has subscribed on several devices, yet a change shows up soon.
CACHE_CONTROL = "private, max-age=300"


@require_safe
def feed(request: HttpRequest, secret: str) -> HttpResponse:
    user = ics.get_feed_owner(secret=secret)
    body = ics.calendar_for(user=user, sessions=ics.feed_sessions(user=user))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Disposition"] = 'inline; filename="sessions.ics"'
    # The URL is a secret: keep it out of search engines should it ever be posted somewhere.
    response["X-Robots-Tag"] = "noindex"
    return response


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    existing = ics.existing_feed(user=request.user)
    url = ics.feed_url(request=request, feed=existing) if existing else ""
    context = {"feed_url": url, "webcal_url": ics.as_webcal(url) if url else ""}
    return render(request, "scheduling/ics/manage.html", context)


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    ics.feed_for(user=request.user)
    messages.success(request, _("Your calendar link is ready."))
    return redirect("ics:manage")


@login_required
@require_POST
def renew(request: HttpRequest) -> HttpResponse:
    ics.feed_revoke(user=request.user)
    ics.feed_for(user=request.user)
    messages.success(
        request, _("The old link no longer works. Add the new one to your calendar app.")
    )
    return redirect("ics:manage")


@login_required
@require_POST
def revoke(request: HttpRequest) -> HttpResponse:
    ics.feed_revoke(user=request.user)
    messages.success(request, _("Your calendar link is turned off."))
    return redirect("ics:manage")
