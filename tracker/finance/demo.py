"""Demo money: rates and pay rates, three months of logged and verified sessions, monthly
invoices, and payments that leave some payers paid up, some in arrears and one in credit.

Runs after the scheduling demo, whose weekly series start two weeks ago. For the months
before that, about half the students (the "established" ones, siblings included) get
one-off sessions in their weekly slot every other week; the others joined this term.
Everything is kept small because `seed_demo` runs on every fresh `make run`: logging and
verifying one session through the real services costs about 20 ms.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.conf import settings
from django.utils import timezone

from tracker.accounts.models import Role, User
from tracker.attendance.models import CancelledBy, Outcome, Presence
from tracker.attendance.services import logs_verify, session_log
from tracker.finance import services
from tracker.finance.models import (
    Invoice,
    InvoiceKind,
    InvoiceStatus,
    PayBasis,
    Payer,
    PaymentMethod,
    Rate,
)
from tracker.finance.pricing import outstanding
from tracker.scheduling.models import Series, Session, SessionStudent
from tracker.students.models import Student

MONTHS = 3
# (username, basis, amount): what each demo tutor is paid.
PAY = [
    ("tutor", PayBasis.HOUR, "200.00"),
    ("tutor2", PayBasis.SESSION, "220.00"),
    ("tutor3", PayBasis.HOUR, "180.00"),
    ("tutor4", PayBasis.SESSION, "190.00"),
    ("tutor5", PayBasis.HOUR, "210.00"),
]


def seed(*, actor: User, students: list[Student]) -> dict[str, int]:
    if Rate.objects.exists() or Invoice.objects.exists():
        return _summary()
    rng = random.Random(20261126)  # noqa: S311 - demo data, not security
    today = timezone.localdate()
    months = _months_before(today, MONTHS)
    since = _add_months(months[0][0], -1)
    students = sorted(students, key=lambda s: s.pk)
    _rates(actor, students, since=since, rise_on=months[-1][0])
    _pay_rates(actor, since=since)
    family_payers, siblings = _sibling_payers(actor, students)
    established = siblings | {s.pk for s in students[::2]}
    _log_and_verify(actor, rng, _history(actor, since=months[0][0], students=established))
    invoices = _invoice_months(actor, months, family_payers)
    _payments(actor, rng, invoices, today)
    return _summary()


def _summary() -> dict[str, int]:
    issued = Invoice.objects.filter(kind=InvoiceKind.INVOICE).exclude(status=InvoiceStatus.DRAFT)
    return {"invoices": issued.count()}


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _months_before(today: date, count: int) -> list[tuple[date, date]]:
    """The `count` whole months before this one, oldest first, as (first, last day)."""
    firsts = [_add_months(today, -n) for n in range(count, 0, -1)]
    return [(first, _add_months(first, 1) - timedelta(days=1)) for first in firsts]


# --- Rates -------------------------------------------------------------------------------


def _rates(actor: User, students: list[Student], *, since: date, rise_on: date) -> None:
    """Everyone's default; every fifth student pays more for their main subject; one
    student pays a senior tutor's rate with Thandi; a few had a rise last month (their
    earlier sessions keep the old price)."""
    paired = False
    for number, student in enumerate(students):
        default = student.default_rate or Decimal("300.00")
        services.rate_set(actor=actor, student=student, hourly_rate=default, effective_from=since)
        subject = student.subjects.order_by("id").first()
        if number % 5 == 0 and subject is not None:
            services.rate_set(actor=actor, student=student, subject=subject,
                              hourly_rate=default + 50, effective_from=since)  # fmt: skip
        tutor = student.tutors.order_by("id").first()
        if not paired and tutor is not None and tutor.username == "tutor":
            services.rate_set(actor=actor, student=student, tutor=tutor,
                              hourly_rate=Decimal("450.00"), effective_from=since)  # fmt: skip
            paired = True
        if number % 12 == 3:
            services.rate_set(actor=actor, student=student, hourly_rate=default + 25,
                              effective_from=rise_on)  # fmt: skip


def _pay_rates(actor: User, *, since: date) -> None:
    tutors = {t.username: t for t in User.objects.filter(role=Role.TUTOR)}
    for username, basis, amount in PAY:
        if username in tutors:
            services.pay_rate_set(actor=actor, tutor=tutors[username], basis=basis,
                                  amount=amount, effective_from=since)  # fmt: skip


def _sibling_payers(actor: User, students: list[Student]) -> tuple[set[int], set[int]]:
    """Pairs of students with the same surname at the same branch are siblings whose
    parent pays for both: one payer, one invoice a month. Returns the payers' and the
    siblings' ids."""
    families: dict[tuple[str, int | None], list[Student]] = {}
    for student in students:
        families.setdefault((student.last_name, student.branch_id), []).append(student)
    payers, siblings = set(), set()
    for (surname, _branch), family in families.items():
        if len(family) < 2 or len(payers) == 4:
            continue
        pair = family[:2]
        first = pair[0].guardian_name.split()[0] if pair[0].guardian_name else "Parent"
        payer = services.payer_save(
            actor=actor,
            name=f"{first} {surname}",
            email=f"{first}.{surname}".lower().replace(" ", "") + "@example.com",
            address=f"{10 + len(payers) * 7} Jan Smuts Ave, Johannesburg",
            students=pair,
        )
        payers.add(payer.pk)
        siblings.update(s.pk for s in pair)
    return payers, siblings


