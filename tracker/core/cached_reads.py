"""Repeated API reads answered from the cache before the rest of the stack runs.

A calendar asks for the same week again and again (every view change, refresh and poll
that saw a new version), and the student list is re-read as often: most of a tutoring
business's API traffic. Once such an answer is cached, asking again needs only the token,
the rate limit, the permission and two cache reads, while the full stack adds sessions,
CSRF, URL resolution, the request's transaction and ninja's parsing: under the load
benchmark, three times the CPU of the answer itself.

`CachedReadMiddleware` answers a repeated read itself, with the same checks through the
same functions: the token's owner as `tokens.user_for_access_token` last read it, trusted
only while the owner's auth version is unchanged; the rate limit counted as `TokenThrottle`
counts it (once: a request left to the API is not counted again); the host checked as
Django checks it; and the route's `CachedRead`, whose `scopes` checks the permission and
names the versions the answer is stored under (tracker/core/cache.py). Anything it cannot
answer (a token not seen yet, a changed account, a new version, a limit reached, a bad
parameter, no Redis) goes on to the API untouched; when the API then answers 200, its
answer is stored under the versions read before it ran, so a change committed meanwhile
makes it unreachable. Only with a shared cache: without one there is no version to check
an account against.

A route whose answers a change makes stale all day long (a tutor's week and dashboard,
after each of their logs) also gives `build`, the function its API view answers with: the
middleware then builds a missing answer itself, under the versions it has just read,
instead of running the rest of the stack for it (under the load benchmark the stack cost
as much again as the rebuild). What the build refuses (a permission, a query, a range)
or fails at in the database, it leaves to the API, which answers it as it always does.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DatabaseError, transaction
from django.http import HttpRequest, HttpResponse, QueryDict
from django.urls import ResolverMatch, resolve, reverse
from django.utils.cache import patch_vary_headers
from django.utils.module_loading import import_string
from pydantic import ValidationError

from tracker.accounts import tokens
from tracker.accounts.models import User
from tracker.accounts.security import admin_needs_second_factor
from tracker.core import cache as versions
from tracker.core.errors import DomainError
from tracker.core.throttling import count_token_and_read

JSON = "application/json; charset=utf-8"
# The parameters of ninja's cursor pagination, for the routes that page.
PAGES = frozenset({"cursor", "page_size"})


@dataclass(frozen=True)
class CachedRead:
    """A GET route whose answer depends only on who asks (`who`), the query and the data
    of `scopes`. `scopes` raises for someone who may not read it, or for a bad query.
    `key`, when given, is the API's own cache key for the answer (the API stores its JSON
    body there); otherwise the middleware stores the API's answer with its content type.
    `build`, when given, makes the JSON body the API view answers with, from the same
    function."""

    route: str
    scopes: Callable[[User, QueryDict], tuple[str, ...]]
    who: Callable[[User], str]
    # The query parameters the route takes: a request with any other is left to the API,
    # so that made-up parameters cannot fill the cache with copies of one answer.
    params: frozenset[str]
    key: Callable[[User, str, QueryDict], str] | None = None
    timeout: int = 300
    build: Callable[[User, QueryDict], bytes] | None = None


# A marker: the answer has not been read yet (None means it was, and is not cached).
_UNREAD = object()
# Remembered keys, one per person and request; a bound on the memory they take.
GUESSES_MAX = 50_000
# A longer query string is left to the API (a calendar's or a list's is far shorter).
QUERY_MAX = 512


@dataclass(frozen=True)
class _Plan:
    key: str
    user: User
    who: str
    found: Any = _UNREAD


@dataclass(frozen=True)
class _Guess:
    scopes: tuple[str, ...]
    versions: str
    key: str


@dataclass(frozen=True)
class _Route:
    read: CachedRead
    match: ResolverMatch


class CachedReadMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._routes: dict[str, _Route] | None = None
        self._guesses: dict[tuple[str, str, str, str, str], _Guess] = {}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._routes is None:
            # Built whole, then published: the worker's other threads see all or nothing.
            routes = {}
            for path in settings.CACHED_READS:
                read = import_string(path)
                match = resolve(reverse(read.route))
                routes["/" + match.route] = _Route(read, match)
            self._routes = routes
        route = self._routes.get(request.path_info) if request.method == "GET" else None
        if route is None:
            return self.get_response(request)
        return self._answer(request, route)

    def _answer(self, request: HttpRequest, route: _Route) -> HttpResponse:
        plan = self._plan(request, route.read)
        if plan is None:
            return self.get_response(request)
        read = route.read
        found = plan.found if plan.found is not _UNREAD else cache.get(plan.key)
        if found is not None:
            content_type, body = (JSON, found) if read.key else found
            return _respond(request, route, content_type, body)
        if read.build is not None:
            body = _build(request, read, plan)
            if body is not None:
                cache.set(plan.key, body if read.key else (JSON, body), read.timeout)
                return _respond(request, route, JSON, body)
        response = self.get_response(request)
        if read.key is None and _storable(request, response, plan, read):
            cache.set(plan.key, (response["Content-Type"], response.content), read.timeout)
        return response

    def _plan(self, request: HttpRequest, read: CachedRead) -> _Plan | None:
        """Where this request's answer is cached, or None when it cannot be trusted."""
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw:
            return None
        seen = tokens.remembered(raw)
        if seen is None or admin_needs_second_factor(seen.user):
            return None
        host = request.get_host()  # Django's check of the Host header (DisallowedHost: 400)
        if len(request.META.get("QUERY_STRING", "")) > QUERY_MAX:
            return None
        # What this person's same request gave last time. The query's checks and the scopes
        # depend only on the query and on the account as its auth version describes it, so
        # they hold again; the key, read with the versions in the same round trip, is the
        # answer whenever the versions have not changed since.
        who = read.who(seen.user)
        # The raw query, byte for byte: two queries that parse differently never share.
        query_string = request.META.get("QUERY_STRING", "")
        asked = (read.route, who, seen.version, host, query_string)
        guess = self._guesses.get(asked)
        if guess is None:
            scopes = _checked_scopes(read, seen.user, request.GET)
            if scopes is None:
                return None
        else:
            scopes = guess.scopes
        counted = count_token_and_read(
            request,
            raw,
            versions.version_keys(versions.auth_scope(seen.user_id), *scopes),
            also=guess.key if guess else None,
        )
        if counted is None:
            return None
        allowed, found, guessed = counted
        if not allowed or found[0] != seen.version:
            return None
        # A scope nobody has read yet gets its first version, as `versions.current` gives.
        current = versions.current(*scopes) if None in found[1:] else ".".join(found[1:])
        if guess is not None and guess.versions == current:
            return _Plan(guess.key, seen.user, who, guessed)
        query = request.GET
        if read.key is not None:
            key = read.key(seen.user, current, query)
        else:
            digest = hashlib.sha256(query.urlencode().encode()).hexdigest()[:32]
            key = f"read:{read.route}:{current}:{who}:{host}:{digest}"
        if len(self._guesses) >= GUESSES_MAX:
            self._guesses.clear()
        self._guesses[asked] = _Guess(scopes, current, key)
        return _Plan(key, seen.user, who)


