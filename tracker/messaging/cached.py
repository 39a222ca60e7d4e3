"""The thread list as a cached read (tracker/core/cached_reads.py): kept per person under
their inbox version, which every message they send or receive and every thread they read
renews. What a thread shows in the list (subject, audience, last activity, the person's
unread count) changes only through those."""

from __future__ import annotations

from django.http import QueryDict

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.core import cache as versions
from tracker.core.cached_reads import PAGES, CachedRead
from tracker.messaging.api import ThreadFilters


def _scopes(user: User, query: QueryDict) -> tuple[str, ...]:
    require(user, Cap.MESSAGE_REPLY)
    return (versions.inbox_scope(user.pk),)


def _who(user: User) -> str:
    return f"u{user.pk}"


THREADS = CachedRead(
    route="api:threads_list", scopes=_scopes, who=_who,
    params=frozenset(ThreadFilters.model_fields) | PAGES,
)  # fmt: skip
