"""Demo schedule: a weekly series for each demo student, from two weeks ago onwards."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from tracker.accounts.models import User
from tracker.core.errors import Conflict
from tracker.scheduling.models import Series, Session, SessionStatus
from tracker.scheduling.services import series_create
from tracker.students.models import Student


def seed(*, actor: User, students: list[Student]) -> int:
    if Series.objects.exists():
        return Series.objects.count()
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday() + 14)
    made = 0
    for student in students:
        tutor = student.tutors.first()
        subject = student.subjects.first()
        if tutor is None:
            continue
        for window in student.availability.all():
            if _book(
                actor, student, tutor, subject, monday + timedelta(days=window.weekday), window
            ):
                made += 1
                break
    _complete_the_past()
    return made


def _book(actor, student, tutor, subject, day, window) -> bool:
    zone = timezone.get_current_timezone()
    for hour in range(window.start.hour, window.end.hour):
        start = datetime.combine(day, time(hour), tzinfo=zone)
        try:
            series_create(
                actor=actor, tutor=tutor, students=[student], subject=subject, start=start,
                end=start + timedelta(hours=1), repeat={"freq": "weekly"},
                location="Branch room" if hour % 2 else "", online_link="",
            )  # fmt: skip
        except Conflict:
            continue
        return True
    return False


def _complete_the_past() -> None:
    """Sessions before today happened: the demo shows them done (logging comes later)."""
    Session.objects.filter(end__lt=timezone.now(), status=SessionStatus.SCHEDULED).update(
        status=SessionStatus.COMPLETED
    )
