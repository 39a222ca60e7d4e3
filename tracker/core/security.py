"""Security plumbing of our own: the Permissions-Policy header, and who sees the API docs.

The Permissions-Policy middleware is written here rather than taken from
django-permissions-policy: that package is not among our dependencies, and one constant
header needs no more than this. (The other security headers come from Django's
SecurityMiddleware and django-csp.)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from ninja.openapi.views import openapi_view

from tracker.accounts.models import Role

STAFF_ROLES = frozenset({Role.MODERATOR, Role.ADMIN})

# Only features that Chromium and Firefox recognise: an unknown one makes the browser log
# an error on every page. Notifications and service workers are not policy-controlled.
DEFAULT_PERMISSIONS_POLICY = {
    "accelerometer": [],
    "camera": [],
    "geolocation": [],
    "gyroscope": [],
    "magnetometer": [],
    "microphone": [],
    "payment": [],
    "usb": [],
}


def permissions_policy_header(policy: dict[str, list[str]]) -> str:
    return ", ".join(f"{feature}=({' '.join(allow)})" for feature, allow in policy.items())


class PermissionsPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", DEFAULT_PERMISSIONS_POLICY)
        self.header = permissions_policy_header(policy)

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", self.header)
        return response


def staff_only_docs_in_production(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """NinjaAPI(docs_decorator=...): in production the interactive docs page is for
    moderators and admins who are signed in; to anyone else it does not exist (404).

    ninja hands the schema view through the same decorator; the schema stays public: the
    apps that call the API read it, and it says nothing that the endpoints' answers do not.
    """
    if getattr(view, "func", None) is not openapi_view:
        return view

    def docs(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if settings.PRODUCTION and not _is_staff(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return docs


def _is_staff(user: Any) -> bool:
    return user.is_authenticated and user.is_active and user.role in STAFF_ROLES
