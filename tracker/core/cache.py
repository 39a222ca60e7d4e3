"""Cached reads that a change makes unreachable at once: versioned keys.

A cached value is stored under a key that carries the versions of the data it was built
from (`feed:<versions>:u12:...`). A change gives those data new versions; old keys are
never asked for again and expire on their own, so nothing is scanned or deleted and every
process sees the change on its next read.

Where the versions live:

- With Redis (`REDIS_URL`), each scope has a random token in the shared cache, and a change
  replaces the tokens of the scopes it touched once its transaction has committed. Reading
  a request's versions is one cache round trip and no database query, and a tutor's cached
  calendar outlives changes to other tutors' sessions.
- Without Redis the cache is this process's memory, which never hears of another
  process's changes. The version is then the database's change counter (`FeedVersion`),
  incremented inside the writing transaction and read with one primary-key query; every
  scope shares it.

Why a cached value is never older than its key: a reader takes the versions first and
builds the value after; a writer replaces the versions only after its commit. A reader
that began before a commit may build the old data, but it stores them under versions that
the commit makes unreachable. If a process dies between its commit and the token
replacement, the timeout of the cached values bounds how long the old data can be read.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import F

from tracker.scheduling.models import FeedVersion

# Every schedule change: everyone's calendar, the staff dashboards.
SESSIONS = "sessions"
# Changes that show in every tutor's calendar: a student's, tutor's or subject's name.
SHARED = "shared"
# Charges, invoices, payments: the admins' money figures.
MONEY = "money"
# Version tokens of scopes nobody reads (a tutor who left) go away after this long; a
# scope without a token just gets a fresh one.
VERSION_TTL = 24 * 3600


def tutor_scope(tutor_id: int) -> str:
    """One tutor's sessions: their own calendar and dashboard."""
    return f"tutor:{tutor_id}"


def inbox_scope(user_id: int) -> str:
    """One person's threads: renewed by every message they send or receive and every
    thread they read (tracker/messaging/realtime.py)."""
    return f"inbox:{user_id}"


def auth_scope(user_id: int) -> str:
    """An account as its API tokens find it: renewed by every change to the account and by
    every revocation of one of its sign-ins."""
    return f"auth:{user_id}"


def shared_cache() -> bool:
    # A per-process memory cache would hide changes made by another process.
    return bool(settings.REDIS_URL)


def _key(scope: str) -> str:
    return f"version:{scope}"


def version_keys(*scopes: str) -> list[str]:
    """Where the shared cache keeps these scopes' versions, for a caller that reads them in
    a round trip of its own; a missing one is for `current` to create."""
    return [_key(scope) for scope in scopes]


def _token() -> str:
    return secrets.token_urlsafe(8)


def current(*scopes: str) -> str:
    """The current versions of these scopes, as one string to put in a cache key."""
    if not shared_cache():
        return f"db{change_count()}"
    keys = [_key(scope) for scope in scopes]
    found = cache.get_many(keys)
    for key in keys:
        if key not in found:
            # add() sets only if nobody did meanwhile (SET NX): every reader then agrees.
            token = _token()
            found[key] = token if cache.add(key, token, VERSION_TTL) else cache.get(key, token)
    return ".".join(found[key] for key in keys)


def bump(scopes: Iterable[str]) -> None:
    """Make every value cached under these scopes' current versions unreachable, as of the
    commit of the current transaction (at once outside one)."""
    _count_change()
    renew(scopes)


def renew(scopes: Iterable[str]) -> None:
    """`bump` for scopes that only a shared cache keeps (without Redis nothing is cached
    under them), so that the database's change counter is left alone."""
    if shared_cache():
        keys = [_key(scope) for scope in set(scopes)]
        transaction.on_commit(lambda: cache.set_many({key: _token() for key in keys}, VERSION_TTL))


def bump_all() -> None:
    """A change that can show in anyone's calendar or dashboard: a name, a student's
    status, a tutor's weekly hours."""
    bump([SESSIONS, SHARED])


def change_count() -> int:
    """The database's counter of changes; calendars also poll it for their refresh."""
    return FeedVersion.objects.filter(pk=1).values_list("version", flat=True).first() or 0


def _count_change() -> None:
    if not FeedVersion.objects.filter(pk=1).update(version=F("version") + 1):
        FeedVersion.objects.create(pk=1, version=1)
