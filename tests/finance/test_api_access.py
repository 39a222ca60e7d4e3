"""Every finance endpoint in the permission table: role × method × path → status."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.factories import SubjectFactory, UserFactory
from tests.finance.conftest import log_and_verify, past
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.finance import services
from tracker.finance.models import Invoice
from tracker.scheduling.services import session_create

pytestmark = pytest.mark.django_db

R = "/revenue?start=2026-03-01&end=2026-03-31"
T = "/tutor-pay?start=2026-03-01&end=2026-03-31"
RATE = {"student": "{pupil}", "hourly_rate": "310.00", "effective_from": "2026-01-01"}
PAY_RATE = {"tutor": "{tutor}", "basis": "hour", "amount": "150.00", "effective_from": "2026-01-01"}
PAYER = {"name": "Mr Pupil", "students": ["{pupil}"]}
PAYMENT = {"payer": "{payer}", "amount": "10.00", "received_on": "2026-03-21", "method": "cash"}
LINE = {"description": "Workbook", "unit_price": "80.00"}

# (method, path, body) → status for anonymous, tutor, moderator, admin. {draft} is a draft
# invoice with one session line {line}, {issued} an issued invoice, {payment} a payment of
# its payer {payer}, {rate} the pupil's rate.
ENDPOINTS = [
    ("get", R + "&by=month", None, 401, 403, 200, 200),
    ("get", R + "&by=branch", None, 401, 403, 200, 200),
    ("get", R + "&by=student", None, 401, 403, 403, 200),
    ("get", R + "&by=tutor", None, 401, 403, 403, 200),
    ("get", R + "&by=subject", None, 401, 403, 403, 200),
    ("get", R + "&by=month&tutor={tutor}", None, 401, 403, 403, 200),
    ("get", R.replace("revenue", "revenue/export") + "&by=month", None, 401, 403, 200, 200),
    ("get", R.replace("revenue", "revenue/export") + "&by=branch&format=xlsx", None,
     401, 403, 200, 200),
    ("get", R.replace("revenue", "revenue/export") + "&by=student", None, 401, 403, 403, 200),
    ("get", "/unpriced", None, 401, 403, 403, 200),
    ("get", "/rates", None, 401, 403, 403, 200),
    ("post", "/rates", RATE, 401, 403, 403, 201),
    ("delete", "/rates/{rate}", None, 401, 403, 403, 204),
    ("get", "/pay-rates", None, 401, 403, 403, 200),
    ("post", "/pay-rates", PAY_RATE, 401, 403, 403, 201),
    ("get", "/payers", None, 401, 403, 403, 200),
    ("post", "/payers", PAYER, 401, 403, 403, 201),
    ("get", "/payers/{payer}", None, 401, 403, 403, 200),
    ("patch", "/payers/{payer}", {"address": "2 Short St"}, 401, 403, 403, 200),
    ("get", "/invoices", None, 401, 403, 403, 200),
    ("get", "/invoices/export?format=xlsx", None, 401, 403, 403, 200),
    ("post", "/invoices/generate", {"start": "2026-01-01", "end": "2026-12-31"},
     401, 403, 403, 201),
    ("get", "/invoices/{draft}", None, 401, 403, 403, 200),
    ("delete", "/invoices/{draft}", None, 401, 403, 403, 204),
    ("post", "/invoices/{draft}/lines", LINE, 401, 403, 403, 201),
    ("delete", "/invoices/{draft}/lines/{line}", None, 401, 403, 403, 200),
    ("post", "/invoices/{draft}/discount", {"amount": "5.00"}, 401, 403, 403, 201),
    ("post", "/invoices/{draft}/issue", None, 401, 403, 403, 200),
    ("post", "/invoices/{issued}/void", {"reason": "Sent twice"}, 401, 403, 403, 200),
    ("post", "/invoices/{issued}/credit-notes", {"amount": "5.00", "reason": "Late"},
     401, 403, 403, 201),
    ("get", "/invoices/{issued}/pdf", None, 401, 403, 403, 200),
    ("get", "/invoices/{draft}/pdf", None, 401, 403, 403, 200),
    ("get", "/payments", None, 401, 403, 403, 200),
    ("get", "/payments/export?format=csv", None, 401, 403, 403, 200),
    ("post", "/payments", PAYMENT, 401, 403, 403, 201),
    ("get", "/payments/{payment}", None, 401, 403, 403, 200),
    ("post", "/payments/{payment}/allocate", {"invoice": "{issued}", "amount": "1.00"},
     401, 403, 403, 200),
    ("get", "/balances", None, 401, 403, 403, 200),
    ("get", "/balances/export?format=xlsx", None, 401, 403, 403, 200),
    ("get", T, None, 401, 403, 403, 200),
    ("get", T.replace("tutor-pay", "tutor-pay/export") + "&format=csv", None,
     401, 403, 403, 200),
    ("get", T.replace("tutor-pay", "tutor-pay/export") + "&detail=true", None,
     401, 403, 403, 200),
]  # fmt: skip

ROLES = ("anonymous", "tutor", "moderator", "admin")
ACCESS = [
    (role, method, path, body, statuses[index])
    for method, path, body, *statuses in ENDPOINTS
    for index, role in enumerate(ROLES)
]


@pytest.fixture(scope="module")
def ids(module_db):
    """A draft with a session line, an issued invoice partly paid by a payment that still
    has 10.00 free, and the pupil's rate. Made once for the module (each test's changes are
    rolled back before the next), by the users the role fixtures give (same usernames)."""
    admin = UserFactory(username="admin", role=Role.ADMIN)
    moderator = UserFactory(username="moderator", role=Role.MODERATOR)
    tutor = UserFactory(username="tutor", role=Role.TUTOR)
    pupil = StudentFactory(first_name="Palesa", last_name="Pupil", tutors=[tutor])
    start = past(date(2026, 3, 10))
    session = session_create(
        actor=moderator, start=start, end=start + timedelta(hours=1), tutor=tutor,
        students=[pupil], subject=SubjectFactory(name="Mathematics"),
    )  # fmt: skip
    log_and_verify(moderator, session)
    rate = services.rate_set(
        actor=admin, student=pupil, hourly_rate=Decimal("300.00"), effective_from=date(2020, 1, 1)
    )
    [draft] = services.invoices_generate(actor=admin, start=date(2026, 3, 1),
                                         end=date(2026, 3, 31))  # fmt: skip
    issued = Invoice.objects.create(payer=draft.payer, currency="ZAR")
    services.line_add(actor=admin, invoice=issued, description="Fee", unit_price="100.00")
    services.invoice_issue(actor=admin, invoice=issued, send=False)
    payment = services.payment_record(actor=admin, payer=draft.payer, amount="60.00",
                                      received_on=date(2026, 3, 20), method="eft",
                                      allocations={issued.pk: "50.00"})  # fmt: skip
    return {
        "draft": draft.pk, "line": draft.lines.get().pk, "issued": issued.pk,
        "payer": draft.payer_id, "payment": payment.pk, "rate": rate.pk,
        "pupil": pupil.pk, "tutor": tutor.pk,
    }  # fmt: skip


def _fill(value, ids):
    if isinstance(value, str):
        filled = value.format(**ids)
        return int(filled) if filled != value and filled.isdigit() else filled
    if isinstance(value, list):
        return [_fill(item, ids) for item in value]
    if isinstance(value, dict):
        return {key: _fill(item, ids) for key, item in value.items()}
    return value


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), ACCESS)
def test_finance_endpoints_by_role(client, people, bearer, ids, role, method, path, body, status):
    headers = bearer(people[role]) if people[role] else {}
    url = "/api/v1/finance" + path.format(**ids)
    kwargs = {}
    if body is not None:
        kwargs = {"content_type": "application/json", "data": json.dumps(_fill(body, ids))}
    response = getattr(client, method)(url, **kwargs, **headers)
    assert response.status_code == status, response.content[:300]
    if status >= 400:
        assert response["Content-Type"] == "application/problem+json"


def test_every_finance_route_is_in_the_table(client):
    """A new endpoint without a row here fails this test."""
    documented = {
        (method, path.removeprefix("/api/v1/finance"))
        for path, operations in client.get("/api/v1/openapi.json").json()["paths"].items()
        if path.startswith("/api/v1/finance/")
        for method in operations
    }
    ids = {name: f"{{{name}_id}}" for name in ("rate", "payer", "invoice", "payment", "line")}
    ids |= {"draft": "{invoice_id}", "issued": "{invoice_id}"}
    covered = {(method, path.split("?")[0].format(**ids)) for method, path, *_ in ENDPOINTS}
    assert documented == covered


@pytest.mark.parametrize(
    "path",
    [
        "/invoices/999999",
        "/invoices/999999/pdf",
        "/payers/999999",
        "/payments/999999",
    ],
)
def test_a_missing_record_is_a_plain_404_for_an_admin(client, admin, bearer, path):
    response = client.get("/api/v1/finance" + path, **bearer(admin))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["detail"] == "No such resource."


def test_a_missing_record_is_still_403_for_a_moderator(client, moderator, bearer):
    """Refused before the lookup: a 403 never tells whether the id exists."""
    response = client.get("/api/v1/finance/invoices/999999", **bearer(moderator))
    assert response.status_code == 403


def test_a_line_of_another_invoice_is_not_found_through_this_one(client, admin, bearer, ids):
    other = Invoice.objects.create(payer_id=ids["payer"], currency="ZAR")
    url = f"/api/v1/finance/invoices/{other.pk}/lines/{ids['line']}"
    response = client.delete(url, **bearer(admin))
    assert response.status_code == 404
    assert Invoice.objects.get(pk=ids["draft"]).lines.filter(pk=ids["line"]).exists()
