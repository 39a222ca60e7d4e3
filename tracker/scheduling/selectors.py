"""Reading the schedule, scoped to what the acting user may see."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can, require
from tracker.core import cache as versions
from tracker.scheduling.models import Session, SessionStudent
from tracker.scheduling.services import MAX_LENGTH
from tracker.students.models import Student

MAX_RANGE = timedelta(days=62)
# What the feed reads of a session (tracker/scheduling/api.py, `_row`): its own columns,
# then its subject's and its tutor's names through joins.
FEED_COLUMNS = (
    "id", "start", "end", "status", "tutor_id", "subject_id", "location", "online_link",
    "series_id", "billable", "cancellation_reason", "notes",
)  # fmt: skip
SUBJECT_NAME = "subject__name"
TUTOR_NAME = ("tutor__first_name", "tutor__last_name")
FEED_FILTERS = ("tutor", "student", "branch", "subject", "status")


def _scope(user: User) -> QuerySet[Session]:
    require(user, Cap.CALENDAR_VIEW_OWN)
    sessions = Session.objects.all()
    if not can(user, Cap.SCHEDULE_VIEW_ALL):
        sessions = sessions.filter(tutor=user)
    return sessions.select_related("tutor", "subject").prefetch_related(
        Prefetch("students", queryset=Student.objects.only("id", "first_name", "last_name"))
    )


@dataclass
class FeedValues:
    """A feed's sessions as dicts of FEED_COLUMNS, SUBJECT_NAME and TUTOR_NAME, and each
    session's students as (id, first name, last name) in the order of their names."""

    sessions: list[dict[str, Any]]
    students: dict[int, list[tuple[int, str, str]]]


def session_feed_values(*, user: User, **filters: Any) -> FeedValues:
    """`session_feed` as plain values, in two queries whatever the number of sessions."""
    sessions = list(
        session_feed(user=user, **filters)
        .select_related(None)
        .prefetch_related(None)
        .values(*FEED_COLUMNS, SUBJECT_NAME, *TUTOR_NAME)
    )
    return FeedValues(sessions, students_by_session([row["id"] for row in sessions]))


def students_by_session(session_ids: list[int]) -> dict[int, list[tuple[int, str, str]]]:
    """Each session's students as (id, first name, last name), in the order of their
    names, in one query: what a list of sessions shows without a model instance each."""
    students: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    seats = (
        SessionStudent.objects.filter(session_id__in=session_ids)
        .order_by(*(f"student__{name}" for name in Student._meta.ordering))
        .values_list("session_id", "student_id", "student__first_name", "student__last_name")
    )
    for session_id, *student in seats:
        students[session_id].append(tuple(student))
    return dict(students)


def check_feed_range(start: datetime, end: datetime) -> None:
    """A range a calendar may ask for: checked before anything is generated for it."""
    if end <= start:
        raise ValidationError({"end": [_("The end must be after the start.")]})
    if end - start > MAX_RANGE:
        raise ValidationError({"end": [_("Ask for at most 62 days at a time.")]})


def session_feed(
    *,
    user: User,
    start: datetime,
    end: datetime,
    tutor: int | None = None,
    student: int | None = None,
    branch: int | None = None,
    subject: int | None = None,
    status: str | None = None,
) -> QuerySet[Session]:
    """Sessions overlapping [start, end) that the user may see, for the calendar."""
    check_feed_range(start, end)
    # The lower bound on start lets the (tutor, start) index bound the scan on both sides.
    sessions = _scope(user).filter(start__lt=end, start__gt=start - MAX_LENGTH, end__gt=start)
    if tutor:
        sessions = sessions.filter(tutor_id=tutor)
    if student:
        sessions = sessions.filter(seats__student_id=student)
    if branch:
        sessions = sessions.filter(seats__student__branch_id=branch).distinct()
    if subject:
        sessions = sessions.filter(subject_id=subject)
    if status:
        sessions = sessions.filter(status=status)
    return sessions.order_by("start", "id")


def get_session_for_user(*, user: User, session_id: int) -> Session:
    try:
        return _scope(user).get(pk=session_id)
    except Session.DoesNotExist:
        raise Http404 from None


def feed_version() -> int:
    return versions.change_count()


def feed_cache_key(*, user: User, start: datetime, end: datetime, **filters: Any) -> str:
    """Where this person's feed for this range and these filters is cached."""
    scopes = versions.current(*feed_scopes(user=user, **filters))
    return feed_key(user=user, scope_versions=scopes, start=start, end=end, **filters)


def feed_scopes(*, user: User, **filters: Any) -> tuple[str, ...]:
    """The scopes whose versions a cached feed is stored under: one tutor's sessions, or
    everyone's. Raises for someone who may not see a calendar."""
    require(user, Cap.CALENDAR_VIEW_OWN)
    tutor = filters.get("tutor") if can(user, Cap.SCHEDULE_VIEW_ALL) else user.pk
    if tutor:
        return versions.SHARED, versions.tutor_scope(tutor)
    return (versions.SESSIONS,)


def feed_owner(user: User) -> str:
    """What decides what a person's feed holds. A role that sees every calendar sees the
    same feed whoever asks: coordinators share theirs."""
    return user.role if can(user, Cap.SCHEDULE_VIEW_ALL) else f"u{user.pk}:{user.role}"


def feed_key(
    *, user: User, scope_versions: str, start: datetime, end: datetime, **filters: Any
) -> str:
    """Under `feed_owner` and the versions of `feed_scopes`."""
    who = feed_owner(user)
    wanted = ":".join(f"{filters.get(name) or ''}" for name in FEED_FILTERS)
    period = f"{start.isoformat()}:{end.isoformat()}"
    return f"feed:{scope_versions}:{who}:{period}:{wanted}"
