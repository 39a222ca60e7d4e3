from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import SubjectFactory
from tests.students.conftest import StudentFactory

SAST = ZoneInfo("Africa/Johannesburg")


def at(day: int, hour: int, minute: int = 0, month: int = 3, year: int = 2031) -> datetime:
    """A moment in the business's time zone (SAST), comfortably in the future."""
    return datetime(year, month, day, hour, minute, tzinfo=SAST)


@pytest.fixture
def maths(db):
    return SubjectFactory(name="Mathematics")


@pytest.fixture
def pupil(tutor):
    return StudentFactory(first_name="Palesa", last_name="Pupil", tutors=[tutor])


@pytest.fixture
def book(moderator, tutor, pupil, maths):
    """Book a one-off session for `tutor` and `pupil` (or others) through the service."""
    from tracker.scheduling.services import session_create

    def make(start, minutes=60, **overrides):
        details = {"tutor": tutor, "students": [pupil], "subject": maths, **overrides}
        return session_create(
            actor=moderator, start=start, end=start + timedelta(minutes=minutes), **details
        )

    return make
