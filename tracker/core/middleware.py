"""Request-wide plumbing: a request id for logs and audit, and RFC 9457 errors for the API."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from tracker.core import request_context
from tracker.core.problems import PROBLEM_CONTENT_TYPE, problem_response

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestContextMiddleware:
    """Gives each request an id (a proxy's, when well-formed) and binds who/where for audit."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        request.request_id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        meta = request_context.RequestMeta(
            ip=request_context.client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:255],
            request_id=request.request_id,
        )
        token = request_context.bind(meta)
        try:
            response = self.get_response(request)
        finally:
            request_context.unbind(token)
        response[REQUEST_ID_HEADER] = request.request_id
        return response


class ProblemJsonMiddleware:
    """Every error under /api/ leaves as application/problem+json.

    Errors raised inside django-ninja are already shaped by its exception handlers; this
    catches the ones Django produces before or around the API (CSRF failures, 405 from the
    router, 404 for unknown paths) so that clients never have to parse an HTML page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith("/api/") or response.status_code < 400:
            return response
        if response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        detail = _detail_from(response)
        problem = problem_response(request, response.status_code, detail=detail)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if header in response:
                problem[header] = response[header]
        return problem


_JSON_NUL = re.compile(rb"\\u0000", re.IGNORECASE)


class RejectNulMiddleware:
    """An API request with a NUL character in its query or its JSON body is refused with
    a 422 naming the field, before any view sees it: PostgreSQL cannot store or compare
    NUL in text, so the value would otherwise fail deep inside a query. Forms on pages
    refuse it already (Django's form fields do)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            field = _field_with_nul(request)
            if field is not None:
                message = "Text may not contain the NUL character."
                return problem_response(
                    request,
                    422,
                    detail="The request has invalid fields.",
                    errors=[{"field": field, "message": message, "code": "invalid"}],
                )
        return self.get_response(request)


def _field_with_nul(request: HttpRequest) -> str | None:
    # Cheap test first: a query holds NUL only as %00 (or a raw byte), and most requests
    # are answered without parsing their query at all (tracker/core/cached_reads.py).
    query = request.META.get("QUERY_STRING", "")
    if "%00" in query or "\x00" in query:
        for key, values in request.GET.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                return key.replace("\x00", "")
    if request.content_type == "application/json":
        body = request.body
        # Cheap test first; decode only a body that may hold one (an escaped backslash
        # before "u0000" is text, not NUL).
        if b"\x00" in body or _JSON_NUL.search(body):
            try:
                return _path_to_nul(json.loads(body), "")
            except ValueError:
                return "" if b"\x00" in body else None
    return None


def _path_to_nul(value, path: str) -> str | None:
    """The dotted path of the first string holding NUL, as the API names fields."""
    if isinstance(value, str):
        return path if "\x00" in value else None
    if not isinstance(value, dict | list):
        return None
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        name = f"{path}.{key}" if path else str(key)
        if isinstance(key, str) and "\x00" in key:
            return name.replace("\x00", "")
        found = _path_to_nul(item, name)
        if found is not None:
            return found
    return None


def _detail_from(response: HttpResponse) -> str | None:
    if not response.get("Content-Type", "").startswith("application/json"):
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, AttributeError):
        return None
    if isinstance(body, dict) and isinstance(body.get("detail"), str):
        return body["detail"]
    return None
