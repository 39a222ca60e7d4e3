"""When students and tutors can have sessions: weekly windows and one-off time off.

Services (writes) and selectors (reads) in one module because they share the owner rules:
an owner is a Student or a tutor (User). Students' availability is read by whoever may see
the student and changed by moderators and admins; a tutor's by the tutor themself and by
those who manage tutor accounts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Protocol, TypeAlias

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can, manageable_roles
from tracker.accounts.selectors import get_user_for_user
from tracker.audit.services import REDACTED, diff, record
from tracker.core import cache as versions
from tracker.core.errors import Conflict
from tracker.students.models import AvailabilityWindow, Student, StudentStatus, TimeOff, Weekday
from tracker.students.selectors import get_student_for_user

Owner: TypeAlias = Student | User

MAX_TIME_OFF = timedelta(days=366)
WINDOW_FIELDS = ("weekday", "start", "end", "valid_from", "valid_to")


class WeeklyWindow(Protocol):
    weekday: int
    start: time
    end: time
    valid_from: date | None
    valid_to: date | None


# --- Who may do what ----------------------------------------------------------------------


def _owned_by(owner: Owner) -> dict[str, Owner]:
    return {"student": owner} if isinstance(owner, Student) else {"tutor": owner}


def owner_of(item: AvailabilityWindow | TimeOff) -> Owner:
    return item.student if item.student_id else item.tutor


def get_tutor_for_user(*, user: User, user_id: int) -> User:
    """The tutor whose availability `user` may see: themself, or a tutor they manage.

    404 for anyone else (another tutor's availability does not exist for a tutor); 409 for a
    person in scope who is not a tutor, since only tutors teach sessions.
    """
    if user_id == user.pk:
        owner = user
    elif can(user, Cap.ACCOUNT_MANAGE_TUTORS):
        owner = get_user_for_user(user=user, user_id=user_id)
    else:
        raise Http404
    if owner.role != Role.TUTOR:
        raise Conflict(_("Only tutors keep availability."))
    return owner


def _check_may_read(user: User, owner: Owner) -> None:
    # The owner's own lookup decides, so availability is never wider than the owner's scope.
    if isinstance(owner, Student):
        # Everyone's students are in scope for these roles: no need to look this one up.
        if not can(user, Cap.STUDENT_VIEW_ALL):
            get_student_for_user(user=user, student_id=owner.pk)
    else:
        get_tutor_for_user(user=user, user_id=owner.pk)


def _edit_refusal(actor: User, owner: Owner) -> Exception | None:
    if isinstance(owner, Student):
        if not can(actor, Cap.STUDENT_EDIT):
            return PermissionDenied(_("Your role does not allow this."))
        if owner.status == StudentStatus.ARCHIVED:
            return Conflict(_("Restore the student before editing."))
        return None
    if owner.pk == actor.pk:
        may = can(actor, Cap.PROFILE_EDIT_OWN)
    else:
        may = can(actor, Cap.ACCOUNT_MANAGE_TUTORS) and owner.role in manageable_roles(actor)
    if not may:
        return PermissionDenied(_("Your role does not allow this."))
    if owner.role != Role.TUTOR:
        return Conflict(_("Only tutors keep availability."))
    if not owner.is_active:
        return Conflict(_("This account is inactive."))
    return None


def may_edit(actor: User, owner: Owner) -> bool:
    """Whether pages should offer the forms; the services check the same rule again."""
    return _edit_refusal(actor, owner) is None


def check_may_edit(actor: User, owner: Owner) -> None:
    """PermissionDenied for a missing capability, Conflict for an owner that cannot change."""
    refusal = _edit_refusal(actor, owner)
    if refusal is not None:
        raise refusal


def _lock(owner: Owner) -> None:
    # Two overlapping windows added at once would each pass the overlap check; serialising
    # writers on the owner's row makes the second one see the first.
    owner._meta.model._default_manager.select_for_update().filter(pk=owner.pk).exists()


# --- Validation ---------------------------------------------------------------------------


def describe_window(window: WeeklyWindow) -> str:
    """How pages and error messages name a window: "Monday 14:00–16:00"."""
    return f"{Weekday(window.weekday).label} {window.start:%H:%M}–{window.end:%H:%M}"


def _overlapping(window: AvailabilityWindow, owner: Owner) -> AvailabilityWindow | None:
    clashes = AvailabilityWindow.objects.filter(
        **_owned_by(owner), weekday=window.weekday, start__lt=window.end, end__gt=window.start
    )
    # An empty bound is open-ended, so it overlaps whatever is on that side.
    if window.valid_to is not None:
        clashes = clashes.filter(Q(valid_from__isnull=True) | Q(valid_from__lte=window.valid_to))
    if window.valid_from is not None:
        clashes = clashes.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=window.valid_from))
    if window.pk is not None:
        clashes = clashes.exclude(pk=window.pk)
    return clashes.order_by("start").first()


def _validate_window(window: AvailabilityWindow, owner: Owner) -> None:
    errors: dict[str, list[str]] = {}
    for name in ("weekday", "start", "end"):
        if getattr(window, name) is None:
            errors[name] = [_("This field is required.")]
    if window.weekday is not None and window.weekday not in Weekday.values:
        errors["weekday"] = [_("Choose a day from Monday to Sunday.")]
    if window.start is not None and window.end is not None and window.start >= window.end:
        errors["end"] = [_("Must be later than the start.")]
    if window.valid_from and window.valid_to and window.valid_from > window.valid_to:
        errors["valid_to"] = [_("Must not be before “valid from”.")]
    if errors:
        raise ValidationError(errors)
    clash = _overlapping(window, owner)
    if clash is not None:
        message = _("This overlaps %(window)s.") % {"window": describe_window(clash)}
        raise ValidationError({"start": [message]})


def _validate_time_off(starts_at: datetime, ends_at: datetime, reason: str) -> None:
    errors: dict[str, list[str]] = {}
    for name, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if value is None:
            errors[name] = [_("This field is required.")]
        elif timezone.is_naive(value):
            errors[name] = [_("Give a date and time with its time zone.")]
    if not errors and starts_at >= ends_at:
        errors["ends_at"] = [_("Must be later than the start.")]
    elif not errors and ends_at - starts_at > MAX_TIME_OFF:
        errors["ends_at"] = [_("Time off can last at most 366 days.")]
    if len(reason) > TimeOff._meta.get_field("reason").max_length:
        errors["reason"] = [_("Keep the reason under 200 characters.")]
    if errors:
        raise ValidationError(errors)


# --- Audit --------------------------------------------------------------------------------


def _window_fields(window: AvailabilityWindow) -> dict[str, Any]:
    return {
        "id": window.pk,
        "weekday": window.weekday,
        "start": window.start.isoformat(timespec="minutes"),
        "end": window.end.isoformat(timespec="minutes"),
        "valid_from": window.valid_from.isoformat() if window.valid_from else None,
        "valid_to": window.valid_to.isoformat() if window.valid_to else None,
    }


def _time_off_fields(time_off: TimeOff) -> dict[str, Any]:
    return {
        "id": time_off.pk,
        "starts_at": time_off.starts_at.astimezone(UTC).isoformat(),
        "ends_at": time_off.ends_at.astimezone(UTC).isoformat(),
        # Reasons are often health or family matters: the trail keeps only that there was one.
        "reason": REDACTED if time_off.reason else "",
    }


# --- Services -----------------------------------------------------------------------------


@transaction.atomic
def availability_add(
    *,
    actor: User,
    owner: Owner,
    weekday: int,
    start: time,
    end: time,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> AvailabilityWindow:
    check_may_edit(actor, owner)
    _lock(owner)
    window = AvailabilityWindow(
        **_owned_by(owner),
        weekday=weekday,
        start=start,
        end=end,
        valid_from=valid_from,
        valid_to=valid_to,
    )
    _validate_window(window, owner)
    window.save()
    # Tutors' weekly hours are in the staff dashboard.
    versions.bump([versions.SESSIONS])
    record("students.availability.added", actor=actor, target=owner, changes=_window_fields(window))
    return window


@transaction.atomic
def availability_update(
    *, actor: User, window: AvailabilityWindow, **changes: Any
) -> AvailabilityWindow:
    """Change some of weekday, start, end, valid_from, valid_to; the rest stay as they are."""
    owner = owner_of(window)
    check_may_edit(actor, owner)
    unknown = set(changes) - set(WINDOW_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    _lock(owner)
    before = _window_fields(window)
    for name, value in changes.items():
        setattr(window, name, value)
    _validate_window(window, owner)
    if changes:
        window.save(update_fields=list(changes))
        versions.bump([versions.SESSIONS])
    after = _window_fields(window)
    if after != before:
        record(
            "students.availability.changed",
            actor=actor,
            target=owner,
            changes={"id": window.pk, **diff(before, after)},
        )
    return window


@transaction.atomic
def availability_remove(*, actor: User, window: AvailabilityWindow) -> None:
    owner = owner_of(window)
    check_may_edit(actor, owner)
    fields = _window_fields(window)
    window.delete()
    versions.bump([versions.SESSIONS])
    record("students.availability.removed", actor=actor, target=owner, changes=fields)


@transaction.atomic
def time_off_add(
    *, actor: User, owner: Owner, starts_at: datetime, ends_at: datetime, reason: str = ""
) -> TimeOff:
    check_may_edit(actor, owner)
    reason = (reason or "").strip()
    _validate_time_off(starts_at, ends_at, reason)
    time_off = TimeOff.objects.create(
        **_owned_by(owner), starts_at=starts_at, ends_at=ends_at, reason=reason
    )
    record("students.time_off.added", actor=actor, target=owner, changes=_time_off_fields(time_off))
    return time_off


@transaction.atomic
def time_off_remove(*, actor: User, time_off: TimeOff) -> None:
    owner = owner_of(time_off)
    check_may_edit(actor, owner)
    fields = _time_off_fields(time_off)
    time_off.delete()
    record("students.time_off.removed", actor=actor, target=owner, changes=fields)


# --- Selectors ----------------------------------------------------------------------------


def _windows(owner: Owner) -> QuerySet[AvailabilityWindow]:
    return AvailabilityWindow.objects.filter(**_owned_by(owner)).order_by("weekday", "start", "id")


def _time_off(owner: Owner, include_past: bool) -> QuerySet[TimeOff]:
    time_off = TimeOff.objects.filter(**_owned_by(owner))
    if not include_past:
        time_off = time_off.filter(ends_at__gt=timezone.now())
    return time_off.order_by("starts_at", "id")


def window_list(*, user: User, owner: Owner) -> QuerySet[AvailabilityWindow]:
    """Every weekly window of the owner, past ones too: they still count for overlaps."""
    _check_may_read(user, owner)
    return _windows(owner)


def time_off_list(*, user: User, owner: Owner, include_past: bool = False) -> QuerySet[TimeOff]:
    """The owner's time off, soonest first; only current and upcoming unless asked."""
    _check_may_read(user, owner)
    return _time_off(owner, include_past)


def availability_for(
    *, user: User, owner: Owner, include_past: bool = False
) -> dict[str, list[Any]]:
    _check_may_read(user, owner)
    return {
        "windows": list(_windows(owner)),
        "time_off": list(_time_off(owner, include_past)),
    }


def _get_owned_for_user(
    model: type[AvailabilityWindow] | type[TimeOff], *, user: User, pk: int, owner: Owner | None
) -> Any:
    item = model.objects.select_related("student", "tutor").filter(pk=pk).first()
    if item is None or (owner is not None and owner_of(item) != owner):
        raise Http404
    _check_may_read(user, owner_of(item))
    return item


def get_window_for_user(
    *, user: User, window_id: int, owner: Owner | None = None
) -> AvailabilityWindow:
    """404 unless the user may see the window's owner (and it belongs to `owner`, if given)."""
    return _get_owned_for_user(AvailabilityWindow, user=user, pk=window_id, owner=owner)


def get_time_off_for_user(*, user: User, time_off_id: int, owner: Owner | None = None) -> TimeOff:
    """404 unless the user may see the time off's owner (and it belongs to `owner`, if given)."""
    return _get_owned_for_user(TimeOff, user=user, pk=time_off_id, owner=owner)


def weekly_free_intervals(windows: Iterable[WeeklyWindow], day: date) -> list[tuple[time, time]]:
    """The owner's free time on `day` from their weekly windows: sorted, merged intervals.

    Windows that touch (14:00–16:00 and 16:00–18:00) merge too, so that a slot finder sees
    one stretch of free time. Time off and booked sessions are for the caller to subtract.
    """
    valid = sorted(
        (w.start, w.end)
        for w in windows
        if w.weekday == day.weekday()
        and (w.valid_from is None or w.valid_from <= day)
        and (w.valid_to is None or day <= w.valid_to)
    )
    merged: list[tuple[time, time]] = []
    for start, end in valid:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged
