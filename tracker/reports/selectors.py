"""Reports over any period with branch, tutor and subject filters, each built as one
`Table` that the page, the API, CSV, XLSX and PDF all show.

Sessions, attendance, cancellations and retention are operational (`REPORT_VIEW`:
moderators and admins); revenue and tutor hours with pay are money (`FINANCE_DETAIL`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, Min, Q, Sum, Value
from django.db.models.functions import Coalesce, Lower, Trim, TruncMonth, TruncWeek
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can, require
from tracker.attendance.models import Attendance, CancelledBy, Presence
from tracker.finance import selectors as finance
from tracker.finance.models import TutorEarning
from tracker.finance.pricing import to_cents
from tracker.finance.reports import revenue_table
from tracker.lib.tabular import Column, Table
from tracker.org.models import Subject
from tracker.reports.periods import DURATION, Filters, day_start, next_month
from tracker.scheduling.models import Session, SessionStatus, SessionStudent

MONEY = DecimalField(max_digits=14, decimal_places=2)
HUNDREDTH = Decimal("0.01")


def _hours(duration) -> Decimal:
    if not duration:
        return Decimal("0.00")
    return (Decimal(duration.total_seconds()) / 3600).quantize(HUNDREDTH)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _as_date(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _person(user: User) -> str:
    return user.get_full_name() or user.username


GROUP_LABELS = {
    "month": gettext_lazy("Month"),
    "week": gettext_lazy("Week"),
    "tutor": gettext_lazy("Tutor"),
    "subject": gettext_lazy("Subject"),
    "branch": gettext_lazy("Branch"),
    "student": gettext_lazy("Student"),
}


def _group(by: str, prefix: str = ""):
    return {
        "month": TruncMonth(f"{prefix}start"),
        "week": TruncWeek(f"{prefix}start"),
        "tutor": Coalesce(f"{prefix}tutor_id", Value(0)),
        "subject": Coalesce(f"{prefix}subject_id", Value(0)),
    }[by]


def _labels(by: str, keys) -> dict[Any, Any]:
    """What each group is called: a date for months and weeks, a name otherwise."""
    if by in ("month", "week"):
        return {key: _as_date(key) for key in keys}
    if by == "tutor":
        people = User.objects.only("first_name", "last_name", "username").in_bulk(keys)
        return {key: _person(people[key]) if key in people else _("No tutor") for key in keys}
    subjects = Subject.objects.only("name").in_bulk(keys)
    return {key: subjects[key].name if key in subjects else _("No subject") for key in keys}


def _label_column(by: str) -> Column:
    kind = {"month": "month", "week": "date"}.get(by, "text")
    return Column("label", str(GROUP_LABELS[by]), kind)


def _sort_rows(rows: list[dict[str, Any]], by: str) -> list[dict[str, Any]]:
    if by in ("month", "week"):
        return sorted(rows, key=lambda row: row["label"])
    return sorted(rows, key=lambda row: str(row["label"]).lower())


# --- Sessions and attendance ------------------------------------------------------------


def sessions_report(*, user: User, filters: Filters, by: str = "month") -> Table:
    """Per month, week, tutor or subject: sessions by status, hours taught (completed
    sessions) and attendance marks, with the attendance rate (present + late over all
    marks)."""
    require(user, Cap.REPORT_VIEW)
    counts = {
        row["group"]: row
        for row in Session.objects.filter(filters.match())
        .annotate(group=_group(by))
        .values("group")
        .annotate(
            total=Count("id"),
            **{s: Count("id", filter=Q(status=s)) for s in SessionStatus.values},
            taught=Sum(DURATION, filter=Q(status=SessionStatus.COMPLETED)),
        )
    }
    marks: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(Presence.values, 0))
    for row in (
        Attendance.objects.filter(filters.match("session__"))
        .annotate(group=_group(by, "session__"))
        .values("group", "presence")
        .annotate(n=Count("id"))
    ):
        marks[row["group"]][row["presence"]] = row["n"]
    labels = _labels(by, set(counts) | set(marks))
    rows = []
    for key, label in labels.items():
        count = counts.get(key, {})
        mark = marks[key]
        rows.append(
            {
                "label": label,
                "sessions": count.get("total", 0),
                "scheduled": count.get(SessionStatus.SCHEDULED, 0),
                "completed": count.get(SessionStatus.COMPLETED, 0),
                "cancelled": count.get(SessionStatus.CANCELLED, 0),
                "hours": _hours(count.get("taught")),
                "present": mark[Presence.PRESENT],
                "late": mark[Presence.LATE],
                "absent": mark[Presence.ABSENT],
                "attendance": _rate(
                    mark[Presence.PRESENT] + mark[Presence.LATE], sum(mark.values())
                ),
            }
        )
    table = Table(
        title=_("Sessions and attendance"),
        columns=[
            _label_column(by),
            Column("sessions", _("Sessions"), "int", True),
            Column("scheduled", _("Scheduled"), "int", True),
            Column("completed", _("Completed"), "int", True),
            Column("cancelled", _("Cancelled"), "int", True),
            Column("hours", _("Hours taught"), "decimal", True),
            Column("present", _("Present"), "int", True),
            Column("late", _("Late"), "int", True),
            Column("absent", _("Absent"), "int", True),
            Column("attendance", _("Attendance rate"), "percent"),
        ],
        rows=_sort_rows(rows, by),
    )
    attended = sum(r["present"] + r["late"] for r in rows)
    table.overall["attendance"] = _rate(attended, attended + sum(r["absent"] for r in rows))
    return table


# --- Cancellations ----------------------------------------------------------------------


def cancellations_report(*, user: User, filters: Filters) -> Table:
    """Cancelled sessions by reason (the same words in any case count as one reason), with
    who cancelled as the tutor logged it, how many were late and the hours lost."""
    require(user, Cap.REPORT_VIEW)
    who = {c: Count("id", filter=Q(log__cancelled_by=c)) for c in CancelledBy.values}
    grouped = (
        Session.objects.filter(filters.match(), status=SessionStatus.CANCELLED)
        .annotate(reason=Lower(Trim("cancellation_reason")))
        .values("reason")
        .annotate(
            shown=Min("cancellation_reason"),
            total=Count("id"),
            late=Count("id", filter=Q(log__late_cancellation=True)),
            lost=Sum(DURATION),
            **who,
        )
    )
    rows = [
        {
            "reason": _reason(row["shown"]),
            "sessions": row["total"],
            "student": row[CancelledBy.STUDENT],
            "tutor": row[CancelledBy.TUTOR],
            "other": row[CancelledBy.OTHER],
            "unrecorded": row["total"] - sum(row[c] for c in CancelledBy.values),
            "late": row["late"],
            "hours": _hours(row["lost"]),
        }
        for row in grouped
    ]
    rows.sort(key=lambda row: (-row["sessions"], row["reason"].lower()))
    return Table(
        title=_("Cancellations by reason"),
        columns=[
            Column("reason", _("Reason")),
            Column("sessions", _("Sessions"), "int", True),
            Column("student", _("By the student"), "int", True),
            Column("tutor", _("By the tutor"), "int", True),
            Column("other", _("By someone else"), "int", True),
            Column("unrecorded", _("Not recorded"), "int", True),
            Column("late", _("Late cancellations"), "int", True),
            Column("hours", _("Hours lost"), "decimal", True),
        ],
        rows=rows,
    )


def _reason(text: str | None) -> str:
    # Which spelling of a reason the database picks first depends on its collation.
    text = (text or "").strip()
    return text[:1].upper() + text[1:] if text else _("No reason given")


# --- Retention --------------------------------------------------------------------------


def retention_report(*, user: User, filters: Filters) -> Table:
    """Per month: students with at least one session that was not cancelled, how many of
    them also had one the month before (kept), how many did not (new or back after a
    break), how many of last month's did not come back (lost), and the retention rate:
    kept over last month's students."""
    require(user, Cap.REPORT_VIEW)
    first = filters.start.replace(day=1)
    months = [first]
    while next_month(months[-1]) <= filters.end:
        months.append(next_month(months[-1]))
    seats = SessionStudent.objects.filter(
        active=True, start__gte=day_start(_previous(first)), start__lt=filters.ends_at
    )
    if filters.tutor is not None:
        seats = seats.filter(session__tutor_id=filters.tutor)
    if filters.subject is not None:
        seats = seats.filter(session__subject_id=filters.subject)
    if filters.branch is not None:
        seats = seats.filter(student__branch_id=filters.branch)
    present: dict[date, set[int]] = defaultdict(set)
    for month, student in (
        seats.annotate(month=TruncMonth("start")).values_list("month", "student_id").distinct()
    ):
        present[_as_date(month)].add(student)
    rows = []
    for month in months:
        now, then = present[month], present[_previous(month)]
        kept = len(now & then)
        rows.append(
            {
                "month": month,
                "students": len(now),
                "kept": kept,
                "joined": len(now - then),
                "lost": len(then - now),
                "retention": _rate(kept, len(then)),
            }
        )
    return Table(
        title=_("Student retention by month"),
        columns=[
            Column("month", _("Month"), "month"),
            Column("students", _("Students taught"), "int"),
            Column("kept", _("Also taught the month before"), "int"),
            Column("joined", _("New or back after a break"), "int"),
            Column("lost", _("Not back from the month before"), "int"),
            Column("retention", _("Retention rate"), "percent"),
        ],
        rows=rows,
    )


