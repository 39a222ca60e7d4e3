"""Money reads. Per-student figures, rates, invoices, payments and tutor pay are admin
only (`FINANCE_DETAIL`); moderators get totals per month and per branch
(`REVENUE_AGGREGATE`) and nothing that names a student."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, DecimalField, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce, Greatest, TruncMonth
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.finance.models import (
    Allocation,
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    Payer,
    Payment,
    Rate,
    TutorEarning,
    TutorPayRate,
)
from tracker.finance.pricing import to_cents

ZERO = Decimal(0)
MONEY_SUM = {"output_field": DecimalField(max_digits=14, decimal_places=2)}
AGGREGATE_GROUPS = ("month", "branch")
GROUPS = ("month", "branch", "student", "tutor", "subject")
MAX_PERIOD_DAYS = 3700


def _period(start: date, end: date) -> None:
    if end < start:
        raise ValidationError({"end": [_("The end cannot be before the start.")]})
    if (end - start).days > MAX_PERIOD_DAYS:
        raise ValidationError({"end": [_("Choose a period of at most ten years.")]})


# --- Revenue ---------------------------------------------------------------------------


@dataclass
class RevenueRow:
    key: Any
    label: str
    sessions: int
    hours: Decimal
    amount: Decimal


@dataclass
class Revenue:
    by: str
    start: date
    end: date
    rows: list[RevenueRow] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return sum((row.amount for row in self.rows), ZERO)

    @property
    def sessions(self) -> int:
        return sum(row.sessions for row in self.rows)

    @property
    def hours(self) -> Decimal:
        return sum((row.hours for row in self.rows), ZERO)


def revenue(
    *,
    user: User,
    start: date,
    end: date,
    by: str = "month",
    branch: int | None = None,
    tutor: int | None = None,
    subject: int | None = None,
    student: int | None = None,
) -> Revenue:
    """Income earned by verified sessions in [start, end], grouped. Moderators may group
    by month or branch and filter by branch; everything finer is admin only."""
    if by not in GROUPS:
        raise ValidationError({"by": [_("Group by month, branch, student, tutor or subject.")]})
    if by in AGGREGATE_GROUPS and tutor is None and subject is None and student is None:
        require(user, Cap.REVENUE_AGGREGATE)
    else:
        require(user, Cap.FINANCE_DETAIL)
    _period(start, end)
    charges = Charge.objects.filter(date__range=(start, end))
    for name, value in (("branch_id", branch), ("tutor_id", tutor), ("subject_id", subject),
                        ("student_id", student)):  # fmt: skip
        if value is not None:
            charges = charges.filter(**{name: value})
    key = {
        "month": TruncMonth("date"),
        "branch": "branch_id",
        "student": "student_id",
        "tutor": "tutor_id",
        "subject": "subject_id",
    }[by]
    grouped = (
        charges.annotate(group=key if not isinstance(key, str) else Coalesce(key, Value(0)))
        .values("group")
        .annotate(
            amount=Sum("amount", **MONEY_SUM),
            sessions=Count("session_id", distinct=True),
            minutes=Sum("minutes"),
        )
        .order_by("group")
    )
    rows = [
        RevenueRow(
            key=item["group"],
            label="",
            sessions=item["sessions"],
            hours=(Decimal(item["minutes"] or 0) / 60).quantize(Decimal("0.01")),
            amount=to_cents(item["amount"] or ZERO),
        )
        for item in grouped
    ]
    _label(rows, by)
    if by != "month":
        rows.sort(key=lambda row: (-row.amount, row.label))
    return Revenue(by=by, start=start, end=end, rows=rows)


def _label(rows: list[RevenueRow], by: str) -> None:
    from tracker.org.models import Branch, Subject
    from tracker.students.models import Student

    if by == "month":
        for row in rows:
            month = row.key.date() if hasattr(row.key, "date") else row.key
            row.key = month
            row.label = month.strftime("%Y-%m")
        return
    model = {"branch": Branch, "student": Student, "tutor": User, "subject": Subject}[by]
    ids = [row.key for row in rows if row.key]
    names = {obj.pk: _name(obj) for obj in model.objects.filter(pk__in=ids)}
    none = {"branch": _("No branch"), "subject": _("No subject")}.get(by, "—")
    for row in rows:
        row.label = names.get(row.key, none) if row.key else none


def _name(obj: Any) -> str:
    if isinstance(obj, User):
        return obj.get_full_name() or obj.username
    return getattr(obj, "full_name", None) or getattr(obj, "name", str(obj))


def unpriced_charges(*, user: User) -> QuerySet[Charge]:
    """Verified sessions billed at no rate: a student had none on that day."""
    require(user, Cap.FINANCE_DETAIL)
    return (
        Charge.objects.filter(hourly_rate__isnull=True, line__isnull=True)
        .select_related("student", "session__subject")
        .order_by("date", "id")
    )


# --- Rates -----------------------------------------------------------------------------


def rate_list(*, user: User, student: int | None = None) -> QuerySet[Rate]:
    require(user, Cap.FINANCE_DETAIL)
    rates = Rate.objects.select_related("student", "subject", "tutor").order_by(
        "student__last_name", "student__first_name", "student_id", "-effective_from", "-id"
    )
    return rates.filter(student_id=student) if student else rates


def pay_rate_list(*, user: User) -> QuerySet[TutorPayRate]:
    require(user, Cap.FINANCE_DETAIL)
    return TutorPayRate.objects.select_related("tutor").order_by(
        "tutor__last_name", "tutor__first_name", "tutor_id", "-effective_from", "-id"
    )


# --- Invoices and payers -----------------------------------------------------------------


def invoice_list(
    *,
    user: User,
    status: str | None = None,
    kind: str | None = None,
    payer: int | None = None,
    overdue: bool = False,
) -> QuerySet[Invoice]:
    require(user, Cap.FINANCE_DETAIL)
    invoices = Invoice.objects.select_related("payer", "series").annotate(line_count=Count("lines"))
    if status:
        invoices = invoices.filter(status=status)
    if kind:
        invoices = invoices.filter(kind=kind)
    if payer:
        invoices = invoices.filter(payer_id=payer)
    if overdue:
        invoices = invoices.filter(status=InvoiceStatus.ISSUED, due_date__lt=timezone.localdate())
    return invoices.order_by("-id")


def get_invoice_for_user(*, user: User, invoice_id: int) -> Invoice:
    require(user, Cap.FINANCE_DETAIL)
    invoice = (
        Invoice.objects.select_related("payer", "series", "credited_invoice__series")
        .filter(pk=invoice_id)
        .first()
    )
    if invoice is None:
        raise Http404
    return invoice


def invoice_detail(*, user: User, invoice_id: int) -> dict[str, Any]:
    """The invoice with its lines, payments against it, credit notes and what is owed."""
    from tracker.finance.pricing import outstanding

    invoice = get_invoice_for_user(user=user, invoice_id=invoice_id)
    return {
        "invoice": invoice,
        "lines": list(invoice.lines.select_related("student").order_by("position", "id")),
        "allocations": list(
            invoice.allocations.select_related("payment").order_by("payment__received_on")
        ),
        "credit_notes": list(invoice.credit_notes.select_related("series").order_by("id")),
        "outstanding": outstanding(invoice) if invoice.status != InvoiceStatus.DRAFT else None,
    }


def payer_list(*, user: User) -> QuerySet[Payer]:
    require(user, Cap.FINANCE_DETAIL)
    return Payer.objects.prefetch_related("links__student").order_by("id")


def get_payer_for_user(*, user: User, payer_id: int) -> Payer:
    require(user, Cap.FINANCE_DETAIL)
    payer = Payer.objects.filter(pk=payer_id).first()
    if payer is None:
        raise Http404
    return payer


def payment_list(*, user: User, payer: int | None = None) -> QuerySet[Payment]:
    require(user, Cap.FINANCE_DETAIL)
    payments = Payment.objects.select_related("payer").annotate(
        allocated=Coalesce(Sum("allocations__amount"), Value(ZERO), **MONEY_SUM)
    )
    if payer:
        payments = payments.filter(payer_id=payer)
    return payments.order_by("-received_on", "-id")


def get_payment_for_user(*, user: User, payment_id: int) -> Payment:
    require(user, Cap.FINANCE_DETAIL)
    payment = Payment.objects.select_related("payer").filter(pk=payment_id).first()
    if payment is None:
        raise Http404
    return payment


# --- Balances and ageing ----------------------------------------------------------------

BUCKETS = ("current", "days_30", "days_60", "days_90", "days_over_90")


@dataclass
class Balance:
    payer: Payer
    invoiced: Decimal = ZERO
    paid: Decimal = ZERO
    credit: Decimal = ZERO
    current: Decimal = ZERO
    days_30: Decimal = ZERO
    days_60: Decimal = ZERO
    days_90: Decimal = ZERO
    days_over_90: Decimal = ZERO

    @property
    def balance(self) -> Decimal:
        """Invoices (less credit notes) minus payments: positive is owed, negative is credit."""
        return self.invoiced - self.paid

    @property
    def overdue(self) -> Decimal:
        return self.days_30 + self.days_60 + self.days_90 + self.days_over_90


def _bucket(days_late: int) -> str:
    if days_late <= 0:
        return "current"
    if days_late <= 30:
        return "days_30"
    if days_late <= 60:
        return "days_60"
    if days_late <= 90:
        return "days_90"
    return "days_over_90"


def outstanding_totals(*, user: User, as_of: date) -> tuple[Decimal, Decimal]:
    """What is left to pay on issued invoices (less payments allocated to them and credit
    notes against them), and the part of it past its due date: the same per-invoice sums
    as the balances page, added up in the database. Only unpaid invoices are read:
    `pricing.settle` marks an invoice paid exactly when nothing is left on it.

    Equal to the sums of `balances` (tested), at the cost of one query instead of reading
    every invoice."""
    require(user, Cap.FINANCE_DETAIL)
    allocated = (
        Allocation.objects.filter(invoice=OuterRef("pk"))
        .values("invoice")
        .annotate(total=Sum("amount", **MONEY_SUM))
        .values("total")
    )
    credited = (
        Invoice.objects.filter(
            credited_invoice=OuterRef("pk"),
            kind=InvoiceKind.CREDIT_NOTE,
            status=InvoiceStatus.ISSUED,
        )
        .values("credited_invoice")
        .annotate(total=Sum("total", **MONEY_SUM))
        .values("total")
    )
    zero = Value(ZERO, **MONEY_SUM)
    left = Greatest(
        F("total")
        - Coalesce(Subquery(allocated, **MONEY_SUM), zero)
        + Coalesce(Subquery(credited, **MONEY_SUM), zero),
        zero,
    )
    sums = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
        .annotate(left=left)
        .aggregate(
            outstanding=Sum("left", **MONEY_SUM),
            overdue=Sum("left", filter=Q(due_date__lt=as_of), **MONEY_SUM),
        )
    )
    return to_cents(sums["outstanding"] or ZERO), to_cents(sums["overdue"] or ZERO)


def balances(
    *,
    user: User,
    as_of: date | None = None,
    payer: int | None = None,
    payers: Iterable[int] | None = None,
) -> list[Balance]:
    """Each payer's balance and how old the unpaid part is, from four grouped queries.

    Identity (tested): balance = Σ outstanding per invoice − unallocated payments, and the
    ageing buckets hold the positive outstanding amounts while `credit` holds the rest."""
    require(user, Cap.FINANCE_DETAIL)
    as_of = as_of or timezone.localdate()
    live = Q(status__in=(InvoiceStatus.ISSUED, InvoiceStatus.PAID))
    invoices = Invoice.objects.filter(live)
    payments = Payment.objects.all()
    if payer:
        invoices, payments = invoices.filter(payer_id=payer), payments.filter(payer_id=payer)
    if payers is not None:
        wanted = list(payers)
        invoices = invoices.filter(payer_id__in=wanted)
        payments = payments.filter(payer_id__in=wanted)
    result: dict[int, Balance] = {}

    def row(payer_id: int) -> Balance:
        # Not setdefault: its default would build a Payer and a Balance for every invoice.
        balance = result.get(payer_id)
        if balance is None:
            balance = result[payer_id] = Balance(payer=Payer(pk=payer_id))
        return balance

    for item in invoices.values("payer_id").annotate(total=Sum("total", **MONEY_SUM)):
        row(item["payer_id"]).invoiced = to_cents(item["total"])
    for item in payments.values("payer_id").annotate(total=Sum("amount", **MONEY_SUM)):
        row(item["payer_id"]).paid = to_cents(item["total"])
    allocated = dict(
        Allocation.objects.filter(invoice__in=invoices)
        .values("invoice_id")
        .annotate(total=Sum("amount", **MONEY_SUM))
        .values_list("invoice_id", "total")
    )
    credited = dict(
        invoices.filter(kind=InvoiceKind.CREDIT_NOTE, status=InvoiceStatus.ISSUED)
        .values("credited_invoice_id")
        .annotate(total=Sum("total", **MONEY_SUM))
        .values_list("credited_invoice_id", "total")
    )
    for invoice_id, payer_id, total, due in invoices.filter(kind=InvoiceKind.INVOICE).values_list(
        "id", "payer_id", "total", "due_date"
    ):
        left = to_cents(total - allocated.get(invoice_id, ZERO) + credited.get(invoice_id, ZERO))
        balance = row(payer_id)
        if left > 0:
            bucket = _bucket((as_of - due).days if due else 0)
            setattr(balance, bucket, getattr(balance, bucket) + left)
    for balance in result.values():
        # What was paid and not used, plus invoices paid or credited beyond their total.
        balance.credit = sum((getattr(balance, b) for b in BUCKETS), ZERO) - balance.balance
    names = Payer.objects.in_bulk(list(result))
    for payer_id, balance in result.items():
        balance.payer = names[payer_id]
    return sorted(result.values(), key=lambda b: (-b.balance, b.payer.pk))


def payer_students(payer: Payer) -> list[Any]:
    return [link.student for link in payer.links.select_related("student")]


# --- Tutor pay ------------------------------------------------------------------------------


@dataclass
class PayRow:
    tutor: User
    sessions: int
    hours: Decimal
    amount: Decimal
    without_rate: int


def tutor_pay(*, user: User, start: date, end: date, tutor: int | None = None) -> list[PayRow]:
    """What each tutor is owed for the sessions verified in [start, end]."""
    require(user, Cap.FINANCE_DETAIL)
    _period(start, end)
    earnings = TutorEarning.objects.filter(date__range=(start, end))
    if tutor:
        earnings = earnings.filter(tutor_id=tutor)
    grouped = earnings.values("tutor_id").annotate(
        sessions=Count("id"),
        minutes=Sum("minutes"),
        amount=Sum("amount", **MONEY_SUM),
        without_rate=Count("id", filter=Q(rate__isnull=True)),
    )
    tutors = User.objects.in_bulk([item["tutor_id"] for item in grouped])
    rows = [
        PayRow(
            tutor=tutors[item["tutor_id"]],
            sessions=item["sessions"],
            hours=(Decimal(item["minutes"] or 0) / 60).quantize(Decimal("0.01")),
            amount=to_cents(item["amount"] or ZERO),
            without_rate=item["without_rate"],
        )
        for item in grouped
    ]
    return sorted(rows, key=lambda r: (r.tutor.last_name, r.tutor.first_name, r.tutor.pk))


def tutor_pay_lines(
    *, user: User, start: date, end: date, tutor: int | None = None
) -> QuerySet[TutorEarning]:
    require(user, Cap.FINANCE_DETAIL)
    _period(start, end)
    lines = TutorEarning.objects.filter(date__range=(start, end)).select_related(
        "tutor", "session__subject"
    )
    if tutor:
        lines = lines.filter(tutor_id=tutor)
    return lines.order_by("tutor_id", "date", "id")
