"""Invoices from verified sessions, their numbers, and what happens when money arrives."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from tests.finance.conftest import past
from tests.students.conftest import StudentFactory
from tracker.attendance.services import session_log
from tracker.audit.models import AuditLog
from tracker.core.errors import Conflict
from tracker.finance import selectors, services
from tracker.finance.models import Charge, Invoice, InvoiceStatus, Payer, Payment

pytestmark = pytest.mark.django_db

DAY = date(2026, 3, 10)
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def sibling(tutor, pupil):
    return StudentFactory(first_name="Sipho", last_name="Pupil", tutors=[tutor],
                          default_rate=Decimal("200.00"))  # fmt: skip


@pytest.fixture
def family(admin, pupil, sibling):
    return services.payer_save(actor=admin, name="Mrs Pupil", email="mum@example.org",
                               students=[pupil, sibling])  # fmt: skip


@pytest.fixture
def issued(admin, verified, priced):
    """INV-000001: two sessions of the pupil, 600.00, issued."""
    verified(DAY)
    verified(DAY + timedelta(days=7))
    [draft] = services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1])
    return services.invoice_issue(actor=admin, invoice=draft, send=False)


def test_one_draft_per_payer_covers_all_their_students(admin, verified, priced, family, sibling):
    verified(DAY)
    verified(DAY + timedelta(days=1), students=[sibling])
    [draft] = services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1])
    assert draft.payer == family
    assert draft.total == Decimal("500.00")
    assert draft.lines.count() == 2
    assert (draft.number, draft.status) == (None, InvoiceStatus.DRAFT)


def test_per_student_drafts_split_a_family(admin, verified, priced, family, sibling):
    verified(DAY)
    verified(DAY + timedelta(days=1), students=[sibling])
    drafts = services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1], per="student")
    assert sorted(d.total for d in drafts) == [Decimal("200.00"), Decimal("300.00")]
    assert {d.payer for d in drafts} == {family}


def test_a_student_without_a_payer_is_billed_to_their_guardian(admin, verified, priced, pupil):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    assert draft.payer.name == pupil.guardian_name
    assert draft.payer.links.get().student == pupil


def test_only_verified_priced_sessions_of_the_period_not_yet_invoiced_are_drafted(
    admin, book, moderator, verified, priced
):
    verified(DAY)
    verified(date(2026, 4, 2))  # outside the period
    unverified = book(past(date(2026, 3, 12)))
    session_log(actor=moderator, session=unverified, outcome="completed", force=True)
    [draft] = services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1])
    assert draft.lines.count() == 1
    assert services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1]) == []


def test_editing_a_draft(admin, verified, priced):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    services.line_add(actor=admin, invoice=draft, description="Workbook", unit_price="95.50",
                      quantity="2")  # fmt: skip
    draft.refresh_from_db()
    assert draft.total == Decimal("491.00")
    services.discount_add(actor=admin, invoice=draft, percent="10")
    draft.refresh_from_db()
    assert draft.total == Decimal("441.90")
    discount = draft.lines.get(kind="discount")
    assert (discount.amount, discount.description) == (Decimal("-49.10"), "Discount 10%")
    services.discount_add(actor=admin, invoice=draft, amount="41.90", description="Loyalty")
    draft.refresh_from_db()
    assert draft.total == Decimal("400.00")
    assert draft.total == sum(draft.lines.values_list("amount", flat=True))


def test_removing_a_session_line_frees_the_session(admin, verified, priced):
    session = verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    services.line_remove(actor=admin, invoice=draft, line_id=draft.lines.get().pk)
    draft.refresh_from_db()
    assert draft.total == 0
    [again] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    assert again.lines.get().charge.session == session


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "10", "percent": "5"}, "amount"),
        ({}, "amount"),
        ({"percent": "120"}, "percent"),
        ({"percent": "abc"}, "percent"),
        ({"amount": "1000"}, "amount"),
        ({"amount": "-5"}, "amount"),
    ],
)
def test_a_bad_discount_is_refused(admin, verified, priced, kwargs, field):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    with pytest.raises(ValidationError) as caught:
        services.discount_add(actor=admin, invoice=draft, **kwargs)
    assert field in caught.value.message_dict
    assert draft.lines.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "fields"),
    [
        ({"description": " ", "unit_price": "10"}, {"description"}),
        ({"description": "x", "unit_price": "1.001"}, {"unit_price"}),
        ({"description": "x", "unit_price": "10", "quantity": "0"}, {"quantity"}),
        ({"description": "", "unit_price": "x", "quantity": "x"},
         {"description", "unit_price", "quantity"}),
    ],
)  # fmt: skip
def test_a_bad_line_gets_field_errors(admin, verified, priced, kwargs, fields):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    with pytest.raises(ValidationError) as caught:
        services.line_add(actor=admin, invoice=draft, **kwargs)
    assert set(caught.value.message_dict) == fields


def test_issuing_numbers_without_gaps_and_freezes_the_invoice(admin, verified, priced, issued):
    assert str(issued) == "INV-000001"
    assert issued.issue_date == timezone.localdate()
    assert issued.due_date == issued.issue_date + timedelta(days=14)
    assert issued.payer_name == issued.payer.name
    verified(date(2026, 4, 1))
    [second] = services.invoices_generate(actor=admin, start=date(2026, 4, 1),
                                          end=date(2026, 4, 30))  # fmt: skip
    assert str(services.invoice_issue(actor=admin, invoice=second, send=False)) == "INV-000002"
    with pytest.raises(Conflict):
        services.line_add(actor=admin, invoice=issued, description="x", unit_price="1")
    with pytest.raises(Conflict):
        services.invoice_issue(actor=admin, invoice=issued)


def test_an_empty_draft_cannot_be_issued_and_takes_no_number(admin, verified, priced):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    services.line_remove(actor=admin, invoice=draft, line_id=draft.lines.get().pk)
    with pytest.raises(ValidationError):
        services.invoice_issue(actor=admin, invoice=draft)
    draft.refresh_from_db()
    assert draft.number is None


def test_issuing_e_mails_the_pdf_to_the_payer_after_commit(
    admin, verified, priced, family, mailoutbox, django_capture_on_commit_callbacks
):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    with django_capture_on_commit_callbacks(execute=True):
        services.invoice_issue(actor=admin, invoice=draft)
    [mail] = mailoutbox
    assert mail.to == ["mum@example.org"]
    assert "INV-000001" in mail.subject
    [(name, content, kind)] = mail.attachments
    assert (name, kind) == ("INV-000001.pdf", "application/pdf")
    assert content.startswith(b"%PDF")


def test_an_issued_invoice_cannot_be_deleted_only_voided(admin, issued):
    with pytest.raises(Conflict):
        services.invoice_delete(actor=admin, invoice=issued)
    with pytest.raises(ValidationError):
        services.invoice_void(actor=admin, invoice=issued, reason=" ")
    services.invoice_void(actor=admin, invoice=issued, reason="Wrong family")
    issued.refresh_from_db()
    assert (issued.status, str(issued), issued.void_reason) == ("void", "INV-000001",
                                                                "Wrong family")  # fmt: skip
    with pytest.raises(Conflict):
        services.invoice_void(actor=admin, invoice=issued, reason="again")


def test_voiding_frees_the_sessions_to_be_invoiced_once_more(admin, issued):
    assert services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1]) == []
    services.invoice_void(actor=admin, invoice=issued, reason="Wrong rate")
    [again] = services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1])
    assert again.total == Decimal("600.00")
    assert issued.lines.count() == 2  # the void one keeps its text
    assert services.invoices_generate(actor=admin, start=MARCH[0], end=MARCH[1]) == []


def test_a_draft_is_deleted_and_its_sessions_return(admin, verified, priced):
    verified(DAY)
    [draft] = services.invoices_generate(actor=admin, start=DAY, end=DAY)
    services.invoice_delete(actor=admin, invoice=draft)
    assert not Invoice.objects.exists()
    assert not Charge.objects.filter(line__isnull=False).exists()
    assert len(services.invoices_generate(actor=admin, start=DAY, end=DAY)) == 1


def test_a_credit_note_has_its_own_series_and_reduces_what_is_owed(admin, issued):
    note = services.credit_note_create(actor=admin, invoice=issued, amount="100", reason="Sick")
    assert note.total == Decimal("-100.00")
    note = services.invoice_issue(actor=admin, invoice=note, send=False)
    assert str(note) == "CN-000001"
    [row] = selectors.balances(user=admin)
    assert row.balance == Decimal("500.00")
    with pytest.raises(ValidationError):
        services.credit_note_create(actor=admin, invoice=issued, amount="500.01", reason="x")
    with pytest.raises(Conflict):
        services.invoice_void(actor=admin, invoice=issued, reason="x")


def test_crediting_the_rest_marks_the_invoice_paid(admin, issued):
    note = services.credit_note_create(actor=admin, invoice=issued, amount="600", reason="Waived")
    services.invoice_issue(actor=admin, invoice=note, send=False)
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID
    services.invoice_void(actor=admin, invoice=note, reason="Not waived after all")
    issued.refresh_from_db()
    assert issued.status == InvoiceStatus.ISSUED


def test_payments_settle_the_oldest_invoice_first_and_overpayment_is_credit(
    admin, verified, priced, issued
):
    verified(date(2026, 4, 1))
    [april] = services.invoices_generate(actor=admin, start=date(2026, 4, 1),
                                         end=date(2026, 4, 30))  # fmt: skip
    april = services.invoice_issue(actor=admin, invoice=april, send=False)
    payment = services.payment_record(
        actor=admin, payer=issued.payer, amount="700", received_on=timezone.localdate(),
        method="eft", reference="REF-1",
    )  # fmt: skip
    issued.refresh_from_db()
    april.refresh_from_db()
    assert issued.status == InvoiceStatus.PAID
    assert april.status == InvoiceStatus.ISSUED
    assert services.unallocated(payment) == 0
    services.payment_record(actor=admin, payer=issued.payer, amount="500",
                            received_on=timezone.localdate(), method="cash")  # fmt: skip
    april.refresh_from_db()
    assert april.status == InvoiceStatus.PAID
    [row] = selectors.balances(user=admin)
    assert (row.balance, row.credit) == (Decimal("-300.00"), Decimal("300.00"))


def test_credit_is_used_by_the_next_invoice_issued(admin, verified, priced, issued):
    services.payment_record(actor=admin, payer=issued.payer, amount="900",
                            received_on=timezone.localdate(), method="eft")  # fmt: skip
    verified(date(2026, 4, 1))
    [april] = services.invoices_generate(actor=admin, start=date(2026, 4, 1),
                                         end=date(2026, 4, 30))  # fmt: skip
    april = services.invoice_issue(actor=admin, invoice=april, send=False)
    assert april.status == InvoiceStatus.PAID
    [row] = selectors.balances(user=admin)
    assert row.balance == 0


def test_explicit_allocations_are_checked(admin, issued):
    payer, today = issued.payer, timezone.localdate()
    with pytest.raises(ValidationError):
        services.payment_record(actor=admin, payer=payer, amount="100", received_on=today,
                                method="eft", allocations={issued.pk: "200"})  # fmt: skip
    with pytest.raises(ValidationError):
        services.payment_record(actor=admin, payer=payer, amount="700", received_on=today,
                                method="eft", allocations={issued.pk: "650"})  # fmt: skip
    assert not Payment.objects.exists()
    payment = services.payment_record(actor=admin, payer=payer, amount="100", received_on=today,
                                      method="eft", allocations={})  # fmt: skip
    assert services.unallocated(payment) == Decimal("100.00")
    services.payment_allocate(actor=admin, payment=payment, invoice_id=issued.pk, amount="60")
    assert services.unallocated(payment) == Decimal("40.00")


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"amount": "0"}, "amount"),
        ({"amount": "abc"}, "amount"),
        ({"method": "bitcoin"}, "method"),
        ({"received_on": date(2999, 1, 1)}, "received_on"),
    ],
)
def test_a_bad_payment_is_refused(admin, issued, kwargs, field):
    details = {"amount": "10", "method": "eft", "received_on": timezone.localdate(), **kwargs}
    with pytest.raises(ValidationError) as caught:
        services.payment_record(actor=admin, payer=issued.payer, **details)
    assert field in caught.value.message_dict


def test_voiding_a_paid_invoice_turns_the_payment_into_credit(admin, issued):
    services.payment_record(actor=admin, payer=issued.payer, amount="600",
                            received_on=timezone.localdate(), method="eft")  # fmt: skip
    services.invoice_void(actor=admin, invoice=issued, reason="Duplicate")
    [row] = selectors.balances(user=admin)
    assert (row.invoiced, row.paid, row.credit) == (0, Decimal("600.00"), Decimal("600.00"))


def test_ageing_puts_the_unpaid_part_in_the_right_bucket(admin, issued):
    due = issued.due_date
    for days, bucket in [(0, "current"), (1, "days_30"), (45, "days_60"), (75, "days_90"),
                         (91, "days_over_90")]:  # fmt: skip
        [row] = selectors.balances(user=admin, as_of=due + timedelta(days=days))
        assert getattr(row, bucket) == Decimal("600.00"), bucket
        assert row.overdue == (0 if bucket == "current" else Decimal("600.00"))


def test_revenue_by_each_grouping(admin, verified, priced, sibling, tutor):
    verified(DAY, minutes=90)
    verified(date(2026, 4, 2), students=[sibling])
    period = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    by_month = selectors.revenue(user=admin, by="month", **period)
    assert [(r.label, r.amount) for r in by_month.rows] == [
        ("2026-03", Decimal("450.00")), ("2026-04", Decimal("200.00")),
    ]  # fmt: skip
    assert by_month.total == Decimal("650.00")
    by_student = selectors.revenue(user=admin, by="student", **period)
    assert [(r.label, r.amount) for r in by_student.rows] == [
        ("Palesa Pupil", Decimal("450.00")), ("Sipho Pupil", Decimal("200.00")),
    ]  # fmt: skip
    [row] = selectors.revenue(user=admin, by="tutor", **period).rows
    assert (row.key, row.sessions, row.hours) == (tutor.pk, 2, Decimal("2.50"))


def test_moderators_get_aggregate_revenue_only(moderator, verified, priced, tutor):
    verified(DAY)
    period = {"start": date(2026, 1, 1), "end": date(2026, 12, 31)}
    assert selectors.revenue(user=moderator, by="branch", **period).total == Decimal("300.00")
    for by in ("student", "tutor", "subject"):
        with pytest.raises(PermissionDenied):
            selectors.revenue(user=moderator, by=by, **period)
    with pytest.raises(PermissionDenied):
        selectors.revenue(user=moderator, by="month", tutor=tutor.pk, **period)


@pytest.mark.parametrize(
    "call",
    [
        lambda u: selectors.revenue(user=u, start=DAY, end=DAY),
        lambda u: selectors.balances(user=u),
        lambda u: selectors.tutor_pay(user=u, start=DAY, end=DAY),
        lambda u: selectors.invoice_list(user=u),
        lambda u: selectors.payment_list(user=u),
        lambda u: services.invoices_generate(actor=u, start=DAY, end=DAY),
    ],
)
def test_tutors_have_no_finance_at_all(tutor, call):
    with pytest.raises(PermissionDenied):
        call(tutor)


def test_tutor_pay_report(admin, verified, tutor):
    services.pay_rate_set(actor=admin, tutor=tutor, basis="hour", amount="120",
                          effective_from=DAY)  # fmt: skip
    verified(DAY, minutes=90)
    verified(DAY + timedelta(days=1))
    verified(DAY - timedelta(days=1))  # before the pay rate
    [row] = selectors.tutor_pay(user=admin, start=MARCH[0], end=MARCH[1])
    assert (row.sessions, row.hours, row.amount, row.without_rate) == (
        3, Decimal("3.50"), Decimal("300.00"), 1,
    )  # fmt: skip


def test_every_finance_change_is_audited(admin, issued):
    note = services.credit_note_create(actor=admin, invoice=issued, amount="10", reason="x")
    services.invoice_issue(actor=admin, invoice=note, send=False)
    services.payment_record(actor=admin, payer=issued.payer, amount="5",
                            received_on=timezone.localdate(), method="eft",
                            reference="SECRET-REF")  # fmt: skip
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {
        "finance.rate.set", "finance.invoices.generated", "finance.invoice.issued",
        "finance.credit_note.created", "finance.payment.recorded",
    } <= actions  # fmt: skip
    assert "SECRET-REF" not in str(list(AuditLog.objects.values_list("changes", flat=True)))


def test_payment_references_and_payer_details_are_encrypted_at_rest(admin, issued):
    services.payment_record(actor=admin, payer=issued.payer, amount="5",
                            received_on=timezone.localdate(), method="eft",
                            reference="BANK-REF-778899")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT reference FROM finance_payment")
        [(stored,)] = cursor.fetchall()
        cursor.execute("SELECT name, email FROM finance_payer")
        rows = cursor.fetchall()
    assert "778899" not in stored
    assert Payment.objects.get().reference == "BANK-REF-778899"
    assert all("Guardian" not in name and "@" not in email for name, email in rows)
    assert Payer.objects.get().name == "Grace Guardian"


def test_money_freed_by_a_void_pays_the_payers_other_open_invoice(admin, verified, priced, issued):
    verified(date(2026, 4, 1))
    [april] = services.invoices_generate(actor=admin, start=date(2026, 4, 1),
                                         end=date(2026, 4, 30))  # fmt: skip
    april = services.invoice_issue(actor=admin, invoice=april, send=False)
    services.payment_record(actor=admin, payer=issued.payer, amount="600",
                            received_on=timezone.localdate(), method="eft")  # fmt: skip
    services.invoice_void(actor=admin, invoice=issued, reason="Billed twice")
    april.refresh_from_db()
    assert april.status == InvoiceStatus.PAID
    [row] = selectors.balances(user=admin)
    assert (row.balance, row.credit, row.overdue) == (Decimal("-300.00"), Decimal("300.00"), 0)


def test_generating_looks_up_each_students_payer_once(
    admin, verified, priced, django_assert_max_num_queries
):
    for day in range(1, 4):
        verified(date(2026, 5, day))
    with django_assert_max_num_queries(30) as three:
        services.invoices_generate(actor=admin, start=date(2026, 5, 1), end=date(2026, 5, 3))
    for day in range(4, 14):
        verified(date(2026, 5, day))
    # Ten more sessions of the same student: no extra payer lookups, one bulk line insert.
    with django_assert_max_num_queries(len(three)):
        services.invoices_generate(actor=admin, start=date(2026, 5, 4), end=date(2026, 5, 13))
