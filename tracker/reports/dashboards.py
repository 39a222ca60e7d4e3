"""The dashboard of each role: a tutor's own week and month, the operations picture for
moderators, and the same plus money for admins.

Every figure comes from a grouped query, never one query per tutor or student, so a
dashboard costs the same number of queries for five tutors or five hundred.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Window,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can, require
from tracker.attendance.models import Attendance, Presence, Review, SessionLog
from tracker.core import cache as versions
from tracker.core.db_router import reads_can_lag
from tracker.finance import selectors as finance_selectors
from tracker.finance.models import (
    Charge,
    IncomeDay,
)
from tracker.finance.pricing import to_cents
from tracker.reports.periods import (
    DURATION,
    day_start,
    hours,
    month_of,
    months_back,
    next_month,
    previous_month,
    week_of,
)
from tracker.scheduling.models import Session, SessionStatus, SessionStudent
from tracker.scheduling.selectors import students_by_session
from tracker.students.models import AvailabilityWindow, Student, StudentStatus

ZERO = Decimal(0)
# Changes show at once (the key's versions); this bounds what time alone changes: sessions
# that have just ended and wait to be logged, students who have just become idle.
CACHE_SECONDS = 60
MONEY = DecimalField(max_digits=14, decimal_places=2)
IDLE_DAYS = 14
LIST_LENGTH = 10


@dataclass(frozen=True)
class StatusCounts:
    scheduled: int = 0
    completed: int = 0
    cancelled: int = 0

    @property
    def total(self) -> int:
        return self.scheduled + self.completed + self.cancelled


def _status_counts(sessions) -> StatusCounts:
    counts = sessions.aggregate(
        **{s: Count("id", filter=Q(status=s)) for s in SessionStatus.values}
    )
    return StatusCounts(**counts)


def _now(now: datetime | None) -> datetime:
    return now or timezone.now()


@dataclass(frozen=True)
class MonthHours:
    month: date
    hours: float


# --- Tutor -----------------------------------------------------------------------------


@dataclass(frozen=True)
class WeekSession:
    """A session of the tutor's week as the dashboard lists it."""

    id: int
    start: datetime
    end: datetime
    status: str
    subject: str | None  # its name
    students: list[str]  # full names, in the order of their names

    @property
    def status_label(self) -> str:
        return SessionStatus(self.status).label


@dataclass
class TutorDashboard:
    week_start: date
    week_end: date
    week: StatusCounts
    sessions: list[WeekSession]
    to_log: int
    sent_back: int
    hours_this_month: float
    hours_by_month: list[MonthHours]


def tutor_dashboard(*, user: User, now: datetime | None = None) -> TutorDashboard:
    """The person's own sessions this week, what they still have to log, and the hours they
    taught (completed sessions) this month and in the five months before."""
    require(user, Cap.DASHBOARD_VIEW)
    now = _now(now)
    today = timezone.localdate(now)
    monday, sunday = week_of(today)
    own = Session.objects.filter(tutor=user)
    week = own.filter(start__gte=day_start(monday), start__lt=day_start(sunday + timedelta(1)))
    months = months_back(today.replace(day=1), 6)
    taught = _by_month(
        own.filter(
            status=SessionStatus.COMPLETED,
            start__gte=day_start(months[0]),
            start__lt=day_start(next_month(months[-1])),
        )
        .annotate(month=TruncMonth("start"))
        .values("month")
        .annotate(length=Sum(DURATION))
        .values_list("month", "length")
    )
    by_month = [MonthHours(m, hours(taught.get(m))) for m in months]
    # Plain values: rebuilt after each of the tutor's logs, model instances for the
    # sessions, subjects and students cost most of the dashboard.
    rows = list(week.values_list("id", "start", "end", "status", "subject__name"))
    students = students_by_session([row[0] for row in rows])
    sessions = [
        WeekSession(
            *row,
            students=[f"{first} {last}".strip() for _, first, last in students.get(row[0], [])],
        )
        for row in rows
    ]
    return TutorDashboard(
        week_start=monday,
        week_end=sunday,
        week=StatusCounts(**Counter(s.status for s in sessions)),
        sessions=sessions,
        to_log=own.filter(status=SessionStatus.SCHEDULED, end__lte=now, log__isnull=True).count(),
        sent_back=SessionLog.objects.filter(tutor=user, review=Review.SENT_BACK).count(),
        hours_this_month=by_month[-1].hours,
        hours_by_month=by_month,
    )


