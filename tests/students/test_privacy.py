"""Privacy rights: export everything about a student, erase them, retention."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from datetime import date, datetime, time, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from tests.finance.conftest import SAST, past
from tests.students.conftest import StudentFactory
from tracker.attendance.models import Attendance, LogReceipt, SessionLog
from tracker.attendance.services import logs_verify, session_log
from tracker.audit.models import AuditLog
from tracker.audit.selectors import audit_chain_verify
from tracker.core.errors import Conflict
from tracker.finance import services as finance
from tracker.finance.models import Invoice, Payer, PayerStudent, Payment
from tracker.lib.fields import EncryptedTextField
from tracker.scheduling.models import Session
from tracker.students import privacy
from tracker.students.availability import availability_add, time_off_add
from tracker.students.models import Student, StudentStatus
from tracker.students.services import student_archive, student_create

pytestmark = pytest.mark.django_db

PII = {
    "first_name": "Zinhle",
    "last_name": "Quirkfield",
    "phone": "+27 82 555 0199",
    "email": "zinhle.q@example.org",
    "address": "17 Larkspur Lane\nParkhurst",
    "guardian_name": "Beatrix Hollowmere",
    "guardian_phone": "+27 83 555 0123",
    "guardian_email": "beatrix.h@example.org",
    "notes": "Zinhle prefers mornings; call Beatrix first.",
    "consent_given_by": "Beatrix Hollowmere",
}
# What must be nowhere after erasure (compared case-insensitively).
NEEDLES = [
    "Zinhle",
    "Quirkfield",
    "+27 82 555 0199",
    "zinhle.q@example.org",
    "Larkspur",
    "Parkhurst",
    "Beatrix",
    "Hollowmere",
    "+27 83 555 0123",
    "beatrix.h@example.org",
    "2009-02-13",
]
LAST_MONTH = (timezone.localdate().replace(day=1) - timedelta(days=1)).replace(day=10)


def lesson(moderator, tutor, students, day, *, hour=15, note="", **details):
    """A session booked, logged and verified, as money is made."""
    session = finance_book(moderator, tutor, students, past(day, hour), **details)
    session_log(actor=moderator, session=session, outcome="completed", note=note, force=True)
    logs_verify(actor=moderator, session_ids=[session.pk])
    return session


def finance_book(moderator, tutor, students, start, **details):
    from tracker.scheduling.services import session_create

    return session_create(
        actor=moderator, start=start, end=start + timedelta(hours=1), tutor=tutor,
        students=students, **details,
    )  # fmt: skip


@pytest.fixture
def zinhle(moderator, admin, tutor):
    student = student_create(
        actor=moderator, tutors=[tutor], date_of_birth=date(2009, 2, 13), consent_given=True,
        **PII,
    )  # fmt: skip
    availability_add(actor=moderator, owner=student, weekday=1, start=time(14), end=time(16))
    time_off_add(
        actor=moderator, owner=student, reason="Zinhle at the Quirkfield family wedding",
        starts_at=past(LAST_MONTH + timedelta(days=5), 8),
        ends_at=past(LAST_MONTH + timedelta(days=5), 18),
    )  # fmt: skip
    finance.rate_set(
        actor=admin, student=student, hourly_rate=Decimal("300.00"), effective_from=date(2020, 1, 1)
    )
    return student


@pytest.fixture
def other(tutor, admin):
    student = StudentFactory(
        first_name="Olwethu", last_name="Otherchild", tutors=[tutor], phone="+27 72 000 1111",
        guardian_name="Xolani Otherparent",
    )  # fmt: skip
    finance.rate_set(
        actor=admin, student=student, hourly_rate=Decimal("250.00"), effective_from=date(2020, 1, 1)
    )
    return student


@pytest.fixture
def history(zinhle, other, moderator, admin, tutor):
    """Lessons (one shared with another student), logs, an issued and a paid invoice."""
    own = lesson(
        moderator, tutor, [zinhle], LAST_MONTH, note="Zinhle Quirkfield did well at fractions",
        notes="Bring Zinhle's workbook", location="17 Larkspur Lane",
    )  # fmt: skip
    group = lesson(moderator, tutor, [zinhle, other], LAST_MONTH + timedelta(days=1))
    LogReceipt.objects.create(
        key="replay-1", user=tutor, session=own, status=200,
        response={"log": {"note": "Zinhle Quirkfield did well at fractions"}},
    )  # fmt: skip
    start, end = LAST_MONTH.replace(day=1), LAST_MONTH + timedelta(days=5)
    invoices = finance.invoices_generate(actor=admin, start=start, end=end)
    zinhle_invoice = next(i for i in invoices if i.lines.filter(student=zinhle).exists())
    # An item added and taken off again: the audit keeps the line's description.
    item = finance.line_add(actor=admin, invoice=zinhle_invoice, description="Zinhle's workbook",
                            unit_price="80")  # fmt: skip
    finance.line_remove(actor=admin, invoice=zinhle_invoice, line_id=item.pk)
    finance.line_add(actor=admin, invoice=zinhle_invoice, description="Workbook for Zinhle",
                     unit_price="80")  # fmt: skip
    issued = finance.invoice_issue(actor=admin, invoice=zinhle_invoice, send=False)
    finance.payment_record(
        actor=admin, payer=issued.payer, amount="100.00", received_on=timezone.localdate(),
        method="eft", reference="ZINHLE QUIRKFIELD", note="Beatrix paid part by EFT",
    )  # fmt: skip
    return {"own": own, "group": group, "invoice": issued, "invoices": invoices}


def open_zip(content: bytes) -> tuple[dict, dict[str, list[dict]], zipfile.ZipFile]:
    archive = zipfile.ZipFile(io.BytesIO(content))
    document = json.loads(archive.read("student.json"))
    tables = {
        name.removesuffix(".csv"): list(
            csv.DictReader(io.StringIO(archive.read(name).decode("utf-8-sig")))
        )
        for name in archive.namelist()
        if name.endswith(".csv")
    }
    return document, tables, archive


# --- Export --------------------------------------------------------------------------------


def test_export_holds_everything_about_the_student_decrypted(admin, zinhle, other, history):
    export = privacy.student_export(actor=admin, student=zinhle)
    assert export.filename.startswith(f"student-{zinhle.pk}-")
    document, tables, archive = open_zip(export.content)
    data = document["tables"]
    assert document["student_id"] == zinhle.pk
    assert set(tables) == set(data)
    assert {"student", "consent", "subjects", "tutors", "availability", "time_off", "sessions",
            "attendance", "session_logs", "rates", "charges", "payers", "invoices",
            "invoice_lines", "payments", "allocations", "audit"} <= set(data)  # fmt: skip

    student = data["student"][0]
    for field in ("first_name", "last_name", "phone", "email", "address", "guardian_name",
                  "guardian_phone", "guardian_email", "notes"):  # fmt: skip
        assert student[field] == PII[field]
    assert student["date_of_birth"] == "2009-02-13"
    assert data["consent"][0]["consent_given_by"] == "Beatrix Hollowmere"
    # The CSV says the same; a cell that starts like a formula ("+27…") gets a quote mark.
    assert tables["student"][0]["guardian_email"] == PII["guardian_email"]
    assert tables["student"][0]["phone"] == "'" + PII["phone"]

    assert len(data["availability"]) == 1
    assert data["time_off"][0]["reason"] == "Zinhle at the Quirkfield family wedding"
    sessions = {row["id"] for row in data["sessions"]}
    assert sessions == {history["own"].pk, history["group"].pk}
    assert {row["session_id"] for row in data["attendance"]} == sessions
    assert len(data["attendance"]) == 2  # theirs only, not the other child's
    notes = {row["note"] for row in data["session_logs"]}
    assert "Zinhle Quirkfield did well at fractions" in notes
    assert {row["amount"] for row in data["charges"]} == {"300.00"}
    assert data["payers"][0]["name"] == "Beatrix Hollowmere"
    invoice = history["invoice"]
    assert [row["id"] for row in data["invoices"]] == [invoice.pk]
    assert data["invoices"][0]["payer_email"] == "beatrix.h@example.org"
    assert {row["description"] for row in data["invoice_lines"]} >= {"Workbook for Zinhle"}
    assert data["payments"][0]["reference"] == "ZINHLE QUIRKFIELD"
    actions = {row["action"] for row in data["audit"]}
    assert {"students.student.created", "students.availability.added"} <= actions

    everything = b"".join(archive.read(name) for name in archive.namelist()).decode("utf-8-sig")
    for theirs in ("Olwethu", "Otherchild", "+27 72 000 1111", "Xolani"):
        assert theirs not in everything


def test_export_is_audited_without_personal_data(admin, zinhle):
    privacy.student_export(actor=admin, student=zinhle)
    entry = AuditLog.objects.get(action="students.student.exported")
    assert (entry.target_type, entry.target_id) == ("students.student", str(zinhle.pk))
    assert entry.changes["rows"]["student"] == 1
    text = json.dumps(entry.changes)
    assert not any(needle.lower() in text.lower() for needle in NEEDLES)


def test_only_admins_export_and_erase(moderator, tutor, zinhle):
    for person in (moderator, tutor):
        with pytest.raises(PermissionDenied):
            privacy.student_export(actor=person, student=zinhle)
        with pytest.raises(PermissionDenied):
            privacy.student_erase(actor=person, student=zinhle, confirmation="Zinhle Quirkfield")


# (role, method, path, body) → status; every request is about an archived student.
ACCESS = [
    ("anonymous", "get", "/export", None, 401),
    ("tutor", "get", "/export", None, 403),
    ("moderator", "get", "/export", None, 403),
    ("admin", "get", "/export", None, 200),
    ("anonymous", "post", "/erase", {"confirmation": "Zinhle Quirkfield"}, 401),
    ("tutor", "post", "/erase", {"confirmation": "Zinhle Quirkfield"}, 403),
    ("moderator", "post", "/erase", {"confirmation": "Zinhle Quirkfield"}, 403),
    ("admin", "post", "/erase", {"confirmation": "Someone Else"}, 422),
    ("admin", "post", "/erase", {"confirmation": " zinhle  quirkfield "}, 204),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), ACCESS)
def test_api_by_role(client, people, bearer, admin, zinhle, role, method, path, body, status):
    student_archive(actor=admin, student=zinhle)
    headers = bearer(people[role]) if people[role] else {}
    url = f"/api/v1/students/{zinhle.pk}{path}"
    kwargs = {"content_type": "application/json"} if body is not None else {}
    response = getattr(client, method)(url, body, **kwargs, **headers)
    assert response.status_code == status
    erased = AuditLog.objects.filter(action="students.student.erased").exists()
    assert erased == (status == 204)
    if status == 200:
        assert response["Content-Type"] == "application/zip"
        assert "attachment" in response["Content-Disposition"]
        document, _tables, _archive = open_zip(response.content)
        assert document["tables"]["student"][0]["phone"] == PII["phone"]


PAGES = [
    (None, "get", "/export/", 302),
    ("tutor", "get", "/export/", 403),
    ("moderator", "get", "/export/", 403),
    ("admin", "get", "/export/", 200),
    ("admin", "post", "/export/", 405),
    (None, "post", "/erase/", 302),
    ("tutor", "post", "/erase/", 403),
    ("moderator", "post", "/erase/", 403),
    ("admin", "post", "/erase/", 302),
]


@pytest.mark.parametrize(("role", "method", "path", "status"), PAGES)
def test_pages_by_role(client, people, admin, zinhle, role, method, path, status):
    student_archive(actor=admin, student=zinhle)
    if role:
        client.force_login(people[role])
    data = {"confirmation": "Zinhle Quirkfield"} if method == "post" else None
    response = getattr(client, method)(f"/students/{zinhle.pk}{path}", data)
    assert response.status_code == status
    if role == "admin" and path == "/erase/":
        assert response["Location"] == "/students/"
        assert privacy.is_erased(zinhle)
        assert not Student.objects.filter(first_name="Zinhle").exists()


def test_the_detail_page_offers_the_export_to_admins_only(client, admin, moderator, zinhle):
    client.force_login(moderator)
    assert f"/students/{zinhle.pk}/export/" not in client.get(f"/students/{zinhle.pk}/").text
    client.force_login(admin)
    assert f"/students/{zinhle.pk}/export/" in client.get(f"/students/{zinhle.pk}/").text


def test_the_erase_page_asks_for_the_name(client, admin, zinhle):
    client.force_login(admin)
    refused = client.get(f"/students/{zinhle.pk}/erase/").text
    assert "Archive the student before erasing them." in refused
    assert 'name="confirmation"' not in refused
    student_archive(actor=admin, student=zinhle)
    wrong = client.post(f"/students/{zinhle.pk}/erase/", {"confirmation": "Zinhle"})
    assert wrong.status_code == 200
    assert "Type the student&#x27;s full name exactly as shown to confirm." in wrong.text
    assert Student.objects.get(pk=zinhle.pk).first_name == "Zinhle"


# --- Erasure -------------------------------------------------------------------------------


def _plain_text_values():
    """Every value of every column of every table, as the database holds it."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [
                c.name for c in connection.introspection.get_table_description(cursor, table)
            ]
            cursor.execute(f"SELECT {', '.join(map(quote, columns))} FROM {quote(table)}")  # noqa: S608
            for row in cursor.fetchall():
                for column, value in zip(columns, row, strict=True):
                    if isinstance(value, bytes | memoryview):
                        value = bytes(value).decode("utf-8", "replace")
                    yield f"{table}.{column}", str(value)


