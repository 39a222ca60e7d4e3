"""When a tutor and a student can both have a session (the slot finder), and the weekly
availability drawn behind the calendar.

Weekly windows are wall-clock times in the business's time zone; they are turned into UTC
intervals day by day (so 16:00 stays 16:00 across daylight-saving changes) and every sum
after that is done in UTC, where adding minutes means what it says.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from math import ceil
from typing import Literal, TypeAlias

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.scheduling.models import Closure, Session, SessionStatus, SessionStudent
from tracker.students.availability import (
    Owner,
    WeeklyWindow,
    time_off_list,
    weekly_free_intervals,
    window_list,
)
from tracker.students.models import AvailabilityWindow, Student, TimeOff

Interval: TypeAlias = tuple[datetime, datetime]

MAX_DAYS = 62
MIN_DURATION = timedelta(minutes=15)
MAX_DURATION = timedelta(hours=8)


@dataclass(frozen=True)
class Background:
    start: datetime
    end: datetime
    owner: Literal["tutor", "student"]


# --- Interval arithmetic (all in UTC) -----------------------------------------------------


def _days(first: date, last: date) -> Iterator[date]:
    for offset in range((last - first).days + 1):
        yield first + timedelta(days=offset)


def _at(day: date, moment: time, zone: tzinfo) -> datetime:
    return datetime.combine(day, moment, tzinfo=zone).astimezone(UTC)


def _weekly(windows: Iterable[WeeklyWindow], day: date, zone: tzinfo) -> list[Interval]:
    intervals = [
        (_at(day, start, zone), _at(day, end, zone))
        for start, end in weekly_free_intervals(windows, day)
    ]
    # A window that lies inside the hour skipped when clocks go forward has no length.
    return [(start, end) for start, end in intervals if start < end]


def _intersect(first: list[Interval], second: list[Interval]) -> list[Interval]:
    """Both sorted and disjoint: the stretches that lie in both."""
    both: list[Interval] = []
    i = j = 0
    while i < len(first) and j < len(second):
        start = max(first[i][0], second[j][0])
        end = min(first[i][1], second[j][1])
        if start < end:
            both.append((start, end))
        if first[i][1] < second[j][1]:
            i += 1
        else:
            j += 1
    return both


def _subtract(free: list[Interval], busy: Iterable[Interval]) -> list[Interval]:
    """`free` sorted and disjoint, `busy` in any order and possibly overlapping."""
    busy = sorted(busy)
    left: list[Interval] = []
    first = 0
    for start, end in free:
        # Free stretches only move forward, so what ended before this one never matters again.
        while first < len(busy) and busy[first][1] <= start:
            first += 1
        cursor = start
        for busy_start, busy_end in busy[first:]:
            if busy_start >= end:
                break
            if busy_start > cursor:
                left.append((cursor, busy_start))
            cursor = max(cursor, busy_end)
        if cursor < end:
            left.append((cursor, end))
    return left


def _next_on_grid(moment: datetime, step: timedelta, zone: tzinfo) -> datetime:
    """The first time at or after `moment` on the local clock's grid (:00, :15, ...), so that
    a stretch freed at 16:07 offers 16:15, not 16:07."""
    local = moment.astimezone(zone)
    since_midnight = timedelta(
        hours=local.hour, minutes=local.minute, seconds=local.second, microseconds=local.microsecond
    )
    return moment + (ceil(since_midnight / step) * step - since_midnight)


def _starts(
    free: list[Interval], duration: timedelta, step: timedelta, not_before: datetime, zone: tzinfo
) -> list[Interval]:
    slots: list[Interval] = []
    for start, end in free:
        candidate = _next_on_grid(max(start, not_before), step, zone)
        while candidate + duration <= end:
            slots.append((candidate, candidate + duration))
            candidate += step
    return slots


# --- Loading, once per search -------------------------------------------------------------


def _span(first: date, last: date, zone: tzinfo) -> Interval:
    return _at(first, time.min, zone), _at(last + timedelta(days=1), time.min, zone)


def _closed_days(tutor: User, student: Student, first: date, last: date) -> set[date]:
    branches = {tutor.branch_id, student.branch_id} - {None}
    closures = Closure.objects.filter(
        Q(branch__isnull=True) | Q(branch__in=branches), start_date__lte=last, end_date__gte=first
    ).values_list("start_date", "end_date")
    return {
        day
        for closure_start, closure_end in closures
        for day in _days(max(closure_start, first), min(closure_end, last))
    }


def _busy(tutor: User, student: Student, span: Interval) -> list[Interval]:
    overlapping = {"start__lt": span[1], "end__gt": span[0]}
    time_off = TimeOff.objects.filter(
        Q(tutor=tutor) | Q(student=student), starts_at__lt=span[1], ends_at__gt=span[0]
    ).values_list("starts_at", "ends_at")
    teaching = (
        Session.objects.filter(tutor=tutor, **overlapping)
        .exclude(status=SessionStatus.CANCELLED)
        .values_list("start", "end")
    )
    # Seats are active exactly while their session is not cancelled.
    learning = SessionStudent.objects.filter(
        student=student, active=True, **overlapping
    ).values_list("start", "end")
    return [*time_off, *teaching, *learning]


def _check_search(first: date, last: date, duration: timedelta, step_minutes: int) -> None:
    errors: dict[str, list[str]] = {}
    if last < first:
        errors["end"] = [_("Must not be before the start.")]
    elif (last - first).days + 1 > MAX_DAYS:
        errors["end"] = [_("Search at most %(days)d days at a time.") % {"days": MAX_DAYS}]
    if not MIN_DURATION <= duration <= MAX_DURATION:
        errors["duration"] = [_("Choose a length from 15 minutes to 8 hours.")]
    if step_minutes < 1:
        errors["step_minutes"] = [_("Must be at least one minute.")]
    if errors:
        raise ValidationError(errors)


def find_slots(
    *,
    user: User,
    tutor: User,
    student: Student,
    duration: timedelta,
    start: date,
    end: date,
    step_minutes: int = 15,
) -> list[Interval]:
    """Starts (every `step_minutes`, on the local clock's grid) of free stretches of
    `duration` when both are available, not away, not booked, and their branch is open; in
    UTC, from now on. Callers look up `tutor` and `student` in the user's scope first."""
    require(user, Cap.SESSION_MANAGE)
    _check_search(start, end, duration, step_minutes)
    zone = timezone.get_default_timezone()
    windows = list(AvailabilityWindow.objects.filter(Q(tutor=tutor) | Q(student=student)))
    tutor_windows = [window for window in windows if window.tutor_id == tutor.pk]
    student_windows = [window for window in windows if window.student_id == student.pk]
    closed = _closed_days(tutor, student, start, end)
    free: list[Interval] = []
    for day in _days(start, end):
        if day not in closed:
            free += _intersect(
                _weekly(tutor_windows, day, zone), _weekly(student_windows, day, zone)
            )
    free = _subtract(free, _busy(tutor, student, _span(start, end, zone)))
    return _starts(free, duration, timedelta(minutes=step_minutes), timezone.now(), zone)


# --- The calendar's background layer -----------------------------------------------------


def _check_range(start: datetime, end: datetime, owners: list[Owner]) -> None:
    errors: dict[str, list[str]] = {}
    if not owners:
        errors["tutor"] = [_("Give a tutor, a student, or both.")]
    if timezone.is_naive(start) or timezone.is_naive(end):
        errors["start"] = [_("Give a date and time with its time zone.")]
    elif end <= start:
        errors["end"] = [_("Must be later than the start.")]
    elif end - start > timedelta(days=MAX_DAYS):
        errors["end"] = [_("Ask for at most %(days)d days at a time.") % {"days": MAX_DAYS}]
    if errors:
        raise ValidationError(errors)


def _owner_background(
    *, user: User, owner: Owner, start: datetime, end: datetime
) -> list[Interval]:
    # The availability selectors check that `user` may see the owner (404 otherwise).
    windows = list(window_list(user=user, owner=owner))
    time_off = (
        time_off_list(user=user, owner=owner, include_past=True)
        .filter(starts_at__lt=end, ends_at__gt=start)
        .values_list("starts_at", "ends_at")
    )
    zone = timezone.get_default_timezone()
    first, last = start.astimezone(zone).date(), end.astimezone(zone).date()
    free = [
        (max(window_start, start), min(window_end, end))
        for day in _days(first, last)
        for window_start, window_end in _weekly(windows, day, zone)
        if window_start < end and window_end > start
    ]
    return _subtract(free, time_off)


def availability_background(
    *,
    user: User,
    start: datetime,
    end: datetime,
    tutor: User | None = None,
    student: Student | None = None,
) -> list[Background]:
    """The tutor's and/or the student's weekly windows as concrete stretches between `start`
    and `end`, minus their time off, for whoever may see them."""
    owners = [owner for owner in (tutor, student) if owner is not None]
    _check_range(start, end, owners)
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    layers = [
        Background(start=interval_start, end=interval_end, owner=label)
        for label, owner in (("tutor", tutor), ("student", student))
        if owner is not None
        for interval_start, interval_end in _owner_background(
            user=user, owner=owner, start=start, end=end
        )
    ]
    return sorted(layers, key=lambda layer: (layer.start, layer.owner))
