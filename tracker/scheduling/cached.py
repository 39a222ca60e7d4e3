"""The calendar feed as a cached read (tracker/core/cached_reads.py): the API stores it
(tracker/scheduling/api.py, `sessions_feed`) under `selectors.feed_key`, and both build
it with `feed_body`."""

from __future__ import annotations

from typing import Any

from django.http import QueryDict

from tracker.accounts.models import User
from tracker.core.cached_reads import CachedRead
from tracker.scheduling import selectors
from tracker.scheduling.api import FeedFilters, feed_body


def _filters(query: QueryDict) -> dict[str, Any]:
    # The API's own schema: a query it would refuse raises here too.
    return FeedFilters.model_validate(query.dict()).dict()


def _scopes(user: User, query: QueryDict) -> tuple[str, ...]:
    return selectors.feed_scopes(user=user, **_filters(query))


def _build(user: User, query: QueryDict) -> bytes:
    return feed_body(user=user, **_filters(query))


def _key(user: User, scope_versions: str, query: QueryDict) -> str:
    return selectors.feed_key(user=user, scope_versions=scope_versions, **_filters(query))


FEED = CachedRead(
    route="api:sessions_feed", scopes=_scopes, who=selectors.feed_owner, key=_key,
    params=frozenset(FeedFilters.model_fields), build=_build,
)  # fmt: skip
