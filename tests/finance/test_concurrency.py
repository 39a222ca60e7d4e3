"""Issuing invoices at the same moment: one number per invoice, no gaps, no duplicates.

Only PostgreSQL shows the race: SQLite runs one writer at a time, so there issuing is
serial anyway. Each thread has its own connection and commits for real
(`transaction=True`), so the row locks on the draft and on the number series are what
is tested.
"""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.db import connection, connections

from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.core.errors import Conflict
from tracker.finance import services
from tracker.finance.models import Invoice, InvoiceStatus, NumberSeries

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: SQLite serialises writers, so the race cannot happen there",
    ),
]


def drafts(admin, count: int) -> list[Invoice]:
    payer = services.payer_save(actor=admin, name="Mrs Pupil", email="mum@example.org")
    made = []
    for number in range(count):
        draft = Invoice.objects.create(payer=payer, currency="ZAR")
        services.line_add(actor=admin, invoice=draft, description=f"Lessons {number}",
                          unit_price=Decimal("300.00"))  # fmt: skip
        made.append(draft)
    return made


def race(work, items) -> list[str]:
    """Run `work(item)` for every item in its own thread, all released at once."""
    barrier = threading.Barrier(len(items), timeout=20)
    outcomes: list[str] = []

    def run(item):
        try:
            barrier.wait()
            work(item)
            outcomes.append("issued")
        except Conflict:
            outcomes.append("conflict")
        except Exception as exc:
            outcomes.append(f"error: {exc!r}")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(item,)) for item in items]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def issued_numbers() -> list[int]:
    return sorted(
        Invoice.objects.exclude(status=InvoiceStatus.DRAFT).values_list("number", flat=True)
    )


@pytest.mark.parametrize("attempt", range(3))
def test_two_people_issuing_the_same_draft_give_it_one_number(attempt):
    admin = UserFactory(username=f"admin{attempt}", role=Role.ADMIN)
    other = UserFactory(username=f"boss{attempt}", role=Role.ADMIN)
    [draft] = drafts(admin, 1)

    outcomes = race(
        lambda actor: services.invoice_issue(actor=actor, invoice=draft, send=False),
        [admin, other],
    )

    assert sorted(outcomes) == ["conflict", "issued"]
    draft.refresh_from_db()
    assert (draft.status, draft.number) == (InvoiceStatus.ISSUED, 1)
    assert issued_numbers() == [1]
    assert NumberSeries.objects.get(prefix="INV").next_number == 2


def test_many_drafts_issued_at_once_are_numbered_one_to_n():
    admin = UserFactory(username="admin", role=Role.ADMIN)
    count = 8
    made = drafts(admin, count)
    # No series yet: the threads also race to create it.
    assert not NumberSeries.objects.exists()

    outcomes = race(
        lambda draft: services.invoice_issue(actor=admin, invoice=draft, send=False), made
    )

    assert outcomes == ["issued"] * count
    assert issued_numbers() == list(range(1, count + 1))
    assert NumberSeries.objects.get(prefix="INV").next_number == count + 1


def test_a_failed_issue_gives_its_number_back(monkeypatch):
    admin = UserFactory(username="admin", role=Role.ADMIN)
    failing, *others = drafts(admin, 6)
    real_record = services.record

    def record(action, **kwargs):
        # The number is taken and saved by now; failing here must roll all of it back.
        if action == "finance.invoice.issued" and kwargs["target"].pk == failing.pk:
            raise RuntimeError("the audit trail is unavailable")
        return real_record(action, **kwargs)

    monkeypatch.setattr(services, "record", record)

    outcomes = race(
        lambda draft: services.invoice_issue(actor=admin, invoice=draft, send=False),
        [failing, *others],
    )

    assert sorted(outcomes) == sorted(
        ["issued"] * len(others) + ["error: RuntimeError('the audit trail is unavailable')"]
    )
    failing.refresh_from_db()
    assert (failing.status, failing.number) == (InvoiceStatus.DRAFT, None)
    assert issued_numbers() == list(range(1, len(others) + 1))

    # And afterwards the failed draft simply takes the next number.
    monkeypatch.setattr(services, "record", real_record)
    services.invoice_issue(actor=admin, invoice=failing, send=False)
    failing.refresh_from_db()
    assert failing.number == len(others) + 1
    assert issued_numbers() == list(range(1, len(others) + 2))
