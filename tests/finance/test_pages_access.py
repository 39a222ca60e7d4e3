"""Every finance page and action in the permission table: role × URL → status.

Anonymous people are sent to sign in, tutors are refused everywhere, moderators see only
the revenue totals per month and per branch (and their export), admins see and do all."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.finance import services
from tracker.finance.models import Invoice, Payer

pytestmark = pytest.mark.django_db

TODAY = "{today}"

# (method, path, form data, moderator's status, admin's status). {issued}, {draft}, {line},
# {payment}, {payer}, {rate}, {student}, {tutor} are filled in from the `books` fixture.
ACCESS = [
    ("get", "/finance/", None, 200, 200),
    ("get", "/finance/revenue/", None, 200, 200),
    ("get", "/finance/revenue/?by=branch", None, 200, 200),
    ("get", "/finance/revenue/?by=student", None, 403, 200),
    ("get", "/finance/revenue/?by=tutor", None, 403, 200),
    ("get", "/finance/revenue/?by=subject", None, 403, 200),
    ("get", "/finance/revenue/export.csv", None, 200, 200),
    ("get", "/finance/revenue/export.xlsx?by=branch", None, 200, 200),
    ("get", "/finance/revenue/export.csv?by=student", None, 403, 200),
    ("get", "/finance/invoices/", None, 403, 200),
    ("get", "/finance/invoices/?status=issued&overdue=on", None, 403, 200),
    ("get", "/finance/invoices/export.csv", None, 403, 200),
    ("get", "/finance/invoices/export.xlsx", None, 403, 200),
    ("get", "/finance/invoices/{issued}/", None, 403, 200),
    ("get", "/finance/invoices/{draft}/", None, 403, 200),
    ("get", "/finance/invoices/999999/", None, 403, 404),
    ("get", "/finance/invoices/{issued}/pdf", None, 403, 200),
    ("get", "/finance/payments/", None, 403, 200),
    ("get", "/finance/payments/export.csv", None, 403, 200),
    ("get", "/finance/payments/export.xlsx", None, 403, 200),
    ("get", "/finance/payers/", None, 403, 200),
    ("get", "/finance/payers/{payer}/", None, 403, 200),
    ("get", "/finance/balances/", None, 403, 200),
    ("get", "/finance/balances/export.csv", None, 403, 200),
    ("get", "/finance/balances/export.xlsx", None, 403, 200),
    ("get", "/finance/tutor-pay/", None, 403, 200),
    ("get", "/finance/tutor-pay/export.csv", None, 403, 200),
    ("get", "/finance/tutor-pay/export.xlsx", None, 403, 200),
    ("get", "/finance/tutor-pay/lines.csv", None, 403, 200),
    ("get", "/finance/rates/", None, 403, 200),
    (
        "post", "/finance/invoices/generate/",
        {"start": "2026-01-01", "end": "2026-01-31", "per": "payer"}, 403, 302,
    ),
    (
        "post", "/finance/invoices/{draft}/lines/",
        {"line-description": "Workbook", "line-quantity": "1", "line-unit_price": "40"}, 403, 302,
    ),
    ("post", "/finance/invoices/{draft}/lines/{line}/remove/", {}, 403, 302),
    ("post", "/finance/invoices/{draft}/discounts/", {"discount-amount": "10"}, 403, 302),
    ("post", "/finance/invoices/{draft}/issue/", {}, 403, 302),
    ("post", "/finance/invoices/{draft}/delete/", {}, 403, 302),
    (
        "post", "/finance/invoices/{issued}/void/",
        {"void-reason": "Wrong payer", "void-confirm": "on"}, 403, 302,
    ),
    (
        "post", "/finance/invoices/{issued}/credit-note/",
        {"credit-amount": "10", "credit-reason": "Short session"}, 403, 302,
    ),
    (
        "post", "/finance/payments/",
        {"payer": "{payer}", "amount": "20", "received_on": TODAY, "method": "cash"}, 403, 302,
    ),
    (
        "post", "/finance/payments/{payment}/allocate/",
        {"allocate-{payment}-invoice": "{issued}", "allocate-{payment}-amount": "10"}, 403, 302,
    ),
    ("post", "/finance/payers/", {"name": "Thabo Dlamini"}, 403, 302),
    ("post", "/finance/payers/{payer}/", {"name": "Grace Mokoena"}, 403, 302),
    (
        "post", "/finance/rates/student/",
        {"rate-student": "{student}", "rate-hourly_rate": "320", "rate-effective_from": TODAY},
        403, 302,
    ),
    ("post", "/finance/rates/{rate}/remove/", {}, 403, 302),
    (
        "post", "/finance/rates/tutor/",
        {"pay-tutor": "{tutor}", "pay-basis": "hour", "pay-amount": "150",
         "pay-effective_from": TODAY}, 403, 302,
    ),
]  # fmt: skip

# Changing state needs POST; reading answers GET only.
WRONG_METHOD = [
    ("post", "/finance/"),
    ("post", "/finance/revenue/export.csv"),
    ("post", "/finance/invoices/{issued}/pdf"),
    ("get", "/finance/invoices/{draft}/issue/"),
    ("get", "/finance/invoices/{draft}/delete/"),
    ("get", "/finance/rates/{rate}/remove/"),
    ("get", "/finance/payments/{payment}/allocate/"),
]


@pytest.fixture(scope="module")
def books(module_db):
    """An issued invoice of 300.00, a draft with one line, a payer holding 50.00 of credit, a
    student's rate and a tutor: one of everything the pages act on. Made once for the
    module: each test's changes are rolled back before the next."""
    admin = UserFactory(username="admin", role=Role.ADMIN)  # the `admin` fixture's user
    student = StudentFactory(first_name="Palesa", last_name="Pupil")
    payer = Payer.objects.create(name="Grace Guardian", email="", address="")
    issued = Invoice.objects.create(payer=payer, currency="ZAR")
    services.line_add(actor=admin, invoice=issued, description="Lessons", unit_price="300")
    services.invoice_issue(actor=admin, invoice=issued, send=False)
    draft = Invoice.objects.create(payer=payer, currency="ZAR")
    line = services.line_add(actor=admin, invoice=draft, description="Lessons", unit_price="200")
    payment = services.payment_record(
        actor=admin, payer=payer, amount="50", received_on=timezone.localdate(), method="eft",
        allocations={},
    )  # fmt: skip
    rate = services.rate_set(
        actor=admin, student=student, hourly_rate="300", effective_from=date(2026, 1, 1)
    )
    return SimpleNamespace(
        issued=issued.pk, draft=draft.pk, line=line.pk, payment=payment.pk, payer=payer.pk,
        rate=rate.pk, student=student.pk, tutor=UserFactory(role=Role.TUTOR).pk,
        today=timezone.localdate().isoformat(),
    )  # fmt: skip


