"""Privacy rights (POPIA / GDPR): export everything held about a student, erase them, and
erase archived students once the retention period has passed.

Erasing keeps the business record (sessions, attendance, charges, invoices and payments:
the law requires the books) but leaves no personal data in it: the student's row keeps
only a placeholder name and what the reports count (branch, subjects, rate, status);
free text written about their lessons has their names and contact details replaced; a
payer who paid for nobody else is anonymised on the payer row and on every invoice. A
student with no business record at all is deleted outright.

The audit trail is append-only and hash-chained, so it is never rewritten: it holds no
personal data in the first place (tracker.audit.services masks names, contact details and
free-text notes), and the erasure itself is recorded there. That entry is also what marks a
student as erased (`erased_student_ids`), so that retention never erases anyone twice.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.attendance.models import Attendance, LogReceipt, SessionLog
from tracker.audit.models import AuditLog
from tracker.audit.services import record
from tracker.core import cache as versions
from tracker.core.errors import Conflict
from tracker.finance.models import (
    Allocation,
    Charge,
    Invoice,
    InvoiceLine,
    Payer,
    PayerStudent,
    Payment,
    Rate,
)
from tracker.lib.tabular import Column, Table, csv_bytes
from tracker.scheduling.models import Series, Session
from tracker.students.models import Student, StudentStatus

ERASED = "students.student.erased"
EXPORTED = "students.student.exported"
STUDENT_TYPE = "students.student"
CONTACT_PLACEHOLDER = "[erased]"
# Name parts shorter than this are left in free text: "Li" would eat half of every note.
MIN_PART = 3


def erased_student_ids(ids: Iterable[int] | None = None) -> set[int]:
    """Students already erased: the audit trail says so, and it cannot be edited away."""
    entries = AuditLog.objects.filter(action=ERASED, target_type=STUDENT_TYPE)
    if ids is not None:
        entries = entries.filter(target_id__in=[str(i) for i in ids])
    return {int(i) for i in entries.values_list("target_id", flat=True) if i.isdigit()}


def is_erased(student: Student) -> bool:
    return bool(erased_student_ids([student.pk]))


def placeholder_name(student_id: int) -> str:
    return _("Erased student #%(id)s") % {"id": student_id}


# --- Export ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    content: bytes


def _user(user: User | None) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


@dataclass(frozen=True)
class _Rows:
    columns: list[str]
    rows: list[dict[str, Any]]


def _table(rows: Iterable[Any], columns: dict[str, Callable[[Any], Any]]) -> _Rows:
    return _Rows(
        columns=list(columns),
        rows=[{name: value(row) for name, value in columns.items()} for row in rows],
    )


def _attr(name: str) -> Callable[[Any], Any]:
    def get(obj: Any) -> Any:
        for part in name.split("."):
            obj = getattr(obj, part, None) if obj is not None else None
        return obj

    return get


def _columns(names: str, **extra: Callable[[Any], Any]) -> dict[str, Callable[[Any], Any]]:
    """Columns read from attributes ("school.name" becomes school_name), then `extra`."""
    columns = {name.replace(".", "_"): _attr(name) for name in names.split()}
    return {**columns, **extra}


def _student_invoices(student: Student) -> QuerySet[Invoice]:
    return Invoice.objects.filter(
        Q(lines__student=student) | Q(credited_invoice__lines__student=student)
    ).distinct()


def _payers(student: Student) -> QuerySet[Payer]:
    """Whoever was ever billed for this student: their payer now, and the payers on their
    invoices (the student may have moved to another payer since)."""
    return Payer.objects.filter(
        Q(links__student=student) | Q(invoices__lines__student=student)
    ).distinct()


def _sole_payers(student: Student, erased: set[int]) -> tuple[list[Payer], list[Payer]]:
    """Split the student's payers into those who pay (or paid) for nobody else still on
    record, and those who also pay for another student."""
    sole, shared = [], []
    for payer in _payers(student):
        linked = set(PayerStudent.objects.filter(payer=payer).values_list("student_id", flat=True))
        billed = set(
            InvoiceLine.objects.filter(invoice__payer=payer, student__isnull=False).values_list(
                "student_id", flat=True
            )
        )
        others = (linked | billed) - {student.pk} - erased
        (shared if others else sole).append(payer)
    return sole, shared


def _export_tables(student: Student) -> dict[str, _Rows]:
    sessions = (
        Session.objects.filter(seats__student=student)
        .select_related("tutor", "subject")
        .order_by("start", "id")
        .distinct()
    )
    seats = {s.session_id: s.active for s in student.seats.all()}
    invoices = _student_invoices(student).select_related("series").order_by("id")
    sole_payers, _shared = _sole_payers(student, erased_student_ids())
    payments = Payment.objects.filter(
        Q(allocations__invoice__in=invoices) | Q(payer__in=sole_payers)
    ).distinct()
    tutor = {"tutor": lambda row: _user(row.tutor)}
    return {
        "student": _table(
            [student],
            _columns(
                "id first_name last_name grade school.name branch.name status date_of_birth "
                "phone email address guardian_name guardian_phone guardian_email notes "
                "default_rate rate_currency created_at updated_at archived_at"
            ),
        ),
        "consent": _table(
            [student],
            _columns(
                "consent_given consent_date consent_given_by",
                consent_recorded_by=lambda s: _user(s.consent_recorded_by),
            ),
        ),
        "subjects": _table(student.subjects.order_by("name"), _columns("id name")),
        "tutors": _table(
            student.tutors.order_by("last_name", "first_name"), _columns("id", name=_user)
        ),
        "availability": _table(
            student.availability.all(), _columns("weekday start end valid_from valid_to")
        ),
        "time_off": _table(student.time_off.all(), _columns("starts_at ends_at reason")),
        "sessions": _table(
            sessions,
            _columns(
                "id start end status subject.name location online_link notes "
                "cancellation_reason billable series_id",
                **tutor,
                seat_active=lambda s: seats.get(s.pk),
            ),
        ),
        "attendance": _table(
            Attendance.objects.filter(student=student).select_related("logged_by"),
            _columns("session_id presence logged_at", logged_by=lambda a: _user(a.logged_by)),
        ),
        "session_logs": _table(
            SessionLog.objects.filter(session__in=sessions)
            .select_related("logged_by", "reviewed_by")
            .order_by("session_id"),
            _columns(
                "session_id outcome note cancelled_by late_cancellation logged_at review "
                "reviewed_at review_comment",
                logged_by=lambda log: _user(log.logged_by),
                reviewed_by=lambda log: _user(log.reviewed_by),
            ),
        ),
        "rates": _table(
            Rate.objects.filter(student=student).select_related("subject", "tutor"),
            _columns("effective_from hourly_rate currency subject.name", **tutor),
        ),
        "charges": _table(
            Charge.objects.filter(student=student).select_related("subject", "tutor"),
            _columns(
                "id session_id date minutes kind share_percent hourly_rate amount currency "
                "subject.name",
                **tutor,
            ),
        ),
        "payers": _table(_payers(student).order_by("id"), _columns("id name email address")),
        "invoices": _table(
            invoices,
            _columns(
                "id display_number kind status period_start period_end issue_date due_date "
                "currency total payer_id payer_name payer_email payer_address "
                "credited_invoice_id void_reason"
            ),
        ),
        # This student's lines and items on their invoices; a sibling's lessons are theirs.
        "invoice_lines": _table(
            InvoiceLine.objects.filter(
                Q(student=student) | Q(student__isnull=True, invoice__in=invoices)
            ).order_by("invoice_id", "position", "id"),
            _columns("invoice_id kind date description quantity unit_price amount charge_id"),
        ),
        "payments": _table(
            payments.order_by("received_on", "id"),
            _columns("id payer_id received_on amount currency method reference note"),
        ),
        "allocations": _table(
            Allocation.objects.filter(invoice__in=invoices).order_by("id"),
            _columns("payment_id invoice_id amount created_at"),
        ),
        "audit": _table(
            _audit_about(student, sessions=sessions, invoices=invoices, payments=payments),
            _columns("id created_at actor_label action target_type target_id changes"),
        ),
    }


def _audit_about(
    student: Student, *, sessions: QuerySet, invoices: QuerySet, payments: QuerySet
) -> QuerySet[AuditLog]:
    def about(target_type: str, ids: Iterable[Any]) -> Q:
        return Q(target_type=target_type, target_id__in=[str(i) for i in ids])

    return AuditLog.objects.filter(
        Q(target_type=STUDENT_TYPE, target_id=str(student.pk))
        | about("finance.rate", student.rates.values_list("pk", flat=True))
        | about("scheduling.session", sessions.values_list("pk", flat=True))
        | about("finance.invoice", invoices.values_list("pk", flat=True))
        | about("finance.payment", payments.values_list("pk", flat=True))
    ).order_by("id")


def _json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _csv(table: _Rows) -> bytes:
    def cell(value: Any) -> Any:
        # Nested values (an audit entry's changes) stay readable as JSON in one cell.
        return json.dumps(value, default=_json_value) if isinstance(value, dict | list) else value

    return csv_bytes(
        Table(
            title="",
            columns=[Column(key=name, label=name) for name in table.columns],
            rows=[{key: cell(value) for key, value in row.items()} for row in table.rows],
        )
    )


@transaction.atomic
def student_export(*, actor: User, student: Student) -> ExportFile:
    """Everything held about one student, decrypted: `student.json` with every table, and
    one CSV per table. Admins only; the export itself is audited (what, not the data)."""
    require(actor, Cap.EXPORT_ALL)
    tables = _export_tables(student)
    exported_at = timezone.now()
    document = {
        "format": 1,
        "exported_at": exported_at,
        "student_id": student.pk,
        "tables": {name: table.rows for name, table in tables.items()},
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "student.json", json.dumps(document, default=_json_value, indent=2, ensure_ascii=False)
        )
        for name, table in tables.items():
            archive.writestr(f"{name}.csv", _csv(table))
    record(
        EXPORTED,
        actor=actor,
        target=student,
        changes={"rows": {name: len(table.rows) for name, table in tables.items()}},
    )
    stamp = timezone.localtime(exported_at).strftime("%Y%m%d-%H%M")
    return ExportFile(filename=f"student-{student.pk}-{stamp}.zip", content=out.getvalue())


# --- Erasure -----------------------------------------------------------------------------

STUDENT_PII_TEXT = (
    "phone",
    "email",
    "address",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
    "notes",
    "consent_given_by",
)


class Redactor:
    """Replaces a person's names and contact details inside free text, whole words only and
    whatever their case, so that "Thabo did well" reads "Erased student #7 did well"."""

    def __init__(self, *, names: Iterable[str], contacts: Iterable[str], placeholder: str):
        self._rules: list[tuple[re.Pattern[str], str]] = []
        for needles, replacement in (
            (_name_needles(names), placeholder),
            (_contact_needles(contacts), CONTACT_PLACEHOLDER),
        ):
            # Longest first, so "Thabo Mokoena" goes as one before "Thabo" alone.
            ordered = sorted(needles, key=len, reverse=True)
            if ordered:
                alternatives = "|".join(re.escape(n) for n in ordered)
                pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
                self._rules.append((pattern, replacement))

    def text(self, value: str) -> str:
        for pattern, replacement in self._rules:
            value = pattern.sub(replacement, value)
        return value

    def json(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, list):
            return [self.json(item) for item in value]
        if isinstance(value, dict):
            return {key: self.json(item) for key, item in value.items()}
        return value


def _name_needles(names: Iterable[str]) -> set[str]:
    needles = set()
    for name in names:
        name = " ".join((name or "").split())
        if not name:
            continue
        needles.add(name)
        needles.update(part for part in re.split(r"[\s,]+", name) if len(part) >= MIN_PART)
    return needles


def _contact_needles(contacts: Iterable[str]) -> set[str]:
    needles = set()
    for contact in contacts:
        contact = (contact or "").strip()
        if not contact:
            continue
        needles.add(contact)
        # An address is often quoted one line at a time.
        needles.update(line.strip() for line in re.split(r"[\n,]+", contact) if len(line) > 4)
    return needles


def _student_redactor(
    student: Student, payers: Iterable[Payer] = (), *, guardian: bool = True
) -> Redactor:
    """The student's names and contact details; with `guardian`, their guardian's and the
    given payers' too (left out where a payer who stays on record is concerned)."""
    names = [student.full_name, f"{student.last_name}, {student.first_name}"]
    contacts = [student.phone, student.email, student.address]
    if guardian:
        names += [student.guardian_name, student.consent_given_by]
        contacts += [student.guardian_phone, student.guardian_email]
    for payer in payers:
        names.append(payer.name)
        contacts += [payer.email, payer.address]
    return Redactor(names=names, contacts=contacts, placeholder=placeholder_name(student.pk))


