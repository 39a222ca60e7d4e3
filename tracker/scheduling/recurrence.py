"""Recurrence rules (RFC 5545 RRULE, through python-dateutil) in wall-clock time.

Occurrences are computed as naive local times in the series' time zone and only then
given the zone, so that a weekly 16:00 session stays at 16:00 when the clocks change.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from django.utils.translation import gettext as _

Freq = Literal["weekly", "fortnightly", "monthly"]
DAY_CODES = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]
MAX_COUNT = 520


class RuleError(ValueError):
    pass


def build_rule(
    *,
    freq: Freq,
    first: datetime,
    weekdays: Iterable[int] = (),
    until: date | None = None,
    count: int | None = None,
) -> str:
    """An RRULE for the choices a person makes in the app. `first` is local wall-clock."""
    if until is not None and count is not None:
        raise RuleError(_("Choose an end date or a number of times, not both."))
    if count is not None and not 1 <= count <= MAX_COUNT:
        raise RuleError(
            _("The number of times must be between 1 and %(max)s.") % {"max": MAX_COUNT}
        )
    if until is not None and until < first.date():
        raise RuleError(_("The series cannot end before it starts."))
    parts: list[str]
    if freq in ("weekly", "fortnightly"):
        days = sorted(set(weekdays)) or [first.weekday()]
        if any(not 0 <= day <= 6 for day in days):
            raise RuleError(_("Weekdays go from 0 (Monday) to 6 (Sunday)."))
        parts = ["FREQ=WEEKLY", f"INTERVAL={2 if freq == 'fortnightly' else 1}"]
        parts.append("BYDAY=" + ",".join(DAY_CODES[day] for day in days))
    elif freq == "monthly":
        parts = ["FREQ=MONTHLY", f"BYMONTHDAY={first.day}"]
    else:
        raise RuleError(_("Repeat weekly, fortnightly or monthly."))
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%d}T235959")
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def local_occurrences(
    rule: str, first: datetime, *, after: datetime, before: datetime
) -> list[datetime]:
    """Naive local starts of `rule` from `first`, with after <= start < before."""
    try:
        recurrence = rrulestr(rule, dtstart=first)
    except (ValueError, TypeError) as exc:
        raise RuleError(_("This repeat rule is not valid: %(error)s") % {"error": exc}) from None
    return [start for start in recurrence.between(after, before, inc=True) if start < before]


def to_utc(local: datetime, time_zone: str) -> datetime:
    return local.replace(tzinfo=ZoneInfo(time_zone)).astimezone(ZoneInfo("UTC"))


def to_local(moment: datetime, time_zone: str) -> datetime:
    return moment.astimezone(ZoneInfo(time_zone)).replace(tzinfo=None)


def shift_weekdays(rule: str, days: int) -> str:
    """The same rule with its BYDAY moved by `days` (an occurrence dragged to another day)."""
    if days % 7 == 0:
        return rule
    parts = []
    for part in rule.split(";"):
        if part.startswith("BYDAY="):
            codes = part.removeprefix("BYDAY=").split(",")
            moved = sorted((DAY_CODES.index(code) + days) % 7 for code in codes)
            part = "BYDAY=" + ",".join(DAY_CODES[day] for day in moved)
        parts.append(part)
    return ";".join(parts)


def with_end(rule: str, *, until: datetime | None = None, count: int | None = None) -> str:
    """The rule with its end replaced (a split series, or one that stops early)."""
    parts = [p for p in rule.split(";") if not p.startswith(("UNTIL=", "COUNT="))]
    if until is not None:
        parts.append(f"UNTIL={until:%Y%m%dT%H%M%S}")
    if count is not None:
        parts.append(f"COUNT={count}")
    return ";".join(parts)


def rule_count(rule: str) -> int | None:
    for part in rule.split(";"):
        if part.startswith("COUNT="):
            return int(part.removeprefix("COUNT="))
    return None


def day_span(start: date, end: date) -> Iterable[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)