# --- Sessions ----------------------------------------------------------------------------


def _history(actor: User, *, since: date, students: set[int]) -> list[Session]:
    """One-off sessions in the students' series' weekly slot, every other week, from
    `since` up to the series' start. Inserted directly: booking them one by one through
    the scheduling service would add seconds to `seed_demo`; the slots come from series
    that were booked through it, so they cannot clash. The money is made by the real
    logging and verification services below."""
    sessions, seats = [], []
    chosen = Series.objects.filter(students__in=students).distinct()
    for number, series in enumerate(chosen.prefetch_related("students").order_by("id")):
        first = timezone.localtime(series.first_start)
        for week in range(1, 60):
            start = first - timedelta(weeks=week)
            if start.date() < since:
                break
            if (week + number) % 2:
                continue
            session = Session(
                tutor_id=series.tutor_id, subject_id=series.subject_id, start=start,
                end=start + timedelta(minutes=series.duration_minutes),
                location=series.location, online_link=series.online_link,
                currency=settings.CURRENCY, created_by=actor,
            )  # fmt: skip
            sessions.append(session)
            seats.append(list(series.students.all()))
    Session.objects.bulk_create(sessions)
    SessionStudent.objects.bulk_create(
        SessionStudent(session=session, student=student, start=session.start, end=session.end)
        for session, students in zip(sessions, seats, strict=True)
        for student in students
    )
    return sorted(sessions, key=lambda s: s.start)


def _log_and_verify(actor: User, rng: random.Random, sessions: list[Session]) -> None:
    """Mostly completed; some students absent (billed as no-shows), a few late
    cancellations by the student (billed) and by the tutor (not billed)."""
    for session in sessions:
        roll = rng.random()
        if roll < 0.05:
            session_log(actor=actor, session=session, outcome=Outcome.CANCELLED,
                        cancelled_by=CancelledBy.STUDENT, note="Cancelled on the day",
                        force=True)  # fmt: skip
        elif roll < 0.08:
            session_log(actor=actor, session=session, outcome=Outcome.CANCELLED,
                        cancelled_by=CancelledBy.TUTOR, note="Tutor ill", force=True)  # fmt: skip
        else:
            seated = session.seats.values_list("student_id", flat=True)
            presence = Presence.ABSENT if roll < 0.14 else (
                Presence.LATE if roll < 0.2 else Presence.PRESENT
            )  # fmt: skip
            session_log(actor=actor, session=session, outcome=Outcome.COMPLETED,
                        attendance=dict.fromkeys(seated, presence), force=True)  # fmt: skip
    logs_verify(actor=actor, session_ids=[s.pk for s in sessions])


# --- Invoices ----------------------------------------------------------------------------


def _backdate(invoice: Invoice, issued: date) -> None:
    """Demo back-dating: `invoice_issue` always issues today, but the demo needs invoices
    issued at each month's end so that the ageing report has overdue amounts. Only demo
    code may do this; real documents keep the date they were issued."""
    due = issued + timedelta(days=settings.INVOICE_PAYMENT_DAYS)
    moment = datetime.combine(issued, time(9), tzinfo=timezone.get_current_timezone())
    Invoice.objects.filter(pk=invoice.pk).update(
        issue_date=issued,
        due_date=due if invoice.kind == InvoiceKind.INVOICE else None,
        issued_at=moment,
    )


