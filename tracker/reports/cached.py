"""The dashboard as a cached read (tracker/core/cached_reads.py), under the same scopes
and owner as `dashboards.dashboard` keeps its figures."""

from __future__ import annotations

from django.http import QueryDict

from tracker.accounts.models import User
from tracker.core.cached_reads import CachedRead
from tracker.reports import dashboards


def _scopes(user: User, query: QueryDict) -> tuple[str, ...]:
    return dashboards.dashboard_scopes(user)


DASHBOARD = CachedRead(
    route="api:dashboard", scopes=_scopes, who=dashboards.dashboard_owner,
    params=frozenset(), timeout=dashboards.CACHE_SECONDS,
)  # fmt: skip
