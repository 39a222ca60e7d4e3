"""The finance API: each endpoint working, refusing bad input, and lists in constant queries."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from tests.students.conftest import StudentFactory
from tracker.finance import services
from tracker.finance.models import Charge, Invoice, InvoiceLine, Payer, Rate

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
MARCH = {"start": "2026-03-01", "end": "2026-03-31"}
PROBLEM = "application/problem+json"


@pytest.fixture
def call(client, bearer):
    """call(user, "post", "/invoices/generate", {...}) against /api/v1/finance."""

    tokens = {}

    def send(user, method, path, body=None, **params):
        kwargs = {"data": params}
        if body is not None:
            kwargs = {"content_type": "application/json", "data": json.dumps(body)}
        # One token per user and test, so that counting a request's queries counts only it.
        if user.pk not in tokens:
            tokens[user.pk] = bearer(user)
        return getattr(client, method)(f"/api/v1/finance{path}", **kwargs, **tokens[user.pk])

    return send


@pytest.fixture
def api(call, admin):
    """The admin's calls."""
    return lambda method, path, body=None, **params: call(admin, method, path, body, **params)


@pytest.fixture
def session_90(verified, priced):
    """One 90-minute session on DAY at 300.00 an hour: 450.00."""
    return verified(DAY, minutes=90)


@pytest.fixture
def draft(api, session_90):
    response = api("post", "/invoices/generate", MARCH)
    assert response.status_code == 201
    [invoice] = response.json()
    return invoice


def fields(response) -> set[str]:
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    return {error["field"] for error in response.json()["errors"]}


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def midnight(day: date):
    """How openpyxl reads back a date cell: a naive datetime at midnight."""
    from datetime import datetime, time

    return datetime.combine(day, time())


def xlsx_rows(response) -> list[tuple]:
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    return list(sheet.iter_rows(values_only=True))


# --- Revenue ---------------------------------------------------------------------------


def test_revenue_by_month_gives_money_as_two_decimal_strings(api, session_90):
    body = api("get", "/revenue", start="2026-01-01", end="2026-04-30", by="month").json()
    assert body["by"] == "month"
    assert body["currency"] == "ZAR"
    assert body["rows"] == [
        {"key": "2026-03-01", "label": "2026-03", "sessions": 1, "hours": "1.50",
         "amount": "450.00"},
    ]  # fmt: skip
    assert (body["total"], body["sessions"], body["hours"]) == ("450.00", 1, "1.50")


def test_revenue_per_student_names_the_student(api, verified, priced, pupil):
    verified(DAY, minutes=60)
    verified(DAY + timedelta(days=1), minutes=30)
    body = api("get", "/revenue", **MARCH, by="student").json()
    assert body["rows"] == [
        {"key": pupil.pk, "label": "Palesa Pupil", "sessions": 2, "hours": "1.50",
         "amount": "450.00"},
    ]  # fmt: skip


def test_revenue_per_branch_for_a_moderator(call, moderator, session_90, pupil):
    body = call(moderator, "get", "/revenue", None, **MARCH, by="branch").json()
    assert [(r["key"], r["label"], r["amount"]) for r in body["rows"]] == [
        (pupil.branch_id, pupil.branch.name, "450.00")
    ]


def test_revenue_outside_the_period_is_zero(api, session_90):
    body = api("get", "/revenue", start="2026-04-01", end="2026-04-30").json()
    assert (body["rows"], body["total"], body["hours"]) == ([], "0.00", "0.00")


def test_revenue_refuses_a_period_that_ends_before_it_starts(api):
    assert fields(api("get", "/revenue", start="2026-03-31", end="2026-03-01")) == {"end"}


def test_revenue_refuses_an_unknown_grouping_and_a_missing_start(api):
    assert fields(api("get", "/revenue", **MARCH, by="pupil")) == {"by"}
    assert fields(api("get", "/revenue", end="2026-03-01")) == {"start"}


