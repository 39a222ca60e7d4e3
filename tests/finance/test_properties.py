"""Money arithmetic as properties: for any sequence of edits the invoice adds up, the
balance is what was invoiced less what was paid, no session is billed twice, and every
amount is rounded half up to the exact cent.

Each example runs in a savepoint that is rolled back, so it starts from the same
verified sessions (made once per test) and leaves nothing behind.
"""

from __future__ import annotations

import math
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from tests.students.conftest import StudentFactory
from tracker.core.errors import Conflict
from tracker.finance import selectors, services
from tracker.finance.models import (
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    Payment,
)
from tracker.finance.pricing import outstanding, price

pytestmark = pytest.mark.django_db

DAYS = [date(2026, 3, d) for d in (2, 3, 4, 5, 6)]
MARCH = (date(2026, 3, 1), date(2026, 3, 31))
DB_EXAMPLES = settings(
    max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
REFUSED = (ValidationError, Conflict)


def half_up_cents(value: Fraction) -> Decimal:
    """Round an exact non-negative amount to the cent, halves up, without Decimal."""
    cents = math.floor(value * 100 + Fraction(1, 2))
    return Decimal(cents) / 100


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


@pytest.fixture
def sibling(tutor):
    return StudentFactory(first_name="Sipho", last_name="Pupil", tutors=[tutor])


@pytest.fixture
def sessions(admin, verified, priced, pupil, sibling):
    """Ten verified sessions in March: the pupil at 300.00/h and the sibling at 275.00/h,
    of different lengths, a no-show among them."""
    services.rate_set(
        actor=admin, student=sibling, hourly_rate="275.00", effective_from=date(2020, 1, 1)
    )
    for number, day in enumerate(DAYS):
        verified(day, minutes=(45, 60, 90, 30, 75)[number], hour=14)
        attendance = {sibling.pk: "absent"} if number == 2 else None
        verified(day, minutes=60, hour=16, students=[sibling], attendance=attendance)
    assert Charge.objects.count() == 10


# --- Rounding ------------------------------------------------------------------------------


RATES = st.one_of(
    st.decimals(min_value=0, max_value=100_000, places=2),
    st.integers(0, 2_000).map(Decimal),
)
SHARES = st.one_of(
    st.decimals(min_value=0, max_value=100, places=2),
    st.sampled_from([10, 15, 25, 33, 45, 50, 75, 100]).map(Decimal),
)


@settings(max_examples=400, deadline=None)
@given(
    rate=RATES,
    minutes=st.one_of(st.integers(1, 480), st.integers(1, 48).map(lambda n: n * 5)),
    share=SHARES,
)
# Exactly 6.875 and 90.625: dividing by 60 before applying the share leaves ...87499...
# and rounds down.
@example(rate=Decimal("50.00"), minutes=25, share=Decimal("33"))
@example(rate=Decimal("50.00"), minutes=145, share=Decimal("75"))
@example(rate=Decimal("0.01"), minutes=30, share=Decimal("100"))
def test_a_price_is_exact_to_the_cent_rounded_half_up(rate, minutes, share):
    exact = Fraction(rate) * minutes / 60 * Fraction(share) / 100
    assert price(rate, minutes, share) == half_up_cents(exact)


# --- Invoice totals --------------------------------------------------------------------------

EDITS = st.lists(
    st.one_of(
        st.tuples(st.just("generate"), st.integers(0, 4), st.integers(0, 4)),
        st.tuples(
            st.just("item"),
            st.integers(0, 100_000),
            st.sampled_from(["1", "2", "0.5", "1.25", "3.33"]),
        ),
        st.tuples(st.just("discount"), st.integers(1, 60_000)),
        st.tuples(st.just("percent"), st.integers(1, 100)),
        st.tuples(st.just("remove"), st.integers(0, 30)),
    ),
    min_size=1,
    max_size=8,
)


@DB_EXAMPLES
@given(edits=EDITS, target=st.integers(0, 5))
def test_an_invoice_total_is_always_the_sum_of_its_lines(admin, sessions, edits, target):
    with rolled_back():
        for edit in edits:
            drafts = list(Invoice.objects.filter(status=InvoiceStatus.DRAFT).order_by("id"))
            if edit[0] == "generate":
                first, last = sorted((DAYS[edit[1]], DAYS[edit[2]]))
                services.invoices_generate(actor=admin, start=first, end=last)
            elif drafts:
                _edit(admin, drafts[target % len(drafts)], edit)
            for invoice in Invoice.objects.all():
                lines = list(invoice.lines.values_list("amount", flat=True))
                assert invoice.total == sum(lines, Decimal(0))
                assert invoice.total >= 0


def _edit(admin, invoice: Invoice, edit: tuple) -> None:
    kind = edit[0]
    before = invoice.total
    try:
        if kind == "item":
            cents, quantity = edit[1], edit[2]
            line = services.line_add(
                actor=admin,
                invoice=invoice,
                description="Workbook",
                unit_price=Decimal(cents) / 100,
                quantity=quantity,
            )
            assert line.amount == half_up_cents(Fraction(cents, 100) * Fraction(quantity))
        elif kind == "discount":
            line = services.discount_add(
                actor=admin, invoice=invoice, amount=Decimal(edit[1]) / 100
            )
            assert line.amount == -Decimal(edit[1]) / 100
        elif kind == "percent":
            line = services.discount_add(actor=admin, invoice=invoice, percent=str(edit[1]))
            assert line.amount == -half_up_cents(Fraction(before) * edit[1] / 100)
        else:
            lines = list(invoice.lines.order_by("id"))
            if lines:
                services.line_remove(
                    actor=admin, invoice=invoice, line_id=lines[edit[1] % len(lines)].pk
                )
    except ValidationError:
        # Refused edits (a discount above the total, a removal that would leave the total
        # negative) change nothing.
        invoice.refresh_from_db()
        assert invoice.total == before


# --- Balances and ageing ---------------------------------------------------------------------

ACTIONS = st.lists(
    st.one_of(
        st.tuples(st.just("issue"), st.integers(0, 9), st.integers(-10, 130)),
        st.tuples(st.just("pay"), st.integers(1, 150_000)),
        st.tuples(st.just("credit"), st.integers(0, 9), st.integers(1, 80_000)),
        st.tuples(st.just("void"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=10,
)


@pytest.fixture
def family(admin, pupil, sibling):
    return services.payer_save(
        actor=admin, name="Mrs Pupil", email="mum@example.org", students=[pupil, sibling]
    )


@DB_EXAMPLES
@given(prices=st.lists(st.integers(1, 90_000), min_size=1, max_size=3), actions=ACTIONS)
def test_a_balance_is_what_was_invoiced_less_what_was_paid(admin, family, prices, actions):
    today = timezone.localdate()
    with rolled_back():
        for cents in prices:
            draft = Invoice.objects.create(payer=family, currency="ZAR")
            services.line_add(
                actor=admin, invoice=draft, description="Lessons", unit_price=Decimal(cents) / 100
            )
        invoiced = paid = Decimal(0)
        for action in actions:
            document = _pick(Invoice.objects.filter(payer=family), action)
            try:
                if action[0] == "issue":
                    issued = services.invoice_issue(actor=admin, invoice=document, send=False)
                    invoiced += issued.total
                    if issued.kind == InvoiceKind.INVOICE:
                        # Test-only back-dating: spread the due dates over the buckets.
                        Invoice.objects.filter(pk=issued.pk).update(
                            due_date=today - timedelta(days=action[2])
                        )
                elif action[0] == "pay":
                    amount = Decimal(action[1]) / 100
                    services.payment_record(
                        actor=admin, payer=family, amount=amount, received_on=today, method="eft"
                    )
                    paid += amount
                elif action[0] == "credit":
                    services.credit_note_create(
                        actor=admin,
                        invoice=document,
                        amount=Decimal(action[2]) / 100,
                        reason="Refund",
                    )
                else:
                    live_total = document.total if document.status != "draft" else None
                    services.invoice_void(actor=admin, invoice=document, reason="Mistake")
                    invoiced -= live_total
                event(f"{action[0]}: done")
            except REFUSED:
                event(f"{action[0]}: refused")
            _check_balance(admin, family, invoiced, paid, today)
        _check_ageing_boundaries(admin, family)


LIVE = (InvoiceStatus.ISSUED, InvoiceStatus.PAID)


def _pick(documents, action: tuple) -> Invoice | None:
    """The document an action is meant for when there is one (a draft to issue, a live
    one to void or credit), otherwise any: refused actions are part of the test too."""
    if action[0] == "pay":
        return None
    wanted = {
        "issue": documents.filter(status=InvoiceStatus.DRAFT),
        "void": documents.filter(status__in=LIVE),
        "credit": documents.filter(status__in=LIVE, kind=InvoiceKind.INVOICE),
        "delete": documents.filter(status=InvoiceStatus.DRAFT),
        "remove": documents.filter(status=InvoiceStatus.DRAFT),
    }[action[0]]
    candidates = list(wanted.order_by("id")) or list(documents.order_by("id"))
    return candidates[action[1] % len(candidates)] if candidates else None


def _check_ageing_boundaries(admin, payer) -> None:
    """Each day either side of 0, 30, 60 and 90 days late puts an unpaid invoice in its
    bucket, and only there."""
    unpaid = [
        i
        for i in Invoice.objects.filter(
            payer=payer, status=InvoiceStatus.ISSUED, kind=InvoiceKind.INVOICE
        )
        if outstanding(i) > 0
    ]
    if not unpaid:
        return
    invoice = unpaid[0]
    for late in (0, 1, 30, 31, 60, 61, 90, 91):
        as_of = invoice.due_date + timedelta(days=late)
        [row] = selectors.balances(user=admin, as_of=as_of, payer=payer.pk)
        expected = {name: Decimal(0) for name in selectors.BUCKETS}
        for each in unpaid:
            expected[_bucket((as_of - each.due_date).days)] += outstanding(each)
        assert {name: getattr(row, name) for name in selectors.BUCKETS} == expected, late


def _check_balance(admin, payer, invoiced: Decimal, paid: Decimal, today: date) -> None:
    # The overview's and the dashboard's totals, summed in the database, are the page's.
    every = selectors.balances(user=admin, as_of=today)
    assert selectors.outstanding_totals(user=admin, as_of=today) == (
        sum((r.current + r.overdue for r in every), Decimal(0)),
        sum((r.overdue for r in every), Decimal(0)),
    )
    rows = selectors.balances(user=admin, as_of=today, payer=payer.pk)
    if not rows:
        assert invoiced == paid == 0
        return
    [row] = rows
    assert (row.invoiced, row.paid, row.balance) == (invoiced, paid, invoiced - paid)
    buckets = {name: Decimal(0) for name in selectors.BUCKETS}
    overpaid = Decimal(0)
    live = Invoice.objects.filter(
        payer=payer, kind=InvoiceKind.INVOICE, status__in=[InvoiceStatus.ISSUED, InvoiceStatus.PAID]
    )
    for invoice in live:
        left = outstanding(invoice)
        assert invoice.status == (InvoiceStatus.PAID if left <= 0 else InvoiceStatus.ISSUED)
        if left > 0:
            buckets[_bucket((today - invoice.due_date).days)] += left
        else:
            overpaid -= left
    for name, amount in buckets.items():
        assert getattr(row, name) == amount, name
    unallocated = sum(
        (services.unallocated(p) for p in Payment.objects.filter(payer=payer)), Decimal(0)
    )
    assert unallocated >= 0
    assert row.credit == unallocated + overpaid
    assert sum(buckets.values(), Decimal(0)) - row.credit == row.balance


def _bucket(days_late: int) -> str:
    for limit, name in ((0, "current"), (30, "days_30"), (60, "days_60"), (90, "days_90")):
        if days_late <= limit:
            return name
    return "days_over_90"


# --- Nothing is invoiced twice -------------------------------------------------------------

RUNS = st.lists(
    st.one_of(
        st.tuples(
            st.just("generate"),
            st.integers(0, 4),
            st.integers(0, 4),
            st.sampled_from(["payer", "student"]),
        ),
        st.tuples(st.just("issue"), st.integers(0, 9)),
        st.tuples(st.just("void"), st.integers(0, 9)),
        st.tuples(st.just("delete"), st.integers(0, 9)),
        st.tuples(st.just("remove"), st.integers(0, 9)),
    ),
    min_size=1,
    max_size=10,
)


GENERATE = st.tuples(
    st.just("generate"), st.integers(0, 4), st.integers(0, 4), st.sampled_from(["payer", "student"])
)


@DB_EXAMPLES
@given(opening=GENERATE, runs=RUNS)
def test_no_session_is_ever_on_two_live_invoices(admin, sessions, opening, runs):
    with rolled_back():
        for run in [opening, *runs]:
            try:
                if run[0] == "generate":
                    _generate_only_what_is_free(admin, run)
                else:
                    invoice = _pick(Invoice.objects.all(), run)
                    if invoice is None:
                        continue
                    _change(admin, invoice, run[0])
                event(f"{run[0]}: done")
            except REFUSED:
                event(f"{run[0]}: refused")
            _check_billed_once()
        # Whatever happened, one more run bills each session that is not on a live invoice
        # exactly once, and a run after that finds nothing left.
        services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1])
        assert sorted(_billed()) == sorted(Charge.objects.values_list("pk", flat=True))
        assert services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1]) == []


