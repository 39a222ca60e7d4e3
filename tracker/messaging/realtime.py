"""Per-person change counters that open pages poll, cheaply, to show news within seconds.

The counter lives in the database, so every app process sees the same value. With Redis
(`REDIS_URL`) polls are answered from the shared cache and the database is read only after
a change; without it each poll is one primary-key read. Either way a poll that finds
nothing new answers 304 and never touches the request path of anyone else.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from tracker.core import cache as versions
from tracker.messaging.models import InboxVersion

TTL = 300


def _key(user_id: int) -> str:
    return f"inbox-version:{user_id}"


def _shared_cache() -> bool:
    # A per-process memory cache would hide changes made by another process.
    return bool(settings.REDIS_URL)


def bump(user_ids: Iterable[int]) -> None:
    ids = sorted(set(user_ids))
    if not ids:
        return
    InboxVersion.objects.bulk_create(
        [InboxVersion(user_id=uid) for uid in ids], ignore_conflicts=True
    )
    InboxVersion.objects.filter(user_id__in=ids).update(version=F("version") + 1)
    versions.renew(versions.inbox_scope(uid) for uid in ids)
    if _shared_cache():
        transaction.on_commit(lambda: cache.delete_many([_key(uid) for uid in ids]))


def version(user_id: int) -> int:
    if _shared_cache():
        cached = cache.get(_key(user_id))
        if cached is not None:
            return cached
    value = (
        InboxVersion.objects.filter(user_id=user_id).values_list("version", flat=True).first() or 0
    )
    if _shared_cache():
        cache.set(_key(user_id), value, TTL)
    return value