def test_revenue_export_csv_reads_back(api, session_90):
    rows = csv_rows(api("get", "/revenue/export", **MARCH, by="month", format="csv"))
    assert rows == [
        ["Month", "Sessions", "Hours", "Income (ZAR)"],
        ["2026-03", "1", "1.50", "450.00"],
        ["Total", "1", "1.50", "450.00"],
    ]


def test_revenue_export_xlsx_has_numbers_as_numbers(api, session_90):
    response = api("get", "/revenue/export", **MARCH, by="month", format="xlsx")
    assert (
        'filename="revenue-by-month-2026-03-01-2026-03-31.xlsx"' in response["Content-Disposition"]
    )
    header, row, total = xlsx_rows(response)
    assert header == ("Month", "Sessions", "Hours", "Income (ZAR)")
    assert row == ("2026-03", 1, 1.5, 450)
    assert isinstance(row[3], int | float)
    assert total[0] == "Total"


def test_an_export_refuses_an_unknown_format(api):
    assert fields(api("get", "/revenue/export", **MARCH, format="pdf")) == {"format"}


# --- Rates -----------------------------------------------------------------------------


def test_rates_create_list_and_remove(api, pupil, tutor, maths):
    created = api("post", "/rates", {"student": pupil.pk, "hourly_rate": "320.5",
                                     "effective_from": "2026-01-01"})  # fmt: skip
    assert created.status_code == 201
    assert created.json() | {"id": 0} == {
        "id": 0, "student": {"id": pupil.pk, "name": "Palesa Pupil"}, "subject": None,
        "tutor": None, "hourly_rate": "320.50", "currency": "ZAR",
        "effective_from": "2026-01-01",
    }  # fmt: skip
    special = api("post", "/rates", {"student": pupil.pk, "hourly_rate": "400",
                                     "effective_from": "2026-02-01", "subject": maths.pk,
                                     "tutor": tutor.pk}).json()  # fmt: skip
    assert special["subject"] == {"id": maths.pk, "name": "Mathematics"}
    assert special["tutor"]["id"] == tutor.pk
    listed = api("get", "/rates", student=pupil.pk).json()["results"]
    assert [r["hourly_rate"] for r in listed] == ["400.00", "320.50"]
    assert api("delete", f"/rates/{special['id']}").status_code == 204
    assert [r["id"] for r in api("get", "/rates").json()["results"]] == [created.json()["id"]]
    assert api("delete", f"/rates/{special['id']}").status_code == 404


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"hourly_rate": "abc"}, "hourly_rate"),
        ({"hourly_rate": "-1.00"}, "hourly_rate"),
        ({"hourly_rate": "300.005"}, "hourly_rate"),
        ({"hourly_rate": "NaN"}, "hourly_rate"),
        ({"effective_from": "next week"}, "effective_from"),
        ({"student": 999999}, "student"),
        ({"subject": 999999}, "subject"),
    ],
)
def test_rates_refuse_bad_input(api, pupil, change, field):
    body = {"student": pupil.pk, "hourly_rate": "300.00", "effective_from": "2026-01-01"}
    assert fields(api("post", "/rates", body | change)) == {field}
    assert not Rate.objects.exists()


def test_a_rate_only_with_a_tutor_needs_a_tutor(api, pupil, admin):
    body = {"student": pupil.pk, "hourly_rate": "300.00", "effective_from": "2026-01-01"}
    assert fields(api("post", "/rates", body | {"tutor": admin.pk})) == {"tutor"}


def test_unpriced_sessions_wait_for_a_rate(api, verified, tutor):
    newcomer = StudentFactory(first_name="Nandi", last_name="New", tutors=[tutor],
                              default_rate=None)  # fmt: skip
    session = verified(DAY, students=[newcomer])
    [row] = api("get", "/unpriced").json()["results"]
    assert row | {"id": 0} == {
        "id": 0, "session": session.pk, "date": "2026-03-10",
        "student": {"id": newcomer.pk, "name": "Nandi New"}, "subject": "Mathematics",
        "minutes": 60, "kind": "session",
    }  # fmt: skip
    api("post", "/rates", {"student": newcomer.pk, "hourly_rate": "250.00",
                           "effective_from": "2026-01-01"})  # fmt: skip
    assert api("get", "/unpriced").json()["results"] == []
    assert Charge.objects.get(session=session).amount == Decimal("250.00")


