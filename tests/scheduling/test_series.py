"""Recurring sessions: generation, wall-clock time across DST, closures, edits and splits."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.scheduling.conftest import at
from tracker.core.errors import Conflict
from tracker.scheduling import recurrence, services
from tracker.scheduling.models import Closure, Series, Session

pytestmark = pytest.mark.django_db
LONDON = ZoneInfo("Europe/London")


def weekly(moderator, tutor, pupil, start, minutes=60, **repeat):
    return services.series_create(
        actor=moderator,
        tutor=tutor,
        students=[pupil],
        start=start,
        end=start + timedelta(minutes=minutes),
        repeat={"freq": "weekly", **repeat},
    )


def starts(series):
    return [s.start for s in series.sessions.order_by("start")]


def test_a_weekly_series_stores_each_occurrence(moderator, tutor, pupil):
    series, created = weekly(moderator, tutor, pupil, at(3, 16), count=4)
    assert created == 4
    assert starts(series) == [at(3, 16) + timedelta(weeks=n) for n in range(4)]
    assert all(s.seats.count() == 1 for s in series.sessions.all())


def test_chosen_weekdays_and_an_end_date(moderator, tutor, pupil):
    series, _ = weekly(
        moderator, tutor, pupil, at(3, 16), weekdays=[0, 2], until=date(2031, 3, 16)
    )  # 3 March 2031 is a Monday
    assert [s.date() for s in starts(series)] == [date(2031, 3, d) for d in (3, 5, 10, 12)]


def test_a_never_ending_series_is_generated_to_the_horizon_and_extended(
    moderator, tutor, pupil, settings
):
    from django.utils import timezone

    start = timezone.localtime().replace(hour=16, minute=0, second=0, microsecond=0) + timedelta(
        days=1
    )
    series, created = weekly(moderator, tutor, pupil, start)
    assert 20 <= created <= 28
    later = series.generated_until + timedelta(weeks=8)
    assert services.series_extend(until=later) >= 7
    series.refresh_from_db()
    assert series.generated_until == later


def test_fortnightly_and_monthly(moderator, tutor, pupil):
    series, _ = services.series_create(
        actor=moderator, tutor=tutor, students=[pupil], start=at(3, 16), end=at(3, 17),
        repeat={"freq": "fortnightly", "count": 3},
    )  # fmt: skip
    assert starts(series) == [at(3, 16), at(17, 16), at(31, 16)]
    monthly, _ = services.series_create(
        actor=moderator, tutor=tutor, students=[pupil], start=at(4, 10), end=at(4, 11),
        repeat={"freq": "monthly", "count": 3},
    )  # fmt: skip
    assert [s.date() for s in starts(monthly)] == [
        date(2031, 3, 4), date(2031, 4, 4), date(2031, 5, 4)
    ]  # fmt: skip


def test_a_weekly_16h_session_stays_at_16h_across_daylight_saving(
    moderator, tutor, pupil, settings
):
    settings.TIME_ZONE = "Europe/London"
    # British Summer Time starts on Sunday 30 March 2031.
    first = datetime(2031, 3, 20, 16, tzinfo=LONDON)
    series, _ = weekly(moderator, tutor, pupil, first, count=4)
    local = [s.astimezone(LONDON) for s in starts(series)]
    assert [t.hour for t in local] == [16, 16, 16, 16]
    offsets = {t.utcoffset() for t in local}
    assert offsets == {timedelta(0), timedelta(hours=1)}


def test_closures_and_skipped_dates_are_left_out(moderator, tutor, pupil):
    Closure.objects.create(
        start_date=date(2031, 3, 10), end_date=date(2031, 3, 10), reason="Human Rights Day"
    )
    series, created = weekly(moderator, tutor, pupil, at(3, 16), count=4)
    assert date(2031, 3, 10) not in [s.date() for s in starts(series)]
    assert created == 3


def test_a_clash_refuses_the_whole_series(moderator, tutor, pupil, book):
    book(at(17, 16, 30))
    with pytest.raises(Conflict):
        weekly(moderator, tutor, pupil, at(3, 16), count=4)
    assert not Series.objects.exists()
    assert Session.objects.count() == 1


def test_bad_rules_are_field_errors(moderator, tutor, pupil):
    with pytest.raises(ValidationError) as excinfo:
        weekly(moderator, tutor, pupil, at(3, 16), count=2, until=date(2031, 4, 1))
    assert "repeat" in excinfo.value.message_dict


def test_moving_one_occurrence_leaves_the_others(moderator, tutor, pupil):
    series, _ = weekly(moderator, tutor, pupil, at(3, 16), count=4)
    second = series.sessions.order_by("start")[1]
    services.session_update(actor=moderator, session=second, start=at(11, 17), end=at(11, 18))
    assert starts(series) == [at(3, 16), at(11, 17), at(17, 16), at(24, 16)]
    second.refresh_from_db()
    assert second.is_exception is True


def test_this_and_following_splits_and_leaves_earlier_ones_untouched(moderator, tutor, pupil):
    series, _ = weekly(moderator, tutor, pupil, at(3, 16), count=4)
    earlier = list(series.sessions.order_by("start")[:2].values("pk", "start"))
    third = series.sessions.order_by("start")[2]
    new_first = services.session_update(
        actor=moderator, session=third, scope="following", start=at(18, 15), end=at(18, 16)
    )
    assert list(series.sessions.order_by("start")[:2].values("pk", "start")) == earlier
    assert series.sessions.count() == 2
    assert [s.start for s in new_first.series.sessions.order_by("start")] == [
        at(18, 15), at(25, 15)
    ]  # fmt: skip
    assert new_first.series.rrule.count("BYDAY=TU") == 1


def test_edit_all_changes_every_upcoming_occurrence(moderator, tutor, pupil):
    series, _ = weekly(moderator, tutor, pupil, at(3, 16), count=3)
    second = series.sessions.order_by("start")[1]
    first = services.session_update(
        actor=moderator, session=second, scope="all", start=at(10, 17), end=at(10, 18)
    )
    assert [s.start for s in first.series.sessions.order_by("start")] == [
        at(3, 17), at(10, 17), at(17, 17)
    ]  # fmt: skip


def test_cancel_this_and_following(moderator, tutor, pupil):
    series, _ = weekly(moderator, tutor, pupil, at(3, 16), count=4)
    third = series.sessions.order_by("start")[2]
    services.session_cancel(actor=moderator, session=third, reason="Moved away", scope="following")
    statuses = list(series.sessions.order_by("start").values_list("status", flat=True))
    assert statuses == ["scheduled", "scheduled", "cancelled", "cancelled"]
    series.refresh_from_db()
    assert services.series_extend(until=date(2031, 6, 1)) == 0


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    day=st.integers(min_value=1, max_value=28),
    month=st.integers(min_value=1, max_value=12),
    hour=st.integers(min_value=7, max_value=19),
    weekdays=st.sets(st.integers(min_value=0, max_value=6), min_size=1, max_size=3),
    count=st.integers(min_value=1, max_value=12),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Sydney"]),
)
def test_every_occurrence_matches_the_rule_in_wall_clock_time(
    day, month, hour, weekdays, count, zone
):
    tz = ZoneInfo(zone)
    first = datetime(2031, month, day, hour)  # noqa: DTZ001 - wall-clock time on purpose
    rule = recurrence.build_rule(freq="weekly", first=first, weekdays=weekdays, count=count)
    local = recurrence.local_occurrences(
        rule, first, after=first, before=first + timedelta(weeks=count + 2)
    )
    assert 1 <= len(local) <= count
    for start in local:
        assert start.weekday() in weekdays
        aware = recurrence.to_utc(start, zone).astimezone(tz)
        # Wall-clock hour is kept, except inside a spring-forward gap, where it cannot exist.
        assert aware.hour == hour or aware.hour == hour + 1
    assert local == sorted(set(local))