def _checked_scopes(read: CachedRead, user: User, query: QueryDict) -> tuple[str, ...] | None:
    """The scopes of a query the route takes and the person may ask, else None."""
    if not read.params.issuperset(query):
        return None
    if any(len(values) > 1 for _name, values in query.lists()):
        return None  # which of several values counts is the API's to decide
    try:
        return read.scopes(user, query)
    except (ValidationError, PermissionDenied, DomainError):
        return None


def _respond(request: HttpRequest, route: _Route, content_type: str, body: bytes) -> HttpResponse:
    # Counted and logged under the API's route, as if the API had answered.
    request.resolver_match = route.match
    response = HttpResponse(body, content_type=content_type)
    response["Content-Length"] = str(len(body))  # as CommonMiddleware would
    # As the API's answer: it also signs in by the session cookie.
    patch_vary_headers(response, ("Cookie",))
    return response


def _build(request: HttpRequest, read: CachedRead, plan: _Plan) -> bytes | None:
    """The answer the API would give, or None for the API to give it: a refusal, a bad
    query or a database error is answered by the API as it always is (and counted once:
    `TokenThrottle` takes the count already made)."""
    # A copy: what a request sets on its user stays its own (tokens.user_for_access_token).
    user = copy.copy(plan.user)
    try:
        # One transaction, as the API's request would have: a build that writes (a series
        # stored further ahead for the calendar) keeps all of it or none.
        with transaction.atomic():
            return read.build(user, request.GET)
    except (DatabaseError, DjangoValidationError, DomainError, PermissionDenied, ValidationError):
        return None


def _storable(request: HttpRequest, response: HttpResponse, plan: _Plan, read: CachedRead) -> bool:
    # The API answered this same person, as the key describes them (a role changed in
    # between would file the answer under the wrong role), in full, and nothing else.
    auth = getattr(request, "auth", None)
    return (
        response.status_code == 200
        and not response.streaming
        and auth is not None
        and auth.pk == plan.user.pk
        and read.who(auth) == plan.who
        and not response.has_header("Set-Cookie")
    )