def test_pay_rates_and_tutor_pay(api, tutor, verified, priced):
    created = api("post", "/pay-rates", {"tutor": tutor.pk, "basis": "hour", "amount": "200",
                                         "effective_from": "2020-01-01"})  # fmt: skip
    assert created.status_code == 201
    assert created.json()["amount"] == "200.00"
    assert created.json()["tutor"]["id"] == tutor.pk
    [listed] = api("get", "/pay-rates").json()["results"]
    assert listed["basis"] == "hour"
    verified(DAY, minutes=90)
    verified(DAY + timedelta(days=1), minutes=45)
    body = api("get", "/tutor-pay", **MARCH).json()
    name = tutor.get_full_name()
    # 200.00/h: 1.5 h → 300.00, 0.75 h → 150.00
    assert body["rows"] == [
        {"tutor": {"id": tutor.pk, "name": name}, "email": tutor.email, "sessions": 2,
         "hours": "2.25", "amount": "450.00", "without_rate": 0},
    ]  # fmt: skip
    assert (body["total"], body["sessions"], body["hours"]) == ("450.00", 2, "2.25")


def test_pay_rates_refuse_a_non_tutor_and_a_bad_basis(api, tutor, moderator):
    body = {"tutor": tutor.pk, "basis": "hour", "amount": "200", "effective_from": "2026-01-01"}
    assert fields(api("post", "/pay-rates", body | {"basis": "month"})) == {"basis"}
    assert fields(api("post", "/pay-rates", body | {"tutor": moderator.pk})) == {"tutor"}
    assert fields(api("post", "/pay-rates", body | {"amount": "1e3x"})) == {"amount"}


def test_tutor_pay_exports_summary_and_per_session_lines(api, tutor, verified, priced, admin):
    services.pay_rate_set(actor=admin, tutor=tutor, basis="session", amount="180.00",
                          effective_from=date(2020, 1, 1))  # fmt: skip
    first = verified(DAY, minutes=90)
    second = verified(DAY + timedelta(days=2), minutes=60)
    name = tutor.get_full_name()
    summary = csv_rows(api("get", "/tutor-pay/export", **MARCH, format="csv"))
    assert summary[1] == [name, tutor.email, "2", "2.50", "360.00", "0"]
    header, *lines, total = xlsx_rows(
        api("get", "/tutor-pay/export", **MARCH, format="xlsx", detail="true")
    )
    assert header[:3] == ("Tutor", "Date", "Session")
    assert [line[:3] for line in lines] == [
        (name, midnight(date(2026, 3, 10)), first.pk),
        (name, midnight(date(2026, 3, 12)), second.pk),
    ]
    assert [line[-1] for line in lines] == [180, 180]
    assert total[-1] == 360


def test_tutor_pay_refuses_a_backwards_period(api):
    assert fields(api("get", "/tutor-pay", start="2026-03-02", end="2026-03-01")) == {"end"}


# --- Payers ----------------------------------------------------------------------------


def test_payers_create_read_list_and_edit(api, pupil):
    created = api("post", "/payers", {"name": "Mrs Pupil", "email": "mum@example.org",
                                      "students": [pupil.pk]})  # fmt: skip
    assert created.status_code == 201
    payer = created.json()
    assert payer | {"id": 0} == {
        "id": 0, "name": "Mrs Pupil", "email": "mum@example.org", "address": "",
        "students": [{"id": pupil.pk, "name": "Palesa Pupil"}],
    }  # fmt: skip
    assert api("get", f"/payers/{payer['id']}").json() == payer
    assert [p["id"] for p in api("get", "/payers").json()["results"]] == [payer["id"]]
    edited = api("patch", f"/payers/{payer['id']}", {"address": "1 Long St"}).json()
    assert (edited["name"], edited["address"]) == ("Mrs Pupil", "1 Long St")
    assert edited["students"] == payer["students"]