def _generate_only_what_is_free(admin, run: tuple) -> None:
    billed = set(_billed())
    first, last = sorted((DAYS[run[1]], DAYS[run[2]]))
    made = services.invoices_generate(actor=admin, start=first, end=last, per=run[3])
    new = list(InvoiceLine.objects.filter(invoice__in=made).values_list("charge", flat=True))
    free = Charge.objects.filter(date__range=(first, last)).exclude(pk__in=billed)
    assert sorted(new) == sorted(free.values_list("pk", flat=True))


def _change(admin, invoice: Invoice, what: str) -> None:
    if what == "issue":
        services.invoice_issue(actor=admin, invoice=invoice, send=False)
    elif what == "void":
        services.invoice_void(actor=admin, invoice=invoice, reason="Mistake")
        assert not invoice.lines.filter(charge__isnull=False).exists()
    elif what == "delete":
        services.invoice_delete(actor=admin, invoice=invoice)
    else:
        line = invoice.lines.order_by("id").first()
        if line is not None:
            services.line_remove(actor=admin, invoice=invoice, line_id=line.pk)


def _billed() -> list[int]:
    return list(
        InvoiceLine.objects.filter(kind=LineKind.SESSION, charge__isnull=False)
        .exclude(invoice__status=InvoiceStatus.VOID)
        .values_list("charge", flat=True)
    )


def _check_billed_once() -> None:
    billed = _billed()
    assert len(billed) == len(set(billed))
    void_lines = InvoiceLine.objects.filter(invoice__status=InvoiceStatus.VOID)
    assert not void_lines.filter(charge__isnull=False).exists()
