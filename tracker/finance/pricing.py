"""Fixing the price of a session when it is verified, and undoing it when it is reopened.

Called by attendance inside its own transaction; the rules (which rate applies, what a
late cancellation or a no-show costs) live here, next to the money they make.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Count, F, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.attendance.models import Presence
from tracker.core import cache as versions
from tracker.core.errors import Conflict
from tracker.finance.models import (
    CENT,
    Charge,
    ChargeKind,
    IncomeDay,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    PayBasis,
    Rate,
    TutorEarning,
    TutorPayRate,
)
from tracker.scheduling.models import Session, SessionStatus

HUNDRED = Decimal(100)
SIXTY = Decimal(60)


def to_cents(value: Decimal) -> Decimal:
    """Round half up to the cent: the one rounding rule for every amount."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def price(hourly_rate: Decimal, minutes: int, share_percent: Decimal) -> Decimal:
    # Multiply first and divide once: dividing by 60 before applying the share can leave
    # an exact half cent as ...4999 (50.00/h, 25 min, 33% is 6.875, not 6.87).
    return to_cents(hourly_rate * Decimal(minutes) * share_percent / (SIXTY * HUNDRED))


def rate_for(*, student, day: date, subject_id: int | None, tutor_id: int | None):
    """The most specific rate in force on `day`: tutor and subject, then tutor, then
    subject, then the student's default; the newest effective date wins within a level.
    Falls back to the student's default rate field when no dated rate exists."""
    candidates = (
        Rate.objects.filter(student=student, effective_from__lte=day)
        .filter(Q(subject__isnull=True) | Q(subject_id=subject_id))
        .filter(Q(tutor__isnull=True) | Q(tutor_id=tutor_id))
        .order_by("-effective_from", "-id")
    )

    def specificity(rate: Rate) -> int:
        return (rate.tutor_id is not None) * 2 + (rate.subject_id is not None)

    # max() keeps the first of equals, and the candidates come newest first.
    best = max(candidates, key=specificity, default=None)
    if best is not None:
        return best.hourly_rate
    return student.default_rate


def pay_rate_for(*, tutor_id: int, day: date) -> TutorPayRate | None:
    return (
        TutorPayRate.objects.filter(tutor_id=tutor_id, effective_from__lte=day)
        .order_by("-effective_from", "-id")
        .first()
    )