def test_payers_refuse_an_empty_name_and_an_unknown_student(api, pupil):
    assert fields(api("post", "/payers", {"name": "", "students": [pupil.pk]})) == {"name"}
    assert fields(api("post", "/payers", {"name": "X", "students": [999999]})) == {"students"}
    assert not Payer.objects.exists()


def test_a_missing_payer_is_a_404_problem(api):
    response = api("get", "/payers/999999")
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)


# --- Invoices --------------------------------------------------------------------------


def test_invoice_journey_from_draft_to_void(
    api, draft, pupil, mailoutbox, django_capture_on_commit_callbacks
):
    invoice_id = draft["id"]
    assert (draft["status"], draft["total"]) == ("draft", "450.00")
    assert draft["number"] == f"Draft {invoice_id}"
    assert draft["payer"]["name"] == "Grace Guardian"

    workbooks = {"description": "Workbook", "unit_price": "120.00", "quantity": "2"}
    response = api("post", f"/invoices/{invoice_id}/lines", workbooks)
    assert response.status_code == 201
    assert response.json()["invoice"]["total"] == "690.00"
    assert [line["amount"] for line in response.json()["lines"]] == ["450.00", "240.00"]

    response = api("post", f"/invoices/{invoice_id}/discount", {"percent": "10"})
    assert response.status_code == 201
    discount = response.json()["lines"][-1]
    assert (discount["kind"], discount["amount"], discount["description"]) == (
        "discount", "-69.00", "Discount 10%",
    )  # fmt: skip
    assert response.json()["invoice"]["total"] == "621.00"
    assert response.json()["outstanding"] is None

    with django_capture_on_commit_callbacks(execute=True):
        response = api("post", f"/invoices/{invoice_id}/issue")
    assert response.status_code == 200
    issued = response.json()["invoice"]
    assert (issued["number"], issued["status"]) == ("INV-000001", "issued")
    assert issued["issue_date"] == timezone.localdate().isoformat()
    assert issued["due_date"] == (timezone.localdate() + timedelta(days=14)).isoformat()
    assert response.json()["outstanding"] == "621.00"
    [mail] = mailoutbox
    assert mail.to == [pupil.email]
    assert "INV-000001" in mail.subject
    [(filename, content, mimetype)] = mail.attachments
    assert (filename, mimetype) == ("INV-000001.pdf", "application/pdf")
    assert content.startswith(b"%PDF")

    pdf = api("get", f"/invoices/{invoice_id}/pdf")
    assert pdf["Content-Type"] == "application/pdf"
    text = PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
    assert "INV-000001" in text
    assert "ZAR 621.00" in text

    payer_id = issued["payer"]["id"]
    paid = api("post", "/payments", {"payer": payer_id, "amount": "600", "method": "eft",
                                     "received_on": str(timezone.localdate()),
                                     "reference": "FNB 1234"})  # fmt: skip
    assert paid.status_code == 201
    assert paid.json() | {"id": 0} == {
        "id": 0, "payer": {"id": payer_id, "name": "Grace Guardian"},
        "received_on": str(timezone.localdate()), "amount": "600.00", "currency": "ZAR",
        "method": "eft", "reference": "FNB 1234", "note": "", "allocated": "600.00",
        "unallocated": "0.00",
        "allocations": [{"invoice": invoice_id, "number": "INV-000001", "amount": "600.00"}],
    }  # fmt: skip
    detail = api("get", f"/invoices/{invoice_id}").json()
    assert detail["outstanding"] == "21.00"
    assert [(a["payment"], a["amount"]) for a in detail["allocations"]] == [
        (paid.json()["id"], "600.00")
    ]

    [balance] = api("get", "/balances").json()["rows"]
    assert balance | {"payer": None} == {
        "payer": None, "invoiced": "621.00", "paid": "600.00", "balance": "21.00",
        "credit": "0.00", "current": "21.00", "days_30": "0.00", "days_60": "0.00",
        "days_90": "0.00", "days_over_90": "0.00", "overdue": "0.00",
    }  # fmt: skip

    voided = api("post", f"/invoices/{invoice_id}/void", {"reason": "Wrong period"})
    assert voided.status_code == 200
    assert (voided.json()["invoice"]["status"], voided.json()["invoice"]["number"]) == (
        "void", "INV-000001",
    )  # fmt: skip
    assert voided.json()["invoice"]["void_reason"] == "Wrong period"
    [balance] = api("get", "/balances").json()["rows"]
    # The payment is now the payer's credit.
    assert (balance["invoiced"], balance["balance"], balance["credit"]) == (
        "0.00", "-600.00", "600.00",
    )  # fmt: skip


