"""Dashboards and reports over the API: the same selectors, filters and permissions as the
pages."""

import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import NinjaJSONEncoder

from tracker.core.cached_reads import JSON
from tracker.core.db_router import reads_can_lag
from tracker.finance.forms import this_year
from tracker.lib.tabular import PDF_TYPE, XLSX_TYPE, Table, table_response
from tracker.reports import dashboards
from tracker.reports.periods import Filters
from tracker.reports.selectors import get_report, reports_for, run_report

router = Router(tags=["reports"])

Money = Decimal


class StatusCountsOut(Schema):
    scheduled: int
    completed: int
    cancelled: int
    total: int


class SessionBriefOut(Schema):
    id: int
    start: datetime
    end: datetime
    status: str
    subject: str | None
    students: list[str]


class MonthHoursOut(Schema):
    month: date
    hours: float


class TutorPartOut(Schema):
    week_start: date
    week_end: date
    week: StatusCountsOut
    sessions: list[SessionBriefOut]
    to_log: int = Field(description="Own sessions that have ended and are not logged yet")
    sent_back: int
    hours_this_month: float
    hours_by_month: list[MonthHoursOut]


class UtilisationOut(Schema):
    tutor_id: int
    tutor: str
    booked_hours: float
    available_hours: float
    share: float | None


class IdleStudentOut(Schema):
    student_id: int
    name: str
    last_session: datetime | None


class OperationsPartOut(Schema):
    week_start: date
    week_end: date
    month_start: date
    week: StatusCountsOut
    unverified: int
    present: int
    late: int
    absent: int
    attendance_rate: float | None
    cancellations: int
    cancellations_last_month: int
    booked_hours: float
    available_hours: float
    utilisation: float | None
    tutors: list[UtilisationOut] = Field(description="The tutors with the most spare time")
    tutors_without_availability: int
    idle_students: int
    idle: list[IdleStudentOut]


class MonthAmountOut(Schema):
    month: date
    amount: Money


class TopStudentOut(Schema):
    student_id: int
    name: str
    amount: Money


class MoneyPartOut(Schema):
    currency: str
    month_start: date
    this_month: Money
    last_month: Money
    same_month_last_year: Money
    change_on_last_month: float | None
    change_on_last_year: float | None
    by_month: list[MonthAmountOut]
    outstanding: Money
    overdue: Money
    top_since: date
    top_students: list[TopStudentOut]


class DashboardOut(Schema):
    role: str
    generated_at: datetime
    tutor: TutorPartOut | None
    operations: OperationsPartOut | None
    money: MoneyPartOut | None = Field(description="Admins only")


def _name(person: Any) -> str:
    full = f"{person.first_name} {person.last_name}".strip()
    return full or getattr(person, "username", "")


def _tutor_part(part: dashboards.TutorDashboard) -> dict[str, Any]:
    return {
        **{k: getattr(part, k) for k in ("week_start", "week_end", "to_log", "sent_back")},
        "week": _counts(part.week),
        "sessions": [
            {
                "id": s.id, "start": s.start, "end": s.end, "status": s.status,
                "subject": s.subject, "students": s.students,
            }
            for s in part.sessions
        ],
        "hours_this_month": part.hours_this_month,
        "hours_by_month": [{"month": m.month, "hours": m.hours} for m in part.hours_by_month],
    }  # fmt: skip


def _counts(counts: dashboards.StatusCounts) -> dict[str, int]:
    return {
        "scheduled": counts.scheduled,
        "completed": counts.completed,
        "cancelled": counts.cancelled,
        "total": counts.total,
    }


def _operations_part(part: dashboards.OperationsDashboard) -> dict[str, Any]:
    plain = (
        "week_start", "week_end", "month_start", "unverified", "present", "late", "absent",
        "attendance_rate", "cancellations", "cancellations_last_month", "booked_hours",
        "available_hours", "utilisation", "tutors_without_availability",
    )  # fmt: skip
    return {
        **{k: getattr(part, k) for k in plain},
        "week": _counts(part.week),
        "tutors": [
            {
                "tutor_id": row.tutor.pk, "tutor": _name(row.tutor), "booked_hours": row.booked,
                "available_hours": row.available, "share": row.share,
            }
            for row in part.tutors
        ],
        "idle_students": part.idle_count,
        "idle": [
            {"student_id": row.student.pk, "name": _name(row.student),
             "last_session": row.last_session}
            for row in part.idle
        ],
    }  # fmt: skip


def _money_part(part: dashboards.MoneyDashboard) -> dict[str, Any]:
    plain = (
        "month_start", "this_month", "last_month", "same_month_last_year",
        "change_on_last_month", "change_on_last_year", "outstanding", "overdue", "top_since",
    )  # fmt: skip
    return {
        **{k: getattr(part, k) for k in plain},
        "currency": settings.CURRENCY,
        "by_month": [{"month": m.month, "amount": m.amount} for m in part.by_month],
        "top_students": [
            {"student_id": row.student.pk, "name": _name(row.student), "amount": row.amount}
            for row in part.top_students
        ],
    }