def _previous(month: date) -> date:
    return (month - timedelta(days=1)).replace(day=1)


# --- Money ------------------------------------------------------------------------------


def revenue_report(*, user: User, filters: Filters, by: str = "month") -> Table:
    """Income of verified sessions (the finance module's revenue), admins only here."""
    require(user, Cap.FINANCE_DETAIL)
    report = finance.revenue(
        user=user,
        start=filters.start,
        end=filters.end,
        by=by,
        branch=filters.branch,
        tutor=filters.tutor,
        subject=filters.subject,
    )
    table = revenue_table(report, settings.CURRENCY)
    if by == "month":
        for row, item in zip(table.rows, report.rows, strict=True):
            row["label"] = _as_date(item.key)
        table.columns = [_label_column("month"), *table.columns[1:]]
    return table


def tutor_hours_report(*, user: User, filters: Filters) -> Table:
    """Per tutor: completed and cancelled sessions, hours taught, and the pay earned by
    verified sessions (with how many of them had no pay rate yet)."""
    require(user, Cap.FINANCE_DETAIL)
    sessions = {
        row["tutor_id"]: row
        for row in Session.objects.filter(filters.match())
        .values("tutor_id")
        .annotate(
            completed=Count("id", filter=Q(status=SessionStatus.COMPLETED)),
            cancelled=Count("id", filter=Q(status=SessionStatus.CANCELLED)),
            taught=Sum(DURATION, filter=Q(status=SessionStatus.COMPLETED)),
        )
    }
    pay = {
        row["tutor_id"]: row
        for row in TutorEarning.objects.filter(filters.match("session__"))
        .values("tutor_id")
        .annotate(
            amount=Sum("amount", output_field=MONEY),
            paid_sessions=Count("id"),
            without_rate=Count("id", filter=Q(rate__isnull=True)),
        )
    }
    people = User.objects.only("first_name", "last_name", "username", "email").in_bulk(
        set(sessions) | set(pay)
    )
    rows = []
    for tutor_id, tutor in people.items():
        done, earned = sessions.get(tutor_id, {}), pay.get(tutor_id, {})
        rows.append(
            {
                "tutor": _person(tutor),
                "email": tutor.email,
                "completed": done.get("completed", 0),
                "cancelled": done.get("cancelled", 0),
                "hours": _hours(done.get("taught")),
                "paid_sessions": earned.get("paid_sessions", 0),
                "without_rate": earned.get("without_rate", 0),
                "pay": to_cents(earned.get("amount") or Decimal(0)),
            }
        )
    rows.sort(key=lambda row: row["tutor"].lower())
    return Table(
        title=_("Tutor hours and pay"),
        columns=[
            Column("tutor", _("Tutor")),
            Column("email", _("E-mail")),
            Column("completed", _("Completed sessions"), "int", True),
            Column("cancelled", _("Cancelled sessions"), "int", True),
            Column("hours", _("Hours taught"), "decimal", True),
            Column("paid_sessions", _("Verified sessions paid"), "int", True),
            Column("without_rate", _("Without a pay rate"), "int", True),
            Column("pay", _("Pay (%(currency)s)") % {"currency": settings.CURRENCY}, "money", True),
        ],
        rows=rows,
    )