def test_an_issued_invoice_cannot_be_edited_deleted_or_issued_again(api, draft):
    invoice_id = draft["id"]
    assert api("post", f"/invoices/{invoice_id}/issue").status_code == 200
    line = {"description": "Late fee", "unit_price": "50.00"}
    for response in (
        api("post", f"/invoices/{invoice_id}/lines", line),
        api("post", f"/invoices/{invoice_id}/discount", {"amount": "10.00"}),
        api("delete", f"/invoices/{invoice_id}"),
        api("post", f"/invoices/{invoice_id}/issue"),
    ):
        assert (response.status_code, response["Content-Type"]) == (409, PROBLEM)
    [line] = api("get", f"/invoices/{invoice_id}").json()["lines"]
    assert api("delete", f"/invoices/{invoice_id}/lines/{line['id']}").status_code == 409
    assert Invoice.objects.get(pk=invoice_id).total == Decimal("450.00")


def test_a_draft_is_deleted_and_its_session_can_be_invoiced_again(api, draft):
    assert api("delete", f"/invoices/{draft['id']}").status_code == 204
    assert api("get", f"/invoices/{draft['id']}").status_code == 404
    [again] = api("post", "/invoices/generate", MARCH).json()
    assert again["total"] == "450.00"


def test_removing_a_line_from_a_draft(api, draft):
    added = api("post", f"/invoices/{draft['id']}/lines",
                {"description": "Registration", "unit_price": "100"}).json()  # fmt: skip
    fee = added["lines"][-1]
    response = api("delete", f"/invoices/{draft['id']}/lines/{fee['id']}")
    assert response.status_code == 200
    assert response.json()["invoice"]["total"] == "450.00"
    assert [line["description"] for line in response.json()["lines"]] == [
        added["lines"][0]["description"]
    ]


def test_a_draft_pdf_is_a_preview(api, draft):
    response = api("get", f"/invoices/{draft['id']}/pdf")
    assert (response.status_code, response["Content-Type"]) == (200, "application/pdf")
    assert f"Draft {draft['id']}" in PdfReader(io.BytesIO(response.content)).pages[0].extract_text()


def test_generating_twice_finds_nothing_new(api, draft):
    response = api("post", "/invoices/generate", MARCH)
    assert (response.status_code, response.json()) == (201, [])


