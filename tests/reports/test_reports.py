"""Each report's figures against the business of conftest.py, worked out by hand; who may
run which report; the formats every report leaves in."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.reports.conftest import past
from tracker.attendance.services import session_log
from tracker.finance import services as money
from tracker.reports.periods import Filters
from tracker.reports.selectors import REPORTS, run_report

pytestmark = pytest.mark.django_db

SPRING = Filters(start=date(2026, 2, 1), end=date(2026, 3, 31))
FEB, MAR = date(2026, 2, 1), date(2026, 3, 1)


def _rows(table, *keys):
    return [tuple(row[k] for k in keys) for row in table.rows]


def test_sessions_and_attendance_by_month(world, moderator):
    table = run_report(user=moderator, slug="sessions", filters=SPRING, by="month")
    keys = ("label", "sessions", "scheduled", "completed", "cancelled", "hours", "present",
            "late", "absent", "attendance")  # fmt: skip
    assert _rows(table, *keys) == [
        # 2 Feb completed (everyone present by default), 3 Feb cancelled.
        (FEB, 2, 0, 1, 1, Decimal("1.00"), 1, 0, 0, 1.0),
        # 2, 5, 9, 10 March completed (2 + 1 + 1 + 1.5 h), 11 and 12 scheduled, 13 cancelled.
        (MAR, 7, 2, 4, 1, Decimal("5.50"), 2, 1, 1, 0.75),
    ]
    totals = table.totals()
    assert [totals[k] for k in keys[1:]] == [9, 2, 5, 2, Decimal("6.50"), 3, 1, 1, 0.8]


def test_sessions_by_tutor_and_filtered(world, moderator, tutor, other_tutor, maths):
    table = run_report(user=moderator, slug="sessions", filters=SPRING, by="tutor")
    name = {u: u.get_full_name() or u.username for u in (tutor, other_tutor)}
    assert sorted(_rows(table, "label", "sessions", "cancelled", "hours", "attendance")) == sorted(
        [
            (name[tutor], 7, 0, Decimal("6.50"), 0.8),
            (name[other_tutor], 2, 2, Decimal("0.00"), None),
        ]
    )
    only_theirs = Filters(start=SPRING.start, end=SPRING.end, tutor=other_tutor.pk)
    table = run_report(user=moderator, slug="sessions", filters=only_theirs, by="subject")
    assert _rows(table, "label", "sessions", "cancelled") == [("Mathematics", 2, 2)]
    branch = world["quinn"].branch_id
    by_branch = Filters(start=SPRING.start, end=SPRING.end, branch=branch)
    assert _rows(
        run_report(user=moderator, slug="sessions", filters=by_branch), "label", "sessions"
    ) == [(FEB, 1), (MAR, 1)]
    week = run_report(user=moderator, slug="sessions", filters=SPRING, by="week")
    assert [row["label"] for row in week.rows] == [
        date(2026, 2, 2), date(2026, 3, 2), date(2026, 3, 9)
    ]  # fmt: skip


def test_cancellations_by_reason_count_one_reason_in_any_case(world, tutor, pupil, book):
    logged = book(past(date(2026, 3, 20)))
    session_log(actor=tutor, session=logged, outcome="cancelled", cancelled_by="student",
                note=" ill ")  # fmt: skip
    table = run_report(user=tutor.__class__.objects.get(username="moderator"),
                       slug="cancellations", filters=SPRING)  # fmt: skip
    keys = ("reason", "sessions", "student", "tutor", "other", "unrecorded", "late", "hours")
    assert _rows(table, *keys) == [
        # 13 March cancelled from the calendar ("Ill"), 20 March logged by the tutor, after
        # the session (late), as cancelled by the student.
        ("Ill", 2, 1, 0, 0, 1, 1, Decimal("2.00")),
        ("Exams", 1, 0, 0, 0, 1, 0, Decimal("1.00")),
    ]


def test_retention_by_month(world, moderator, other_tutor):
    first_quarter = Filters(start=date(2026, 1, 1), end=date(2026, 3, 31))
    table = run_report(user=moderator, slug="retention", filters=first_quarter)
    keys = ("month", "students", "kept", "joined", "lost", "retention")
    assert _rows(table, *keys) == [
        (date(2026, 1, 1), 0, 0, 0, 0, None),
        (date(2026, 2, 1), 1, 0, 1, 0, None),
        (date(2026, 3, 1), 1, 1, 0, 0, 1.0),
    ]
    # Quinn had a session in March 2025 only: taught in March, lost in April.
    spring_2025 = Filters(start=date(2025, 3, 1), end=date(2025, 4, 30), tutor=other_tutor.pk)
    table = run_report(user=moderator, slug="retention", filters=spring_2025)
    assert _rows(table, *keys) == [
        (date(2025, 3, 1), 1, 0, 1, 0, None),
        (date(2025, 4, 1), 0, 0, 0, 1, 0.0),
    ]


@pytest.fixture
def pay_rate(admin, tutor):
    """100.00 an hour, set before the world's sessions are verified (a pay rate set later
    does not reprice what was already verified)."""
    return money.pay_rate_set(
        actor=admin, tutor=tutor, basis="hour", amount="100.00", effective_from=date(2020, 1, 1)
    )


def test_revenue_and_tutor_pay_for_admins(pay_rate, world, admin, tutor, other_tutor):
    table = run_report(user=admin, slug="revenue", filters=SPRING, by="month")
    assert _rows(table, "label", "sessions", "hours", "amount") == [
        (FEB, 1, Decimal("1.00"), Decimal("300.00")),
        (MAR, 2, Decimal("3.00"), Decimal("900.00")),
    ]
    table = run_report(user=admin, slug="tutor-hours", filters=SPRING)
    keys = ("tutor", "completed", "cancelled", "hours", "paid_sessions", "without_rate", "pay")
    rows = {row[0]: row[1:] for row in _rows(table, *keys)}
    assert rows == {
        tutor.get_full_name() or tutor.username: (5, 0, Decimal("6.50"), 3, 0, Decimal("400.00")),
        other_tutor.get_full_name() or other_tutor.username: (0, 2, Decimal("0.00"), 0, 0,
                                                              Decimal("0.00")),
    }  # fmt: skip
    assert table.totals()["pay"] == Decimal("400.00")


# --- Who may run what -------------------------------------------------------------------

ALLOWED = {
    "sessions": {"moderator", "admin"},
    "cancellations": {"moderator", "admin"},
    "retention": {"moderator", "admin"},
    "revenue": {"admin"},
    "tutor-hours": {"admin"},
}


def test_the_permission_table_covers_every_report():
    assert set(ALLOWED) == set(REPORTS)


@pytest.mark.parametrize("role", ["anonymous", "tutor", "moderator", "admin"])
def test_each_role_runs_exactly_its_reports_on_pages_and_api(client, people, bearer, role):
    user = people[role]
    headers = bearer(user) if user else {}
    if user:
        client.force_login(user)
    seen = {}
    for slug in REPORTS:
        page = client.get(f"/reports/{slug}/?start=2026-01-01&end=2026-12-31")
        api = client.get(f"/api/v1/reports/{slug}?start=2026-01-01&end=2026-12-31", **headers)
        export = client.get(f"/reports/{slug}/export.xlsx?start=2026-01-01&end=2026-12-31")
        seen[slug] = (page.status_code, api.status_code, export.status_code)
    expected = {
        slug: (
            (302, 401, 302) if role == "anonymous"
            else (200, 200, 200) if role in ALLOWED[slug] else (403, 403, 403)
        )
        for slug in REPORTS
    }  # fmt: skip
    assert seen == expected


def test_an_unknown_report_is_404_and_bad_filters_are_field_errors(client, moderator, bearer):
    client.force_login(moderator)
    assert client.get("/reports/nope/").status_code == 404
    assert client.get("/api/v1/reports/nope", **bearer(moderator)).status_code == 404
    backwards = client.get("/api/v1/reports/sessions?start=2026-03-01&end=2026-02-01",
                           **bearer(moderator))  # fmt: skip
    assert backwards.status_code == 422
    assert backwards["Content-Type"] == "application/problem+json"
    assert "end" in str(backwards.json()["errors"])
    grouping = client.get("/api/v1/reports/sessions?by=student", **bearer(moderator))
    assert grouping.status_code == 422
    page = client.get("/reports/sessions/?start=2026-03-01&end=2026-02-01")
    assert page.status_code == 200
    assert "The end cannot be before the start." in page.content.decode()
    assert client.get("/reports/sessions/?start=yesterday").status_code == 200
    export = client.get("/reports/sessions/export.csv?start=2026-03-01&end=2026-02-01")
    assert export.status_code == 302
    assert client.get("/reports/sessions/export.docx").status_code == 404


# --- Formats ----------------------------------------------------------------------------


def test_the_spreadsheet_has_typed_cells_and_a_totals_row(world, client, moderator):
    client.force_login(moderator)
    response = client.get("/reports/sessions/export.xlsx?start=2026-02-01&end=2026-03-31")
    assert response["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Month", "Sessions", "Scheduled")
    feb = rows[1]
    assert feb[0].date() == FEB
    assert sheet["A2"].is_date
    assert sheet["A2"].number_format == "yyyy-mm"
    # Numbers are stored as numbers (type "n"); 1.00 hours reads back as the number 1.
    assert feb[1:6] == (2, 0, 1, 1, 1)
    assert all(sheet.cell(row=2, column=c).data_type == "n" for c in range(2, 11))
    assert sheet["F2"].number_format == "#,##0.00"
    assert sheet["J3"].value == 0.75
    assert sheet["J3"].number_format == "0.0%"
    assert rows[-1][:2] == ("Total", 9)
    assert rows[-1][9] == 0.8


def test_the_csv_reads_back_to_the_same_figures(world, client, admin):
    client.force_login(admin)
    response = client.get("/reports/revenue/export.csv?start=2026-02-01&end=2026-03-31")
    text = response.content.decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    read = [
        (date.fromisoformat(r["Month"]), int(r["Sessions"]), Decimal(r["Income (ZAR)"]))
        for r in rows[:-1]
    ]
    assert read == [(FEB, 1, Decimal("300.00")), (MAR, 2, Decimal("900.00"))]
    assert rows[-1]["Month"] == "Total"
    assert Decimal(rows[-1]["Income (ZAR)"]) == Decimal("1200.00")


def test_the_pdf_carries_the_title_the_period_and_every_row(world, client, moderator, bearer):
    response = client.get(
        "/api/v1/reports/cancellations/export?format=pdf&start=2026-02-01&end=2026-03-31",
        **bearer(moderator),
    )
    assert response["Content-Type"] == "application/pdf"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    for expected in ("Cancellations by reason", "2026-02-01", "2026-03-31", "Ill", "Exams",
                     "Total"):  # fmt: skip
        assert expected in text


def test_the_api_gives_the_table_as_json(world, client, admin, bearer):
    body = client.get(
        "/api/v1/reports/revenue?start=2026-02-01&end=2026-03-31", **bearer(admin)
    ).json()
    assert body["slug"] == "revenue"
    assert body["start"] == "2026-02-01"
    assert [c["kind"] for c in body["columns"]] == ["month", "int", "decimal", "money"]
    assert body["rows"][1] == {"label": "2026-03-01", "sessions": 2, "hours": "3.00",
                               "amount": "900.00"}  # fmt: skip
    assert body["totals"]["amount"] == "1200.00"
    listed = client.get("/api/v1/reports", **bearer(admin)).json()
    assert [r["slug"] for r in listed] == list(REPORTS)


@pytest.mark.parametrize("slug", list(REPORTS))
def test_report_queries_do_not_grow_with_the_data(
    world, admin, slug, book, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    by = "tutor" if REPORTS[slug].groups else None
    with CaptureQueriesContext(connection) as before:
        run_report(user=admin, slug=slug, filters=SPRING, by=by)
    for day in range(16, 28):
        book(past(date(2026, 3, day), hour=8))
    with django_assert_max_num_queries(len(before.captured_queries)):
        run_report(user=admin, slug=slug, filters=SPRING, by=by)
