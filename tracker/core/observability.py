"""Per-request metrics and the access log, and the pieces of the logging configuration.

`ObservabilityMiddleware` comes first in MIDDLEWARE, so that it times everything the app
does for a request, static files included. It labels what it counts by route (the URL
pattern's name), never by path, and writes one access-log line per request: method, path,
route, status, duration and the request id, never a query string, a body or who asked.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from time import perf_counter
from typing import Any

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse
from pythonjsonlogger.core import RESERVED_ATTRS
from pythonjsonlogger.json import JsonFormatter

from tracker.core import metrics, request_context

access_log = logging.getLogger("tracker.access")

# Anything else a client sends as a method is counted as "other": every label value is a
# series, and clients choose the method.
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Probes and scrapes, every few seconds each: counted, but not written to the access log.
_QUIET_ROUTES = frozenset({"healthz", "readyz", "metrics"})
# URL parameters that are credentials (calendar feed secrets, password-reset links): such a
# request's path is logged as its pattern, so that the log never holds a working link.
_SECRET_PARAMETERS = frozenset({"secret", "token", "uidb64"})


class _QueryTimer:
    """A database execute wrapper that counts the queries of one request and their time."""

    __slots__ = ("count", "seconds")

    def __init__(self) -> None:
        self.count = 0
        self.seconds = 0.0

    def __call__(self, execute: Callable, sql: str, params: Any, many: bool, context: Any):
        start = perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.count += 1
            self.seconds += perf_counter() - start


class ObservabilityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.static_prefix = "/" + settings.STATIC_URL.lstrip("/")

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = perf_counter()
        timer = _QueryTimer()
        # What `connection.execute_wrapper()` does, without a context manager per database
        # per request: connections are per thread, so is this list.
        wrapped = [connections[alias] for alias in connections]
        for connection in wrapped:
            connection.execute_wrappers.append(timer)
        try:
            response = self.get_response(request)
        finally:
            for connection in wrapped:
                connection.execute_wrappers.remove(timer)
        duration = perf_counter() - start
        route = self._route(request)
        method = request.method if request.method in _METHODS else "other"
        metrics.REQUESTS.labels(route, method, str(response.status_code)).inc()
        metrics.REQUEST_DURATION.labels(route).observe(duration)
        if timer.count:
            metrics.DB_QUERIES.labels(route).inc(timer.count)
            metrics.DB_QUERY_SECONDS.labels(route).inc(timer.seconds)
        if response.status_code == 401 and _sent_bearer_token(request):
            metrics.signin_failed("token")
        if route not in _QUIET_ROUTES and access_log.isEnabledFor(logging.INFO):
            self._log(request, response, route, method, duration, timer)
        return response

    def _route(self, request: HttpRequest) -> str:
        match = request.resolver_match
        if match is not None:
            return match.view_name
        # Answered before URL resolution: WhiteNoise's files, redirects to HTTPS, 404s.
        return "static" if request.path_info.startswith(self.static_prefix) else "unmatched"

    def _log(
        self,
        request: HttpRequest,
        response: HttpResponse,
        route: str,
        method: str,
        duration: float,
        timer: _QueryTimer,
    ) -> None:
        match = request.resolver_match
        if match is not None and _SECRET_PARAMETERS.intersection(match.kwargs):
            path = "/" + match.route
        else:
            path = request.path[:300]
        duration_ms = round(duration * 1000, 1)
        access_log.info(
            "%s %s %s %sms",
            method,
            path,
            response.status_code,
            duration_ms,
            extra={
                # Set by RequestContextMiddleware, which runs inside this one.
                "request_id": getattr(request, "request_id", None),
                "method": method,
                "path": path,
                "route": route,
                "status": response.status_code,
                "duration_ms": duration_ms,
                "db_queries": timer.count,
                "db_ms": round(timer.seconds * 1000, 2),
            },
        )


def _sent_bearer_token(request: HttpRequest) -> bool:
    # A refused API token (unknown, expired or revoked) answers 401; apps refresh an
    # expired one, so a steady trickle is normal and a surge is worth a look.
    return request.headers.get("Authorization", "")[:7].lower() == "bearer "


class RequestIdFilter(logging.Filter):
    """Adds the current request's id to every log record written while answering it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            # Django logs an error response after every middleware has returned, when the
            # request is no longer bound; its records carry the request itself.
            request = getattr(record, "request", None)
            request_id = (
                getattr(request, "request_id", None) or request_context.current().request_id
            )
            if request_id:
                record.request_id = request_id
        return True


def json_formatter() -> logging.Formatter:
    """One JSON object per line: time (UTC), level, logger, message, and the record's extra
    fields (request_id, and the access log's method, path, status and timings)."""
    return JsonFormatter(
        "{levelname}{name}{message}",
        style="{",
        rename_fields={"levelname": "level", "name": "logger"},
        timestamp="time",
        # Django adds the request object to its own records: written out, it would show
        # the query string (search terms, sign-in links).
        reserved_attrs=[*RESERVED_ATTRS, "request"],
    )
