"""Reading logs and attendance: what waits for verification, and attendance statistics."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can, require
from tracker.attendance.models import Attendance, Presence, Review, SessionLog
from tracker.scheduling.models import Session, SessionStatus
from tracker.students.models import Student
from tracker.students.selectors import get_student_for_user


def logs_to_verify(
    *,
    user: User,
    tutor: int | None = None,
    branch: int | None = None,
    week: date | None = None,
    review: str = Review.PENDING,
) -> QuerySet[SessionLog]:
    require(user, Cap.SESSION_VERIFY)
    logs = (
        SessionLog.objects.filter(review=review)
        .select_related("session__tutor", "session__subject", "logged_by")
        .prefetch_related("session__students", "session__attendance")
    )
    if tutor:
        logs = logs.filter(tutor_id=tutor)
    if branch:
        logs = logs.filter(session__tutor__branch_id=branch)
    if week:
        start = _day_start(week - timedelta(days=week.weekday()))
        logs = logs.filter(session__start__gte=start, session__start__lt=start + timedelta(days=7))
    return logs.order_by("session__start", "session_id")


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


def sessions_today(*, user: User, day: date | None = None) -> QuerySet[Session]:
    """The tutor's sessions of the day, with what the tutor needs to log them."""
    require(user, Cap.SESSION_LOG_OWN)
    start = _day_start(day or timezone.localdate())
    return (
        Session.objects.filter(tutor=user, start__gte=start, start__lt=start + timedelta(days=1))
        .select_related("subject", "log")
        .prefetch_related("students", "attendance")
        .order_by("start")
    )


def sent_back_to(*, user: User) -> QuerySet[SessionLog]:
    """Logs a coordinator sent back to this tutor: they show on the today screen."""
    return (
        SessionLog.objects.filter(tutor=user, review=Review.SENT_BACK)
        .select_related("session__subject", "reviewed_by")
        .order_by("session__start")
    )


@dataclass(frozen=True)
class AttendanceStats:
    sessions: int
    attended: int
    late: int
    missed: int
    cancelled: int
    rate: float | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def attendance_stats(
    *,
    user: User,
    start: date,
    end: date,
    student: int | None = None,
    tutor: int | None = None,
) -> AttendanceStats:
    """Counts over [start, end] (whole days): attended = present + late; rate = attended /
    (attended + missed), None when nothing was logged."""
    if student is not None:
        get_student_for_user(user=user, student_id=student)
    if tutor is not None and tutor != user.pk and not can(user, Cap.SCHEDULE_VIEW_ALL):
        raise Http404
    if student is None and tutor is None:
        require(user, Cap.SCHEDULE_VIEW_ALL)
    sessions = Session.objects.filter(
        start__gte=_day_start(start), start__lt=_day_start(end + timedelta(days=1))
    )
    marks = Attendance.objects.filter(session__in=sessions)
    if student is not None:
        sessions = sessions.filter(seats__student_id=student)
        marks = marks.filter(student_id=student)
    if tutor is not None:
        sessions = sessions.filter(tutor_id=tutor)
        marks = marks.filter(session__tutor_id=tutor)
    counts = marks.aggregate(
        present=Count("id", filter=Q(presence=Presence.PRESENT)),
        late=Count("id", filter=Q(presence=Presence.LATE)),
        absent=Count("id", filter=Q(presence=Presence.ABSENT)),
    )
    totals = sessions.aggregate(
        all=Count("id", distinct=True),
        cancelled=Count("id", filter=Q(status=SessionStatus.CANCELLED), distinct=True),
    )
    attended = counts["present"] + counts["late"]
    marked = attended + counts["absent"]
    return AttendanceStats(
        sessions=totals["all"],
        attended=attended,
        late=counts["late"],
        missed=counts["absent"],
        cancelled=totals["cancelled"],
        rate=round(attended / marked, 4) if marked else None,
    )


def student_stats_for_page(*, user: User, student: Student) -> AttendanceStats:
    today = timezone.localdate()
    return attendance_stats(
        user=user, student=student.pk, start=today - timedelta(days=365), end=today
    )