def _by_month(rows) -> dict[date, object]:
    """(month, value) rows keyed by the month's first day: TruncMonth gives a date or a
    datetime depending on the database and the field."""
    return {
        (month.date() if isinstance(month, datetime) else month): value for month, value in rows
    }


# --- Operations (moderators and admins) -------------------------------------------------


@dataclass(frozen=True)
class Utilisation:
    tutor: User
    booked: float
    available: float

    @property
    def share(self) -> float | None:
        return round(self.booked / self.available, 4) if self.available else None


@dataclass(frozen=True)
class IdleStudent:
    student: Student
    last_session: datetime | None


@dataclass
class OperationsDashboard:
    week_start: date
    week_end: date
    month_start: date
    week: StatusCounts
    unverified: int
    present: int
    late: int
    absent: int
    cancellations: int
    cancellations_last_month: int
    booked_hours: float
    available_hours: float
    tutors: list[Utilisation]
    tutors_without_availability: int
    idle_count: int
    idle: list[IdleStudent]

    @property
    def attendance_rate(self) -> float | None:
        marked = self.present + self.late + self.absent
        return round((self.present + self.late) / marked, 4) if marked else None

    @property
    def utilisation(self) -> float | None:
        if not self.available_hours:
            return None
        return round(self.booked_hours / self.available_hours, 4)


def operations_dashboard(*, user: User, now: datetime | None = None) -> OperationsDashboard:
    """Sessions this week by status, logs waiting for verification, attendance and
    cancellations this month, tutors' booked hours against their availability this week,
    and active students with no session in the last 14 days."""
    require(user, Cap.SCHEDULE_VIEW_ALL)
    now = _now(now)
    today = timezone.localdate(now)
    monday, sunday = week_of(today)
    week_from, week_to = day_start(monday), day_start(sunday + timedelta(1))
    first, last = month_of(today)
    month_from, month_to = day_start(first), day_start(last + timedelta(1))
    marks = Attendance.objects.filter(
        session_start__gte=month_from, session_start__lt=month_to
    ).aggregate(**{p: Count("id", filter=Q(presence=p)) for p in Presence.values})
    last_month_from = day_start(previous_month(first))
    cancelled = Session.objects.filter(
        status=SessionStatus.CANCELLED, start__gte=last_month_from, start__lt=month_to
    ).aggregate(
        this=Count("id", filter=Q(start__gte=month_from)),
        last=Count("id", filter=Q(start__lt=month_from)),
    )
    tutors, without = _utilisation(week_from, week_to, monday)
    idle_count, idle = _idle_students(now)
    return OperationsDashboard(
        week_start=monday,
        week_end=sunday,
        month_start=first,
        week=_status_counts(Session.objects.filter(start__gte=week_from, start__lt=week_to)),
        unverified=SessionLog.objects.filter(review=Review.PENDING).count(),
        present=marks[Presence.PRESENT],
        late=marks[Presence.LATE],
        absent=marks[Presence.ABSENT],
        cancellations=cancelled["this"],
        cancellations_last_month=cancelled["last"],
        booked_hours=round(sum(booked for _, booked, _ in tutors), 2),
        available_hours=round(sum(available for _, _, available in tutors), 2),
        tutors=_least_used(tutors),
        tutors_without_availability=without,
        idle_count=idle_count,
        idle=idle,
    )