def _invoice_months(
    actor: User, months: list[tuple[date, date]], family_payers: set[int]
) -> list[Invoice]:
    """One invoice per payer per month, issued on the first of the next month; siblings
    get 10% off; one invoice carries a workbook, one is credited, one is voided and
    reissued."""
    issued: list[Invoice] = []
    for number, (start, end) in enumerate(months):
        drafts = services.invoices_generate(actor=actor, start=start, end=end, per="payer")
        for invoice in drafts:
            if invoice.payer_id in family_payers:
                services.discount_add(actor=actor, invoice=invoice, percent="10",
                                      description="Sibling discount 10%")  # fmt: skip
        if number == 0 and drafts:
            services.line_add(actor=actor, invoice=drafts[0], description="Grade workbook",
                              unit_price="185.00")  # fmt: skip
        for invoice in drafts:
            invoice = services.invoice_issue(actor=actor, invoice=invoice, send=False)
            _backdate(invoice, end + timedelta(days=1))
            issued.append(invoice)
        if number == 0 and len(drafts) > 1:
            _credit(actor, drafts[1], on=end + timedelta(days=10))
        if number == 1 and len(drafts) > 2:
            issued.append(_void_and_reissue(actor, drafts[2], start, end))
    return [Invoice.objects.get(pk=i.pk) for i in issued]


def _credit(actor: User, invoice: Invoice, *, on: date) -> None:
    note = services.credit_note_create(
        actor=actor, invoice=invoice, amount="100.00",
        reason="Goodwill: the tutor started 20 minutes late",
    )  # fmt: skip
    note = services.invoice_issue(actor=actor, invoice=note, send=False)
    _backdate(note, on)


def _void_and_reissue(actor: User, invoice: Invoice, start: date, end: date) -> Invoice:
    """Sent to an old address: void it (it keeps its number), fix the payer, bill again."""
    services.invoice_void(actor=actor, invoice=invoice, reason="Sent to the wrong address")
    payer = Payer.objects.get(pk=invoice.payer_id)
    services.payer_save(actor=actor, payer=payer, name=payer.name, email=payer.email,
                        address="7 Oxford Rd, Parktown")  # fmt: skip
    students = list(payer.links.values_list("student_id", flat=True))
    (again,) = services.invoices_generate(actor=actor, start=start, end=end, students=students)
    again = services.invoice_issue(actor=actor, invoice=again, send=False)
    _backdate(again, end + timedelta(days=3))
    return again


# --- Payments ----------------------------------------------------------------------------


def _payments(actor: User, rng: random.Random, invoices: list[Invoice], today: date) -> None:
    """Most payers pay each invoice within three weeks; some pay part, some pay late or
    not at all (the overdue buckets), and one pays too much (a credit)."""
    by_payer: dict[int, list[Invoice]] = {}
    for invoice in invoices:
        if invoice.status != InvoiceStatus.VOID:
            by_payer.setdefault(invoice.payer_id, []).append(invoice)
    methods = [PaymentMethod.EFT, PaymentMethod.EFT, PaymentMethod.CARD, PaymentMethod.CASH]
    for number, (payer_id, bills) in enumerate(sorted(by_payer.items())):
        habit = number % 10
        if habit == 7:
            continue  # never pays: overdue in every bucket
        bills = sorted(bills, key=lambda i: i.issue_date)
        if habit == 9:
            bills = bills[:-1]  # behind by a month
        if habit == 8:
            bills = bills[:1]  # paid the first, then stopped
        for position, invoice in enumerate(bills):
            invoice.refresh_from_db()
            due = outstanding(invoice)
            if due <= 0:
                continue
            if habit == 6 and position == len(bills) - 1:
                due = (due / 2).quantize(Decimal("0.01"))  # part-payment
            received = invoice.issue_date + timedelta(days=rng.randint(2, 20))
            if number == 0 and position == len(bills) - 1:
                due += Decimal("250.00")  # paid too much: the rest is credit
                received = min(received, today)
            if received > today:
                continue  # not paid yet
            services.payment_record(
                actor=actor, payer=invoice.payer, amount=due, received_on=received,
                method=rng.choice(methods), reference=f"{invoice.display_number} {payer_id}",
            )  # fmt: skip
