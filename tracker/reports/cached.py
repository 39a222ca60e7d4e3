"""The dashboard as a cached read (tracker/core/cached_reads.py), under the same scopes
and owner as `dashboards.dashboard` keeps its figures."""

from __future__ import annotations

from django.http import QueryDict

from tracker.accounts.models import User
from tracker.core.cached_reads import CachedRead
from tracker.reports import dashboards
from tracker.reports.api import dashboard_body


def _scopes(user: User, query: QueryDict) -> tuple[str, ...]:
    return dashboards.dashboard_scopes(user)


def _build(user: User, query: QueryDict) -> bytes:
    # Computed afresh: the middleware keeps the answer itself, under the versions it read
    # before this, so keeping the figures as well would only cost a pickling.
    return dashboard_body(dashboards.live_dashboard(user=user))


DASHBOARD = CachedRead(
    route="api:dashboard", scopes=_scopes, who=dashboards.dashboard_owner,
    params=frozenset(), timeout=dashboards.CACHE_SECONDS, build=_build,
)  # fmt: skip
