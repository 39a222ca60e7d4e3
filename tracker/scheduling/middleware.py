"""The calendar feed, answered from the cache before the rest of the stack runs.

A calendar asks for the same week again and again (on every view change, every refresh,
every poll that saw a new version): 60% of a tutoring business's API traffic. Once the
API's feed (tracker/scheduling/api.py) has cached a person's week, asking again needs only
the token, the rate limit, the permission and two cache reads, while the full stack adds
sessions, CSRF, URL resolution, the request's transaction and ninja's parsing: under the
load benchmark, three times the CPU of the answer itself.

So this middleware answers a repeated feed request itself, with the same checks through
the same functions: the token's owner as `tokens.user_for_access_token` last read it, valid
only while the owner's auth version is unchanged; the rate limit counted as `TokenThrottle`
counts it; the filters parsed by the API's own schema; `selectors.feed_scopes`, which checks
the permission, and `selectors.feed_key`, the key the API stored the feed under. Anything
it cannot answer from what it knows (a token not seen yet, a changed account, a new range
or version, a limit reached, a bad parameter, no Redis) goes on to the API untouched, which
answers as it always does. Only with a shared cache: without one there is no version to
check an account against.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch, resolve, reverse
from django.utils.cache import patch_vary_headers
from pydantic import ValidationError

from tracker.accounts import tokens
from tracker.accounts.security import admin_needs_second_factor
from tracker.core import cache as versions
from tracker.core.errors import DomainError
from tracker.core.throttling import count_token_and_read
from tracker.scheduling import selectors
from tracker.scheduling.api import JSON, FeedFilters

ROUTE = "api:sessions_feed"


class CachedFeedMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self._match: ResolverMatch | None = None

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._match is None:
            # Counted and logged under the API's route, as if the API had answered.
            self._match = resolve(reverse(ROUTE))
        if request.method == "GET" and request.path_info == "/" + self._match.route:
            response = self._from_cache(request)
            if response is not None:
                return response
        return self.get_response(request)

    def _from_cache(self, request: HttpRequest) -> HttpResponse | None:
        scheme, _, raw = request.headers.get("Authorization", "").partition(" ")
        raw = raw.strip()
        if scheme.lower() != "bearer" or not raw:
            return None
        seen = tokens.remembered(raw)
        if seen is None or admin_needs_second_factor(seen.user):
            return None
        query = request.GET
        if any(len(values) > 1 for _name, values in query.lists()):
            return None  # ninja decides which of several values counts
        try:
            filters = FeedFilters.model_validate(query.dict()).dict()
            scopes = selectors.feed_scopes(user=seen.user, **filters)
        except (ValidationError, PermissionDenied, DomainError):
            return None
        keys = versions.version_keys(versions.auth_scope(seen.user_id), *scopes)
        counted = count_token_and_read(request, raw, keys)
        if counted is None:
            return None
        allowed, found = counted
        if not allowed or found[0] != seen.version or None in found:
            return None
        key = selectors.feed_key(user=seen.user, scope_versions=".".join(found[1:]), **filters)
        body = cache.get(key)
        if body is None:
            return None
        request.resolver_match = self._match
        response = HttpResponse(body, content_type=JSON)
        # As the API's answer: it also signs in by the session cookie.
        patch_vary_headers(response, ("Cookie",))
        return response
