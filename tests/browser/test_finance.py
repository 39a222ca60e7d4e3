"""Money in the browser: an admin bills last month and records the payment; a moderator
sees revenue totals and nothing that names anyone."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.helpers import SCREENS
from tests.browser.test_signin import sign_in
from tests.finance.conftest import book, last_month, maths, priced, pupil, verified  # noqa: F401
from tracker.finance import services
from tracker.finance.models import Invoice, InvoiceStatus


@pytest.fixture
def billable(request):
    """A 90-minute session last month, verified at 300.00 an hour: 450.00 to bill. Returns
    the day and the session (the finance fixtures are looked up by name, from tests/finance)."""
    request.getfixturevalue("priced")
    day = request.getfixturevalue("last_month")
    return day, request.getfixturevalue("verified")(day, minutes=90)


def fits_the_screen(visit) -> None:
    """Wide tables scroll inside their own region; the page itself never scrolls sideways."""
    width = visit.page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[visit.screen]["width"]


def test_admin_invoices_last_month_and_records_the_payment(visit, database, admin, billable):
    sign_in(visit, "admin")
    page = visit.page
    page.get_by_role("link", name="Money").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Money")
    visit.check("overview")

    page.get_by_role("navigation", name="Money pages").get_by_role("link", name="Invoices").click()
    # The form offers last month, one invoice per payer.
    page.get_by_role("button", name="Generate drafts").click()
    expect(page.get_by_role("status")).to_contain_text("1 draft invoice made.")
    visit.check("drafts")
    page.get_by_role("link", name=re.compile(r"^Draft \d+$")).click()
    visit.check("draft")
    fits_the_screen(visit)

    page.get_by_label("Amount:", exact=True).fill("50.00")
    page.get_by_role("button", name="Add discount").click()
    expect(page.get_by_role("status")).to_contain_text("Discount added.")
    expect(page.locator("tfoot")).to_contain_text("400.00")
    page.get_by_role("button", name="Issue invoice").click()
    expect(page.get_by_role("status")).to_contain_text("INV-000001 is issued")
    expect(page.get_by_role("heading", level=1)).to_have_text("Invoice INV-000001")
    pdf = page.get_by_role("link", name="Download PDF")
    expect(pdf).to_have_attribute("href", re.compile(r"^/finance/invoices/\d+/pdf$"))
    visit.check("issued-invoice")

    page.get_by_role("link", name="Record a payment from this payer").click()
    page.get_by_label("Amount").fill("400.00")
    page.get_by_label("Reference").fill("EFT 1234")
    visit.check("payment-form")
    page.get_by_role("button", name="Record payment").click()
    expect(page.get_by_role("status")).to_contain_text("ZAR 0.00 is left as credit")
    expect(page.locator("#payer-balance")).to_have_text("settled")
    visit.check("payer")
    with database:
        invoice = Invoice.objects.get(number=1)
        assert (invoice.status, invoice.total) == (InvoiceStatus.PAID, 400)
    # The reports read well and pass axe too.
    for label in ("Revenue", "Payers", "Balances", "Tutor pay", "Rates"):
        page.get_by_role("navigation", name="Money pages").get_by_role("link", name=label).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(label.split()[0])
        visit.check(label.lower().replace(" ", "-"))
        fits_the_screen(visit)


def test_moderator_sees_revenue_totals_and_no_names(visit, database, admin, moderator, billable):
    day, session = billable
    [invoice] = services.invoices_generate(actor=admin, start=day, end=day)
    services.invoice_issue(actor=admin, invoice=invoice, send=False)
    branch = session.seats.get().student.branch.name
    sign_in(visit, "moderator")
    page = visit.page
    page.get_by_role("link", name="Money").click()
    page.get_by_label("From:", exact=True).fill(day.replace(day=1).isoformat())
    tomorrow = timezone.localdate() + timedelta(days=1)
    page.get_by_label("To:", exact=True).fill(tomorrow.isoformat())
    page.get_by_role("button", name="Show").click()

    per_month = page.get_by_role("table", name="Revenue per month")
    expect(per_month).to_contain_text(day.strftime("%Y-%m"))
    expect(per_month).to_contain_text("450.00")
    per_branch = page.get_by_role("table", name="Revenue per branch")
    expect(per_branch).to_contain_text(branch)
    expect(per_branch).to_contain_text("450.00")
    html = page.content()
    for name in ("Palesa", "Pupil", "Grace Guardian", "INV-000001", "300.00"):
        assert name not in html, name
    pages = page.get_by_role("navigation", name="Money pages").get_by_role("link")
    expect(pages).to_have_text(["Overview", "Revenue"])
    visit.check("moderator-overview")


def test_admin_pages_through_the_balances(visit, database, admin, monkeypatch):
    from tracker.finance import views

    monkeypatch.setattr(views, "PER_PAGE", 1)
    with database:
        for name, amount in (("Early Payer", "300.00"), ("Small Credit", "100.00")):
            payer = services.payer_save(actor=admin, name=name, email="", students=[])
            services.payment_record(
                actor=admin, payer=payer, amount=amount,
                received_on=timezone.localdate(), method="eft",
            )  # fmt: skip
    sign_in(visit, "admin")
    page = visit.page
    page.goto("/finance/balances/")
    table = page.get_by_role("table")
    pager = page.get_by_role("navigation", name="Pages", exact=True)

    def shows_page(number: int, payer: str, not_payer: str) -> None:
        expect(table).to_contain_text(payer)
        expect(table).not_to_contain_text(not_payer)
        expect(page.locator("tfoot")).to_contain_text("400.00")  # the totals of both payers
        expect(pager).to_contain_text(f"Page {number} of 2")
        visit.check(f"balances-page-{number}")
        fits_the_screen(visit)

    # Largest balance first: the smaller credit.
    shows_page(1, "Small Credit", "Early Payer")
    pager.get_by_role("link", name="Next").click()
    shows_page(2, "Early Payer", "Small Credit")
