"""Attendance rows carry their session's start, which the operations dashboard counts a
month's attendance by (tracker/attendance/models.py)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps

from tests.students.conftest import StudentFactory
from tracker.attendance import services
from tracker.attendance.models import Attendance

pytestmark = pytest.mark.django_db

backfill = importlib.import_module("tracker.attendance.migrations.0002_attendance_session_start")


def test_a_log_copies_the_session_start_to_every_mark(tutor, moderator, book, earlier_today, pupil):
    other = StudentFactory()
    session = book(earlier_today(2), students=[pupil, other])
    services.session_log(actor=tutor, session=session, outcome="completed")
    # A correction rewrites the marks: still the session's start.
    services.session_log(
        actor=moderator, session=session, outcome="completed", attendance={pupil.pk: "late"}
    )
    rows = Attendance.objects.filter(session=session).values_list("session_start", flat=True)
    assert list(rows) == [session.start, session.start]


def test_a_correction_rewrites_a_copy_that_went_wrong(tutor, moderator, book, earlier_today):
    session = book(earlier_today(2))
    services.session_log(actor=tutor, session=session, outcome="completed")
    Attendance.objects.filter(session=session).update(
        session_start=session.start.replace(year=2000)
    )
    services.session_log(actor=moderator, session=session, outcome="completed")
    assert Attendance.objects.get(session=session).session_start == session.start


def test_the_migration_fills_in_rows_written_before_it(tutor, book, earlier_today, pupil):
    first, second = book(earlier_today(4)), book(earlier_today(2))
    for session in (first, second):
        services.session_log(actor=tutor, session=session, outcome="completed")
    Attendance.objects.update(session_start=first.start.replace(year=2000))
    backfill.copy_starts(apps, schema_editor=None)
    assert dict(Attendance.objects.values_list("session_id", "session_start")) == {
        first.pk: first.start,
        second.pk: second.start,
    }
