from __future__ import annotations

import pytest

from tests.audit.trail import BUSINESS_TIME_ZONE, write_trail
from tests.factories import UserFactory
from tracker.accounts.models import Role


@pytest.fixture
def trail(db, settings):
    """Four entries by two tutors, none of them by the signed-in admin (whose sign-in is
    itself an entry, made at today's date, that no filter case may pick up)."""
    settings.TIME_ZONE = BUSINESS_TIME_ZONE
    actors = {name: UserFactory(username=name, role=Role.TUTOR) for name in ("ann", "ben")}
    return write_trail(actors)