def _decrypted_values():
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        for field in fields:
            for value in model.objects.values_list(field, flat=True):
                yield f"{model._meta.label}.{field}", str(value or "")


def leftovers(needles) -> list[tuple[str, str]]:
    lowered = [n.lower() for n in needles]
    found = []
    for where, value in [*_plain_text_values(), *_decrypted_values()]:
        text = value.lower()
        found += [(where, n) for n in lowered if n in text]
    return found


def test_the_scan_finds_the_data_before_erasure(admin, zinhle, history):
    """The check below would catch a leak: before erasure it finds every kind of trace."""
    where = {place for place, _needle in leftovers(NEEDLES)}
    assert {"students.Student.phone", "finance.Invoice.payer_name",
            "finance_invoiceline.description", "scheduling_session.notes",
            "attendance_sessionlog.note", "attendance_logreceipt.response",
            "students_timeoff.reason",
            "finance.Payment.reference"} <= where  # fmt: skip


def test_after_erasure_no_personal_data_is_left_anywhere(admin, zinhle, other, history):
    invoice, payer = history["invoice"], history["invoice"].payer
    totals = {i.pk: i.total for i in Invoice.objects.all()}
    seats = set(zinhle.seats.values_list("session_id", flat=True))
    student_archive(actor=admin, student=zinhle)

    privacy.student_erase(actor=admin, student=zinhle, confirmation="Zinhle Quirkfield")

    assert leftovers(NEEDLES) == []
    # The business record stays, under a placeholder.
    zinhle.refresh_from_db()
    assert zinhle.full_name == f"Erased student #{zinhle.pk}"
    assert zinhle.status == StudentStatus.ARCHIVED
    assert (zinhle.date_of_birth, zinhle.phone, zinhle.guardian_email) == (None, "", "")
    assert not zinhle.availability.exists()
    assert not zinhle.time_off.exists()
    assert set(zinhle.seats.values_list("session_id", flat=True)) == seats
    assert Attendance.objects.filter(student=zinhle).count() == 2
    assert SessionLog.objects.get(session=history["own"]).note == (
        f"Erased student #{zinhle.pk} did well at fractions"
    )
    assert Session.objects.get(pk=history["own"].pk).location == "[erased]"
    # Invoices keep their numbers and amounts, and still add up.
    for each in Invoice.objects.all():
        assert each.total == totals[each.pk]
        assert each.total == sum((line.amount for line in each.lines.all()), Decimal(0))
    invoice.refresh_from_db()
    assert invoice.number is not None
    assert invoice.payer_name == f"Erased payer #{payer.pk}"
    assert Payment.objects.get(payer=payer).amount == Decimal("100.00")
    # The other student is untouched.
    other.refresh_from_db()
    assert (other.first_name, other.phone) == ("Olwethu", "+27 72 000 1111")
    assert "Olwethu Otherchild" in " ".join(
        Invoice.objects.exclude(payer=payer).values_list("lines__description", flat=True)
    )
    # The chain still verifies, and the erasure is in it without personal data.
    checked, broken = audit_chain_verify()
    assert broken is None
    assert checked == AuditLog.objects.count()
    call_command("verify_audit", stdout=io.StringIO())
    entry = AuditLog.objects.get(action="students.student.erased")
    assert entry.actor_ref == admin.pk
    assert entry.changes["payers_anonymised"] == [payer.pk]
    assert entry.changes["deleted"] is False
    assert AuditLog.objects.filter(action="finance.payer.anonymised").count() == 1


