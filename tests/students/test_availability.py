"""Availability services and selectors: who may change what, validation, audit, and the
weekly free intervals the slot finder builds on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog
from tracker.core.errors import Conflict
from tracker.students.availability import (
    availability_add,
    availability_for,
    availability_remove,
    availability_update,
    get_time_off_for_user,
    get_tutor_for_user,
    get_window_for_user,
    may_edit,
    time_off_add,
    time_off_remove,
    weekly_free_intervals,
)
from tracker.students.models import AvailabilityWindow, StudentStatus, TimeOff, Weekday

MONDAY = Weekday.MONDAY
ZONE = ZoneInfo("Africa/Johannesburg")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=ZONE)


def add(actor, owner, weekday=MONDAY, start="14:00", end="16:00", **validity):
    return availability_add(
        actor=actor,
        owner=owner,
        weekday=weekday,
        start=time.fromisoformat(start),
        end=time.fromisoformat(end),
        **validity,
    )


def errors_of(excinfo: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return excinfo.value.message_dict


def last_audit() -> AuditLog:
    return AuditLog.objects.order_by("-id").first()


# --- Adding windows, and who may -------------------------------------------------------


@pytest.mark.django_db
def test_a_moderator_adds_a_students_window_and_the_trail_records_it(moderator, assigned):
    window = add(moderator, assigned, valid_from=date(2025, 1, 6))

    assert window.student == assigned
    assert window.tutor is None
    entry = last_audit()
    assert entry.action == "students.availability.added"
    assert (entry.target_type, entry.target_id) == ("students.student", str(assigned.pk))
    assert entry.changes == {
        "id": window.pk,
        "weekday": 0,
        "start": "14:00",
        "end": "16:00",
        "valid_from": "2025-01-06",
        "valid_to": None,
    }


@pytest.mark.django_db
def test_a_tutor_adds_their_own_window(tutor):
    window = add(tutor, tutor, weekday=Weekday.FRIDAY)

    assert window.tutor == tutor
    assert last_audit().target_type == "accounts.user"
    assert last_audit().target_id == str(tutor.pk)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("actor", "owner"),
    [
        ("tutor", "assigned"),  # a tutor reads their student's availability, never edits it
        ("tutor", "other_tutor"),
    ],
)
def test_changes_outside_the_actors_rights_are_refused(request, actor, owner):
    actor, owner = request.getfixturevalue(actor), request.getfixturevalue(owner)
    with pytest.raises(PermissionDenied):
        add(actor, owner)
    assert not AvailabilityWindow.objects.exists()


@pytest.mark.django_db
def test_a_moderator_may_not_keep_another_moderators_availability(moderator):
    colleague = UserFactory(role=Role.MODERATOR)
    with pytest.raises(PermissionDenied):
        add(moderator, colleague)


@pytest.mark.django_db
@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_only_tutors_keep_availability(admin, role):
    with pytest.raises(Conflict):
        add(admin, UserFactory(role=role))


@pytest.mark.django_db
def test_inactive_tutors_and_archived_students_cannot_change(moderator):
    with pytest.raises(Conflict):
        add(moderator, UserFactory(role=Role.TUTOR, is_active=False))
    with pytest.raises(Conflict):
        add(moderator, StudentFactory(status=StudentStatus.ARCHIVED))
    assert not AvailabilityWindow.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("role", "expected"),
    [(Role.ADMIN, True), (Role.MODERATOR, True), (Role.TUTOR, False)],
)
def test_may_edit_matches_the_services(assigned, role, expected):
    actor = UserFactory(role=role)
    assert may_edit(actor, assigned) is expected
    tutor = assigned.tutors.get()
    assert may_edit(actor, tutor) is (expected or actor == tutor)
    assert may_edit(tutor, tutor) is True


# --- Validation --------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"start": "16:00", "end": "14:00"}, "end", "Must be later than the start."),
        ({"start": "14:00", "end": "14:00"}, "end", "Must be later than the start."),
        ({"weekday": 7}, "weekday", "Choose a day from Monday to Sunday."),
        ({"weekday": -1}, "weekday", "Choose a day from Monday to Sunday."),
        (
            {"valid_from": date(2025, 2, 1), "valid_to": date(2025, 1, 31)},
            "valid_to",
            "Must not be before “valid from”.",
        ),
    ],
)
def test_invalid_windows_are_field_errors_not_database_errors(
    moderator, assigned, fields, field, message
):
    with pytest.raises(ValidationError) as excinfo:
        add(moderator, assigned, **fields)
    assert errors_of(excinfo) == {field: [message]}
    assert not AvailabilityWindow.objects.exists()


@pytest.mark.django_db
def test_missing_times_are_required_fields(moderator, assigned):
    with pytest.raises(ValidationError) as excinfo:
        availability_add(actor=moderator, owner=assigned, weekday=MONDAY, start=None, end=None)
    assert set(errors_of(excinfo)) == {"start", "end"}


@pytest.mark.django_db
def test_a_single_day_validity_is_allowed(moderator, assigned):
    window = add(moderator, assigned, valid_from=date(2025, 3, 3), valid_to=date(2025, 3, 3))
    assert window.valid_from == window.valid_to


NO_LIMIT: dict[str, date] = {}
MARCH = {"valid_from": date(2025, 3, 1), "valid_to": date(2025, 3, 31)}
APRIL = {"valid_from": date(2025, 4, 1), "valid_to": date(2025, 4, 30)}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("existing", "new", "clashes"),
    [
        # Same day, overlapping times, both open-ended.
        (("14:00", "16:00", NO_LIMIT), ("15:00", "17:00", NO_LIMIT), True),
        (("14:00", "16:00", NO_LIMIT), ("13:00", "14:30", NO_LIMIT), True),
        (("14:00", "16:00", NO_LIMIT), ("14:30", "15:00", NO_LIMIT), True),
        (("14:00", "16:00", NO_LIMIT), ("14:00", "16:00", NO_LIMIT), True),
        # Touching is not overlapping: one lesson can end as the next starts.
        (("14:00", "16:00", NO_LIMIT), ("16:00", "18:00", NO_LIMIT), False),
        (("14:00", "16:00", NO_LIMIT), ("12:00", "14:00", NO_LIMIT), False),
        # Validity: an open end overlaps anything on that side; disjoint months do not.
        (("14:00", "16:00", MARCH), ("15:00", "17:00", NO_LIMIT), True),
        (("14:00", "16:00", NO_LIMIT), ("15:00", "17:00", APRIL), True),
        (("14:00", "16:00", MARCH), ("15:00", "17:00", APRIL), False),
        (("14:00", "16:00", MARCH), ("15:00", "17:00", {"valid_from": date(2025, 3, 31)}), True),
        (("14:00", "16:00", MARCH), ("15:00", "17:00", {"valid_to": date(2025, 3, 1)}), True),
        (("14:00", "16:00", MARCH), ("15:00", "17:00", {"valid_to": date(2025, 2, 28)}), False),
    ],
)
def test_overlapping_windows_are_refused(moderator, assigned, existing, new, clashes):
    add(moderator, assigned, start=existing[0], end=existing[1], **existing[2])
    if clashes:
        with pytest.raises(ValidationError) as excinfo:
            add(moderator, assigned, start=new[0], end=new[1], **new[2])
        assert errors_of(excinfo) == {"start": ["This overlaps Monday 14:00–16:00."]}
        assert AvailabilityWindow.objects.count() == 1
    else:
        add(moderator, assigned, start=new[0], end=new[1], **new[2])
        assert AvailabilityWindow.objects.count() == 2


@pytest.mark.django_db
def test_other_days_and_other_owners_never_clash(moderator, assigned, tutor):
    add(moderator, assigned)
    add(moderator, assigned, weekday=Weekday.TUESDAY)
    add(moderator, StudentFactory())
    add(tutor, tutor)
    assert AvailabilityWindow.objects.filter(weekday=MONDAY, start=time(14)).count() == 3


# --- Changing and removing windows --------------------------------------------------------


@pytest.mark.django_db
def test_a_change_is_validated_against_the_other_windows_only(moderator, assigned):
    window = add(moderator, assigned)
    add(moderator, assigned, start="17:00", end="18:00")

    availability_update(actor=moderator, window=window, start=time(13), end=time(15))
    with pytest.raises(ValidationError) as excinfo:
        availability_update(actor=moderator, window=window, end=time(17, 30))

    assert errors_of(excinfo) == {"start": ["This overlaps Monday 17:00–18:00."]}
    window.refresh_from_db()
    assert (window.start, window.end) == (time(13), time(15))


@pytest.mark.django_db
def test_a_change_records_what_changed(moderator, assigned):
    window = add(moderator, assigned)

    availability_update(actor=moderator, window=window, end=time(17), valid_to=date(2025, 6, 30))

    entry = last_audit()
    assert entry.action == "students.availability.changed"
    assert entry.target_id == str(assigned.pk)
    assert entry.changes == {
        "id": window.pk,
        "end": ["16:00", "17:00"],
        "valid_to": [None, "2025-06-30"],
    }


@pytest.mark.django_db
def test_a_change_to_the_same_values_writes_no_audit_entry(moderator, assigned):
    window = add(moderator, assigned)
    count = AuditLog.objects.count()
    availability_update(actor=moderator, window=window, start=time(14))
    assert AuditLog.objects.count() == count


@pytest.mark.django_db
def test_a_change_refuses_unknown_fields_and_rights_it_lacks(moderator, tutor, assigned):
    window = add(moderator, assigned)
    with pytest.raises(ValidationError) as excinfo:
        availability_update(actor=moderator, window=window, student=None)
    assert errors_of(excinfo) == {"student": ["Unknown field."]}
    with pytest.raises(PermissionDenied):
        availability_update(actor=tutor, window=window, end=time(18))


@pytest.mark.django_db
def test_removing_a_window_records_its_fields(tutor):
    window = add(tutor, tutor, weekday=Weekday.SUNDAY, start="09:00", end="10:30")
    pk = window.pk

    availability_remove(actor=tutor, window=window)

    assert not AvailabilityWindow.objects.filter(pk=pk).exists()
    entry = last_audit()
    assert entry.action == "students.availability.removed"
    assert entry.changes["id"] == pk
    assert (entry.changes["weekday"], entry.changes["start"]) == (6, "09:00")


@pytest.mark.django_db
def test_a_tutor_cannot_remove_their_students_window(moderator, tutor, assigned):
    window = add(moderator, assigned)
    with pytest.raises(PermissionDenied):
        availability_remove(actor=tutor, window=window)
    assert AvailabilityWindow.objects.filter(pk=window.pk).exists()


# --- Time off -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_time_off_is_stored_aware_and_its_reason_stays_out_of_the_trail(tutor):
    time_off = time_off_add(
        actor=tutor,
        owner=tutor,
        starts_at=at(2025, 7, 1, 8),
        ends_at=at(2025, 7, 4, 17),
        reason="  Hospital appointment ",
    )

    time_off.refresh_from_db()
    assert time_off.starts_at == at(2025, 7, 1, 8)
    assert time_off.reason == "Hospital appointment"
    entry = last_audit()
    assert entry.action == "students.time_off.added"
    assert entry.changes["reason"] == "[redacted]"
    assert entry.changes["starts_at"] == "2025-07-01T06:00:00+00:00"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("starts_at", "ends_at", "field", "message"),
    [
        (at(2025, 7, 2), at(2025, 7, 1), "ends_at", "Must be later than the start."),
        (at(2025, 7, 1), at(2025, 7, 1), "ends_at", "Must be later than the start."),
        (at(2025, 1, 1), at(2026, 1, 2, 0, 1), "ends_at", "Time off can last at most 366 days."),
        (
            datetime(2025, 7, 1, 8),  # noqa: DTZ001 - the point: naive datetimes are refused
            at(2025, 7, 2),
            "starts_at",
            "Give a date and time with its time zone.",
        ),
    ],
)
def test_invalid_time_off_is_a_field_error(moderator, assigned, starts_at, ends_at, field, message):
    with pytest.raises(ValidationError) as excinfo:
        time_off_add(actor=moderator, owner=assigned, starts_at=starts_at, ends_at=ends_at)
    assert errors_of(excinfo) == {field: [message]}
    assert not TimeOff.objects.exists()


@pytest.mark.django_db
def test_time_off_may_last_exactly_366_days_with_a_short_reason(moderator, assigned):
    start = at(2027, 1, 1)
    time_off_add(actor=moderator, owner=assigned, starts_at=start, ends_at=start + timedelta(366))
    with pytest.raises(ValidationError) as excinfo:
        time_off_add(
            actor=moderator,
            owner=assigned,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            reason="x" * 201,
        )
    assert list(errors_of(excinfo)) == ["reason"]


@pytest.mark.django_db
def test_removing_time_off_is_audited_and_needs_the_right(moderator, tutor, assigned):
    time_off = time_off_add(
        actor=moderator, owner=assigned, starts_at=at(2025, 7, 1), ends_at=at(2025, 7, 2)
    )
    with pytest.raises(PermissionDenied):
        time_off_remove(actor=tutor, time_off=time_off)

    time_off_remove(actor=moderator, time_off=time_off)

    assert not TimeOff.objects.exists()
    assert last_audit().action == "students.time_off.removed"
    assert last_audit().target_id == str(assigned.pk)


# --- Reading -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_availability_is_ordered_and_hides_past_time_off_unless_asked(moderator, tutor, assigned):
    late_monday = add(moderator, assigned, start="18:00", end="19:00")
    sunday = add(moderator, assigned, weekday=Weekday.SUNDAY)
    early_monday = add(moderator, assigned, start="08:00", end="09:00")
    now = timezone.now()
    past = TimeOff.objects.create(
        student=assigned, starts_at=now - timedelta(days=3), ends_at=now - timedelta(days=2)
    )
    later = TimeOff.objects.create(
        student=assigned, starts_at=now + timedelta(days=9), ends_at=now + timedelta(days=10)
    )
    current = TimeOff.objects.create(
        student=assigned, starts_at=now - timedelta(hours=1), ends_at=now + timedelta(hours=1)
    )

    data = availability_for(user=tutor, owner=assigned)
    everything = availability_for(user=tutor, owner=assigned, include_past=True)

    assert data["windows"] == [early_monday, late_monday, sunday]
    assert data["time_off"] == [current, later]
    assert everything["time_off"] == [past, current, later]


@pytest.mark.django_db
def test_reading_follows_the_owners_scope(moderator, admin, tutor, other_tutor, unassigned):
    with pytest.raises(Http404):
        availability_for(user=tutor, owner=unassigned)
    with pytest.raises(Http404):
        availability_for(user=tutor, owner=other_tutor)
    with pytest.raises(Http404):
        availability_for(user=moderator, owner=admin)
    with pytest.raises(Conflict):
        availability_for(user=admin, owner=moderator)
    assert availability_for(user=moderator, owner=tutor) == {"windows": [], "time_off": []}


@pytest.mark.django_db
def test_get_tutor_for_user(moderator, admin, tutor, other_tutor):
    assert get_tutor_for_user(user=tutor, user_id=tutor.pk) == tutor
    assert get_tutor_for_user(user=moderator, user_id=tutor.pk) == tutor
    assert get_tutor_for_user(user=admin, user_id=other_tutor.pk) == other_tutor
    with pytest.raises(Http404):
        get_tutor_for_user(user=tutor, user_id=other_tutor.pk)
    with pytest.raises(Conflict):
        get_tutor_for_user(user=moderator, user_id=moderator.pk)


@pytest.mark.django_db
def test_single_windows_and_time_off_are_404_outside_scope(
    moderator, tutor, other_tutor, assigned, unassigned
):
    mine = add(tutor, tutor)
    theirs = add(other_tutor, other_tutor)
    students = add(moderator, assigned)
    off = time_off_add(
        actor=moderator, owner=unassigned, starts_at=at(2025, 7, 1), ends_at=at(2025, 7, 2)
    )

    assert get_window_for_user(user=tutor, window_id=mine.pk) == mine
    assert get_window_for_user(user=tutor, window_id=students.pk, owner=assigned) == students
    assert get_time_off_for_user(user=moderator, time_off_id=off.pk) == off
    for window_id, owner in [(theirs.pk, None), (mine.pk, assigned), (999_999, None)]:
        with pytest.raises(Http404):
            get_window_for_user(user=tutor, window_id=window_id, owner=owner)
    with pytest.raises(Http404):
        get_time_off_for_user(user=tutor, time_off_id=off.pk)
    with pytest.raises(Http404):
        get_time_off_for_user(user=moderator, time_off_id=off.pk, owner=assigned)


# --- Weekly free intervals -----------------------------------------------------------------


@dataclass(frozen=True)
class Window:
    weekday: int
    start: time
    end: time
    valid_from: date | None = None
    valid_to: date | None = None


def test_free_intervals_merge_the_windows_valid_on_that_day():
    monday = date(2025, 3, 10)
    windows = [
        Window(0, time(16), time(18)),
        Window(0, time(9), time(10)),
        Window(0, time(14), time(16)),  # touches 16:00–18:00: one stretch
        Window(0, time(15), time(15, 30)),  # inside it
        Window(1, time(11), time(12)),  # Tuesday
        Window(0, time(11), time(12), valid_to=date(2025, 3, 9)),  # ended the day before
        Window(0, time(12), time(13), valid_from=date(2025, 3, 11)),  # starts the day after
        Window(0, time(20), time(21), valid_from=monday, valid_to=monday),
    ]
    assert weekly_free_intervals(windows, monday) == [
        (time(9), time(10)),
        (time(14), time(18)),
        (time(20), time(21)),
    ]
    assert weekly_free_intervals(windows, monday + timedelta(days=1)) == [(time(11), time(12))]
    assert weekly_free_intervals([], monday) == []


MINUTES = st.integers(min_value=0, max_value=24 * 60 - 2)
DAYS = st.dates(min_value=date(2025, 1, 1), max_value=date(2025, 3, 31))


def as_time(minutes: int) -> time:
    return time(minutes // 60, minutes % 60)


@st.composite
def windows(draw) -> Window:
    start = draw(MINUTES)
    end = draw(st.integers(min_value=start + 1, max_value=24 * 60 - 1))
    valid_from = draw(st.none() | DAYS)
    valid_to = draw(st.none() | DAYS)
    if valid_from and valid_to and valid_from > valid_to:
        valid_from, valid_to = valid_to, valid_from
    weekday = draw(st.integers(min_value=0, max_value=6))
    return Window(weekday, as_time(start), as_time(end), valid_from, valid_to)


def valid_on(window: Window, day: date) -> bool:
    return (
        window.weekday == day.weekday()
        and (window.valid_from is None or window.valid_from <= day)
        and (window.valid_to is None or day <= window.valid_to)
    )


@given(st.lists(windows(), max_size=12), DAYS)
def test_free_intervals_are_sorted_and_disjoint(inputs, day):
    result = weekly_free_intervals(inputs, day)
    assert all(start < end for start, end in result)
    # Strictly apart: touching intervals would have been merged.
    assert all(left[1] < right[0] for left, right in pairwise(result))


@given(st.lists(windows(), max_size=12), DAYS)
def test_free_intervals_cover_exactly_the_valid_windows(inputs, day):
    result = weekly_free_intervals(inputs, day)
    valid = [w for w in inputs if valid_on(w, day)]
    # Every valid window lies inside one interval, and every interval edge is a window's.
    for window in valid:
        assert any(start <= window.start and window.end <= end for start, end in result)
    assert {start for start, _ in result} <= {w.start for w in valid}
    assert {end for _, end in result} <= {w.end for w in valid}
    # Nothing is free that no window offers: coverage only changes at a window's edge, so
    # checking the start of each stretch between edges checks every minute.
    edges = sorted({w.start for w in valid} | {w.end for w in valid})
    for start, end in result:
        inside = [edge for edge in edges if start <= edge < end]
        for point in inside:
            assert any(w.start <= point < w.end for w in valid)
