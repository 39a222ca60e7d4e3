from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.scheduling.conftest import SAST, book, maths, pupil  # noqa: F401 - shared fixtures
from tracker.attendance.services import logs_verify, session_log
from tracker.finance import services
from tracker.scheduling.models import Session


def past(day: date, hour: int = 15, minute: int = 0) -> datetime:
    """A moment in the business's time zone on a past day."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SAST)


def log_and_verify(moderator, session, *, outcome="completed", attendance=None, cancelled_by=""):
    """Log a session and verify the log: the way money is made."""
    session_log(
        actor=moderator, session=session, outcome=outcome, attendance=attendance,
        cancelled_by=cancelled_by, force=True,
    )  # fmt: skip
    logs_verify(actor=moderator, session_ids=[session.pk])


@pytest.fixture
def verified(book, moderator):  # noqa: F811 - the shared fixture, not a redefinition
    """A session booked, logged and verified. Returns the session."""

    def make(day: date, *, minutes=60, hour=15, outcome="completed", attendance=None,
             cancelled_by="", billable=True, **booking):  # fmt: skip
        session = book(past(day, hour), minutes=minutes, **booking)
        if not billable:
            # A free session (a trial lesson): the calendar has no "billable" switch yet.
            Session.objects.filter(pk=session.pk).update(billable=False)
        log_and_verify(
            moderator, session, outcome=outcome, attendance=attendance, cancelled_by=cancelled_by
        )
        session.refresh_from_db()
        return session

    return make


@pytest.fixture
def priced(admin, pupil):  # noqa: F811
    """The pupil pays 300.00 an hour from 2020 on."""
    return services.rate_set(
        actor=admin, student=pupil, hourly_rate=Decimal("300.00"), effective_from=date(2020, 1, 1)
    )


@pytest.fixture
def last_month():
    today = timezone.localdate()
    first = today.replace(day=1) - timedelta(days=1)
    return first.replace(day=3)
