"""API rate limits: per token for signed-in callers, per client address for everyone else.

ninja's own throttles are not used as they are: they keep each request's state on the
throttle object, which every request thread shares, and they store a list of timestamps
that two workers can overwrite at once. These count in fixed windows with one atomic
increment, in Redis when REDIS_URL is set (so every worker and process shares the
count) and in process memory otherwise. A fixed window lets a client send up to twice its
rate across a window boundary, which is fine for what this guards against: scraping,
guessing and runaway scripts.
"""

from __future__ import annotations

import hashlib
import math
import time
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from ninja.throttling import BaseThrottle

from tracker.core.request_context import client_ip

_PERIODS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hour": 3600, "d": 86400, "day": 86400}


def parse_rate(rate: str) -> tuple[int, int]:
    """'600/m' → (600, 60); '10/5m' → (10, 300)."""
    count, _, span = rate.partition("/")
    digits = span.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = span[len(digits) :]
    if unit not in _PERIODS or not count.isdigit() or (digits and not digits.isdigit()):
        raise ValueError(f"Invalid rate {rate!r}: expected e.g. '600/m'")
    return int(count), int(digits or 1) * _PERIODS[unit]


def _digest(value: str) -> str:
    # Keys never hold a token or a session key that could be read back from the cache.
    return hashlib.sha256(value.encode()).hexdigest()[:32]


def _count(key: str, timeout: int) -> int:
    """Add one to the window's count and return it. Every API request pays this, so with
    Redis it is one round trip (INCR and EXPIRE in one pipeline; Django's `incr` costs an
    EXISTS first and `add` another trip); other caches use the portable add-or-incr."""
    backend = caches["default"]  # `cache` is a proxy to it: ask the backend itself
    if isinstance(backend, RedisCache):
        full = backend.make_and_validate_key(key)
        pipe = backend._cache.get_client(full, write=True).pipeline()
        pipe.incr(full)
        pipe.expire(full, timeout)
        return pipe.execute()[0]
    if cache.add(key, 1, timeout=timeout):
        return 1
    try:
        return cache.incr(key)
    except ValueError:  # expired between add and incr: this is a new window
        cache.add(key, 1, timeout=timeout)
        return 1


def _window_key(scope: str, identity: str, window: int) -> str:
    return f"throttle:{scope}:{identity}:{window}"


def _bearer_identity(raw_token: str) -> str:
    return "bearer-" + _digest(raw_token)


def count_token_and_read(
    request: HttpRequest, raw_token: str, keys: list[str], *, also: str | None = None
) -> tuple[bool, list[Any], Any] | None:
    """For a request answered before ninja runs (tracker/core/cached_reads.py): count it
    against its token's limit as `TokenThrottle` does, and read `keys` (and the value at
    `also`, when given) from the cache, in one Redis round trip. Says whether the request
    is within its limit, and gives the values (None for a missing one). None without
    Redis: such a request goes to ninja. If it goes to ninja after all, `TokenThrottle`
    takes this count instead of counting the request a second time."""
    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        return None
    limit, period = parse_rate(settings.API_RATE_LIMIT_USER)
    window = int(TokenThrottle.timer() // period)
    counter = backend.make_and_validate_key(
        _window_key(TokenThrottle.scope, _bearer_identity(raw_token), window)
    )
    wanted = [backend.make_and_validate_key(key) for key in keys]
    if also is not None:
        wanted.append(backend.make_and_validate_key(also))
    pipe = backend._cache.get_client(counter, write=True).pipeline()
    pipe.incr(counter)
    pipe.expire(counter, period + 1)
    pipe.mget(wanted)
    count, _expiry, values = pipe.execute()
    request.token_count = (window, count)
    loads = backend._cache._serializer.loads
    values = [None if value is None else loads(value) for value in values]
    extra = values.pop() if also is not None else None
    return count <= limit, values, extra


class WindowThrottle(BaseThrottle):
    """At most N requests per period for one identity; subclasses say whose and how many."""

    scope = ""
    rate_setting = ""
    timer = staticmethod(time.time)

    def __init__(self) -> None:
        # What ninja asks `wait()` right after a refusal, kept per request, not per object.
        self._wait: ContextVar[float | None] = ContextVar(f"throttle_wait_{self.scope}")

    def identity(self, request: HttpRequest) -> str | None:
        raise NotImplementedError

    def allow_request(self, request: HttpRequest) -> bool:
        self._wait.set(None)
        identity = self.identity(request)
        if identity is None:
            return True
        # Read on every request, so that a changed setting (or a test's override) applies.
        limit, period = parse_rate(getattr(settings, self.rate_setting))
        now = self.timer()
        window = int(now // period)
        count = self.count(request, _window_key(self.scope, identity, window), window, period)
        if count <= limit:
            return True
        self._wait.set(max(1, math.ceil((window + 1) * period - now)))
        return False

    def count(self, request: HttpRequest, key: str, window: int, period: int) -> int:
        return _count(key, period + 1)

    def wait(self) -> float | None:
        return self._wait.get(None)


class TokenThrottle(WindowThrottle):
    """Signed-in callers: per bearer token, or per browser session for the pages' calls."""

    scope = "token"
    rate_setting = "API_RATE_LIMIT_USER"

    def count(self, request: HttpRequest, key: str, window: int, period: int) -> int:
        # Already counted by `count_token_and_read` in this window: once is enough.
        counted = getattr(request, "token_count", None)
        if counted is not None and counted[0] == window:
            return counted[1]
        return super().count(request, key, window, period)

    def identity(self, request: HttpRequest) -> str | None:
        if getattr(request, "auth", None) is None:
            return None
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and token:
            return _bearer_identity(token.strip())
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            return "session-" + _digest(session.session_key)
        return f"user-{request.user.pk}"


class AddressThrottle(WindowThrottle):
    """Everyone else, by the client's address as the trusted proxies report it."""

    scope = "address"
    rate_setting = "API_RATE_LIMIT_ANON"

    def identity(self, request: HttpRequest) -> str | None:
        if getattr(request, "auth", None) is not None:
            return None
        return "ip-" + (client_ip(request) or "unknown")


def api_throttles() -> list[BaseThrottle]:
    return [TokenThrottle(), AddressThrottle()]