# --- The catalogue ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReportSpec:
    slug: str
    title: Any
    description: Any
    capability: Cap
    build: Callable[..., Table]
    groups: tuple[str, ...] = ()
    # The column drawn as bars, and the column naming each bar.
    chart: tuple[str, str] | None = None


REPORTS: dict[str, ReportSpec] = {
    spec.slug: spec
    for spec in (
        ReportSpec(
            "sessions",
            gettext_lazy("Sessions and attendance"),
            gettext_lazy("Sessions by status, hours taught and attendance marks."),
            Cap.REPORT_VIEW,
            sessions_report,
            ("month", "week", "tutor", "subject"),
            ("completed", "label"),
        ),
        ReportSpec(
            "cancellations",
            gettext_lazy("Cancellations by reason"),
            gettext_lazy("Why sessions were cancelled, by whom, and the hours lost."),
            Cap.REPORT_VIEW,
            cancellations_report,
            chart=("sessions", "reason"),
        ),
        ReportSpec(
            "retention",
            gettext_lazy("Student retention"),
            gettext_lazy("Students taught each month, kept, new and lost."),
            Cap.REPORT_VIEW,
            retention_report,
            chart=("students", "month"),
        ),
        ReportSpec(
            "revenue",
            gettext_lazy("Revenue"),
            gettext_lazy("Income of verified sessions by month, branch, student, tutor, subject."),
            Cap.FINANCE_DETAIL,
            revenue_report,
            ("month", "branch", "student", "tutor", "subject"),
            ("amount", "label"),
        ),
        ReportSpec(
            "tutor-hours",
            gettext_lazy("Tutor hours and pay"),
            gettext_lazy("Sessions taught, hours and pay earned per tutor."),
            Cap.FINANCE_DETAIL,
            tutor_hours_report,
            chart=("hours", "tutor"),
        ),
    )
}


def reports_for(user: User) -> list[ReportSpec]:
    require(user, Cap.REPORT_VIEW)
    return [spec for spec in REPORTS.values() if can(user, spec.capability)]


def get_report(*, user: User, slug: str) -> ReportSpec:
    """The report, if the role may run it: 404 for a name that does not exist, 403 for a
    report of a capability the role lacks."""
    require(user, Cap.REPORT_VIEW)
    spec = REPORTS.get(slug)
    if spec is None:
        raise Http404
    require(user, spec.capability)
    return spec


def run_report(*, user: User, slug: str, filters: Filters, by: str | None = None) -> Table:
    spec = get_report(user=user, slug=slug)
    if not spec.groups:
        return spec.build(user=user, filters=filters)
    by = by or spec.groups[0]
    if by not in spec.groups:
        raise ValidationError(
            {"by": [_("Group by one of: %(groups)s.") % {"groups": ", ".join(spec.groups)}]}
        )
    return spec.build(user=user, filters=filters, by=by)
