"""Money writes: rates, payers, invoices (draft → issued → paid, or void) and payments.

Every function is admin-only (`Cap.FINANCE_DETAIL`), runs in one transaction and leaves an
audit entry. Issued documents are frozen: they change only by voiding or a credit note.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, require
from tracker.audit.services import record
from tracker.core import cache as versions
from tracker.core.errors import Conflict
from tracker.finance import pricing
from tracker.finance.models import (
    Allocation,
    Charge,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    NumberSeries,
    PayBasis,
    Payer,
    PayerStudent,
    Payment,
    PaymentMethod,
    Rate,
    TutorPayRate,
)
from tracker.finance.pricing import outstanding, recompute_total, settle, to_cents
from tracker.messaging.models import NotificationKind
from tracker.messaging.notify import admins, notify
from tracker.org.models import Subject
from tracker.students.models import Student

SERIES_PREFIX = {InvoiceKind.INVOICE: "INV", InvoiceKind.CREDIT_NOTE: "CN"}
MAX_AMOUNT = Decimal("9999999999.99")


def _money(value, field: str, *, allow_zero: bool = True) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (ArithmeticError, ValueError, TypeError):
        raise ValidationError({field: [_("Enter an amount such as 350.00.")]}) from None
    if not amount.is_finite() or amount != to_cents(amount):
        raise ValidationError({field: [_("Enter an amount in whole cents, such as 350.00.")]})
    if amount < 0 or (amount == 0 and not allow_zero) or amount > MAX_AMOUNT:
        message = _("Enter zero or more.") if allow_zero else _("Enter an amount above zero.")
        raise ValidationError({field: [message]})
    return amount


# --- Rates -----------------------------------------------------------------------------


@transaction.atomic
def rate_set(
    *,
    actor: User,
    student: Student,
    hourly_rate: Decimal | str,
    effective_from: date,
    subject: Subject | None = None,
    tutor: User | None = None,
) -> Rate:
    """A new rate from a date on. Past verified sessions keep their price; sessions that
    waited for a rate are priced now."""
    require(actor, Cap.FINANCE_DETAIL)
    amount = _money(hourly_rate, "hourly_rate")
    if tutor is not None and tutor.role != Role.TUTOR:
        raise ValidationError({"tutor": [_("Choose a tutor.")]})
    rate, created = Rate.objects.update_or_create(
        student=student,
        subject=subject,
        tutor=tutor,
        effective_from=effective_from,
        defaults={"hourly_rate": amount, "currency": settings.CURRENCY, "created_by": actor},
    )
    repriced = pricing.reprice_unpriced(student_id=student.pk)
    record(
        "finance.rate.set",
        actor=actor,
        target=student,
        changes={
            "hourly_rate": str(amount),
            "effective_from": effective_from.isoformat(),
            "subject": subject.pk if subject else None,
            "tutor": tutor.pk if tutor else None,
            "replaced": not created,
            "repriced_sessions": repriced,
        },
    )
    return rate


@transaction.atomic
def rate_remove(*, actor: User, rate_id: int) -> None:
    require(actor, Cap.FINANCE_DETAIL)
    rate = Rate.objects.filter(pk=rate_id).first()
    if rate is None:
        raise Http404
    record(
        "finance.rate.removed",
        actor=actor,
        target=rate.student,
        changes={"hourly_rate": str(rate.hourly_rate), "effective_from": str(rate.effective_from)},
    )
    rate.delete()


@transaction.atomic
def pay_rate_set(
    *, actor: User, tutor: User, basis: str, amount: Decimal | str, effective_from: date
) -> TutorPayRate:
    require(actor, Cap.FINANCE_DETAIL)
    if tutor.role != Role.TUTOR:
        raise ValidationError({"tutor": [_("Choose a tutor.")]})
    if basis not in PayBasis.values:
        raise ValidationError({"basis": [_("Choose per hour or per session.")]})
    value = _money(amount, "amount")
    pay, _created = TutorPayRate.objects.update_or_create(
        tutor=tutor,
        effective_from=effective_from,
        defaults={"basis": basis, "amount": value, "currency": settings.CURRENCY,
                  "created_by": actor},
    )  # fmt: skip
    record(
        "finance.pay_rate.set",
        actor=actor,
        target=tutor,
        changes={"basis": basis, "amount": str(value), "effective_from": str(effective_from)},
    )
    return pay


# --- Payers ----------------------------------------------------------------------------


def _payer_from_student(student: Student) -> Payer:
    return Payer.objects.create(
        name=student.guardian_name or student.full_name,
        email=student.guardian_email or student.email,
        address=student.address,
    )


def payer_for(student: Student) -> Payer:
    """The student's payer; a student nobody pays for yet is billed to their guardian
    (or to themselves when no guardian is recorded)."""
    link = PayerStudent.objects.filter(student=student).select_related("payer").first()
    if link is not None:
        return link.payer
    payer = _payer_from_student(student)
    PayerStudent.objects.create(payer=payer, student=student)
    return payer


@transaction.atomic
def payer_save(
    *,
    actor: User,
    name: str,
    email: str = "",
    address: str = "",
    students: Iterable[Student] = (),
    payer: Payer | None = None,
) -> Payer:
    """Create or edit a payer; the students given are billed to them from now on."""
    require(actor, Cap.FINANCE_DETAIL)
    name = name.strip()
    if not name:
        raise ValidationError({"name": [_("Enter the payer's name.")]})
    created = payer is None
    payer = payer or Payer()
    payer.name, payer.email, payer.address = name, email.strip(), address.strip()
    payer.save()
    moved = []
    for student in students:
        PayerStudent.objects.update_or_create(student=student, defaults={"payer": payer})
        moved.append(student.pk)
    record(
        "finance.payer.created" if created else "finance.payer.updated",
        actor=actor,
        target=payer,
        # Which fields were given, not their values: a payer's details are personal data.
        changes={"fields": ["name", "email", "address"], "students": moved},
    )
    return payer


# --- Invoices: drafts ----------------------------------------------------------------------


def _session_line(charge: Charge, position: int) -> InvoiceLine:
    session = charge.session
    what = session.subject.name if session.subject else _("Tutoring")
    text = _("%(what)s with %(tutor)s, %(minutes)s min") % {
        "what": what,
        "tutor": session.tutor.get_full_name() or session.tutor.username,
        "minutes": charge.minutes,
    }
    if charge.kind != "session":
        text += f" ({charge.get_kind_display().lower()}, {pricing.percent(charge.share_percent)}%)"
    hours = Decimal(charge.minutes) / 60
    return InvoiceLine(
        kind=LineKind.SESSION,
        charge=charge,
        student=charge.student,
        date=charge.date,
        description=f"{charge.student.full_name}: {text}"[:300],
        quantity=to_cents(hours),
        unit_price=charge.hourly_rate,
        amount=charge.amount,
        position=position,
    )


@transaction.atomic
def invoices_generate(
    *,
    actor: User,
    start: date,
    end: date,
    per: str = "payer",
    students: Iterable[int] | None = None,
) -> list[Invoice]:
    """Draft invoices for the verified, priced sessions of a period not yet on an invoice:
    one per payer (a guardian paying for several students), or one per student."""
    require(actor, Cap.FINANCE_DETAIL)
    if end < start:
        raise ValidationError({"end": [_("The end cannot be before the start.")]})
    if per not in ("payer", "student"):
        raise ValidationError({"per": [_("Choose per payer or per student.")]})
    charges = (
        Charge.objects.select_for_update(of=("self",))
        .filter(date__range=(start, end), line__isnull=True, hourly_rate__isnull=False)
        .select_related("session__subject", "session__tutor", "student")
        .order_by("student_id", "date", "id")
    )
    if students is not None:
        charges = charges.filter(student_id__in=list(students))
    groups: dict[tuple[int, int | None], list[Charge]] = defaultdict(list)
    payers: dict[int, int] = {}  # student → payer: one lookup per student, not per session
    for charge in charges:
        if charge.student_id not in payers:
            payers[charge.student_id] = payer_for(charge.student).pk
        groups[(payers[charge.student_id], charge.student_id if per == "student" else None)].append(
            charge
        )
    invoices = []
    try:
        with transaction.atomic():
            for (payer_id, _student), group in groups.items():
                invoice = Invoice.objects.create(
                    payer_id=payer_id, period_start=start, period_end=end,
                    currency=settings.CURRENCY, created_by=actor,
                )  # fmt: skip
                InvoiceLine.objects.bulk_create(
                    [_invoice_line(invoice, _session_line(c, i)) for i, c in enumerate(group)]
                )
                recompute_total(invoice)
                invoices.append(invoice)
    except IntegrityError:
        raise Conflict(
            _("Another invoice run took some of these sessions at the same time. Try again.")
        ) from None
    record(
        "finance.invoices.generated",
        actor=actor,
        changes={
            "start": start.isoformat(), "end": end.isoformat(), "per": per,
            "invoices": [i.pk for i in invoices], "sessions": sum(map(len, groups.values())),
        },
    )  # fmt: skip
    return invoices


def _invoice_line(invoice: Invoice, line: InvoiceLine) -> InvoiceLine:
    line.invoice = invoice
    return line


def _draft(invoice: Invoice) -> Invoice:
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(_("Invoice %(number)s is issued; it can no longer be edited.")
                       % {"number": invoice})  # fmt: skip
    return invoice


def _next_position(invoice: Invoice) -> int:
    last = invoice.lines.order_by("-position").values_list("position", flat=True).first()
    return (last or 0) + 1


@transaction.atomic
def line_add(
    *,
    actor: User,
    invoice: Invoice,
    description: str,
    unit_price: Decimal | str,
    quantity: Decimal | str = Decimal(1),
) -> InvoiceLine:
    """A line that is not a session (materials, a registration fee)."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = _draft(invoice)
    description = description.strip()
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = [_("Say what the line is for.")]
    try:
        qty = Decimal(str(quantity))
        if not qty.is_finite() or qty <= 0 or qty != qty.quantize(Decimal("0.01")) or qty > 9999:
            raise ValueError
    except (ArithmeticError, ValueError):
        errors["quantity"] = [_("Enter a quantity greater than zero, such as 1 or 1.5.")]
    try:
        price = _money(unit_price, "unit_price")
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    line = InvoiceLine.objects.create(
        invoice=invoice, kind=LineKind.ITEM, description=description[:300], quantity=qty,
        unit_price=price, amount=to_cents(qty * price), position=_next_position(invoice),
    )  # fmt: skip
    recompute_total(invoice)
    record(
        "finance.invoice.line_added",
        actor=actor,
        target=invoice,
        changes={"description": description, "amount": str(line.amount)},
    )
    return line