def _utilisation(
    week_from: datetime, week_to: datetime, monday: date
) -> tuple[list[tuple[int, float, float]], int]:
    """Booked (not cancelled) hours against weekly availability windows in force on each
    day of the week, per active tutor. Tutors with no availability are counted apart: their
    share cannot be computed."""
    active = User.objects.filter(role=Role.TUTOR, is_active=True).values("pk")
    tutors = list(active.order_by("pk").values_list("pk", flat=True))
    # The other reads select the same tutors by a subquery: hundreds of ids as parameters
    # cost more to send than the rows they select.
    booked = dict(
        Session.objects.filter(start__gte=week_from, start__lt=week_to, tutor_id__in=active)
        .exclude(status=SessionStatus.CANCELLED)
        .values("tutor_id")
        .annotate(length=Sum(DURATION))
        .values_list("tutor_id", "length")
    )
    available: dict[int, float] = defaultdict(float)
    days = [monday + timedelta(days=i) for i in range(7)]
    windows = AvailabilityWindow.objects.filter(tutor_id__in=active).values_list(
        "tutor_id", "weekday", "start", "end", "valid_from", "valid_to"
    )
    for tutor_id, weekday, start, end, valid_from, valid_to in windows:
        day = days[weekday]
        if (valid_from and day < valid_from) or (valid_to and day > valid_to):
            continue
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        available[tutor_id] += minutes / 60
    rows = [(pk, hours(booked.get(pk)), round(available[pk], 2)) for pk in tutors if available[pk]]
    return rows, sum(1 for pk in tutors if not available[pk])


def _least_used(rows: list[tuple[int, float, float]]) -> list[Utilisation]:
    """The LIST_LENGTH tutors with the smallest share of their hours booked. Only they are
    read whole: hundreds of accounts are not."""
    rows = sorted(rows, key=lambda row: (round(row[1] / row[2], 4), row[0]))[:LIST_LENGTH]
    users = User.objects.in_bulk([pk for pk, _, _ in rows])
    # A tutor deleted since their hours were read is simply not listed.
    return [
        Utilisation(users[pk], booked, available) for pk, booked, available in rows if pk in users
    ]


def _idle_students(now: datetime) -> tuple[int, list[IdleStudent]]:
    """Active students without a (not cancelled) session in the last 14 days, those who
    have waited longest first."""
    recent = SessionStudent.objects.filter(
        student=OuterRef("pk"),
        active=True,
        start__gte=now - timedelta(days=IDLE_DAYS),
        start__lt=now,
    )
    idle = Student.objects.filter(status=StudentStatus.ACTIVE).exclude(Exists(recent))
    last = SessionStudent.objects.filter(
        student=OuterRef("pk"), active=True, start__lt=now
    ).order_by("-start")
    # The count over all of them rides along with the first rows: one query, not two.
    listed = list(
        idle.annotate(
            last_session=Subquery(last.values("start")[:1]), idle_count=Window(Count("id"))
        )
        .only("id", "first_name", "last_name")
        .order_by(F("last_session").asc(nulls_first=True), "last_name", "first_name", "id")[
            :LIST_LENGTH
        ]
    )
    count = listed[0].idle_count if listed else 0
    return count, [IdleStudent(s, s.last_session) for s in listed]


# --- Money (admins) ---------------------------------------------------------------------


@dataclass(frozen=True)
class TopStudent:
    student: Student
    amount: Decimal


@dataclass(frozen=True)
class MonthAmount:
    month: date
    amount: Decimal


@dataclass
class MoneyDashboard:
    month_start: date
    this_month: Decimal
    last_month: Decimal
    same_month_last_year: Decimal
    by_month: list[MonthAmount]
    outstanding: Decimal
    overdue: Decimal
    top_since: date
    top_students: list[TopStudent] = field(default_factory=list)

    @property
    def change_on_last_month(self) -> float | None:
        return _change(self.this_month, self.last_month)

    @property
    def change_on_last_year(self) -> float | None:
        return _change(self.this_month, self.same_month_last_year)


def _change(now: Decimal, before: Decimal) -> float | None:
    return round(float((now - before) / before), 4) if before else None