def test_generate_per_student_for_some_students(api, verified, priced, tutor, pupil):
    other = StudentFactory(first_name="Sipho", last_name="Other", tutors=[tutor])
    verified(DAY)
    verified(DAY + timedelta(days=1), students=[other])
    body = MARCH | {"per": "student", "students": [other.pk]}
    [invoice] = api("post", "/invoices/generate", body).json()
    assert invoice["total"] == "350.00"  # Sipho's default rate, one hour
    assert Invoice.objects.get(pk=invoice["id"]).lines.get().student == other


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (MARCH | {"end": "2026-02-01"}, "end"),
        (MARCH | {"per": "family"}, "per"),
        ({"start": "2026-03-01"}, "end"),
        (MARCH | {"start": "1 March"}, "start"),
    ],
)
def test_generate_refuses_bad_input(api, session_90, body, field):
    assert fields(api("post", "/invoices/generate", body)) == {field}
    assert not Invoice.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"description": "", "unit_price": "10"}, "description"),
        ({"description": "Book", "unit_price": "ten"}, "unit_price"),
        ({"description": "Book", "unit_price": "-10"}, "unit_price"),
        ({"description": "Book", "unit_price": "10.001"}, "unit_price"),
        ({"description": "Book", "unit_price": "10", "quantity": "0"}, "quantity"),
    ],
)
def test_a_line_refuses_bad_input(api, draft, body, field):
    assert fields(api("post", f"/invoices/{draft['id']}/lines", body)) == {field}
    assert InvoiceLine.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"amount": "10", "percent": "5"}, "amount"),
        ({}, "amount"),
        ({"percent": "150"}, "percent"),
        ({"amount": "0"}, "amount"),
        ({"amount": "500.00"}, "amount"),  # more than the invoice's 450.00
    ],
)
def test_a_discount_refuses_bad_input(api, draft, body, field):
    assert fields(api("post", f"/invoices/{draft['id']}/discount", body)) == {field}


def test_a_fixed_discount_with_a_description(api, draft):
    body = api("post", f"/invoices/{draft['id']}/discount",
               {"amount": "50.5", "description": "Loyalty"}).json()  # fmt: skip
    assert (body["lines"][-1]["description"], body["invoice"]["total"]) == ("Loyalty", "399.50")


def test_a_credit_note_settles_the_rest_of_an_invoice(api, draft):
    api("post", f"/invoices/{draft['id']}/issue")
    response = api("post", f"/invoices/{draft['id']}/credit-notes",
                   {"amount": "50.00", "reason": "Tutor was late"})  # fmt: skip
    assert response.status_code == 201
    note = response.json()
    assert note["invoice"] | {"id": 0, "number": "", "created_at": ""} == {
        "id": 0, "number": "", "kind": "credit_note", "status": "draft",
        "payer": draft["payer"], "credited_invoice": draft["id"], "period_start": None,
        "period_end": None, "issue_date": None, "due_date": None, "currency": "ZAR",
        "total": "-50.00", "void_reason": "", "created_at": "",
    }  # fmt: skip
    issued = api("post", f"/invoices/{note['invoice']['id']}/issue").json()["invoice"]
    assert issued["number"] == "CN-000001"
    detail = api("get", f"/invoices/{draft['id']}").json()
    assert detail["outstanding"] == "400.00"
    assert [(c["number"], c["total"]) for c in detail["credit_notes"]] == [("CN-000001", "-50.00")]
    # The invoice cannot be voided while an issued credit note stands against it.
    voided = api("post", f"/invoices/{draft['id']}/void", {"reason": "Duplicate"})
    assert voided.status_code == 409


def test_a_credit_note_refuses_more_than_the_invoice_and_a_draft(api, draft):
    body = {"amount": "10.00", "reason": "Goodwill"}
    assert api("post", f"/invoices/{draft['id']}/credit-notes", body).status_code == 409
    api("post", f"/invoices/{draft['id']}/issue")
    too_much = body | {"amount": "450.01"}
    assert fields(api("post", f"/invoices/{draft['id']}/credit-notes", too_much)) == {"amount"}
    assert fields(api("post", f"/invoices/{draft['id']}/credit-notes", body | {"reason": ""})) == {
        "reason"
    }


def test_void_needs_a_reason_and_an_issued_invoice(api, draft):
    assert api("post", f"/invoices/{draft['id']}/void", {"reason": "x"}).status_code == 409
    api("post", f"/invoices/{draft['id']}/issue")
    assert fields(api("post", f"/invoices/{draft['id']}/void", {"reason": ""})) == {"reason"}