@transaction.atomic
def discount_add(
    *,
    actor: User,
    invoice: Invoice,
    description: str = "",
    amount: Decimal | str | None = None,
    percent: Decimal | str | None = None,
) -> InvoiceLine:
    """A discount as a negative line: a fixed amount, or a percentage of the lines so far."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = _draft(invoice)
    if (amount in (None, "")) == (percent in (None, "")):
        raise ValidationError({"amount": [_("Give either an amount or a percentage.")]})
    if percent not in (None, ""):
        try:
            share = Decimal(str(percent))
            if not share.is_finite() or not 0 < share <= 100:
                raise ValueError
        except (ArithmeticError, ValueError):
            raise ValidationError({"percent": [_("Enter a percentage from 0 to 100.")]}) from None
        value = to_cents(invoice.total * share / 100)
        text = description.strip() or _("Discount %(percent)s%%") % {
            "percent": pricing.percent(share)
        }
    else:
        value = _money(amount, "amount", allow_zero=False)
        text = description.strip() or _("Discount")
    if value <= 0 or value > invoice.total:
        raise ValidationError(
            {"amount": [_("A discount cannot be more than the invoice's total.")]}
        )
    line = InvoiceLine.objects.create(
        invoice=invoice, kind=LineKind.DISCOUNT, description=text[:300], quantity=Decimal(1),
        unit_price=-value, amount=-value, position=_next_position(invoice),
    )  # fmt: skip
    recompute_total(invoice)
    record(
        "finance.invoice.discount_added",
        actor=actor,
        target=invoice,
        changes={"description": text, "amount": str(-value)},
    )
    return line


@transaction.atomic
def line_remove(*, actor: User, invoice: Invoice, line_id: int) -> None:
    """Take a line off a draft; a session line's session goes back to "not invoiced"."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = _draft(invoice)
    line = invoice.lines.filter(pk=line_id).first()
    if line is None:
        raise Http404
    if invoice.total - line.amount < 0:
        raise ValidationError({"line": [_("Remove the discount first.")]})
    record(
        "finance.invoice.line_removed",
        actor=actor,
        target=invoice,
        changes={"description": line.description, "amount": str(line.amount)},
    )
    line.delete()
    recompute_total(invoice)


