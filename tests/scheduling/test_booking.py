"""One-off sessions: booking, no double booking, rescheduling, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import UserFactory
from tests.scheduling.conftest import at
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog
from tracker.core.errors import Conflict
from tracker.scheduling import services
from tracker.scheduling.models import Session, SessionStatus, SessionStudent

pytestmark = pytest.mark.django_db


def test_booking_stores_utc_and_seats_the_students(book, pupil):
    session = Session.objects.get(pk=book(at(3, 16)).pk)
    assert session.start.utcoffset() == timedelta(0)
    assert session.start == at(3, 16)
    seat = SessionStudent.objects.get(session=session)
    assert (seat.student, seat.start, seat.end, seat.active) == (
        pupil,
        session.start,
        session.end,
        True,
    )
    assert AuditLog.objects.filter(action="scheduling.session.created").exists()


def test_tutors_cannot_book(tutor, pupil):
    with pytest.raises(PermissionDenied):
        services.session_create(
            actor=tutor, tutor=tutor, students=[pupil], start=at(3, 16), end=at(3, 17)
        )


@pytest.mark.parametrize(
    ("start", "minutes", "field"),
    [(at(3, 16), 0, "end"), (at(3, 16), -30, "end"), (at(3, 8), 9 * 60, "end")],
)
def test_impossible_times_are_field_errors(book, start, minutes, field):
    with pytest.raises(ValidationError) as excinfo:
        book(start, minutes=minutes)
    assert field in excinfo.value.message_dict


def test_a_tutor_cannot_be_in_two_sessions_at_once(book, pupil):
    first = book(at(3, 16))
    other_student = StudentFactory()
    with pytest.raises(Conflict) as excinfo:
        book(at(3, 16, 30), students=[other_student])
    assert excinfo.value.extra["clashing_session"]["id"] == first.pk
    assert Session.objects.count() == 1


def test_a_student_cannot_be_in_two_sessions_at_once(book, pupil):
    first = book(at(3, 16))
    other_tutor = UserFactory(username="second-tutor", role=Role.TUTOR)
    with pytest.raises(Conflict) as excinfo:
        book(at(3, 16, 45), tutor=other_tutor)
    assert excinfo.value.extra["clashing_session"]["id"] == first.pk


def test_back_to_back_sessions_are_fine(book):
    book(at(3, 16))
    assert book(at(3, 17)).start == at(3, 17)


def test_a_cancelled_session_frees_its_slot(book, moderator):
    first = book(at(3, 16))
    services.session_cancel(actor=moderator, session=first, reason="Sick")
    assert book(at(3, 16)).status == SessionStatus.SCHEDULED


def test_rescheduling_checks_clashes_but_not_against_itself(book, moderator):
    first = book(at(3, 16))
    second = book(at(3, 18))
    moved = services.session_update(
        actor=moderator, session=first, start=at(3, 16, 30), end=at(3, 17, 30)
    )
    assert moved.start == at(3, 16, 30)
    assert moved.seats.get().start == at(3, 16, 30)
    with pytest.raises(Conflict):
        services.session_update(
            actor=moderator, session=first, start=at(3, 17, 45), end=at(3, 18, 45)
        )
    first.refresh_from_db()
    assert first.start == at(3, 16, 30)
    assert second.start == at(3, 18)


def test_cancel_needs_a_reason_and_records_who_and_billable(book, moderator):
    session = book(at(3, 16))
    with pytest.raises(ValidationError):
        services.session_cancel(actor=moderator, session=session, reason="  ")
    services.session_cancel(actor=moderator, session=session, reason="Late notice", billable=True)
    session.refresh_from_db()
    assert session.status == SessionStatus.CANCELLED
    assert (session.cancelled_by, session.billable) == (moderator, True)
    assert session.seats.get().active is False


def test_changing_the_students_reseats_them(book, moderator, pupil):
    session = book(at(3, 16))
    newcomer = StudentFactory()
    services.session_update(actor=moderator, session=session, students=[newcomer])
    assert list(session.seats.values_list("student_id", flat=True)) == [newcomer.pk]


def test_inactive_tutor_or_archived_student_is_refused(book, pupil):
    retired = UserFactory(username="retired", role=Role.TUTOR, is_active=False)
    with pytest.raises(ValidationError) as excinfo:
        book(at(3, 16), tutor=retired)
    assert "tutor" in excinfo.value.message_dict
    pupil.status = "archived"
    pupil.save()
    with pytest.raises(ValidationError) as excinfo:
        book(at(3, 16))
    assert "students" in excinfo.value.message_dict


def test_every_change_bumps_the_feed_version(book, moderator):
    from tracker.scheduling.selectors import feed_version

    before = feed_version()
    session = book(at(3, 16))
    services.session_update(actor=moderator, session=session, location="Room 2")
    assert feed_version() == before + 2


def test_sessions_cannot_last_over_eight_hours(book):
    with pytest.raises(ValidationError):
        book(at(3, 8), minutes=8 * 60 + 1)
    assert book(at(4, 8), minutes=8 * 60).end - at(4, 8) == timedelta(hours=8)


@pytest.mark.parametrize("change", ["update", "cancel"])
def test_a_log_committed_after_the_session_was_read_is_not_overwritten(change, moderator, book):
    """A coordinator edits a session they read a moment ago while the tutor's phone syncs
    its log: the edit must see the log and refuse, not save the old status back."""
    read_before = book(at(3, 16))
    Session.objects.filter(pk=read_before.pk).update(status=SessionStatus.COMPLETED)
    edits = {
        "update": lambda: services.session_update(
            actor=moderator, session=read_before, location="Room 9"
        ),
        "cancel": lambda: services.session_cancel(
            actor=moderator, session=read_before, reason="Ill"
        ),
    }
    with pytest.raises(Conflict):
        edits[change]()
    stored = Session.objects.get(pk=read_before.pk)
    assert (stored.status, stored.location) == (SessionStatus.COMPLETED, "")