def test_a_payer_who_pays_for_a_sibling_is_kept(admin, moderator, tutor, zinhle):
    sibling = StudentFactory(first_name="Sibusiso", last_name="Sibling", tutors=[tutor])
    payer = finance.payer_save(actor=admin, name="Beatrix Hollowmere", students=[zinhle, sibling],
                               email="beatrix.h@example.org")  # fmt: skip
    finance.rate_set(
        actor=admin, student=sibling, hourly_rate="200", effective_from=date(2020, 1, 1)
    )
    lesson(moderator, tutor, [zinhle], LAST_MONTH)
    lesson(moderator, tutor, [sibling], LAST_MONTH, hour=17)
    start = LAST_MONTH.replace(day=1)
    [invoice] = finance.invoices_generate(actor=admin, start=start, end=LAST_MONTH)
    finance.invoice_issue(actor=admin, invoice=invoice, send=False)
    payment = finance.payment_record(
        actor=admin, payer=payer, amount="500.00", received_on=timezone.localdate(),
        method="eft", reference="HOLLOWMERE ZINHLE SIBUSISO",
    )  # fmt: skip
    student_archive(actor=admin, student=zinhle)

    privacy.student_erase(actor=admin, student=zinhle, confirmation="zinhle quirkfield")

    payer.refresh_from_db()
    invoice.refresh_from_db()
    payment.refresh_from_db()
    assert (payer.name, invoice.payer_name) == ("Beatrix Hollowmere", "Beatrix Hollowmere")
    assert payment.reference == f"HOLLOWMERE Erased student #{zinhle.pk} SIBUSISO"
    assert leftovers(["Zinhle", "Quirkfield", PII["phone"], PII["email"]]) == []
    descriptions = sorted(invoice.lines.values_list("description", flat=True))
    assert descriptions[0].startswith(f"Erased student #{zinhle.pk}: ")
    assert descriptions[1].startswith("Sibusiso Sibling: ")
    assert invoice.total == Decimal("500.00")
    entry = AuditLog.objects.get(action="students.student.erased")
    assert entry.changes["payers_kept"] == [payer.pk]
    assert not AuditLog.objects.filter(action="finance.payer.anonymised").exists()