def _redact_rows(rows: QuerySet, fields: Iterable[str], redact: Callable[[Any], Any]) -> int:
    """Rewrite the given text fields of each row through `redact`; returns rows changed.

    `update()` rather than `save()`: no `updated_at` bump, no side effects, and encrypted
    fields are still encrypted on the way in.
    """
    fields = list(fields)
    changed = 0
    for row in rows.values("pk", *fields):
        new = {f: redact(row[f]) for f in fields if row[f]}
        new = {f: v for f, v in new.items() if v != row[f]}
        if new:
            rows.model.objects.filter(pk=row["pk"]).update(**new)
            changed += 1
    return changed


def _redact_lessons(student: Student, redactor: Redactor) -> int:
    sessions = Session.objects.filter(seats__student=student).values("pk")
    changed = _redact_rows(
        Session.objects.filter(pk__in=sessions),
        ["location", "notes", "cancellation_reason"],
        redactor.text,
    )
    changed += _redact_rows(
        SessionLog.objects.filter(session__in=sessions), ["note", "review_comment"], redactor.text
    )
    # A replayed log's stored answer repeats the log (note, cancellation reason).
    changed += _redact_rows(
        LogReceipt.objects.filter(session__in=sessions), ["response"], redactor.json
    )
    changed += _redact_rows(
        Series.objects.filter(Q(students=student) | Q(sessions__in=sessions)).distinct(),
        ["location", "notes"],
        redactor.text,
    )
    return changed


