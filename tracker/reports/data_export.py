"""The full data export: every table a role may see, one CSV each, in a ZIP.

Administrators get every table of the business with personal data decrypted; moderators
get the operational tables (students, sessions, attendance, availability...) without a
single money column, finance table or audit entry (DESIGN.md §1).

Tables and columns are named here one by one, per role, on purpose: a column added to a
model later stays out of every export until someone decides who may see it, so a new
money field cannot leak to moderators by default.

Never exported, whatever the role: password hashes, API tokens, second-factor devices,
Django sessions and sign-in keys, calendar feed secrets, replay receipts (they repeat a
log's answer verbatim), and messages and notifications: those are private to the people in
a conversation, and an administrator cannot open a thread they are not in either.

The ZIP is written row by row into a temporary file that spills to disk past a few
megabytes, reading each table with one query in chunks, so a million sessions cost time,
not memory, and the number of queries does not grow with the data.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
import zipfile
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import IO, Any, NamedTuple

from django.db import models, transaction
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from tracker.accounts.models import SignInSession, TokenFamily, User
from tracker.accounts.permissions import Cap, can, require
from tracker.attendance.models import Attendance, SessionLog
from tracker.audit.models import AuditLog
from tracker.audit.services import record
from tracker.core.db_router import reads_can_lag
from tracker.finance.models import (
    Allocation,
    Charge,
    IncomeDay,
    Invoice,
    InvoiceLine,
    NumberSeries,
    Payer,
    PayerStudent,
    Payment,
    Rate,
    TutorEarning,
    TutorPayRate,
)
from tracker.lib.tabular import _text
from tracker.org.models import Branch, School, Subject
from tracker.scheduling.models import Closure, Series, Session, SessionStudent
from tracker.students.models import AvailabilityWindow, Student, TimeOff

EXPORTED = "reports.data.exported"
FORMAT = 1
CHUNK = 2000
# Up to this size the ZIP stays in memory; a bigger one moves to a temporary file on disk.
IN_MEMORY = 8 * 1024 * 1024


@dataclass(frozen=True)
class ExportTable:
    name: str
    description: str | Promise
    model: type[models.Model]
    columns: tuple[str, ...]
    # Added for administrators only: money, and what DESIGN.md §1 keeps for them.
    admin_columns: tuple[str, ...] = ()
    admins_only: bool = False

    @property
    def filename(self) -> str:
        return f"{self.name}.csv"


def _cols(names: str) -> tuple[str, ...]:
    return tuple(names.split())


LOOKUP = _cols("id name is_active created_at updated_at")
STUDENT_CONTACT = _cols(
    "date_of_birth phone email address guardian_name guardian_phone guardian_email notes "
    "consent_given consent_date consent_given_by consent_recorded_by_id"
)

TABLES: tuple[ExportTable, ...] = (
    ExportTable(
        "branches",
        gettext_lazy("Branches"),
        Branch,
        _cols("id name address is_active created_at updated_at"),
    ),
    ExportTable("schools", gettext_lazy("Schools"), School, LOOKUP),
    ExportTable("subjects", gettext_lazy("Subjects"), Subject, LOOKUP),
    ExportTable(
        "users",
        gettext_lazy("Staff and tutor accounts"),
        User,
        _cols("id username first_name last_name role teaching_class school_id branch_id is_active"),
        admin_columns=_cols("email phone time_zone is_staff is_superuser date_joined last_login"),
    ),
    ExportTable(
        "sign_ins",
        gettext_lazy("Browser sign-ins: device, address, when (never their keys)"),
        SignInSession,
        _cols("id user_id via user_agent ip created_at last_seen_at ended_at ended_reason"),
        admins_only=True,
    ),
    ExportTable(
        "api_sign_ins",
        gettext_lazy("App (API) sign-ins: device, address, when (never their tokens)"),
        TokenFamily,
        _cols("id user_id user_agent ip created_at revoked_at revoked_reason"),
        admins_only=True,
    ),
    ExportTable(
        "students",
        gettext_lazy("Students with their contact and guardian details"),
        Student,
        _cols("id first_name last_name grade school_id branch_id status")
        + STUDENT_CONTACT
        + _cols("created_at updated_at archived_at"),
        admin_columns=_cols("default_rate rate_currency"),
    ),
    ExportTable(
        "student_subjects",
        gettext_lazy("Which subjects each student takes"),
        Student.subjects.through,
        _cols("id student_id subject_id"),
    ),
    ExportTable(
        "student_tutors",
        gettext_lazy("Which tutors each student is assigned to (user_id)"),
        Student.tutors.through,
        _cols("id student_id user_id"),
    ),
    ExportTable(
        "availability",
        gettext_lazy("Weekly availability of students and tutors"),
        AvailabilityWindow,
        _cols("id student_id tutor_id weekday start end valid_from valid_to"),
    ),
    ExportTable(
        "time_off",
        gettext_lazy("Time off of students and tutors"),
        TimeOff,
        _cols("id student_id tutor_id starts_at ends_at reason"),
    ),
    ExportTable(
        "closures",
        gettext_lazy("Public holidays and branch closures"),
        Closure,
        _cols("id branch_id start_date end_date reason"),
    ),
    ExportTable(
        "series",
        gettext_lazy("Recurring sessions and their repeat rules"),
        Series,
        _cols(
            "id tutor_id subject_id branch_id rrule first_start duration_minutes time_zone "
            "location online_link notes skip_dates generated_until ended_at created_by_id "
            "created_at"
        ),
    ),
    ExportTable(
        "series_students",
        gettext_lazy("Which students each recurring session is for"),
        Series.students.through,
        _cols("id series_id student_id"),
    ),
    ExportTable(
        "sessions",
        gettext_lazy("Sessions: tutor, subject, times, place, status, cancellations"),
        Session,
        _cols(
            "id tutor_id subject_id start end location online_link status cancellation_reason "
            "cancelled_by_id cancelled_at billable notes series_id original_start is_exception "
            "created_by_id created_at updated_at"
        ),
        admin_columns=_cols("price currency"),
    ),
    ExportTable(
        "session_students",
        gettext_lazy("Which students are in each session"),
        SessionStudent,
        _cols("id session_id student_id start end active"),
    ),
    ExportTable(
        "session_logs",
        gettext_lazy("Session logs and their verification"),
        SessionLog,
        _cols(
            # The tutor last: columns added later go at the end, where readers by position
            # do not see the others move.
            "id session_id outcome note cancelled_by late_cancellation logged_by_id logged_at "
            "review reviewed_by_id reviewed_at review_comment tutor_id"
        ),
    ),
    ExportTable(
        "attendance",
        gettext_lazy("Attendance of each student at each session"),
        Attendance,
        _cols("id session_id session_start student_id presence logged_by_id logged_at"),
    ),
    ExportTable(
        "rates",
        gettext_lazy("Students' hourly rates"),
        Rate,
        _cols(
            "id student_id subject_id tutor_id hourly_rate currency effective_from "
            "created_by_id created_at"
        ),
        admins_only=True,
    ),
    ExportTable(
        "tutor_pay_rates",
        gettext_lazy("Tutors' pay rates"),
        TutorPayRate,
        _cols("id tutor_id basis amount currency effective_from created_by_id created_at"),
        admins_only=True,
    ),
    ExportTable(
        "charges",
        gettext_lazy("What each student was charged for each verified session"),
        Charge,
        _cols(
            "id session_id student_id tutor_id branch_id subject_id date minutes kind "
            "share_percent hourly_rate amount currency created_at"
        ),
        admins_only=True,
    ),
    ExportTable(
        "tutor_earnings",
        gettext_lazy("What each tutor earned for each verified session"),
        TutorEarning,
        _cols(
            "id session_id tutor_id date minutes basis rate share_percent amount currency "
            "created_at"
        ),
        admins_only=True,
    ),
    ExportTable(
        "income_days",
        gettext_lazy("Income per day: the sum of that day's charges"),
        IncomeDay,
        _cols("id date amount minutes charges"),
        admins_only=True,
    ),
    ExportTable(
        "payers",
        gettext_lazy("Payers (guardians or adult students) and their contact details"),
        Payer,
        _cols("id name email address created_at"),
        admins_only=True,
    ),
    ExportTable(
        "payer_students",
        gettext_lazy("Which payer each student is billed to"),
        PayerStudent,
        _cols("id payer_id student_id"),
        admins_only=True,
    ),
    ExportTable(
        "number_series",
        gettext_lazy("Invoice and credit note numbering"),
        NumberSeries,
        _cols("id prefix next_number"),
        admins_only=True,
    ),
    ExportTable(
        "invoices",
        gettext_lazy("Invoices and credit notes"),
        Invoice,
        _cols(
            "id kind status number series_id payer_id period_start period_end issue_date "
            "due_date currency total credited_invoice_id payer_name payer_email payer_address "
            "void_reason voided_at voided_by_id issued_at issued_by_id created_by_id created_at"
        ),
        admins_only=True,
    ),
    ExportTable(
        "invoice_lines",
        gettext_lazy("Invoice lines"),
        InvoiceLine,
        _cols(
            "id invoice_id position kind charge_id student_id date description quantity "
            "unit_price amount"
        ),
        admins_only=True,
    ),
    ExportTable(
        "payments",
        gettext_lazy("Payments received"),
        Payment,
        _cols(
            "id payer_id received_on amount currency method reference note recorded_by_id "
            "created_at"
        ),
        admins_only=True,
    ),
    ExportTable(
        "allocations",
        gettext_lazy("Which invoices each payment paid"),
        Allocation,
        _cols("id payment_id invoice_id amount created_at"),
        admins_only=True,
    ),
    ExportTable(
        "audit_log",
        gettext_lazy("The audit trail, with its hash chain"),
        AuditLog,
        _cols(
            "id created_at actor_ref actor_label action target_type target_id changes ip "
            "user_agent request_id prev_hash hash"
        ),
        admins_only=True,
    ),
)


class DataExport(NamedTuple):
    file: IO[bytes]
    filename: str
    counts: dict[str, int]


def export_tables(*, actor: User) -> list[ExportTable]:
    """The tables, and their columns, that this person's export holds."""
    require(actor, Cap.EXPORT_OPERATIONAL)
    if can(actor, Cap.EXPORT_ALL):
        return [
            replace(table, columns=table.columns + table.admin_columns, admin_columns=())
            for table in TABLES
        ]
    return [replace(table, admin_columns=()) for table in TABLES if not table.admins_only]


