"""Versioned cache keys: a change makes old values unreachable, at commit, for its scopes only."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache import cache
from django.db import transaction
from django.test import override_settings

from tracker.core import cache as versions

pytestmark = pytest.mark.django_db

REDIS_TEST_DB = "redis://127.0.0.1:6379/6"


@pytest.fixture
def shared(settings):
    """As with Redis: the version tokens live in the cache, which every process shares
    (this process's memory cache stands in for it)."""
    settings.REDIS_URL = "redis://stands-for-a-shared-cache"


def test_without_redis_the_version_is_the_database_counter_bumped_in_the_transaction():
    before = versions.current(versions.SESSIONS)
    with transaction.atomic():
        versions.bump([versions.MONEY])
        # Inside the writing transaction already: the counter commits with the data.
        assert versions.current(versions.SESSIONS) != before
    assert versions.current(versions.MONEY) == versions.current(versions.SESSIONS)
    assert versions.change_count() == int(before.removeprefix("db")) + 1


def test_with_redis_a_version_is_read_from_the_cache_without_a_query(
    shared, django_assert_num_queries
):
    first = versions.current(versions.SESSIONS, versions.tutor_scope(1))
    with django_assert_num_queries(0):
        assert versions.current(versions.SESSIONS, versions.tutor_scope(1)) == first


def test_with_redis_a_bump_changes_the_versions_when_the_transaction_commits(
    shared, django_capture_on_commit_callbacks
):
    before = versions.current(versions.SESSIONS)
    with django_capture_on_commit_callbacks() as callbacks:
        versions.bump([versions.SESSIONS])
        # Not yet: a reader now must not store data from before the commit as new.
        assert versions.current(versions.SESSIONS) == before
    assert callbacks
    for callback in callbacks:
        callback()
    assert versions.current(versions.SESSIONS) != before


def test_a_rolled_back_change_keeps_the_versions(shared):
    before = versions.current(versions.SESSIONS)

    def change_that_fails():
        with transaction.atomic():
            versions.bump([versions.SESSIONS])
            raise RuntimeError

    with pytest.raises(RuntimeError):
        change_that_fails()
    assert versions.current(versions.SESSIONS) == before


def test_only_the_scopes_bumped_change(shared, django_capture_on_commit_callbacks):
    mine, theirs = versions.tutor_scope(1), versions.tutor_scope(2)
    before = {scope: versions.current(scope) for scope in (mine, theirs, versions.MONEY)}
    with django_capture_on_commit_callbacks(execute=True):
        versions.bump([theirs])
    assert versions.current(mine) == before[mine]
    assert versions.current(versions.MONEY) == before[versions.MONEY]
    assert versions.current(theirs) != before[theirs]


def test_everything_scopes_cover_calendars_and_dashboards(
    shared, django_capture_on_commit_callbacks
):
    scopes = (versions.SESSIONS, versions.SHARED, versions.tutor_scope(1), versions.MONEY)
    before = {scope: versions.current(scope) for scope in scopes}
    with django_capture_on_commit_callbacks(execute=True):
        versions.bump_all()
    changed = {scope for scope in scopes if versions.current(scope) != before[scope]}
    # A tutor's own calendar is keyed by SHARED too, so it is dropped with the rest.
    assert changed == {versions.SESSIONS, versions.SHARED}


def test_a_lost_version_comes_back_new_never_old(shared):
    """Evicted or expired: whatever was cached under the old token stays unreachable."""
    before = versions.current(versions.MONEY)
    cache.delete("version:money")
    after = versions.current(versions.MONEY)
    assert after != before
    assert versions.current(versions.MONEY) == after


def test_the_versions_live_in_redis_when_it_is_configured(
    settings, django_capture_on_commit_callbacks
):
    prefix = f"test-versions-{uuid.uuid4().hex[:8]}"
    caches = {
        "default": {
            "BACKEND": "tracker.core.redis_cache.RedisCache",
            "LOCATION": REDIS_TEST_DB,
            "KEY_PREFIX": prefix,
        }
    }
    server = redis.Redis.from_url(REDIS_TEST_DB)
    settings.REDIS_URL = REDIS_TEST_DB
    try:
        with override_settings(CACHES=caches):
            before = versions.current(versions.SESSIONS, versions.tutor_scope(7))
            with django_capture_on_commit_callbacks(execute=True):
                versions.bump([versions.tutor_scope(7)])
            after = versions.current(versions.SESSIONS, versions.tutor_scope(7))
            assert after.split(".")[0] == before.split(".")[0]
            assert after.split(".")[1] != before.split(".")[1]
            ttl = server.ttl(f"{prefix}:1:version:tutor:7")
            assert 0 < ttl <= versions.VERSION_TTL
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)


def test_the_redis_backend_keeps_one_client_per_connection_pool():
    """Django's backend builds a redis.Redis for every call (a fifth of a cached feed's CPU
    under load); ours keeps one, which every thread shares, and still talks to Redis."""
    from concurrent.futures import ThreadPoolExecutor

    from tracker.core.redis_cache import RedisCache

    backend = RedisCache(REDIS_TEST_DB, {"KEY_PREFIX": f"test-client-{uuid.uuid4().hex[:8]}"})
    client = backend._cache.get_client(write=True)
    assert backend._cache.get_client() is client
    assert backend._cache.get_client(write=False) is client
    try:
        with ThreadPoolExecutor(4) as threads:
            list(threads.map(lambda n: backend.set(f"k{n}", n), range(40)))
            assert list(threads.map(lambda n: backend.get(f"k{n}"), range(40))) == list(range(40))
    finally:
        backend.delete_many([f"k{n}" for n in range(40)])