def money_dashboard(*, user: User, now: datetime | None = None) -> MoneyDashboard:
    """Income earned (verified charges) this month so far, in the whole last month and in
    the same month a year ago; income per month over a year (from the daily totals, not
    every charge); what payers owe on issued
    invoices and how much of it is overdue; the students who brought most income in the
    last three months."""
    require(user, Cap.FINANCE_DETAIL)
    today = timezone.localdate(_now(now))
    first = today.replace(day=1)
    months = months_back(first, 12)
    year_ago = first.replace(year=first.year - 1)
    per_month = _by_month(
        IncomeDay.objects.filter(
            Q(date__gte=months[0], date__lte=today)
            | Q(date__gte=year_ago, date__lt=next_month(year_ago))
        )
        .annotate(month=TruncMonth("date"))
        .values("month")
        .annotate(amount=Sum("amount", output_field=MONEY))
        .values_list("month", "amount")
    )

    def month_total(month: date) -> Decimal:
        return to_cents(per_month.get(month) or ZERO)

    top_since = months[-3]
    top = (
        Charge.objects.filter(date__gte=top_since, date__lte=today)
        .values("student_id")
        .annotate(amount=Sum("amount", output_field=MONEY))
        .order_by("-amount", "student_id")[:LIST_LENGTH]
    )
    top = list(top)
    students = Student.objects.only("id", "first_name", "last_name").in_bulk(
        [row["student_id"] for row in top]
    )
    outstanding, overdue = finance_selectors.outstanding_totals(user=user, as_of=today)
    return MoneyDashboard(
        month_start=first,
        this_month=month_total(first),
        last_month=month_total(previous_month(first)),
        same_month_last_year=month_total(year_ago),
        by_month=[MonthAmount(m, month_total(m)) for m in months],
        outstanding=outstanding,
        overdue=overdue,
        top_since=top_since,
        top_students=[
            TopStudent(students[row["student_id"]], to_cents(row["amount"])) for row in top
        ],
    )


# --- Per role ---------------------------------------------------------------------------


@dataclass
class Dashboard:
    role: str
    tutor: TutorDashboard | None = None
    operations: OperationsDashboard | None = None
    money: MoneyDashboard | None = None
    generated_at: datetime = field(default_factory=timezone.now)


def dashboard(*, user: User, now: datetime | None = None) -> Dashboard:
    """What each role sees: a tutor their own work; a moderator operations without money;
    an admin operations and money.

    The live dashboard (no `now`) is cached per person and day until a change it shows:
    the tutor's own sessions and logs, or anyone's for staff, or money for admins."""
    require(user, Cap.DASHBOARD_VIEW)
    if now is not None:
        return _dashboard(user=user, now=now)
    key = _cache_key(user)
    cached = cache.get(key)
    if cached is None:
        cached = live_dashboard(user=user)
        cache.set(key, cached, CACHE_SECONDS)
    return cached


def live_dashboard(*, user: User) -> Dashboard:
    """The live dashboard computed now, for a caller that keeps what it makes of it
    (tracker/reports/cached.py) under the versions it read before calling."""
    require(user, Cap.DASHBOARD_VIEW)
    return _dashboard(user=user, now=_now(None))


def _dashboard(*, user: User, now: datetime) -> Dashboard:
    # Everyone's figures may come from the read replica. Built while it is a moment
    # behind a change, they can be kept up to CACHE_SECONDS: staff figures may lag that much.
    result = Dashboard(role=user.role, generated_at=now)
    if can(user, Cap.SCHEDULE_VIEW_ALL):
        with reads_can_lag():
            result.operations = operations_dashboard(user=user, now=now)
    else:
        # A tutor's own figures come from the primary: they look right after logging.
        result.tutor = tutor_dashboard(user=user, now=now)
    if can(user, Cap.FINANCE_DETAIL):
        with reads_can_lag():
            result.money = money_dashboard(user=user, now=now)
    return result


def _cache_key(user: User) -> str:
    """Read before the figures are computed: see tracker.core.cache for why."""
    # The value is pickled: a release that changes what it carries (v3: the week's
    # sessions as WeekSession) takes a new prefix rather than read old ones.
    scopes = versions.current(*dashboard_scopes(user))
    return f"dashboard:v3:{scopes}:{dashboard_owner(user)}"


def dashboard_scopes(user: User) -> tuple[str, ...]:
    """What a person's dashboard shows: their own sessions and logs, or anyone's for
    staff, and money for admins."""
    require(user, Cap.DASHBOARD_VIEW)
    if can(user, Cap.SCHEDULE_VIEW_ALL):
        scopes = [versions.SESSIONS]
    else:
        scopes = [versions.SHARED, versions.tutor_scope(user.pk)]
    if can(user, Cap.FINANCE_DETAIL):
        scopes.append(versions.MONEY)
    return tuple(scopes)


def dashboard_owner(user: User) -> str:
    """Whose and which day's: "today" and "this week" move at midnight."""
    day = f"{timezone.get_current_timezone_name()}:{timezone.localdate().isoformat()}"
    return f"u{user.pk}:{user.role}:{day}"