def test_a_student_with_no_business_record_is_deleted(admin, zinhle):
    payer = finance.payer_save(actor=admin, name="Beatrix Hollowmere", students=[zinhle])
    student_archive(actor=admin, student=zinhle)
    privacy.student_erase(actor=admin, student=zinhle, confirmation="Zinhle Quirkfield")
    assert not Student.objects.filter(pk=zinhle.pk).exists()
    assert not Payer.objects.filter(pk=payer.pk).exists()
    assert not PayerStudent.objects.exists()
    assert leftovers(NEEDLES) == []
    assert AuditLog.objects.get(action="students.student.erased").changes["deleted"] is True


def test_erasure_refuses_until_archived_and_with_the_right_name(admin, zinhle):
    with pytest.raises(Conflict):
        privacy.student_erase(actor=admin, student=zinhle, confirmation="Zinhle Quirkfield")
    student_archive(actor=admin, student=zinhle)
    with pytest.raises(ValidationError) as refused:
        privacy.student_erase(actor=admin, student=zinhle, confirmation="Zinhle")
    assert "confirmation" in refused.value.message_dict
    assert Student.objects.get(pk=zinhle.pk).phone == PII["phone"]


def test_an_erased_student_cannot_be_erased_again(admin, zinhle, history):
    student_archive(actor=admin, student=zinhle)
    privacy.student_erase(actor=admin, student=zinhle, confirmation="Zinhle Quirkfield")
    zinhle.refresh_from_db()
    with pytest.raises(Conflict):
        privacy.student_erase(actor=admin, student=zinhle, confirmation=zinhle.full_name)