@transaction.atomic
def invoice_delete(*, actor: User, invoice: Invoice) -> None:
    """Only a draft can be deleted; its sessions can be invoiced again."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.status != InvoiceStatus.DRAFT:
        raise Conflict(_("An issued invoice cannot be deleted; void it with a reason instead."))
    record(
        "finance.invoice.deleted",
        actor=actor,
        target=invoice,
        changes={"payer": invoice.payer_id, "total": str(invoice.total)},
    )
    invoice.delete()


@transaction.atomic
def credit_note_create(
    *, actor: User, invoice: Invoice, amount: Decimal | str, reason: str
) -> Invoice:
    """A draft credit note against an issued invoice: a refund or a correction that leaves
    the issued invoice as it was sent."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    if invoice.kind != InvoiceKind.INVOICE or invoice.status not in (
        InvoiceStatus.ISSUED, InvoiceStatus.PAID,
    ):  # fmt: skip
        raise Conflict(_("Only an issued invoice can be credited."))
    reason = reason.strip()
    errors: dict[str, list[str]] = {}
    if not reason:
        errors["reason"] = [_("Say why the payer is credited.")]
    try:
        value = _money(amount, "amount", allow_zero=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    else:
        already = -sum(
            invoice.credit_notes.exclude(status=InvoiceStatus.VOID).values_list("total", flat=True),
            Decimal(0),
        )
        if value > invoice.total - already:
            errors["amount"] = [
                _("At most %(left)s can still be credited on this invoice.")
                % {"left": invoice.total - already}
            ]
    if errors:
        raise ValidationError(errors)
    note = Invoice.objects.create(
        kind=InvoiceKind.CREDIT_NOTE, payer=invoice.payer, credited_invoice=invoice,
        currency=invoice.currency, created_by=actor,
    )  # fmt: skip
    InvoiceLine.objects.create(
        invoice=note, kind=LineKind.CREDIT, quantity=Decimal(1), unit_price=-value,
        amount=-value, description=(_("Credit on %(number)s: %(reason)s")
                                    % {"number": invoice, "reason": reason})[:300],
    )  # fmt: skip
    recompute_total(note)
    record(
        "finance.credit_note.created",
        actor=actor,
        target=note,
        changes={"invoice": invoice.pk, "amount": str(-value), "reason": reason},
    )
    return note


# --- Invoices: issuing and voiding -----------------------------------------------------


def _take_number(kind: str) -> tuple[NumberSeries, int]:
    series, _created = NumberSeries.objects.get_or_create(prefix=SERIES_PREFIX[kind])
    series = NumberSeries.objects.select_for_update().get(pk=series.pk)
    number = series.next_number
    NumberSeries.objects.filter(pk=series.pk).update(next_number=F("next_number") + 1)
    return series, number


@transaction.atomic
def invoice_issue(*, actor: User, invoice: Invoice, send: bool = True) -> Invoice:
    """Number the draft (gap-free, in the issuing transaction), freeze it, use any credit
    the payer holds, and e-mail the PDF once the transaction has committed."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = _draft(invoice)
    if not invoice.lines.exists():
        raise ValidationError({"lines": [_("Add at least one line before issuing.")]})
    credited = None
    if invoice.kind == InvoiceKind.CREDIT_NOTE:
        credited = Invoice.objects.select_for_update().get(pk=invoice.credited_invoice_id)
        if credited.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
            raise Conflict(_("The credited invoice is void; this credit note cannot be issued."))
    recompute_total(invoice)
    invoice.series, invoice.number = _take_number(invoice.kind)
    payer = invoice.payer
    invoice.payer_name, invoice.payer_email, invoice.payer_address = (
        payer.name, payer.email, payer.address,
    )  # fmt: skip
    today = timezone.localdate()
    invoice.issue_date = today
    if invoice.kind == InvoiceKind.INVOICE:
        invoice.due_date = today + timedelta(days=settings.INVOICE_PAYMENT_DAYS)
    invoice.status = InvoiceStatus.ISSUED
    invoice.issued_at, invoice.issued_by = timezone.now(), actor
    invoice.save()
    if invoice.kind == InvoiceKind.INVOICE:
        _apply_credit(invoice)
        settle(invoice)
    else:
        settle(credited)
    record(
        "finance.invoice.issued",
        actor=actor,
        target=invoice,
        changes={"number": str(invoice), "total": str(invoice.total), "payer": payer.pk},
    )
    if send and invoice.payer_email:
        transaction.on_commit(lambda: _email(invoice.pk))
    notify(
        set(admins()) - {actor.pk},
        kind=NotificationKind.INVOICE_ISSUED,
        title=_("%(number)s issued: %(total)s %(currency)s")
        % {"number": invoice, "total": invoice.total, "currency": invoice.currency},
        url=reverse("finance:invoice", args=[invoice.pk]),
    )
    return invoice


def _email(invoice_id: int) -> None:
    from tracker.finance.documents import invoice_email

    invoice_email(Invoice.objects.get(pk=invoice_id)).send()


@transaction.atomic
def invoice_void(*, actor: User, invoice: Invoice, reason: str) -> Invoice:
    """Cancel an issued document. It keeps its number; payments set against it become the
    payer's credit and its sessions can be invoiced again."""
    require(actor, Cap.FINANCE_DETAIL)
    invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
    reason = reason.strip()
    if invoice.status == InvoiceStatus.DRAFT:
        raise Conflict(_("A draft has no number to keep; delete it instead."))
    if invoice.status == InvoiceStatus.VOID:
        raise Conflict(_("This invoice is already void."))
    if not reason:
        raise ValidationError({"reason": [_("Say why the invoice is void.")]})
    if invoice.credit_notes.filter(status=InvoiceStatus.ISSUED).exists():
        raise Conflict(_("Void the credit notes issued against this invoice first."))
    released = list(invoice.allocations.values_list("payment_id", "amount"))
    invoice.allocations.all().delete()
    invoice.lines.update(charge=None)
    invoice.status, invoice.void_reason = InvoiceStatus.VOID, reason
    invoice.voided_at, invoice.voided_by = timezone.now(), actor
    invoice.save()
    versions.bump([versions.MONEY])
    if invoice.credited_invoice_id:
        settle(Invoice.objects.select_for_update().get(pk=invoice.credited_invoice_id))
    # The money released is credit; it pays the payer's other open invoices at once.
    for other in _open_invoices(invoice.payer):
        _apply_credit(other)
    record(
        "finance.invoice.voided",
        actor=actor,
        target=invoice,
        changes={
            "number": str(invoice), "reason": reason,
            "released_payments": [[p, str(a)] for p, a in released],
        },
    )  # fmt: skip
    return invoice


# --- Payments --------------------------------------------------------------------------


def unallocated(payment: Payment) -> Decimal:
    return payment.amount - sum(payment.allocations.values_list("amount", flat=True), Decimal(0))


def _open_invoices(payer: Payer) -> list[Invoice]:
    return list(
        Invoice.objects.select_for_update()
        .filter(payer=payer, kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
        .order_by("due_date", "number", "id")
    )


def _allocate(payment: Payment, invoice: Invoice, amount: Decimal) -> None:
    allocation, created = Allocation.objects.get_or_create(
        payment=payment, invoice=invoice, defaults={"amount": amount}
    )
    if not created:
        allocation.amount += amount
        allocation.save(update_fields=["amount"])
    settle(invoice)


def _apply_credit(invoice: Invoice) -> None:
    """Money the payer paid beyond their invoices goes to the new invoice, oldest first."""
    payments = (
        Payment.objects.select_for_update()
        .filter(payer=invoice.payer)
        .order_by("received_on", "id")
    )
    for payment in payments:
        due = outstanding(invoice)
        if due <= 0:
            return
        free = unallocated(payment)
        if free > 0:
            _allocate(payment, invoice, min(free, due))


@transaction.atomic
def payment_record(
    *,
    actor: User,
    payer: Payer,
    amount: Decimal | str,
    received_on: date,
    method: str,
    reference: str = "",
    note: str = "",
    allocations: dict[int, Decimal | str] | None = None,
) -> Payment:
    """Record money received. Without explicit allocations it pays the payer's oldest open
    invoices first; whatever is left over is the payer's credit."""
    require(actor, Cap.FINANCE_DETAIL)
    errors: dict[str, list[str]] = {}
    try:
        value = _money(amount, "amount", allow_zero=False)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if method not in PaymentMethod.values:
        errors["method"] = [_("Choose how the money was paid.")]
    if received_on > timezone.localdate():
        errors["received_on"] = [_("A payment cannot be received in the future.")]
    if errors:
        raise ValidationError(errors)
    payment = Payment.objects.create(
        payer=payer, amount=value, currency=settings.CURRENCY, received_on=received_on,
        method=method, reference=reference.strip(), note=note.strip()[:300], recorded_by=actor,
    )  # fmt: skip
    if allocations is None:
        for invoice in _open_invoices(payer):
            free = unallocated(payment)
            if free <= 0:
                break
            due = outstanding(invoice)
            if due > 0:
                _allocate(payment, invoice, min(free, due))
    else:
        for invoice_id, part in allocations.items():
            _allocate_checked(payment, invoice_id, part)
    record(
        "finance.payment.recorded",
        actor=actor,
        target=payment,
        changes={
            "payer": payer.pk, "amount": str(value), "method": method,
            "received_on": received_on.isoformat(),
            "allocations": {str(a.invoice_id): str(a.amount) for a in payment.allocations.all()},
        },
    )  # fmt: skip
    return payment


def _allocate_checked(payment: Payment, invoice_id: int, part: Decimal | str) -> None:
    value = _money(part, "allocations", allow_zero=False)
    invoice = (
        Invoice.objects.select_for_update()
        .filter(pk=invoice_id, payer_id=payment.payer_id, kind=InvoiceKind.INVOICE)
        .first()
    )
    if invoice is None or invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        raise ValidationError(
            {"allocations": [_("Allocate only to this payer's issued invoices.")]}
        )
    if value > outstanding(invoice):
        raise ValidationError(
            {"allocations": [_("%(number)s has only %(due)s outstanding.")
                             % {"number": invoice, "due": outstanding(invoice)}]}
        )  # fmt: skip
    if value > unallocated(payment):
        raise ValidationError({"allocations": [_("That is more than the payment has left.")]})
    _allocate(payment, invoice, value)


@transaction.atomic
def payment_allocate(
    *, actor: User, payment: Payment, invoice_id: int, amount: Decimal | str
) -> Payment:
    """Set part of a payment's unallocated credit against one invoice."""
    require(actor, Cap.FINANCE_DETAIL)
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    _allocate_checked(payment, invoice_id, amount)
    record(
        "finance.payment.allocated",
        actor=actor,
        target=payment,
        changes={"invoice": invoice_id, "amount": str(amount)},
    )
    return payment