def test_invoice_list_filters(api, draft, verified):
    verified(date(2026, 4, 2))
    [april] = api("post", "/invoices/generate", {"start": "2026-04-01", "end": "2026-04-30"}).json()
    api("post", f"/invoices/{draft['id']}/issue")
    listed = api("get", "/invoices").json()
    assert [i["id"] for i in listed["results"]] == [april["id"], draft["id"]]
    assert [i["id"] for i in api("get", "/invoices", status="issued").json()["results"]] == [
        draft["id"]
    ]
    assert api("get", "/invoices", kind="credit_note").json()["results"] == []
    assert api("get", "/invoices", overdue="true").json()["results"] == []
    assert fields(api("get", "/invoices", status="lost")) == {"status"}


def test_invoice_export_has_dates_as_dates(api, draft):
    api("post", f"/invoices/{draft['id']}/issue")
    header, row, total = xlsx_rows(api("get", "/invoices/export", format="xlsx"))
    assert header == ("Number", "Kind", "Status", "Payer", "Issued", "Due", "Total")
    today = timezone.localdate()
    assert row[:4] == ("INV-000001", "Invoice", "Issued", "Grace Guardian")
    assert row[4] == midnight(today)
    assert row[5] == row[4] + timedelta(days=14)
    assert row[6] == 450
    assert total[6] == 450
    rows = csv_rows(api("get", "/invoices/export"))
    assert rows[1] == ["INV-000001", "Invoice", "Issued", "Grace Guardian", today.isoformat(),
                       (today + timedelta(days=14)).isoformat(), "450.00"]  # fmt: skip


# --- Payments and balances ------------------------------------------------------------------


@pytest.fixture
def issued(api, draft):
    return api("post", f"/invoices/{draft['id']}/issue").json()["invoice"]


def payment(issued, **change):
    return {"payer": issued["payer"]["id"], "amount": "100.00", "method": "cash",
            "received_on": "2026-03-20"} | change  # fmt: skip


def test_a_payment_kept_as_credit_then_allocated(api, issued):
    credit = api("post", "/payments", payment(issued, allocations={})).json()
    assert (credit["allocated"], credit["unallocated"], credit["allocations"]) == (
        "0.00", "100.00", [],
    )  # fmt: skip
    response = api("post", f"/payments/{credit['id']}/allocate",
                   {"invoice": issued["id"], "amount": "60"})  # fmt: skip
    assert response.status_code == 200
    assert (response.json()["allocated"], response.json()["unallocated"]) == ("60.00", "40.00")
    assert api("get", f"/payments/{credit['id']}").json() == response.json()
    too_much = {"invoice": issued["id"], "amount": "40.01"}
    assert fields(api("post", f"/payments/{credit['id']}/allocate", too_much)) == {"allocations"}


def test_a_payment_with_explicit_allocations(api, issued):
    body = payment(issued, amount="500.00", allocations={str(issued["id"]): "450.00"})
    paid = api("post", "/payments", body).json()
    assert (paid["allocated"], paid["unallocated"]) == ("450.00", "50.00")
    assert api("get", f"/invoices/{issued['id']}").json()["invoice"]["status"] == "paid"
    [balance] = api("get", "/balances").json()["rows"]
    assert (balance["balance"], balance["credit"]) == ("-50.00", "50.00")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"amount": "lots"}, "amount"),
        ({"amount": "-5"}, "amount"),
        ({"amount": "0"}, "amount"),
        ({"amount": "10.999"}, "amount"),
        ({"amount": 1e400}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"received_on": "2999-01-01"}, "received_on"),
        ({"payer": 999999}, "payer"),
        ({"allocations": {"999999": "10"}}, "allocations"),
        ({"allocations": {"1": "-10"}}, "allocations.1"),
    ],
)
def test_a_payment_refuses_bad_input(api, issued, change, field):
    response = api("post", "/payments", payment(issued, **change))
    assert fields(response) == {field}
    assert api("get", "/payments").json()["results"] == []


