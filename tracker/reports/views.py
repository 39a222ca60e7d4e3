"""Dashboard and report pages. The figures come from the same selectors as the API."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from tracker.accounts.permissions import Cap, can
from tracker.core.db_router import reads_can_lag
from tracker.lib.tabular import Table, display, table_response
from tracker.reports import dashboards
from tracker.reports.charts import BarChart, bar_chart
from tracker.reports.forms import ReportForm
from tracker.reports.selectors import get_report, reports_for, run_report

FORMATS = ("csv", "xlsx", "pdf")
CHART_BARS = 24


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    data = dashboards.dashboard(user=request.user)
    return render(
        request,
        "reports/dashboard.html",
        {"data": data, "charts": dashboard_charts(data), "currency": settings.CURRENCY},
    )


def dashboard_charts(data: dashboards.Dashboard) -> dict[str, BarChart]:
    charts = {}
    if data.tutor:
        charts["hours"] = bar_chart(
            "hours",
            _("Hours taught, last six months"),
            [
                (date_format(m.month, "M Y"), m.hours, f"{m.hours:g} h", "completed")
                for m in data.tutor.hours_by_month
            ],
            _("Hours"),
        )
    if data.operations:
        week = data.operations.week
        charts["week"] = bar_chart(
            "week",
            _("Sessions this week by status"),
            [
                (_("Scheduled"), week.scheduled, str(week.scheduled), "scheduled"),
                (_("Completed"), week.completed, str(week.completed), "completed"),
                (_("Cancelled"), week.cancelled, str(week.cancelled), "cancelled"),
            ],
            _("Sessions"),
        )
    if data.money:
        charts["income"] = bar_chart(
            "income",
            _("Income per month, last twelve months"),
            [
                (
                    date_format(m.month, "M Y"),
                    m.amount,
                    f"{settings.CURRENCY} {m.amount:,.2f}",
                    "money",
                )
                for m in data.money.by_month
            ],
            _("Income (%(currency)s)") % {"currency": settings.CURRENCY},
        )
    return charts


@login_required
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/index.html",
        {
            "reports": reports_for(request.user),
            "can_export": can(request.user, Cap.EXPORT_OPERATIONAL),
        },
    )


def _run(request: HttpRequest, name: str) -> tuple[Any, ReportForm, Table | None]:
    spec = get_report(user=request.user, slug=name)
    form = ReportForm.from_query(request.GET, spec=spec)
    table = None
    if form.is_valid():
        with reads_can_lag():
            table = run_report(user=request.user, slug=name, filters=form.filters, by=form.group)
    return spec, form, table


def report_chart(spec: Any, table: Table) -> BarChart | None:
    """The report's main figure as bars: in row order for months and weeks; the largest
    first, at most CHART_BARS of them, for names."""
    if spec.chart is None or not table.rows:
        return None
    value_key, label_key = spec.chart
    columns = {c.key: c for c in table.columns}
    value_column, label_column = columns[value_key], columns[label_key]
    rows = table.rows
    title = f"{table.title}: {value_column.label}"
    if label_column.kind not in ("month", "date"):
        rows = sorted(rows, key=lambda row: -(row[value_key] or 0))[:CHART_BARS]
        if len(table.rows) > CHART_BARS:
            title = _("%(title)s (the %(count)s largest)") % {"title": title, "count": CHART_BARS}
    return bar_chart(
        "report",
        title,
        [
            (
                display(row[label_key], label_column),
                row[value_key],
                display(row[value_key], value_column),
                "report",
            )
            for row in rows
        ],
        value_column.label,
    )


def _subtitle(form: ReportForm) -> str:
    data = form.cleaned_data
    parts = [f"{date_format(data['start'])} – {date_format(data['end'])}"]
    for name in ("branch", "tutor", "subject"):
        if data.get(name) is not None:
            field = form.fields[name]
            parts.append(f"{field.label}: {field.label_from_instance(data[name])}")
    if data.get("by"):
        parts.append(f"{form.fields['by'].label}: {dict(form.fields['by'].choices)[data['by']]}")
    return " · ".join(parts)


@login_required
@require_GET
def report(request: HttpRequest, name: str) -> HttpResponse:
    spec, form, table = _run(request, name)
    context = {
        "spec": spec,
        "form": form,
        "table": table,
        "chart": report_chart(spec, table) if table else None,
        "query": form.data.urlencode(),
        "formats": FORMATS,
        "currency": settings.CURRENCY,
    }
    if request.htmx and not request.htmx.history_restore_request:
        return render(request, "reports/report.html#results", context)
    return render(request, "reports/report.html", context)


@login_required
@require_GET
def export(request: HttpRequest, name: str, fmt: str) -> HttpResponse:
    if fmt not in FORMATS:
        raise Http404
    spec, form, table = _run(request, name)
    if table is None:
        return redirect(f"{reverse('reports:report', args=[name])}?{form.data.urlencode()}")
    period = f"{form.cleaned_data['start']}-{form.cleaned_data['end']}"
    return table_response(table, f"{spec.slug}-{period}", fmt, _subtitle(form))
