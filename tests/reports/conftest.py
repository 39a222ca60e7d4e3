"""A small business whose dashboard figures are worked out by hand in the tests.

"Now" is Wednesday 11 March 2026, 12:00 in Johannesburg: the week runs Monday 9 to
Sunday 15 March, the month is March, last month February, a year ago March 2025.
"""

from __future__ import annotations

from datetime import date, datetime, time
from decimal import Decimal

import pytest

from tests.finance.conftest import past, verified  # noqa: F401 - shared fixtures
from tests.scheduling.conftest import SAST, book, maths, pupil  # noqa: F401
from tests.students.conftest import StudentFactory
from tracker.attendance.services import log_send_back, session_log
from tracker.scheduling.services import session_cancel
from tracker.students.models import AvailabilityWindow, StudentStatus

NOW = datetime(2026, 3, 11, 12, 0, tzinfo=SAST)


@pytest.fixture
def world(book, verified, moderator, tutor, other_tutor, pupil):  # noqa: F811
    pupil.default_rate = Decimal("300.00")
    pupil.save(update_fields=["default_rate"])
    quinn = StudentFactory(
        first_name="Quinn", last_name="Quiet", tutors=[other_tutor], default_rate=Decimal("200.00")
    )
    never = StudentFactory(first_name="Nia", last_name="Never", tutors=[tutor])
    StudentFactory(first_name="Pat", last_name="Paused", status=StudentStatus.PAUSED)
    theirs = {"tutor": other_tutor, "students": [quinn]}

    s = {}
    s["mon"] = verified(date(2026, 3, 9), attendance={pupil.pk: "present"})
    s["tue"] = book(past(date(2026, 3, 10)), minutes=90)
    session_log(actor=moderator, session=s["tue"], outcome="completed",
                attendance={pupil.pk: "late"}, force=True)  # fmt: skip
    s["wed"] = book(past(date(2026, 3, 11), hour=10))
    s["thu"] = book(past(date(2026, 3, 12)))
    s["fri"] = book(past(date(2026, 3, 13)), **theirs)
    session_cancel(actor=moderator, session=s["fri"], reason="Ill")
    s["early_march"] = verified(date(2026, 3, 2), minutes=120, attendance={pupil.pk: "absent"})
    s["sent_back"] = book(past(date(2026, 3, 5)))
    session_log(actor=moderator, session=s["sent_back"], outcome="completed",
                attendance={pupil.pk: "present"}, force=True)  # fmt: skip
    log_send_back(actor=moderator, session=s["sent_back"], comment="Which chapter?")
    s["feb"] = verified(date(2026, 2, 2))
    s["feb_cancelled"] = book(past(date(2026, 2, 3)), **theirs)
    session_cancel(actor=moderator, session=s["feb_cancelled"], reason="Exams")
    s["last_year"] = verified(date(2025, 3, 4), **theirs)

    AvailabilityWindow.objects.create(tutor=tutor, weekday=0, start=time(14), end=time(18))
    AvailabilityWindow.objects.create(tutor=tutor, weekday=2, start=time(9), end=time(12))
    # Not in force this week: it ended before it.
    AvailabilityWindow.objects.create(
        tutor=tutor, weekday=4, start=time(9), end=time(17), valid_to=date(2026, 3, 1)
    )
    return {"sessions": s, "pupil": pupil, "quinn": quinn, "never": never}