def test_payment_list_filters_by_payer(api, issued, admin):
    other = Payer.objects.create(name="Someone else")
    services.payment_record(actor=admin, payer=other, amount="10.00",
                            received_on=date(2026, 3, 1), method="cash")  # fmt: skip
    mine = api("post", "/payments", payment(issued)).json()
    listed = api("get", "/payments", payer=issued["payer"]["id"]).json()["results"]
    assert [p["id"] for p in listed] == [mine["id"]]
    assert len(api("get", "/payments").json()["results"]) == 2


def test_payments_export_reads_back(api, issued):
    api("post", "/payments", payment(issued, reference="EFT-77"))
    rows = csv_rows(api("get", "/payments/export", format="csv"))
    assert rows[0] == ["Received", "Payer", "Method", "Reference", "Amount", "Allocated"]
    assert rows[1] == ["2026-03-20", "Grace Guardian", "Cash", "EFT-77", "100.00", "100.00"]
    _header, row, _total = xlsx_rows(api("get", "/payments/export", format="xlsx"))
    assert (row[0], row[4], row[5]) == (midnight(date(2026, 3, 20)), 100, 100)


def test_balances_age_the_unpaid_part(api, issued):
    api("post", "/payments", payment(issued))
    due = date.fromisoformat(issued["due_date"])
    late = api("get", "/balances", as_of=str(due + timedelta(days=45))).json()
    assert late["as_of"] == str(due + timedelta(days=45))
    [row] = late["rows"]
    assert (row["current"], row["days_60"], row["overdue"], row["balance"]) == (
        "0.00", "350.00", "350.00", "350.00",
    )  # fmt: skip
    assert api("get", "/balances", payer=999999).json()["rows"] == []
    rows = csv_rows(api("get", "/balances/export", as_of=str(due + timedelta(days=45))))
    assert rows[1] == ["Grace Guardian", "450.00", "100.00", "350.00", "0.00", "0.00",
                       "350.00", "0.00", "0.00", "0.00"]  # fmt: skip
    _header, row, _total = xlsx_rows(api("get", "/balances/export", format="xlsx"))
    assert (row[0], row[3], row[4]) == ("Grace Guardian", 350, 350)


# --- Query counts ---------------------------------------------------------------------------


def _invoices_and_payments(admin, count: int) -> None:
    """`count` payers, each with an issued invoice paid in part, and one more draft."""
    for n in range(count):
        payer = Payer.objects.create(name=f"Payer {n}", email="")
        invoice = Invoice.objects.create(payer=payer, currency="ZAR")
        services.line_add(actor=admin, invoice=invoice, description="Fee", unit_price="100.00")
        services.invoice_issue(actor=admin, invoice=invoice, send=False)
        services.payment_record(actor=admin, payer=payer, amount="40.00",
                                received_on=date(2026, 3, 1), method="eft")  # fmt: skip
        Invoice.objects.create(payer=payer, currency="ZAR")


@pytest.mark.parametrize("count", [3, 10])
def test_invoice_list_queries_do_not_grow_with_rows(
    api, admin, count, django_assert_max_num_queries
):
    _invoices_and_payments(admin, count)
    api("get", "/payers")  # issues the token outside the count
    with django_assert_max_num_queries(4):
        response = api("get", "/invoices")
    assert len(response.json()["results"]) == 2 * count


@pytest.mark.parametrize("count", [3, 10])
def test_payment_list_queries_do_not_grow_with_rows(
    api, admin, count, django_assert_max_num_queries
):
    _invoices_and_payments(admin, count)
    api("get", "/payers")  # issues the token outside the count
    with django_assert_max_num_queries(5):
        response = api("get", "/payments")
    results = response.json()["results"]
    assert len(results) == count
    assert {p["allocations"][0]["number"] for p in results} == {
        f"INV-{n:06d}" for n in range(1, count + 1)
    }
