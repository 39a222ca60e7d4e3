from __future__ import annotations

from pathlib import Path

import pytest
from django.db import transaction

from tests.factories import UserFactory
from tracker.accounts.models import Role


@pytest.fixture
def admin(db):
    return UserFactory(username="admin", role=Role.ADMIN)


@pytest.fixture
def moderator(db):
    return UserFactory(username="moderator", role=Role.MODERATOR)


@pytest.fixture
def tutor(db):
    return UserFactory(username="tutor", role=Role.TUTOR)


@pytest.fixture
def other_tutor(db):
    """A tutor outside everyone else's scope: what they may not see is the test."""
    return UserFactory(username="outsider", role=Role.TUTOR)


@pytest.fixture
def bearer():
    """Authorization headers for a user, from a real token pair."""
    from tracker.accounts.tokens import token_issue

    def headers(user) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=user).access_token}"}

    return headers


@pytest.fixture
def people(admin, moderator, tutor):
    return {"admin": admin, "moderator": moderator, "tutor": tutor, "anonymous": None}


def pytest_configure(config):
    # WhiteNoise warns at start-up when STATIC_ROOT is missing, as on a fresh clone.
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The cache outlives a test's database transaction; start each test without it.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="module")
def module_db(django_db_setup, django_db_blocker):
    """Database access for a module-scoped fixture that builds a world once for a module's
    tests instead of once per test. Each test still runs in its own savepoint inside it,
    so what a test changes is undone for the next; the world itself is rolled back after
    the module. Not for modules with transactional tests (they would flush the world)."""
    with django_db_blocker.unblock():
        # Marked as Django's own test atomics are, so that a durable atomic block in the
        # code under test still counts as the outermost one.
        atomic = transaction.atomic()
        atomic._from_testcase = True
        atomic.__enter__()
        try:
            yield
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


# --- Caches (tests/scheduling/test_feed_cache.py, tests/reports/test_dashboard_cache.py)


@pytest.fixture(params=["memory", "redis"])
def mode(request, settings):
    """Each test twice: caches in process memory, and as a Redis deployment keeps them
    (versions in the shared cache; the test cache stands in for Redis)."""
    if request.param == "redis":
        settings.REDIS_URL = "redis://stands-for-a-shared-cache"
    return request.param


REDIS_TEST_DB = "redis://127.0.0.1:6379/10"


@pytest.fixture
def shared_redis(settings):
    """The machine's real Redis as the cache (a database and a key prefix of its own): what
    CachedReadMiddleware needs, a pipeline that the in-memory stand-in lacks."""
    import uuid

    import redis
    from django.test import override_settings

    prefix = f"test-reads-{uuid.uuid4().hex[:8]}"
    caches = {
        "default": {
            "BACKEND": "tracker.core.redis_cache.RedisCache",
            "LOCATION": REDIS_TEST_DB,
            "KEY_PREFIX": prefix,
        }
    }
    settings.REDIS_URL = REDIS_TEST_DB
    server = redis.Redis.from_url(REDIS_TEST_DB)
    try:
        with override_settings(CACHES=caches):
            yield server
    finally:
        for key in server.scan_iter(f"{prefix}:*"):
            server.delete(key)


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a change as if its transaction committed (tests never commit): what a Redis
    deployment reacts to."""

    def run(change, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return change(*args, **kwargs)

    return run


# --- How the suite is split and ordered (see the Makefile's `test`) ----------------------

# Fixtures that make a test transactional, as pytest-django decides.
TRANSACTIONAL_FIXTURES = {"transactional_db", "django_db_reset_sequences", "live_server"}
# The longest modules (up to tens of seconds each): started first, so that the workers
# finish together instead of one waiting for the other's last long test.
SLOW_FIRST = (
    "tests/test_serving.py",
    "tests/security/test_schemathesis.py",
    "tests/core/test_backup.py",
    "tests/core/test_seed_demo.py",
    "tests/security/test_crash.py",
    "tests/core/test_seed_load.py",
    "tests/accounts/test_acceptance.py",
    "tests/students/test_encryption_at_rest.py",
    "tests/students/test_import.py",
    "tests/finance/test_properties.py",
    "tests/security/test_production.py",
    "tests/security/test_bandit.py",
    "tests/browser/test_signin.py",
    "tests/browser/test_calendar.py",
    "tests/browser/test_messaging.py",
    "tests/browser/test_account_security.py",
    "tests/browser/test_finance.py",
)


def _section(item) -> int:
    """0: no database, 1: the database in a transaction rolled back after the test,
    2: transactional (each flushes the database when it ends)."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = marker and (
        marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")
    )
    if transactional or fixtures & TRANSACTIONAL_FIXTURES:
        return 2
    return 1 if marker or "db" in fixtures else 0


def _path(item) -> str:
    return item.nodeid.split("::")[0]


@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(items):
    """Mark the tests that never touch the suite's database `db_independent`: they give
    the same answer on SQLite and PostgreSQL, so the PostgreSQL pass leaves them out. A
    test that makes a database of the suite's kind itself is marked `every_database`."""
    for item in items:
        if _section(item) == 0 and not item.get_closest_marker("every_database"):
            item.add_marker(pytest.mark.db_independent)
    yield
    # After pytest-django's ordering, which this keeps: a transactional test's flush would
    # remove rows that data migrations made, so those run after the rolled-back ones. The
    # tests without a database can go first, and the longest modules go first in each part.
    # The Makefile hands whole files to the workers in this order (--dist loadfile
    # --no-loadscope-reorder), a file where its first test comes: so the files that also
    # hold transactional tests come after all the others.
    flushing = {_path(item) for item in items if _section(item) == 2}

    def order(item) -> tuple[float, int]:
        section = _section(item)
        if section < 2 and _path(item) in flushing:
            section = 1.5
        slow = SLOW_FIRST.index(_path(item)) if _path(item) in SLOW_FIRST else len(SLOW_FIRST)
        return section, slow

    items.sort(key=order)