@transaction.atomic
def export_data(*, actor: User) -> DataExport:
    """Everything the role may see as a ZIP of CSV files, with README.txt and manifest.json.

    The caller owns the returned file (seeked to the start) and closes it. The export is
    audited: who, which role, how many rows of each table; never the data.
    """
    tables = export_tables(actor=actor)
    generated_at = timezone.now()
    # Not a context manager: the file outlives this call, the response closes it when sent.
    file = tempfile.SpooledTemporaryFile(max_size=IN_MEMORY)  # noqa: SIM115
    try:
        with reads_can_lag():
            counts = _write_zip(file, tables, actor=actor, generated_at=generated_at)
    except BaseException:
        file.close()
        raise
    file.seek(0)
    record(EXPORTED, actor=actor, changes={"role": actor.role, "rows": counts})
    stamp = timezone.localtime(generated_at).strftime("%Y%m%d-%H%M")
    return DataExport(file=file, filename=f"tracker-data-{stamp}.zip", counts=counts)


def _write_zip(
    file: IO[bytes], tables: list[ExportTable], *, actor: User, generated_at: datetime
) -> dict[str, int]:
    counts: dict[str, int] = {}
    with zipfile.ZipFile(file, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", _readme(tables, actor=actor, generated_at=generated_at))
        for table in tables:
            # Zip64 up front: the size of a table is not known until it has been written.
            with archive.open(table.filename, "w", force_zip64=True) as member:
                counts[table.name] = _write_csv(member, table)
        manifest = {
            "format": FORMAT,
            "generated_at": generated_at.isoformat(),
            "role": actor.role,
            "tables": {
                table.name: {
                    "file": table.filename,
                    "rows": counts[table.name],
                    "columns": list(table.columns),
                }
                for table in tables
            },
        }
        archive.writestr("manifest.json", json.dumps(manifest, indent=2))
    return counts


def _write_csv(member: IO[bytes], table: ExportTable) -> int:
    rows = (
        table.model._default_manager.order_by("pk")
        .values_list(*table.columns)
        .iterator(chunk_size=CHUNK)
    )
    count = 0
    # A byte-order mark, as in every other CSV of the app, so spreadsheets read UTF-8.
    with io.TextIOWrapper(member, encoding="utf-8-sig", newline="") as text:
        writer = csv.writer(text)
        writer.writerow(table.columns)
        for row in rows:
            writer.writerow([_cell(value) for value in row])
            count += 1
    return count


def _cell(value: Any) -> str:
    if isinstance(value, datetime):
        # To the microsecond, unlike a report's minutes: this is a copy of the data.
        value = timezone.localtime(value).isoformat()
    elif isinstance(value, Decimal):
        # Plain digits whatever the scale ("1E+2" would not read back as a number everywhere).
        value = format(value, "f")
    elif isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return _text(value)


def _readme(tables: list[ExportTable], *, actor: User, generated_at: datetime) -> str:
    full = can(actor, Cap.EXPORT_ALL)
    lines = [
        _("Students Tracker: data export"),
        "",
        _("Made %(when)s by %(who)s (%(role)s).")
        % {
            "when": timezone.localtime(generated_at).isoformat(timespec="seconds"),
            "who": actor.get_username(),
            "role": actor.get_role_display(),
        },
        "",
        _("Files"),
        "",
    ]
    lines += [f"  {table.filename}: {table.description}" for table in tables]
    lines += [
        "  manifest.json: " + _("each file's columns and number of rows, for programs"),
        "",
        _("How to read them"),
        "",
        _("  UTF-8 (with a byte-order mark), comma-separated, the first row names the columns."),
        _("  Times are ISO 8601 in the business's time zone with their offset from UTC;"),
        _("  dates are YYYY-MM-DD; amounts are plain numbers with a dot for decimals."),
        _("  A column ending in _id holds the id of a row of another file (tutor_id,"),
        _("  user_id, created_by_id: users.csv; student_id: students.csv)."),
        _("  A text that starts with =, +, -, @ or a tab gets an apostrophe in front of it,"),
        _("  so that a spreadsheet shows it instead of running it as a formula."),
        "",
        _("Not in this export"),
        "",
        _("  Messages and notifications: they belong to the people in each conversation,"),
        _("  and administrators cannot read other people's conversations either."),
        _("  Secrets: passwords, API tokens, second-factor devices, sign-in keys, calendar"),
        _("  subscription links, encryption and backup keys."),
    ]
    if not full:
        lines += [
            _("  Money (prices, rates, invoices, payments, tutor pay) and the audit trail:"),
            _("  administrators only."),
        ]
    return "\n".join(lines) + "\n"
