"""A world of objects that belong to another tutor (`other_tutor`), for the security suite.

`tutor` is the one trying to reach them: every id here is outside that tutor's scope, and
inside the scope of `other_tutor`, moderators and admins, which is what makes a 404 for
`tutor` mean "refused" rather than "no such thing".
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from tests.factories import SubjectFactory, UserFactory
from tests.students.conftest import StudentFactory

SAST = ZoneInfo("Africa/Johannesburg")


@pytest.fixture
def world(db, admin, moderator, tutor, other_tutor):
    from tracker.accounts.models import TokenFamily
    from tracker.accounts.tokens import token_issue
    from tracker.attendance.services import logs_verify, session_log
    from tracker.finance import services as finance
    from tracker.messaging.models import Message
    from tracker.messaging.services import thread_start
    from tracker.scheduling.closures import closure_add
    from tracker.scheduling.services import session_create
    from tracker.students.availability import availability_add, time_off_add

    subject = SubjectFactory(name="Physics")
    theirs = StudentFactory(first_name="Thandi", last_name="Theirs", tutors=[other_tutor])
    theirs.subjects.add(subject)
    # The tutor has a student of their own, so that a 404 is not "this tutor sees nothing".
    StudentFactory(first_name="Mpho", last_name="Mine", tutors=[tutor])

    def booked(start: datetime) -> object:
        return session_create(
            actor=moderator, start=start, end=start + timedelta(hours=1),
            tutor=other_tutor, students=[theirs], subject=subject,
        )  # fmt: skip

    upcoming = booked(datetime(2031, 3, 10, 15, tzinfo=SAST))
    logged = booked(datetime(2026, 2, 10, 15, tzinfo=SAST))
    session_log(actor=other_tutor, session=logged, outcome="completed")
    billed = booked(datetime(2026, 2, 11, 15, tzinfo=SAST))
    session_log(actor=other_tutor, session=billed, outcome="completed")
    logs_verify(actor=moderator, session_ids=[billed.pk])
    rate = finance.rate_set(actor=admin, student=theirs, hourly_rate=Decimal("300.00"),
                            effective_from=date(2020, 1, 1))  # fmt: skip
    [invoice] = finance.invoices_generate(actor=admin, start=date(2026, 2, 1),
                                          end=date(2026, 2, 28))  # fmt: skip
    payment = finance.payment_record(actor=admin, payer=invoice.payer, amount="10.00",
                                     received_on=date(2026, 2, 20), method="cash")  # fmt: skip

    student_window = availability_add(actor=moderator, owner=theirs, weekday=1,
                                      start=time(15), end=time(17))  # fmt: skip
    tutor_window = availability_add(actor=other_tutor, owner=other_tutor, weekday=2,
                                    start=time(14), end=time(18))  # fmt: skip
    later = datetime(2031, 4, 1, 8, tzinfo=SAST)
    student_time_off = time_off_add(actor=moderator, owner=theirs, starts_at=later,
                                    ends_at=later + timedelta(days=2), reason="Trip")  # fmt: skip
    tutor_time_off = time_off_add(actor=other_tutor, owner=other_tutor, starts_at=later,
                                  ends_at=later + timedelta(days=1), reason="Exam")  # fmt: skip
    thread = thread_start(actor=moderator, recipients=[other_tutor], subject="Thursday",
                          body="Can you take Thandi at 16:00?")  # fmt: skip
    closure = closure_add(actor=admin, start_date=date(2031, 12, 24), end_date=date(2031, 12, 26),
                          reason="Holidays", branch=None)  # fmt: skip
    # One of the other tutor's API sign-ins, by its public id on "where you're signed in".
    token_issue(user=other_tutor)
    signin = f"api-{TokenFamily.objects.filter(user=other_tutor).latest('pk').pk}"
    return {
        "signin": signin, "spare": UserFactory(username="spare").pk,
        "student": theirs.pk, "session": upcoming.pk, "logged": logged.pk,
        "user": other_tutor.pk, "window": student_window.pk, "time_off": student_time_off.pk,
        "tutor_window": tutor_window.pk, "tutor_time_off": tutor_time_off.pk,
        "thread": thread.pk, "message": Message.objects.filter(thread=thread).get().pk,
        "closure": closure.pk, "invoice": invoice.pk, "line": invoice.lines.first().pk,
        "payer": invoice.payer_id, "payment": payment.pk, "rate": rate.pk,
        "branch": theirs.branch_id, "school": theirs.school_id, "subject": subject.pk,
    }  # fmt: skip