def _minutes(session: Session) -> int:
    return int((session.end - session.start).total_seconds() // 60)


def _local_day(session: Session) -> date:
    return timezone.localdate(session.start)


def price_verified(session: Session) -> None:
    """Record what each student owes and what the tutor earns for a verified session."""
    day, minutes = _local_day(session), _minutes(session)
    late_share = Decimal(settings.LATE_CANCELLATION_SHARE)
    charges: list[Charge] = []
    tutor_share = HUNDRED
    if session.status == SessionStatus.COMPLETED:
        presence = dict(session.attendance.values_list("student_id", "presence"))
        for seat in session.seats.select_related("student"):
            absent = presence.get(seat.student_id) == Presence.ABSENT
            kind = ChargeKind.NO_SHOW if absent else ChargeKind.SESSION
            share = Decimal(settings.NO_SHOW_SHARE) if absent else HUNDRED
            charges.append(_charge(session, seat.student, kind, share, day, minutes))
    elif session.billable:
        # Only a late cancellation by the student leaves a cancelled session billable.
        tutor_share = late_share
        for seat in session.seats.select_related("student"):
            charges.append(
                _charge(session, seat.student, ChargeKind.LATE_CANCELLATION, late_share, day,
                        minutes)
            )  # fmt: skip
    else:
        return
    if session.billable:
        made = Charge.objects.bulk_create([c for c in charges if c.share_percent > 0])
        count_income((c.date, c.amount, c.minutes, 1) for c in made)
        session.price = sum((c.amount for c in charges), Decimal(0))
        session.currency = settings.CURRENCY
        session.save(update_fields=["price", "currency"])
    pay = pay_rate_for(tutor_id=session.tutor_id, day=day)
    amount = Decimal(0)
    if pay is not None:
        base = pay.amount if pay.basis == PayBasis.SESSION else pay.amount * minutes / SIXTY
        amount = to_cents(Decimal(base) * tutor_share / HUNDRED)
    TutorEarning.objects.create(
        session=session,
        tutor_id=session.tutor_id,
        date=day,
        minutes=minutes,
        basis=pay.basis if pay else "",
        rate=pay.amount if pay else None,
        share_percent=tutor_share,
        amount=amount,
        currency=settings.CURRENCY,
    )


def _charge(session, student, kind, share, day, minutes) -> Charge:
    hourly = rate_for(student=student, day=day, subject_id=session.subject_id,
                      tutor_id=session.tutor_id)  # fmt: skip
    return Charge(
        session=session,
        student=student,
        tutor_id=session.tutor_id,
        branch_id=student.branch_id,
        subject_id=session.subject_id,
        date=day,
        minutes=minutes,
        kind=kind,
        share_percent=share,
        hourly_rate=hourly,
        amount=price(hourly, minutes, share) if hourly is not None else Decimal(0),
        currency=settings.CURRENCY,
    )


def withdraw(session: Session) -> None:
    """A verified session is reopened for correction: take back its prices. A draft invoice
    loses the session's lines; an issued one must be credited or voided first."""
    charges = list(Charge.objects.filter(session=session).select_related("line__invoice"))
    for charge in charges:
        line = getattr(charge, "line", None)
        if line is not None and line.invoice.status != InvoiceStatus.DRAFT:
            raise Conflict(
                _("This session is billed on invoice %(number)s. Void it or issue a credit "
                  "note before correcting the session.") % {"number": line.invoice}
            )  # fmt: skip
    drafts = {c.line.invoice for c in charges if getattr(c, "line", None) is not None}
    InvoiceLine.objects.filter(charge__in=charges).delete()
    for invoice in drafts:
        recompute_total(invoice)
    count_income((c.date, -c.amount, -c.minutes, -1) for c in charges)
    Charge.objects.filter(session=session).delete()
    TutorEarning.objects.filter(session=session).delete()
    if session.price is not None:
        session.price = None
        session.save(update_fields=["price"])


def recompute_total(invoice: Invoice) -> None:
    """The invoice's total is the sum of its lines, always (each line is already in cents)."""
    total = sum(invoice.lines.values_list("amount", flat=True), Decimal(0))
    invoice.total = to_cents(total)
    invoice.save(update_fields=["total"])
    versions.bump([versions.MONEY])


def reprice_unpriced(*, student_id: int) -> int:
    """Price the student's charges that waited for a rate (none applied on their day)."""
    updated, sessions = 0, set()
    pending = Charge.objects.filter(student_id=student_id, hourly_rate__isnull=True)
    for charge in pending.select_related("student").filter(line__isnull=True):
        hourly = rate_for(student=charge.student, day=charge.date,
                          subject_id=charge.subject_id, tutor_id=charge.tutor_id)  # fmt: skip
        if hourly is None:
            continue
        before = charge.amount
        charge.hourly_rate = hourly
        charge.amount = price(hourly, charge.minutes, charge.share_percent)
        charge.save(update_fields=["hourly_rate", "amount"])
        count_income([(charge.date, charge.amount - before, 0, 0)])
        updated += 1
        sessions.add(charge.session_id)
    for session in Session.objects.filter(pk__in=sessions):
        session.price = sum(session.charges.values_list("amount", flat=True), Decimal(0))
        session.save(update_fields=["price"])
    return updated


def outstanding(invoice: Invoice) -> Decimal:
    """What is still owed on an issued invoice: its total less payments set against it
    and less its issued credit notes. Negative means it was overpaid or over-credited."""
    allocated = sum(invoice.allocations.values_list("amount", flat=True), Decimal(0))
    credited = sum(
        invoice.credit_notes.filter(status=InvoiceStatus.ISSUED).values_list("total", flat=True),
        Decimal(0),
    )
    return invoice.total - allocated + credited


def settle(invoice: Invoice) -> None:
    """An issued invoice with nothing outstanding is paid, and the other way round."""
    # Called after every payment set against an invoice: what is owed has changed.
    versions.bump([versions.MONEY])
    if invoice.status not in (InvoiceStatus.ISSUED, InvoiceStatus.PAID):
        return
    status = InvoiceStatus.PAID if outstanding(invoice) <= 0 else InvoiceStatus.ISSUED
    if status != invoice.status:
        invoice.status = status
        invoice.save(update_fields=["status"])


def percent(value: Decimal) -> str:
    """50.00 → "50", 12.50 → "12.5" (never "5E+1")."""
    return format(value.normalize(), "f")


def count_income(changes: Iterable[tuple[date, Decimal, int, int]]) -> None:
    """Add (day, amount, minutes, charges) changes to the days' totals. The UPDATE adds to
    the row under its lock, so two verifications of the same day both count, whichever
    commits first."""
    totals: dict[date, list] = defaultdict(lambda: [Decimal(0), 0, 0])
    for day, amount, minutes, count in changes:
        total = totals[day]
        total[0] += amount
        total[1] += minutes
        total[2] += count
    if not totals:
        return
    versions.bump([versions.MONEY])
    IncomeDay.objects.bulk_create([IncomeDay(date=day) for day in totals], ignore_conflicts=True)
    for day, (amount, minutes, count) in totals.items():
        IncomeDay.objects.filter(date=day).update(
            amount=F("amount") + amount,
            minutes=F("minutes") + minutes,
            charges=F("charges") + count,
        )


def rebuild_income_days() -> int:
    """Recount every day's income from the charges (after a bulk load, or to repair)."""
    versions.bump([versions.MONEY])
    IncomeDay.objects.all().delete()
    days = IncomeDay.objects.bulk_create(
        IncomeDay(date=row["date"], amount=row["amount"], minutes=row["minutes"],
                  charges=row["charges"])
        for row in Charge.objects.values("date").annotate(
            amount=Sum("amount"), minutes=Sum("minutes"), charges=Count("id")
        ).order_by("date")
    )  # fmt: skip
    return len(days)
