"""The finance pages: each renders real figures, each form works and explains bad input, a
clash with an invoice's state is a message, exports download and parse, and a moderator's
overview holds totals only."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from tests.students.conftest import StudentFactory
from tracker.finance import selectors, services
from tracker.finance.models import (
    Allocation,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payer,
    Payment,
    Rate,
    TutorPayRate,
)

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def money(amount: str) -> str:
    """An amount as the pages print it: the currency, a no-break space, two decimals."""
    return f"ZAR&nbsp;{amount}"


@pytest.fixture
def period(last_month):
    start = last_month.replace(day=1)
    end = (start + timedelta(days=31)).replace(day=1) - timedelta(days=1)
    return {"start": start.isoformat(), "end": end.isoformat()}


@pytest.fixture
def draft(admin, verified, priced, last_month, period):
    """A 90-minute session at 300.00 an hour, on a draft invoice of 450.00."""
    verified(last_month, minutes=90)
    [invoice] = services.invoices_generate(
        actor=admin,
        start=date.fromisoformat(period["start"]),
        end=date.fromisoformat(period["end"]),
    )
    return invoice


@pytest.fixture
def books(admin, tutor, draft):
    """The draft issued, 200.00 paid against it; the tutor earns 180.00 an hour."""
    services.invoice_issue(actor=admin, invoice=draft, send=False)
    payment = services.payment_record(
        actor=admin, payer=draft.payer, amount="200.00", received_on=timezone.localdate(),
        method="eft", reference="REF-77",
    )  # fmt: skip
    draft.refresh_from_db()
    return SimpleNamespace(invoice=draft, payer=draft.payer, payment=payment)


def _html(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# --- Every page shows real data -------------------------------------------------------


def test_the_overview_compares_months_and_shows_what_is_owed(client, admin, books):
    client.force_login(admin)
    html = _html(client.get("/finance/"))
    assert money("450.00") in html  # last month's revenue
    assert money("250.00") in html  # outstanding: 450.00 less 200.00 paid
    for page in ("revenue", "invoices", "payments", "payers", "balances", "tutor-pay", "rates"):
        assert f'href="/finance/{page}/"' in html
    assert "have no rate" not in html


def test_the_overview_counts_unpriced_sessions_and_links_to_rates(client, admin, verified, pupil):
    pupil.default_rate = None
    pupil.save()
    verified(date(2026, 1, 5))
    verified(date(2026, 1, 6))
    client.force_login(admin)
    html = _html(client.get("/finance/"))
    assert "2 verified sessions have no rate" in html
    assert 'href="/finance/rates/#unpriced-title"' in html


def test_revenue_per_student_for_the_admin(client, admin, books, period):
    client.force_login(admin)
    html = _html(client.get("/finance/revenue/", {**period, "by": "student"}))
    assert "Palesa Pupil" in html
    assert money("450.00") in html
    assert "<caption" in html
    assert '<th scope="col" class="num">Hours</th>' in html
    assert f"/finance/revenue/export.csv?start={period['start']}" in html


def test_revenue_results_alone_for_htmx(client, admin, books, period):
    client.force_login(admin)
    response = client.get("/finance/revenue/", {**period, "by": "tutor"}, HTTP_HX_REQUEST="true")
    html = _html(response)
    assert html.lstrip().startswith('<div id="revenue-results">')
    assert "<nav" not in html


def test_revenue_refuses_a_backwards_period_with_a_field_error(client, admin):
    client.force_login(admin)
    html = _html(client.get("/finance/revenue/", {"start": "2026-05-01", "end": "2026-04-01"}))
    assert "The end cannot be before the start." in html


def test_the_invoice_list_and_page(client, admin, books):
    client.force_login(admin)
    listing = _html(client.get("/finance/invoices/"))
    assert "INV-000001" in listing
    assert "Grace Guardian" in listing
    assert ">Issued</span>" in listing
    page = _html(client.get(f"/finance/invoices/{books.invoice.pk}/"))
    assert "Palesa Pupil: Mathematics with" in page
    assert money("450.00") in page
    assert money("250.00") in page
    assert f'href="/finance/invoices/{books.invoice.pk}/pdf"' in page
    assert "Create a credit note" in page
    assert "Void this invoice" in page
    assert "Add a discount" not in page  # issued: frozen


def test_the_invoice_list_filters_by_status(client, admin, books, draft):
    client.force_login(admin)
    html = _html(client.get("/finance/invoices/", {"status": "draft"}))
    assert "No invoices match." in html
    html = _html(client.get("/finance/invoices/", {"status": "issued"}))
    assert "INV-000001" in html


def test_an_overdue_invoice_says_so_in_words(client, admin, books):
    Invoice.objects.filter(pk=books.invoice.pk).update(due_date=date(2020, 1, 1))
    client.force_login(admin)
    html = _html(client.get("/finance/invoices/", {"overdue": "on"}))
    assert "INV-000001" in html
    assert ">Overdue</span>" in html


def test_the_pdf_opens_inline(client, admin, books):
    client.force_login(admin)
    response = client.get(f"/finance/invoices/{books.invoice.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="INV-000001.pdf"'
    assert response.content.startswith(b"%PDF")


def test_payments_payers_balances_tutor_pay_and_rates(client, admin, tutor, books, period):
    services.pay_rate_set(
        actor=admin, tutor=tutor, basis="hour", amount="180", effective_from=date(2020, 1, 1)
    )
    client.force_login(admin)
    payments = _html(client.get("/finance/payments/"))
    assert "REF-77" in payments
    assert money("200.00") in payments
    payers = _html(client.get("/finance/payers/"))
    assert "Grace Guardian" in payers
    assert "Palesa Pupil" in payers
    assert f"owes {money('250.00')}" in payers
    payer = _html(client.get(f"/finance/payers/{books.payer.pk}/"))
    assert f"owes {money('250.00')}" in payer
    assert "INV-000001" in payer
    assert "REF-77" in payer
    balances = _html(client.get("/finance/balances/"))
    assert "Grace Guardian" in balances
    assert money("250.00") in balances
    assert '<tr class="totals">' in balances
    pay = _html(client.get("/finance/tutor-pay/", period))
    # The session was verified before the pay rate existed: it earned nothing, and says so.
    assert tutor.get_full_name() in pay
    assert "Some sessions have no pay rate" in pay
    rates = _html(client.get("/finance/rates/"))
    assert "Palesa Pupil" in rates
    assert money("300.00") in rates
    assert "ZAR&nbsp;180.00" in rates
    assert "Per hour" in rates


def test_tutor_pay_at_the_tutors_rate(client, admin, tutor, verified, priced, period, last_month):
    services.pay_rate_set(
        actor=admin, tutor=tutor, basis="hour", amount="180", effective_from=date(2020, 1, 1)
    )
    verified(last_month, minutes=90)
    client.force_login(admin)
    html = _html(client.get("/finance/tutor-pay/", period))
    assert money("270.00") in html  # 180.00 × 1.5 h
    assert "Some sessions have no pay rate" not in html


# --- Invoice forms --------------------------------------------------------------------------


def test_generate_drafts(client, admin, verified, priced, last_month, period):
    verified(last_month)
    client.force_login(admin)
    response = client.post("/finance/invoices/generate/", {**period, "per": "student"}, follow=True)
    assert "1 draft invoice made." in _html(response)
    assert Invoice.objects.get().total == Decimal("300.00")


def test_generate_with_nothing_to_bill_says_so(client, admin, period):
    client.force_login(admin)
    response = client.post("/finance/invoices/generate/", {**period, "per": "payer"}, follow=True)
    assert "No verified, priced sessions in that period" in _html(response)
    assert not Invoice.objects.exists()


def test_generate_refuses_a_backwards_period_on_the_field(client, admin):
    client.force_login(admin)
    data = {"start": "2026-03-31", "end": "2026-03-01", "per": "payer"}
    html = _html(client.post("/finance/invoices/generate/", data))
    assert 'id="id_end_error"' in html
    assert "The end cannot be before the start." in html


def test_a_line_and_a_discount_on_a_draft(client, admin, draft):
    client.force_login(admin)
    url = f"/finance/invoices/{draft.pk}/"
    line = {"line-description": "Workbook", "line-quantity": "2", "line-unit_price": "25.00"}
    assert "Line added." in _html(client.post(url + "lines/", line, follow=True))
    discount = {"discount-description": "", "discount-amount": "", "discount-percent": "10"}
    html = _html(client.post(url + "discounts/", discount, follow=True))
    assert "Discount added." in html
    draft.refresh_from_db()
    # 450.00 + 2 × 25.00 = 500.00, less 10 % = 450.00
    assert draft.total == Decimal("450.00")
    assert "Discount 10%" in html


def test_a_line_with_a_negative_price_is_refused_on_the_field(client, admin, draft):
    client.force_login(admin)
    data = {"line-description": "Refund", "line-quantity": "1", "line-unit_price": "-5"}
    html = _html(client.post(f"/finance/invoices/{draft.pk}/lines/", data))
    assert 'id="id_line-unit_price_error"' in html
    assert "Enter zero or more." in html
    assert draft.lines.count() == 1


@pytest.mark.parametrize(
    ("amount", "percent", "field", "error"),
    [
        ("10.00", "10", "amount", "Give either an amount or a percentage."),
        ("999.00", "", "amount", "A discount cannot be more than the invoice"),
        ("", "120", "percent", "Enter a percentage from 0 to 100."),
    ],
)
def test_a_bad_discount_is_refused_on_the_field(client, admin, draft, amount, percent, field,
                                                error):  # fmt: skip
    client.force_login(admin)
    data = {"discount-amount": amount, "discount-percent": percent}
    html = _html(client.post(f"/finance/invoices/{draft.pk}/discounts/", data))
    assert f'id="id_discount-{field}_error"' in html
    assert error in html
    draft.refresh_from_db()
    assert draft.total == Decimal("450.00")


def test_removing_a_line_from_a_draft(client, admin, draft):
    services.line_add(actor=admin, invoice=draft, description="Workbook", unit_price="50")
    line = draft.lines.get(description="Workbook")
    client.force_login(admin)
    url = f"/finance/invoices/{draft.pk}/lines/{line.pk}/remove/"
    assert "Line removed." in _html(client.post(url, follow=True))
    draft.refresh_from_db()
    assert draft.total == Decimal("450.00")


def test_removing_a_line_the_discount_needs_is_refused_with_a_message(client, admin, draft):
    services.discount_add(actor=admin, invoice=draft, amount="400")
    session_line = draft.lines.get(kind="session")
    client.force_login(admin)
    url = f"/finance/invoices/{draft.pk}/lines/{session_line.pk}/remove/"
    assert "Remove the discount first." in _html(client.post(url, follow=True))
    assert draft.lines.count() == 2


def test_issuing_a_draft_numbers_it(client, admin, draft):
    client.force_login(admin)
    html = _html(client.post(f"/finance/invoices/{draft.pk}/issue/", follow=True))
    assert "INV-000001 is issued and e-mailed to the payer." in html
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.ISSUED, 1)


def test_issuing_twice_is_a_message_not_an_error(client, admin, books):
    client.force_login(admin)
    response = client.post(f"/finance/invoices/{books.invoice.pk}/issue/", follow=True)
    assert "INV-000001 is issued; it can no longer be edited." in _html(response)
    assert Invoice.objects.get().number == 1


def test_an_issued_invoice_cannot_be_edited_or_deleted(client, admin, books):
    client.force_login(admin)
    url = f"/finance/invoices/{books.invoice.pk}/"
    line = {"line-description": "Late fee", "line-quantity": "1", "line-unit_price": "5"}
    assert "it can no longer be edited" in _html(client.post(url + "lines/", line, follow=True))
    html = _html(client.post(url + "delete/", follow=True))
    assert "An issued invoice cannot be deleted; void it with a reason instead." in html
    assert Invoice.objects.filter(pk=books.invoice.pk).exists()


def test_deleting_a_draft(client, admin, draft):
    client.force_login(admin)
    html = _html(client.post(f"/finance/invoices/{draft.pk}/delete/", follow=True))
    assert "Draft deleted" in html
    assert not Invoice.objects.exists()


def test_voiding_needs_a_reason_and_a_confirmation(client, admin, books):
    client.force_login(admin)
    url = f"/finance/invoices/{books.invoice.pk}/void/"
    html = _html(client.post(url, {"void-reason": "Billed twice"}))
    assert 'id="id_void-confirm_error"' in html
    assert '<details class="panel danger-zone" open>' in html
    html = _html(
        client.post(url, {"void-reason": "Billed twice", "void-confirm": "on"}, follow=True)
    )
    assert "The invoice is void; it keeps its number." in html
    books.invoice.refresh_from_db()
    assert (books.invoice.status, books.invoice.number) == (InvoiceStatus.VOID, 1)
    # The payment it held is the payer's credit now.
    assert not Allocation.objects.exists()


def test_voiding_a_draft_is_a_message(client, admin, draft):
    client.force_login(admin)
    data = {"void-reason": "Oops", "void-confirm": "on"}
    html = _html(client.post(f"/finance/invoices/{draft.pk}/void/", data, follow=True))
    assert "A draft has no number to keep; delete it instead." in html
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


def test_a_credit_note_is_drafted_against_an_issued_invoice(client, admin, books):
    client.force_login(admin)
    data = {"credit-amount": "50.00", "credit-reason": "Session ended early"}
    response = client.post(f"/finance/invoices/{books.invoice.pk}/credit-note/", data)
    note = Invoice.objects.get(kind=InvoiceKind.CREDIT_NOTE)
    assert response.status_code == 302
    assert response["Location"] == f"/finance/invoices/{note.pk}/"
    assert note.total == Decimal("-50.00")
    assert note.status == InvoiceStatus.DRAFT


def test_crediting_more_than_the_invoice_is_refused_on_the_field(client, admin, books):
    client.force_login(admin)
    data = {"credit-amount": "500.00", "credit-reason": "Too much"}
    html = _html(client.post(f"/finance/invoices/{books.invoice.pk}/credit-note/", data))
    assert 'id="id_credit-amount_error"' in html
    assert "At most 450.00 can still be credited on this invoice." in html
    assert not Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE).exists()


# --- Payments, payers, rates ----------------------------------------------------------------


def test_recording_a_payment_settles_the_oldest_invoice(client, admin, books):
    client.force_login(admin)
    data = {
        "payer": books.payer.pk, "amount": "300.00", "received_on": timezone.localdate(),
        "method": "cash", "reference": "", "note": "",
    }  # fmt: skip
    response = client.post("/finance/payments/", data, follow=True)
    html = _html(response)
    # 250.00 of it pays the rest of the invoice, 50.00 is credit.
    assert "Payment of ZAR 300.00 recorded; ZAR 50.00 is left as credit." in html
    assert f"in credit {money('50.00')}" in html
    books.invoice.refresh_from_db()
    assert books.invoice.status == InvoiceStatus.PAID


def test_a_payment_in_the_future_is_refused_on_the_field(client, admin, books):
    client.force_login(admin)
    data = {
        "payer": books.payer.pk, "amount": "10.00", "method": "eft",
        "received_on": timezone.localdate() + timedelta(days=2),
    }  # fmt: skip
    html = _html(client.post("/finance/payments/", data))
    assert 'id="id_received_on_error"' in html
    assert "A payment cannot be received in the future." in html
    assert Payment.objects.count() == 1


def test_the_payment_form_picks_the_payer_from_the_link(client, admin, books):
    client.force_login(admin)
    html = _html(client.get("/finance/payments/", {"payer": books.payer.pk}))
    assert f'<option value="{books.payer.pk}" selected>Grace Guardian</option>' in html


@pytest.fixture
def credit(admin, books):
    """A 100.00 payment kept unallocated while INV-000001 has 250.00 outstanding."""
    return services.payment_record(
        actor=admin, payer=books.payer, amount="100.00", received_on=timezone.localdate(),
        method="eft", allocations={},
    )  # fmt: skip


def test_allocating_credit_from_the_payers_page(client, admin, books, credit):
    client.force_login(admin)
    page = _html(client.get(f"/finance/payers/{books.payer.pk}/"))
    assert f'action="/finance/payments/{credit.pk}/allocate/"' in page
    data = {f"allocate-{credit.pk}-invoice": books.invoice.pk, f"allocate-{credit.pk}-amount": "60"}
    html = _html(client.post(f"/finance/payments/{credit.pk}/allocate/", data, follow=True))
    assert "Credit allocated." in html
    assert Allocation.objects.get(payment=credit).amount == Decimal("60.00")


def test_allocating_more_than_is_owed_is_refused_on_the_form(client, admin, books, credit):
    client.force_login(admin)
    data = {
        f"allocate-{credit.pk}-invoice": books.invoice.pk,
        f"allocate-{credit.pk}-amount": "300",
    }
    html = _html(client.post(f"/finance/payments/{credit.pk}/allocate/", data))
    assert 'role="alert"' in html
    assert "INV-000001 has only 250.00 outstanding." in html
    assert not Allocation.objects.filter(payment=credit).exists()


def test_the_payments_list_links_unallocated_credit_to_the_payer(client, admin, books, credit):
    client.force_login(admin)
    html = _html(client.get("/finance/payments/"))
    assert f'href="/finance/payers/{books.payer.pk}/#credit-title"' in html


def test_editing_a_payer(client, admin, books, tutor):
    sibling = StudentFactory(first_name="Sipho", last_name="Sibling", tutors=[tutor])
    client.force_login(admin)
    data = {
        "name": "Grace Mokoena", "email": "grace@example.com", "address": "1 Long St",
        "students": [books.invoice.lines.get().student_id, sibling.pk],
    }  # fmt: skip
    html = _html(client.post(f"/finance/payers/{books.payer.pk}/", data, follow=True))
    assert "Payer saved." in html
    assert "Sipho Sibling" in html
    books.payer.refresh_from_db()
    assert (books.payer.name, books.payer.email) == ("Grace Mokoena", "grace@example.com")
    # The issued invoice keeps the name it was sent with.
    books.invoice.refresh_from_db()
    assert books.invoice.payer_name == "Grace Guardian"


def test_a_payer_needs_a_name_and_a_valid_email(client, admin, books):
    client.force_login(admin)
    html = _html(client.post(f"/finance/payers/{books.payer.pk}/", {"name": "", "email": "x@"}))
    assert 'id="id_name_error"' in html
    assert 'id="id_email_error"' in html
    books.payer.refresh_from_db()
    assert books.payer.name == "Grace Guardian"


def test_adding_a_payer(client, admin):
    client.force_login(admin)
    response = client.post("/finance/payers/", {"name": "Thabo Dlamini", "email": ""})
    payer = Payer.objects.get()
    assert response["Location"] == f"/finance/payers/{payer.pk}/"
    assert payer.name == "Thabo Dlamini"


def test_setting_and_removing_a_students_rate(client, admin, pupil, maths):
    client.force_login(admin)
    data = {
        "rate-student": pupil.pk, "rate-subject": maths.pk, "rate-tutor": "",
        "rate-hourly_rate": "320.00", "rate-effective_from": "2026-02-01",
    }  # fmt: skip
    html = _html(client.post("/finance/rates/student/", data, follow=True))
    assert "Rate saved for Palesa Pupil." in html
    rate = Rate.objects.get()
    assert (rate.hourly_rate, rate.subject, rate.tutor) == (Decimal("320.00"), maths, None)
    html = _html(client.post(f"/finance/rates/{rate.pk}/remove/", follow=True))
    assert "Rate removed." in html
    assert not Rate.objects.exists()


def test_a_negative_rate_is_refused_on_the_field(client, admin, pupil):
    client.force_login(admin)
    data = {"rate-student": pupil.pk, "rate-hourly_rate": "-1", "rate-effective_from": "2026-02-01"}
    html = _html(client.post("/finance/rates/student/", data))
    assert 'id="id_rate-hourly_rate_error"' in html
    assert "Enter zero or more." in html
    assert not Rate.objects.exists()


def test_setting_a_tutors_pay_rate(client, admin, tutor):
    client.force_login(admin)
    data = {"pay-tutor": tutor.pk, "pay-basis": "session", "pay-amount": "150",
            "pay-effective_from": "2026-01-01"}  # fmt: skip
    assert "Pay rate saved." in _html(client.post("/finance/rates/tutor/", data, follow=True))
    pay = TutorPayRate.objects.get()
    assert (pay.tutor, pay.basis, pay.amount) == (tutor, "session", Decimal("150.00"))


def test_a_pay_rate_without_an_amount_is_refused_on_the_field(client, admin, tutor):
    client.force_login(admin)
    data = {"pay-tutor": tutor.pk, "pay-basis": "hour", "pay-effective_from": "2026-01-01"}
    html = _html(client.post("/finance/rates/tutor/", data))
    assert 'id="id_pay-amount_error"' in html
    assert not TutorPayRate.objects.exists()


def test_the_rates_page_lists_unpriced_sessions_with_a_link_to_price_them(
    client, admin, verified, pupil
):
    pupil.default_rate = None
    pupil.save()
    verified(date(2026, 1, 5))
    client.force_login(admin)
    html = _html(client.get("/finance/rates/"))
    assert "1 verified session is not billed" in html
    assert f'href="?student={pupil.pk}#rate-title"' in html
    html = _html(client.get("/finance/rates/", {"student": pupil.pk}))
    assert f'<option value="{pupil.pk}" selected>Palesa Pupil</option>' in html


# --- Exports --------------------------------------------------------------------------------


def _rows(response) -> list[list[str]]:
    if response["Content-Type"] == XLSX:
        sheet = load_workbook(io.BytesIO(response.content)).active
        return [[str(v) if v is not None else "" for v in row] for row in sheet.iter_rows(
            values_only=True)]  # fmt: skip
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    ("path", "header", "first"),
    [
        ("revenue/export", "Student", "Palesa Pupil"),
        ("invoices/export", "Number", "INV-000001"),
        ("payments/export", "Received", None),
        ("balances/export", "Payer", "Grace Guardian"),
        ("tutor-pay/export", "Tutor", None),
        ("tutor-pay/lines", "Tutor", None),
    ],
)
def test_exports_download_and_parse(client, admin, tutor, books, period, path, header, first, fmt):
    client.force_login(admin)
    response = client.get(f"/finance/{path}.{fmt}", {**period, "by": "student"})
    assert response.status_code == 200
    assert response["Content-Type"] == (XLSX if fmt == "xlsx" else "text/csv; charset=utf-8")
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith(f'.{fmt}"')
    rows = _rows(response)
    assert rows[0][0] == header
    expected = first or (
        timezone.localdate().isoformat() if path.startswith("payments") else tutor.get_full_name()
    )
    assert rows[1][0].startswith(expected)


def test_the_revenue_export_has_the_figures_and_a_total(client, admin, books, period):
    client.force_login(admin)
    rows = _rows(client.get("/finance/revenue/export.csv", {**period, "by": "month"}))
    month = period["start"][:7]
    assert rows == [
        ["Month", "Sessions", "Hours", "Income (ZAR)"],
        [month, "1", "1.50", "450.00"],
        ["Total", "1", "1.50", "450.00"],
    ]


def test_the_balances_spreadsheet_has_numbers_not_text(client, admin, books):
    client.force_login(admin)
    response = client.get("/finance/balances/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    balance = sheet.cell(row=2, column=header.index("Balance") + 1).value
    assert balance == 250


# --- The moderator sees totals only ---------------------------------------------------------


def test_the_moderators_overview_has_totals_and_nothing_personal(client, moderator, books, period):
    branch = books.invoice.lines.get().student.branch
    client.force_login(moderator)
    html = _html(client.get("/finance/", period))
    assert money("450.00") in html  # the month, the branch and the total
    assert period["start"][:7] in html
    assert branch.name in html
    for secret in ("Palesa", "Pupil", "Grace Guardian", "300.00", "INV-", "REF-77", "Draft"):
        assert secret not in html, secret
    for link in ("/finance/invoices/", "/finance/payments/", "/finance/rates/"):
        assert f'href="{link}"' not in html


def test_the_moderator_groups_revenue_by_month_or_branch_only(client, moderator, books, period):
    client.force_login(moderator)
    html = _html(client.get("/finance/revenue/", {**period, "by": "branch"}))
    assert money("450.00") in html
    assert '<option value="student"' not in html
    assert 'name="tutor"' not in html
    assert "Palesa" not in html


# --- Query counts ---------------------------------------------------------------------------


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def _invoices(count: int) -> None:
    for number in range(count):
        payer = Payer.objects.create(name=f"Payer {number}", email="", address="")
        Invoice.objects.create(payer=payer, currency="ZAR", total=Decimal("10.00"))


def test_the_invoice_list_does_not_query_per_row(client, admin):
    client.force_login(admin)
    _invoices(2)
    few = _queries(client, "/finance/invoices/")
    _invoices(20)
    assert _queries(client, "/finance/invoices/") == few


def _payments(count: int) -> None:
    for number in range(count):
        payer = Payer.objects.create(name=f"Payer {number}", email="", address="")
        Payment.objects.create(
            payer=payer, amount=Decimal("10.00"), currency="ZAR", method="eft",
            received_on=date(2026, 1, 1), reference=f"R{number}",
        )  # fmt: skip


def test_the_payment_list_does_not_query_per_row(client, admin):
    client.force_login(admin)
    _payments(2)
    few = _queries(client, "/finance/payments/")
    _payments(20)
    assert _queries(client, "/finance/payments/") == few


def test_balances_for_some_payers_are_their_rows_of_the_whole_list(admin, books):
    """The payers page asks for the payers it shows, not for every payer of the business."""
    quiet = services.payer_save(actor=admin, name="No Invoices Yet", email="", students=[])
    every = {row.payer.pk: row for row in selectors.balances(user=admin)}
    [mine] = selectors.balances(user=admin, payers=[books.payer.pk, quiet.pk])
    assert mine == every[books.payer.pk]
    assert mine.balance == Decimal("250.00")
    assert selectors.balances(user=admin, payers=[quiet.pk]) == []
    assert selectors.balances(user=admin, payers=[]) == []


def test_totals_of_what_is_owed_are_for_finance_staff_only(moderator):
    with pytest.raises(PermissionDenied):
        selectors.outstanding_totals(user=moderator, as_of=date(2026, 3, 1))


def test_balances_come_a_page_of_payers_at_a_time_under_the_totals_of_all(
    client, admin, books, monkeypatch
):
    from tracker.finance import views

    monkeypatch.setattr(views, "PER_PAGE", 1)
    ahead = services.payer_save(actor=admin, name="Paid Ahead", email="", students=[])
    services.payment_record(
        actor=admin, payer=ahead, amount="100.00", received_on=timezone.localdate(), method="eft"
    )
    client.force_login(admin)
    first = _html(client.get("/finance/balances/"))
    # Largest balance first: the guardian who owes 250.00; the totals are of both payers.
    assert "Grace Guardian" in first
    assert "Paid Ahead" not in first
    assert money("150.00") in first  # 250.00 owed less 100.00 held as credit
    assert "Page 1 of 2" in first
    second = _html(client.get("/finance/balances/?page=2"))
    assert "Paid Ahead" in second
    assert "Grace Guardian" not in second
    assert money("150.00") in second