def test_names_and_notes_never_reach_the_audit_trail(moderator, zinhle, history):
    entries = json.dumps(list(AuditLog.objects.values_list("changes", flat=True)))
    assert not [n for n in NEEDLES if n.lower() in entries.lower()]
    created = AuditLog.objects.get(action="students.student.created")
    assert created.changes["first_name"] == "[redacted]"


# --- Retention -----------------------------------------------------------------------------


def _archived(admin, months_ago: int, **fields) -> Student:
    student = StudentFactory(**fields)
    student_archive(actor=admin, student=student)
    Student.objects.filter(pk=student.pk).update(
        archived_at=timezone.now() - timedelta(days=months_ago * 31)
    )
    return student


def test_retention_erases_only_archived_students_past_the_period(admin, moderator, tutor, settings):
    settings.STUDENT_RETENTION_MONTHS = 24
    old = _archived(admin, 25, first_name="Oldrecord", tutors=[tutor])
    # Old, but with a lesson: anonymised rather than deleted, and must not be erased twice.
    kept = StudentFactory(first_name="Keptrecord", tutors=[tutor])
    finance_book(moderator, tutor, [kept], past(LAST_MONTH))
    student_archive(actor=admin, student=kept)
    Student.objects.filter(pk=kept.pk).update(archived_at=timezone.now() - timedelta(days=800))
    recent = _archived(admin, 23, first_name="Recentrecord")
    active = StudentFactory(first_name="Activerecord")

    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "Erased 2 " in out.getvalue()
    assert not Student.objects.filter(pk=old.pk).exists()
    assert Student.objects.get(pk=kept.pk).first_name == "Erased student"
    assert Student.objects.get(pk=recent.pk).first_name == "Recentrecord"
    assert Student.objects.get(pk=active.pk).first_name == "Activerecord"
    entries = AuditLog.objects.filter(action="students.student.erased")
    assert set(entries.values_list("target_id", flat=True)) == {str(old.pk), str(kept.pk)}
    assert {e.actor_ref for e in entries} == {None}

    again = io.StringIO()
    call_command("apply_retention", stdout=again)
    assert "Erased 0 " in again.getvalue()
    assert entries.count() == 2
    assert audit_chain_verify()[1] is None


def test_retention_zero_means_never(admin, settings):
    settings.STUDENT_RETENTION_MONTHS = 0
    old = _archived(admin, 120, first_name="Ancient")
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "Retention is off" in out.getvalue()
    assert Student.objects.get(pk=old.pk).first_name == "Ancient"


def test_retention_dry_run_counts_without_erasing(admin, settings):
    settings.STUDENT_RETENTION_MONTHS = 12
    old = _archived(admin, 13, first_name="Counted")
    out = io.StringIO()
    call_command("apply_retention", "--dry-run", stdout=out)
    assert "Would erase 1 " in out.getvalue()
    assert Student.objects.get(pk=old.pk).first_name == "Counted"


def test_retention_counts_months_from_the_archiving_date():
    now = datetime(2031, 3, 31, 12, tzinfo=SAST)
    assert privacy.retention_cutoff(1, now=now) == datetime(2031, 2, 28, 12, tzinfo=SAST)
    assert privacy.retention_cutoff(0, now=now) is None