@router.get("/dashboard", response=DashboardOut, summary="The signed-in person's dashboard")
def dashboard(request: HttpRequest) -> HttpResponse:
    """A tutor gets their own week (`tutor`); moderators and admins the operations picture
    (`operations`); admins also `money`. Parts a role may not see are null."""
    return HttpResponse(dashboard_body(dashboards.dashboard(user=request.auth)), content_type=JSON)


def dashboard_body(data: dashboards.Dashboard) -> bytes:
    """The dashboard's JSON as ninja writes a DashboardOut: the view answers with it, and
    the cached-read middleware builds it (tracker/reports/cached.py)."""
    out = DashboardOut.model_validate(dashboard_out(data))
    return json.dumps(out.model_dump(), cls=NinjaJSONEncoder).encode()


def dashboard_out(data: dashboards.Dashboard) -> dict[str, Any]:
    return {
        "role": data.role,
        "generated_at": data.generated_at,
        "tutor": _tutor_part(data.tutor) if data.tutor else None,
        "operations": _operations_part(data.operations) if data.operations else None,
        "money": _money_part(data.money) if data.money else None,
    }


class ReportOut(Schema):
    slug: str
    title: str
    description: str
    groups: list[str] = Field(description="Values of `by`; empty when the report has none")


@router.get("", response=list[ReportOut], summary="The reports this role may run")
def report_list(request: HttpRequest) -> list[dict[str, Any]]:
    return [
        {
            "slug": spec.slug,
            "title": str(spec.title),
            "description": str(spec.description),
            "groups": list(spec.groups),
        }
        for spec in reports_for(request.auth)
    ]


class ReportFilters(Schema):
    start: date | None = Field(None, description="First day; default 1 January this year")
    end: date | None = Field(None, description="Last day; default 31 December this year")
    branch: int | None = None
    tutor: int | None = None
    subject: int | None = None
    by: str | None = Field(None, description="Grouping, one of the report's `groups`")


class ColumnOut(Schema):
    key: str
    label: str
    kind: Literal["text", "int", "decimal", "money", "date", "month", "percent"]
    total: bool


class TableOut(Schema):
    slug: str
    title: str
    start: date
    end: date
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(
        description="Keyed by column; money and decimals as strings, percentages as 0..1"
    )
    totals: dict[str, Any] | None


def _filters(params: ReportFilters) -> Filters:
    defaults = this_year()
    try:
        return Filters(
            start=params.start or defaults["start"],
            end=params.end or defaults["end"],
            branch=params.branch,
            tutor=params.tutor,
            subject=params.subject,
        )
    except OverflowError as exc:
        raise ValidationError({"end": ["The period is out of range."]}) from exc


def _json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _table(slug: str, filters: Filters, table: Table) -> dict[str, Any]:
    totals = table.totals()
    return {
        "slug": slug,
        "title": table.title,
        "start": filters.start,
        "end": filters.end,
        "columns": [
            {"key": c.key, "label": c.label, "kind": c.kind, "total": c.total}
            for c in table.columns
        ],
        "rows": [{k: _json(v) for k, v in row.items()} for row in table.rows],
        "totals": {k: _json(v) for k, v in totals.items()} if totals else None,
    }


@router.get("/{slug}", response=TableOut, summary="One report as a table")
def report(request: HttpRequest, slug: str, params: Query[ReportFilters]) -> dict[str, Any]:
    """Sessions and cancellations, retention (moderators and admins); revenue and tutor
    hours with pay (admins). 404 for an unknown report, 403 for one the role may not run."""
    get_report(user=request.auth, slug=slug)
    filters = _filters(params)
    with reads_can_lag():
        table = run_report(user=request.auth, slug=slug, filters=filters, by=params.by)
    return _table(slug, filters, table)


ExportFormat = Literal["csv", "xlsx", "pdf"]
FORMAT = Query("csv", alias="format", description="csv, xlsx or pdf")
DOWNLOAD = {
    "responses": {
        200: {
            "description": "The report as CSV, as an XLSX spreadsheet or as a PDF",
            "content": {"text/csv": {}, XLSX_TYPE: {}, PDF_TYPE: {}},
        }
    }
}


@router.get("/{slug}/export", summary="One report as CSV, XLSX or PDF", openapi_extra=DOWNLOAD)
def report_export(
    request: HttpRequest,
    slug: str,
    params: Query[ReportFilters],
    fmt: ExportFormat = FORMAT,
) -> HttpResponse:
    spec = get_report(user=request.auth, slug=slug)
    filters = _filters(params)
    with reads_can_lag():
        table = run_report(user=request.auth, slug=slug, filters=filters, by=params.by)
    subtitle = f"{filters.start} – {filters.end}"
    return table_response(table, f"{spec.slug}-{filters.start}-{filters.end}", fmt, subtitle)