def _fill(text: str, books: SimpleNamespace) -> str:
    return text.format(**vars(books))


def _request(client, method: str, path: str, data, books):
    url = _fill(path, books)
    if method == "get":
        return client.get(url)
    form = {_fill(key, books): _fill(value, books) for key, value in (data or {}).items()}
    return client.post(url, form)


@pytest.mark.parametrize("role", ["anonymous", "tutor", "moderator", "admin"])
@pytest.mark.parametrize(("method", "path", "data", "for_moderator", "for_admin"), ACCESS)
def test_finance_pages_by_role(
    client, people, books, role, method, path, data, for_moderator, for_admin
):
    if people[role] is not None:
        client.force_login(people[role])
    response = _request(client, method, path, data, books)
    expected = {"anonymous": 302, "tutor": 403, "moderator": for_moderator, "admin": for_admin}
    assert response.status_code == expected[role]
    if role == "anonymous":
        assert response["Location"].startswith("/accounts/login/?next=/finance/")
    elif role == "admin" and method == "post":
        # A valid action lands on a finance page; it is not a sign-in redirect.
        assert response["Location"].startswith("/finance/")


@pytest.mark.parametrize(("method", "path"), WRONG_METHOD)
def test_finance_pages_reject_the_wrong_method(client, admin, books, method, path):
    client.force_login(admin)
    assert getattr(client, method)(_fill(path, books)).status_code == 405
