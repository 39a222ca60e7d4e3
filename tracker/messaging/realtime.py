"""Per-person change counters that open pages poll, cheaply, to show news within seconds.

The counter lives in the database, so every app process sees the same value. With Redis
(`REDIS_URL`) polls are answered from the shared cache and the database is read only after
a change; without it each poll is one primary-key read. Either way a poll that finds
nothing new answers 304 and never touches the request path of anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.core.cache import cache
from django.db.models import F

from tracker.core import cache as versions
from tracker.messaging.models import InboxVersion

TTL = 300


def _key(user_id: int) -> str:
    # Under the person's inbox version, read before the database (tracker/core/cache.py):
    # a count read just before a change commits is stored under a version that the commit
    # replaces, so it is never served after the change.
    return f"inbox-version:{versions.current(versions.inbox_scope(user_id))}:{user_id}"


def bump(user_ids: Iterable[int]) -> None:
    ids = sorted(set(user_ids))
    if not ids:
        return
    InboxVersion.objects.bulk_create(
        [InboxVersion(user_id=uid) for uid in ids], ignore_conflicts=True
    )
    InboxVersion.objects.filter(user_id__in=ids).update(version=F("version") + 1)
    versions.renew(versions.inbox_scope(uid) for uid in ids)


def version(user_id: int) -> int:
    shared = versions.shared_cache()
    if shared:
        key = _key(user_id)
        cached = cache.get(key)
        if cached is not None:
            return cached
    value = (
        InboxVersion.objects.filter(user_id=user_id).values_list("version", flat=True).first() or 0
    )
    if shared:
        cache.set(key, value, TTL)
    return value