def _anonymise_payer(payer: Payer, *, actor: User | None, student: Student) -> None:
    """Bypasses tracker.finance.services on purpose: those services never change an issued
    invoice (its frozen payer fields are the document as sent). Erasure is the one lawful
    exception; amounts, numbers and totals are not touched, only who the payer was."""
    name = _("Erased payer #%(id)s") % {"id": payer.pk}
    invoices = Invoice.objects.filter(payer=payer)
    documents, payments = invoices.count(), Payment.objects.filter(payer=payer)
    paid = payments.count()
    invoices.update(payer_name=name, payer_email="", payer_address="")
    # A bank reference is typically the payer's or the child's name.
    payments.update(reference="")
    deleted = documents == 0 and paid == 0
    if deleted:
        payer.delete()
    else:
        Payer.objects.filter(pk=payer.pk).update(name=name, email="", address="")
    record(
        "finance.payer.anonymised",
        actor=actor,
        target_type="finance.payer",
        target_id=payer.pk,
        changes={
            "student": student.pk,
            "invoices": documents,
            "payments": paid,
            "deleted": deleted,
        },
    )


def _redact_money(
    student: Student, sole: list[Payer], shared: list[Payer], redactor: Redactor
) -> int:
    invoices = Invoice.objects.filter(
        Q(pk__in=_student_invoices(student).values("pk")) | Q(payer__in=sole)
    )
    changed = _redact_rows(
        InvoiceLine.objects.filter(Q(student=student) | Q(invoice__in=invoices)),
        ["description"],
        redactor.text,
    )
    changed += _redact_rows(invoices, ["void_reason"], redactor.text)
    changed += _redact_rows(
        Payment.objects.filter(payer__in=sole), ["reference", "note"], redactor.text
    )
    # A payer who stays keeps their own name on their payments; only the child's goes.
    changed += _redact_rows(
        Payment.objects.filter(payer__in=shared),
        ["reference", "note"],
        _student_redactor(student, guardian=False).text,
    )
    return changed


