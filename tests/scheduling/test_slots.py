"""The slot finder and the availability background layer: results, daylight saving,
access, validation, query counts, and a property test against a brute-force oracle."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from tests.factories import BranchFactory
from tests.students.conftest import StudentFactory
from tracker.scheduling.models import Closure, Session, SessionStatus, SessionStudent
from tracker.scheduling.slots import find_slots
from tracker.students.models import AvailabilityWindow, TimeOff

pytestmark = pytest.mark.django_db

SLOTS = "/api/v1/slots"
BACKGROUND = "/api/v1/availability/background"
ROLES = ("admin", "moderator", "tutor", "other_tutor", "anonymous")
HOUR = timedelta(hours=1)


@pytest.fixture
def assigned(tutor):
    return StudentFactory(first_name="Amahle", last_name="Assigned", tutors=[tutor])


def zone() -> ZoneInfo:
    return timezone.get_default_timezone()


def monday(weeks_ahead: int = 2) -> date:
    """A Monday at least a week ahead, so that no slot of the tests is in the past."""
    today = timezone.localdate()
    return today + timedelta(days=7 * weeks_ahead - today.weekday())


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone())


def window(owner, weekday: int, start: time, end: time, **validity) -> AvailabilityWindow:
    field = "tutor" if hasattr(owner, "role") else "student"
    return AvailabilityWindow.objects.create(
        **{field: owner}, weekday=weekday, start=start, end=end, **validity
    )


def away(owner, starts_at: datetime, ends_at: datetime) -> TimeOff:
    field = "tutor" if hasattr(owner, "role") else "student"
    return TimeOff.objects.create(**{field: owner}, starts_at=starts_at, ends_at=ends_at)


def session_at(tutor, start: datetime, minutes: int = 60, *, students=(), status=None) -> Session:
    status = status or SessionStatus.SCHEDULED
    session = Session.objects.create(
        tutor=tutor, start=start, end=start + timedelta(minutes=minutes), status=status
    )
    for student in students:
        SessionStudent.objects.create(
            session=session,
            student=student,
            start=session.start,
            end=session.end,
            active=status != SessionStatus.CANCELLED,
        )
    return session


def clock(slots: list[tuple[datetime, datetime]]) -> list[str]:
    return [start.astimezone(zone()).strftime("%H:%M") for start, _ in slots]


def search(user, tutor, student, first: date, last: date | None = None, minutes: int = 60):
    return find_slots(
        user=user,
        tutor=tutor,
        student=student,
        duration=timedelta(minutes=minutes),
        start=first,
        end=last or first,
    )


@pytest.fixture
def monday_afternoon(tutor, assigned):
    """Both free on Mondays: the tutor 14:00–18:00, the student 15:00–17:00."""
    window(tutor, 0, time(14), time(18))
    window(assigned, 0, time(15), time(17))
    return monday()


# --- What the finder offers ---------------------------------------------------------------


def test_slots_are_where_both_are_free_every_quarter_hour(
    moderator, tutor, assigned, monday_afternoon
):
    slots = search(moderator, tutor, assigned, monday_afternoon)

    assert clock(slots) == ["15:00", "15:15", "15:30", "15:45", "16:00"]
    assert all(end - start == HOUR for start, end in slots)
    assert all(start.utcoffset() == timedelta(0) for start, _ in slots)


def test_no_slots_on_days_without_a_shared_window(moderator, tutor, assigned, monday_afternoon):
    window(tutor, 1, time(9), time(12))  # Tuesday: the student is not free
    tuesday = monday_afternoon + timedelta(days=1)

    assert search(moderator, tutor, assigned, tuesday) == []
    assert search(moderator, tutor, assigned, monday_afternoon, minutes=180) == []


def test_windows_count_only_while_valid(moderator, tutor, assigned):
    day = monday()
    window(tutor, 0, time(9), time(10), valid_to=day - timedelta(days=1))
    window(tutor, 0, time(14), time(15), valid_from=day)
    window(assigned, 0, time(9), time(15))

    assert clock(search(moderator, tutor, assigned, day)) == ["14:00"]


def _busy(kind: str, day: date, tutor, student, other_tutor) -> None:
    half_past_three = local(day, 15, 30)
    if kind == "tutor time off":
        away(tutor, half_past_three, local(day, 16))
    elif kind == "student time off":
        away(student, half_past_three, local(day, 16))
    elif kind == "tutor session":
        session_at(tutor, half_past_three, 30, students=[StudentFactory()])
    elif kind == "student session":
        session_at(other_tutor, half_past_three, 30, students=[student])
    elif kind == "cancelled tutor session":
        session_at(tutor, half_past_three, 30, status=SessionStatus.CANCELLED)
    elif kind == "cancelled student session":
        session_at(
            other_tutor, half_past_three, 30, students=[student], status=SessionStatus.CANCELLED
        )
    elif kind == "completed tutor session":
        session_at(tutor, half_past_three, 30, status=SessionStatus.COMPLETED)
    elif kind == "closure everywhere":
        Closure.objects.create(start_date=day, end_date=day, reason="Public holiday")
    elif kind == "closure of the student's branch":
        Closure.objects.create(branch=student.branch, start_date=day, end_date=day, reason="x")
    elif kind == "closure of the tutor's branch":
        Closure.objects.create(branch=tutor.branch, start_date=day, end_date=day, reason="x")
    elif kind == "closure of another branch":
        Closure.objects.create(branch=BranchFactory(), start_date=day, end_date=day, reason="x")
    elif kind == "closure on other days":
        Closure.objects.create(
            start_date=day - timedelta(days=3), end_date=day - timedelta(days=1), reason="x"
        )


ALL_FIVE = ["15:00", "15:15", "15:30", "15:45", "16:00"]


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("tutor time off", ["16:00"]),
        ("student time off", ["16:00"]),
        ("tutor session", ["16:00"]),
        ("student session", ["16:00"]),
        ("completed tutor session", ["16:00"]),
        ("cancelled tutor session", ALL_FIVE),
        ("cancelled student session", ALL_FIVE),
        ("closure everywhere", []),
        ("closure of the student's branch", []),
        ("closure of the tutor's branch", []),
        ("closure of another branch", ALL_FIVE),
        ("closure on other days", ALL_FIVE),
    ],
)
def test_what_takes_time_away(
    moderator, tutor, assigned, other_tutor, monday_afternoon, kind, expected
):
    _busy(kind, monday_afternoon, tutor, assigned, other_tutor)
    assert clock(search(moderator, tutor, assigned, monday_afternoon)) == expected


def test_starts_keep_to_the_clock_grid_after_an_odd_gap(
    moderator, tutor, assigned, monday_afternoon
):
    away(tutor, local(monday_afternoon, 14), local(monday_afternoon, 15, 7))

    slots = search(moderator, tutor, assigned, monday_afternoon, minutes=30)

    assert clock(slots)[0] == "15:15"


def test_past_slots_are_skipped(moderator, tutor, assigned):
    for weekday in range(7):
        window(tutor, weekday, time(0), time(23, 45))
        window(assigned, weekday, time(0), time(23, 45))
    today = timezone.localdate()
    now = timezone.now()

    slots = search(moderator, tutor, assigned, today, today + timedelta(days=1))

    assert slots
    assert all(start >= now for start, _ in slots)
    assert all(start.minute % 15 == 0 for start, _ in slots)
    tomorrow = [start for start, _ in slots if start.astimezone(zone()).date() > today]
    assert len(tomorrow) == 92  # 00:00 to 22:45: every quarter hour an hour fits


@pytest.mark.parametrize(
    ("month", "utc_hours"),
    [(3, [16, 15, 15]), (10, [15, 16, 16])],
    ids=["clocks go forward", "clocks go back"],
)
def test_a_16_00_window_stays_at_16_00_local_across_the_change(
    settings, moderator, tutor, assigned, month, utc_hours
):
    settings.TIME_ZONE = "Europe/London"
    year = timezone.localdate().year + 1
    last_day = date(year, month, 31)
    change = last_day - timedelta(days=(last_day.weekday() - 6) % 7)  # the last Sunday
    for owner in (tutor, assigned):
        window(owner, 6, time(16), time(17))

    slots = search(
        moderator, tutor, assigned, change - timedelta(days=7), change + timedelta(days=7)
    )

    london = ZoneInfo("Europe/London")
    assert [(s.astimezone(london).date(), s.astimezone(london).time()) for s, _ in slots] == [
        (change - timedelta(days=7), time(16)),
        (change, time(16)),
        (change + timedelta(days=7), time(16)),
    ]
    assert [start.hour for start, _ in slots] == utc_hours
    assert all(end - start == HOUR for start, end in slots)


def test_only_managers_may_search(tutor, assigned, monday_afternoon):
    with pytest.raises(PermissionDenied):
        search(tutor, tutor, assigned, monday_afternoon)


@pytest.mark.parametrize(
    ("first", "last", "minutes", "field"),
    [
        (10, 9, 60, "end"),
        (0, 62, 60, "end"),
        (0, 0, 10, "duration"),
        (0, 0, 481, "duration"),
    ],
)
def test_search_refuses_bad_input(moderator, tutor, assigned, first, last, minutes, field):
    day = monday()
    with pytest.raises(ValidationError) as refused:
        search(
            moderator,
            tutor,
            assigned,
            day + timedelta(days=first),
            day + timedelta(days=last),
            minutes,
        )
    assert field in refused.value.message_dict


def test_query_count_does_not_grow_with_the_days(moderator, tutor, assigned, other_tutor):
    day = monday()
    for weekday in range(7):
        window(tutor, weekday, time(8), time(18))
        window(assigned, weekday, time(8), time(18))
    for offset in range(0, 60, 3):
        session_at(tutor, local(day + timedelta(days=offset), 9))
        session_at(other_tutor, local(day + timedelta(days=offset), 11), students=[assigned])
        away(
            tutor, local(day + timedelta(days=offset), 13), local(day + timedelta(days=offset), 14)
        )
        Closure.objects.create(
            start_date=day + timedelta(days=offset + 1),
            end_date=day + timedelta(days=offset + 1),
            reason="Closed",
        )

    def queries(days: int) -> int:
        with CaptureQueriesContext(connection) as captured:
            assert search(moderator, tutor, assigned, day, day + timedelta(days=days - 1))
        return len(captured)

    # Windows, closures, time off, the tutor's sessions, the student's seats.
    assert queries(1) == queries(62) == 5


# --- The property: exactly the times a brute-force check allows --------------------------

DAYS = 14
# Windows only on Mondays and Tuesdays, and everything else on those days in working hours,
# so that windows meet and the busy times fall inside them often enough to matter.
BUSY_DAYS = st.sampled_from([0, 1, 7, 8])
QUARTER = timedelta(minutes=15)


def quarter(index: int) -> time:
    return time(index // 4, index % 4 * 15)


@st.composite
def weekly_windows(draw):
    weekday = draw(st.integers(0, 1))
    start = draw(st.integers(28, 72))
    end = min(start + draw(st.integers(2, 40)), 95)
    valid_from = draw(st.none() | st.integers(0, DAYS - 1))
    valid_to = draw(st.none() | st.integers(0, DAYS - 1))
    if valid_from is not None and valid_to is not None and valid_from > valid_to:
        valid_from, valid_to = valid_to, valid_from
    return weekday, start, end, valid_from, valid_to


SCENARIO = st.fixed_dictionaries(
    {
        "tutor_windows": st.lists(weekly_windows(), min_size=1, max_size=5),
        "student_windows": st.lists(weekly_windows(), min_size=1, max_size=5),
        # (owner, day, start quarter, length in quarters)
        "time_off": st.lists(
            st.tuples(
                st.sampled_from(["tutor", "student"]),
                BUSY_DAYS,
                st.integers(28, 90),
                st.integers(1, 24),
            ),
            max_size=4,
        ),
        # One-hour sessions on whole hours, at most one an hour: never double-booked.
        "tutor_sessions": st.dictionaries(
            st.tuples(BUSY_DAYS, st.integers(7, 21)),
            st.sampled_from(SessionStatus.values),
            max_size=5,
        ),
        "student_seats": st.dictionaries(
            st.tuples(BUSY_DAYS, st.integers(7, 21)), st.booleans(), max_size=5
        ),
        # (first day, extra days, whose branch)
        "closures": st.lists(
            st.tuples(
                BUSY_DAYS,
                st.integers(0, 2),
                st.sampled_from(["all", "tutor", "student", "other"]),
            ),
            max_size=2,
        ),
        "minutes": st.sampled_from([15, 30, 45, 60, 90, 120]),
    }
)


def _arrange(scenario, first: date, tutor, student, other_tutor) -> dict:
    """Store the scenario; answer what the oracle needs, in plain values."""
    day = lambda offset: first + timedelta(days=offset)  # noqa: E731
    for owner, key in ((tutor, "tutor_windows"), (student, "student_windows")):
        for weekday, start, end, valid_from, valid_to in scenario[key]:
            window(
                owner,
                weekday,
                quarter(start),
                quarter(end),
                valid_from=None if valid_from is None else day(valid_from),
                valid_to=None if valid_to is None else day(valid_to),
            )
    busy = []
    for owner, offset, start, length in scenario["time_off"]:
        starts_at = local(day(offset), 0) + start * QUARTER
        away(tutor if owner == "tutor" else student, starts_at, starts_at + length * QUARTER)
        busy.append((starts_at, starts_at + length * QUARTER))
    for (offset, hour), status in scenario["tutor_sessions"].items():
        session = session_at(tutor, local(day(offset), hour), status=status)
        if status != SessionStatus.CANCELLED:
            busy.append((session.start, session.end))
    for (offset, hour), active in scenario["student_seats"].items():
        status = SessionStatus.SCHEDULED if active else SessionStatus.CANCELLED
        session = session_at(
            other_tutor, local(day(offset), hour), students=[student], status=status
        )
        if active:
            busy.append((session.start, session.end))
    branches = {"all": None, "tutor": tutor.branch, "student": student.branch}
    closed = set()
    for offset, extra, whose in scenario["closures"]:
        branch = branches.get(whose) if whose != "other" else BranchFactory()
        Closure.objects.create(
            branch=branch, start_date=day(offset), end_date=day(offset + extra), reason="x"
        )
        if whose != "other":
            closed |= {day(offset + n) for n in range(extra + 1)}
    return {"busy": busy, "closed": closed}


def _covered(windows: list[tuple], day: date, start: datetime, end: datetime, first: date) -> bool:
    stretches = sorted(
        (local(day, 0) + w_start * QUARTER, local(day, 0) + w_end * QUARTER)
        for weekday, w_start, w_end, valid_from, valid_to in windows
        if weekday == day.weekday()
        and (valid_from is None or first + timedelta(days=valid_from) <= day)
        and (valid_to is None or day <= first + timedelta(days=valid_to))
    )
    cursor = start
    for stretch_start, stretch_end in stretches:
        if stretch_start > cursor:
            break
        cursor = max(cursor, stretch_end)
    return cursor >= end


def _oracle(scenario, first: date, arranged: dict) -> set[tuple[datetime, datetime]]:
    duration = timedelta(minutes=scenario["minutes"])
    allowed = set()
    for offset in range(DAYS):
        day = first + timedelta(days=offset)
        if day in arranged["closed"]:
            continue
        for index in range(96):
            start = local(day, 0) + index * QUARTER
            end = start + duration
            if (
                _covered(scenario["tutor_windows"], day, start, end, first)
                and _covered(scenario["student_windows"], day, start, end, first)
                and not any(start < b_end and b_start < end for b_start, b_end in arranged["busy"])
            ):
                allowed.add((start.astimezone(UTC), end.astimezone(UTC)))
    return allowed


@hypothesis_settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=SCENARIO)
def test_slots_are_exactly_the_times_both_are_free(
    moderator, tutor, assigned, other_tutor, scenario
):
    first = monday()
    with transaction.atomic():
        arranged = _arrange(scenario, first, tutor, assigned, other_tutor)
        slots = search(
            moderator,
            tutor,
            assigned,
            first,
            first + timedelta(days=DAYS - 1),
            scenario["minutes"],
        )
        # Each example starts from an empty schedule.
        transaction.set_rollback(True)

    assert len(slots) == len(set(slots))
    assert all(end - start == timedelta(minutes=scenario["minutes"]) for start, end in slots)
    assert set(slots) == _oracle(scenario, first, arranged)


# --- The API ------------------------------------------------------------------------------

SLOT_STATUSES = (200, 200, 403, 403, 401)
BACKGROUND_STATUSES = {
    "both": (200, 200, 200, 404, 401),
    "tutor": (200, 200, 200, 404, 401),
    "student": (200, 200, 200, 404, 401),
}


def _headers(bearer, people, other_tutor, role) -> dict[str, str]:
    user = other_tutor if role == "other_tutor" else people[role]
    return bearer(user) if user is not None else {}


@pytest.mark.parametrize(("role", "status"), list(zip(ROLES, SLOT_STATUSES, strict=True)))
def test_slots_api_access(
    client, bearer, people, other_tutor, assigned, monday_afternoon, role, status
):
    tutor = people["tutor"]
    query = {"tutor": tutor.pk, "student": assigned.pk, "duration": 60}
    query |= {"start": monday_afternoon.isoformat(), "end": monday_afternoon.isoformat()}

    response = client.get(SLOTS, query, **_headers(bearer, people, other_tutor, role))

    assert response.status_code == status
    if status == 200:
        starts = [slot["start"] for slot in response.json()]
        expected = local(monday_afternoon, 15).astimezone(UTC)
        assert datetime.fromisoformat(starts[0]) == expected
        assert len(starts) == 5


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("end", "2031-03-02"),
        ("end", "2031-05-04"),
        ("duration", 14),
        ("duration", 481),
        ("start", "someday"),
        ("tutor", None),
    ],
    ids=["end before start", "over 62 days", "too short", "too long", "not a date", "no tutor"],
)
def test_slots_api_refuses_bad_input(client, bearer, moderator, tutor, assigned, field, value):
    query = {"tutor": tutor.pk, "student": assigned.pk, "duration": 60}
    query |= {"start": "2031-03-03", "end": "2031-03-03", field: value}
    if value is None:
        del query[field]

    response = client.get(SLOTS, query, **bearer(moderator))

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_slots_api_answers_404_and_409_for_the_wrong_people(
    client, bearer, moderator, tutor, assigned
):
    day = monday().isoformat()
    base = {"tutor": tutor.pk, "student": assigned.pk, "start": day, "end": day}

    missing = client.get(SLOTS, base | {"student": 999_999}, **bearer(moderator))
    not_a_tutor = client.get(SLOTS, base | {"tutor": moderator.pk}, **bearer(moderator))

    assert missing.status_code == 404
    assert not_a_tutor.status_code == 409


def test_slots_api_query_count_is_bounded(
    client, bearer, moderator, tutor, assigned, monday_afternoon
):
    day = monday_afternoon.isoformat()
    last = (monday_afternoon + timedelta(days=61)).isoformat()
    query = {"tutor": tutor.pk, "student": assigned.pk, "start": day, "end": last}
    headers = bearer(moderator)

    with CaptureQueriesContext(connection) as captured:
        assert client.get(SLOTS, query, **headers).status_code == 200
    # Token check, the two look-ups (the student with its subjects and tutors), the search.
    assert len(captured) <= 15


@pytest.fixture
def background_day(tutor, assigned, monday_afternoon):
    away(tutor, local(monday_afternoon, 15), local(monday_afternoon, 16))
    return monday_afternoon


def _background_query(day: date, which: str, tutor, student) -> dict:
    query = {
        "start": local(day, 0).isoformat(),
        "end": local(day + timedelta(days=1), 0).isoformat(),
    }
    if which in {"both", "tutor"}:
        query["tutor"] = tutor.pk
    if which in {"both", "student"}:
        query["student"] = student.pk
    return query


@pytest.mark.parametrize(
    ("which", "role", "status"),
    [
        (which, role, status)
        for which, statuses in BACKGROUND_STATUSES.items()
        for role, status in zip(ROLES, statuses, strict=True)
    ],
)
def test_background_api_access(
    client, bearer, people, other_tutor, assigned, background_day, which, role, status
):
    query = _background_query(background_day, which, people["tutor"], assigned)

    response = client.get(BACKGROUND, query, **_headers(bearer, people, other_tutor, role))

    assert response.status_code == status
    if status == 200:
        assert {item["owner"] for item in response.json()} == (
            {"tutor", "student"} if which == "both" else {which}
        )


def test_background_is_the_weekly_windows_minus_time_off(
    client, bearer, tutor, assigned, background_day
):
    query = _background_query(background_day, "both", tutor, assigned)

    response = client.get(BACKGROUND, query, **bearer(tutor))

    def moment(hour: int) -> datetime:
        return local(background_day, hour).astimezone(UTC)

    found = [
        (datetime.fromisoformat(item["start"]), datetime.fromisoformat(item["end"]), item["owner"])
        for item in response.json()
    ]
    assert found == [
        (moment(14), moment(15), "tutor"),
        (moment(15), moment(17), "student"),
        (moment(16), moment(18), "tutor"),
    ]


def test_background_is_clipped_to_the_range_and_reads_naive_times_locally(
    client, bearer, tutor, assigned, background_day
):
    query = {
        "tutor": tutor.pk,
        "start": f"{background_day.isoformat()}T14:30:00",
        "end": f"{background_day.isoformat()}T17:00:00",
    }

    items = client.get(BACKGROUND, query, **bearer(tutor)).json()

    assert [(item["start"], item["end"]) for item in items] == [
        (
            local(background_day, 14, 30).astimezone(UTC).isoformat().replace("+00:00", "Z"),
            local(background_day, 15).astimezone(UTC).isoformat().replace("+00:00", "Z"),
        ),
        (
            local(background_day, 16).astimezone(UTC).isoformat().replace("+00:00", "Z"),
            local(background_day, 17).astimezone(UTC).isoformat().replace("+00:00", "Z"),
        ),
    ]


def test_background_keeps_wall_clock_time_across_a_change(client, bearer, settings, tutor):
    settings.TIME_ZONE = "Europe/London"
    year = timezone.localdate().year + 1
    last_day = date(year, 3, 31)
    change = last_day - timedelta(days=(last_day.weekday() - 6) % 7)
    window(tutor, 5, time(16), time(17))
    window(tutor, 6, time(16), time(17))
    london = ZoneInfo("Europe/London")
    query = {
        "tutor": tutor.pk,
        "start": datetime.combine(change - timedelta(days=1), time(0), tzinfo=london).isoformat(),
        "end": datetime.combine(change + timedelta(days=1), time(0), tzinfo=london).isoformat(),
    }

    items = client.get(BACKGROUND, query, **bearer(tutor)).json()

    starts = [datetime.fromisoformat(item["start"]) for item in items]
    assert [start.astimezone(london).time() for start in starts] == [time(16), time(16)]
    assert [start.hour for start in starts] == [16, 15]


@pytest.mark.parametrize(
    ("start", "end", "with_tutor"),
    [
        ("2031-03-03T00:00:00+02:00", "2031-03-04T00:00:00+02:00", False),
        ("2031-03-04T00:00:00+02:00", "2031-03-03T00:00:00+02:00", True),
        ("2031-03-01T00:00:00+02:00", "2031-05-03T00:00:00+02:00", True),
        ("soon", "2031-03-04T00:00:00+02:00", True),
    ],
    ids=["nobody", "end before start", "over 62 days", "not a time"],
)
def test_background_api_refuses_bad_input(client, bearer, tutor, start, end, with_tutor):
    query = {"start": start, "end": end} | ({"tutor": tutor.pk} if with_tutor else {})

    response = client.get(BACKGROUND, query, **bearer(tutor))

    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")


def test_background_of_other_people_is_hidden_from_a_tutor(client, bearer, tutor, other_tutor):
    stranger = StudentFactory(tutors=[other_tutor])
    day = monday()
    for which, owner_id in (("tutor", other_tutor.pk), ("student", stranger.pk)):
        query = _background_query(day, "both", tutor, stranger)
        query = {"start": query["start"], "end": query["end"], which: owner_id}
        assert client.get(BACKGROUND, query, **bearer(tutor)).status_code == 404
