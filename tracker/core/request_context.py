"""Who is asking, from where: set per request by middleware, read by the audit trail.

A context variable rather than a `request` argument so that services stay callable from
commands and tests, where there is no request.
"""

from __future__ import annotations

import ipaddress
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest


@dataclass(frozen=True)
class RequestMeta:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


_NO_REQUEST = RequestMeta()
_current: ContextVar[RequestMeta | None] = ContextVar("request_meta", default=None)


def current() -> RequestMeta:
    return _current.get() or _NO_REQUEST


def bind(meta: RequestMeta):
    return _current.set(meta)


def unbind(token) -> None:
    _current.reset(token)


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, trusting X-Forwarded-For only from NUM_PROXIES known proxies."""
    candidates = [request.META.get("REMOTE_ADDR", "")]
    if settings.NINJA_NUM_PROXIES:
        forwarded = [p.strip() for p in request.headers.get("X-Forwarded-For", "").split(",")]
        forwarded = [p for p in forwarded if p]
        if len(forwarded) >= settings.NINJA_NUM_PROXIES:
            candidates.insert(0, forwarded[-settings.NINJA_NUM_PROXIES])
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None


def client_ip_for_axes(request: HttpRequest) -> str:
    # django-axes wants a string; the same proxy rules as everywhere else.
    return client_ip(request) or ""