def _has_business_record(student: Student) -> bool:
    return (
        student.seats.exists()
        or Attendance.objects.filter(student=student).exists()
        or Charge.objects.filter(student=student).exists()
        or InvoiceLine.objects.filter(student=student).exists()
    )


def _wipe(student: Student) -> None:
    student.first_name = _("Erased student")
    student.last_name = f"#{student.pk}"
    student.grade = ""
    student.school = None
    student.date_of_birth = None
    for field in STUDENT_PII_TEXT:
        setattr(student, field, "")
    student.save()
    student.tutors.clear()


def _erase(student: Student, *, actor: User | None, reason: str) -> None:
    student = Student.objects.select_for_update().get(pk=student.pk)
    sole, shared = _sole_payers(student, erased_student_ids())
    redactor = _student_redactor(student, sole)
    redacted = _redact_lessons(student, redactor) + _redact_money(student, sole, shared, redactor)
    for payer in sole:
        _anonymise_payer(payer, actor=actor, student=student)
    availability, _kinds = student.availability.all().delete()
    time_off, _kinds = student.time_off.all().delete()
    student_id = student.pk
    deleted = not _has_business_record(student)
    if deleted:
        student.delete()
    else:
        _wipe(student)
    # The name and lesson notes were in calendars, dashboards and money figures.
    versions.bump([versions.SESSIONS, versions.SHARED, versions.MONEY])
    record(
        ERASED,
        actor=actor,
        target_type=STUDENT_TYPE,
        target_id=student_id,
        changes={
            "reason": reason,
            "deleted": deleted,
            "availability": availability,
            "time_off": time_off,
            "rows_redacted": redacted,
            "payers_anonymised": sorted(p.pk for p in sole),
            # A guardian who also pays for a sibling stays: their details are still needed.
            "payers_kept": sorted(p.pk for p in shared),
        },
    )


