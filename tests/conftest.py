from __future__ import annotations

from pathlib import Path

import pytest

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
