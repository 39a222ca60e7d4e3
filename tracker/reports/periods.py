"""Days, weeks and months in the business's time zone, and the filters every report takes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db.models import DurationField, Exists, ExpressionWrapper, F, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.scheduling.models import Session, SessionStudent

MAX_PERIOD_DAYS = 3700
DURATION = ExpressionWrapper(F("end") - F("start"), output_field=DurationField())


def day_start(day: date) -> datetime:
    """Midnight at the start of `day` in the current (business) time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def week_of(day: date) -> tuple[date, date]:
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def month_of(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    return first, next_month(first) - timedelta(days=1)


def next_month(first: date) -> date:
    return (first + timedelta(days=32)).replace(day=1)


def previous_month(first: date) -> date:
    return (first - timedelta(days=1)).replace(day=1)


def months_back(first: date, count: int) -> list[date]:
    """`count` month starts ending with `first`, oldest first."""
    months = [first]
    while len(months) < count:
        months.insert(0, previous_month(months[0]))
    return months


def hours(duration: timedelta | None) -> float:
    return round((duration or timedelta()).total_seconds() / 3600, 2)


@dataclass(frozen=True)
class Filters:
    """A period of whole days [start, end] and optional branch, tutor and subject."""

    start: date
    end: date
    branch: int | None = None
    tutor: int | None = None
    subject: int | None = None

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise ValidationError({"end": [_("The end cannot be before the start.")]})
        if (self.end - self.start).days > MAX_PERIOD_DAYS:
            raise ValidationError({"end": [_("Choose a period of at most ten years.")]})

    @property
    def starts_at(self) -> datetime:
        return day_start(self.start)

    @property
    def ends_at(self) -> datetime:
        return day_start(self.end + timedelta(days=1))

    def match(self, prefix: str = "") -> Q:
        """Sessions starting in the period that match the filters, seen from a model whose
        path to the session is `prefix` ("" for Session itself, "session__" for a log). A
        session belongs to a branch through its students, as on the calendar."""
        condition = Q(**{f"{prefix}start__gte": self.starts_at, f"{prefix}start__lt": self.ends_at})
        if self.tutor is not None:
            condition &= Q(**{f"{prefix}tutor_id": self.tutor})
        if self.subject is not None:
            condition &= Q(**{f"{prefix}subject_id": self.subject})
        if self.branch is not None:
            seats = SessionStudent.objects.filter(
                session=OuterRef(prefix.rstrip("_") + "_id" if prefix else "pk"),
                student__branch_id=self.branch,
            )
            condition &= Exists(seats)
        return condition

    def sessions(self) -> QuerySet[Session]:
        return Session.objects.filter(self.match())

    def as_query(self) -> dict[str, str]:
        params = {"start": self.start.isoformat(), "end": self.end.isoformat()}
        for name in ("branch", "tutor", "subject"):
            if getattr(self, name) is not None:
                params[name] = str(getattr(self, name))
        return params