def _same_name(typed: str, name: str) -> bool:
    return " ".join(typed.split()).casefold() == " ".join(name.split()).casefold()


@transaction.atomic
def student_erase(*, actor: User, student: Student, confirmation: str) -> None:
    """Erase an archived student's personal data for good, once their full name is typed
    as confirmation. Admins only."""
    require(actor, Cap.STUDENT_REMOVE)
    if student.status != StudentStatus.ARCHIVED:
        raise Conflict(_("Archive the student before erasing them."))
    if is_erased(student):
        raise Conflict(_("This student has already been erased."))
    if not _same_name(confirmation or "", student.full_name):
        raise ValidationError(
            {"confirmation": [_("Type the student's full name exactly as shown to confirm.")]}
        )
    _erase(student, actor=actor, reason="request")


def retention_cutoff(months: int | None = None, *, now: datetime | None = None) -> datetime | None:
    months = settings.STUDENT_RETENTION_MONTHS if months is None else months
    if months <= 0:
        return None
    return (now or timezone.now()) - relativedelta(months=months)


def retention_due(*, months: int | None = None, now: datetime | None = None) -> list[int]:
    """Archived students whose archiving is older than the retention period, not yet erased."""
    cutoff = retention_cutoff(months, now=now)
    if cutoff is None:
        return []
    due = Student.objects.filter(status=StudentStatus.ARCHIVED, archived_at__lt=cutoff)
    ids = list(due.order_by("pk").values_list("pk", flat=True))
    erased = erased_student_ids(ids)
    return [pk for pk in ids if pk not in erased]


def retention_apply(*, months: int | None = None, now: datetime | None = None) -> int:
    """Erase every archived student past the retention period; returns how many. Each one
    in its own transaction, so one failure leaves the others erased and can be retried."""
    months = settings.STUDENT_RETENTION_MONTHS if months is None else months
    count = 0
    for pk in retention_due(months=months, now=now):
        with transaction.atomic():
            student = Student.objects.select_for_update().filter(pk=pk).first()
            # Restored or erased meanwhile: not due any more.
            if student is None or student.status != StudentStatus.ARCHIVED or is_erased(student):
                continue
            _erase(student, actor=None, reason=f"retention after {months} months")
            count += 1
    return count
