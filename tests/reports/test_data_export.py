"""The full data export: every table a role may see, as CSV in a ZIP; moderators without
money; never a secret; the CSV reads back as the data; a fixed number of queries."""

from __future__ import annotations

import base64
import csv
import io
import json
import zipfile
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.sessions.models import Session as DjangoSession
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.students import test_privacy as privacy_world
from tests.students.conftest import StudentFactory
from tracker.accounts.models import ApiToken, SignInSession
from tracker.accounts.tokens import token_issue
from tracker.audit.models import AuditLog
from tracker.lib import crypto
from tracker.messaging.models import SearchToken
from tracker.messaging.services import thread_start
from tracker.reports import data_export
from tracker.reports.data_export import TABLES, export_data, export_tables
from tracker.scheduling.models import CalendarFeed, Session, SessionStudent

pytestmark = pytest.mark.django_db

# The privacy tests' world (a student with every kind of personal data, lessons, logs, an
# issued invoice, a payment) serves here too, as fixtures.
PII = privacy_world.PII
zinhle, other, history = privacy_world.zinhle, privacy_world.other, privacy_world.history

FINANCE = {
    "rates", "tutor_pay_rates", "charges", "tutor_earnings", "payers", "payer_students",
    "number_series", "invoices", "invoice_lines", "payments", "allocations",
}  # fmt: skip
# Words that make a column name about money: none may head a column of a moderator's export.
MONEY_WORDS = {
    "price", "amount", "rate", "rates", "hourly", "currency", "total", "totals", "balance",
    "pay", "paid", "payment", "payer", "earning", "earnings", "charge", "charges", "invoice",
    "fee", "cost", "income", "revenue",
}  # fmt: skip
# The domain apps, and what of them is left out of every export on purpose (and why).
DOMAIN_APPS = ("accounts", "org", "students", "scheduling", "attendance", "finance",
               "messaging", "audit")  # fmt: skip
LEFT_OUT_MODELS = {
    "accounts.apitoken",  # token digests: secrets
    "scheduling.calendarfeed",  # the subscription URL's secret
    "scheduling.feedversion",  # a change counter, not data
    "attendance.logreceipt",  # stored answers of replayed logs: a copy of the log
    # Conversations are private to their members; admins cannot read them either.
    "messaging.thread", "messaging.threadmember", "messaging.message", "messaging.receipt",
    "messaging.searchtoken", "messaging.notification", "messaging.notificationpreference",
    "messaging.inboxversion", "messaging.remindersent",
    # Django's own groups and permissions: roles replace them (accounts.permissions).
    "accounts.user_groups", "accounts.user_user_permissions",
}  # fmt: skip
LEFT_OUT_FIELDS = {"accounts.user": {"password"}, "accounts.signinsession": {"session_key"}}


def read(export) -> tuple[dict[str, list[list[str]]], zipfile.ZipFile]:
    """Every CSV of the ZIP as rows (the header first), read back with the csv module."""
    archive = zipfile.ZipFile(io.BytesIO(export.file.read()))
    tables = {
        name.removesuffix(".csv"): list(
            csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"), newline=""))
        )
        for name in archive.namelist()
        if name.endswith(".csv")
    }
    return tables, archive


def as_dicts(rows: list[list[str]]) -> list[dict[str, str]]:
    header, *body = rows
    return [dict(zip(header, row, strict=True)) for row in body]


def everything(archive: zipfile.ZipFile) -> str:
    return "\n".join(archive.read(name).decode("utf-8-sig") for name in archive.namelist())


def neutralised(text: str) -> str:
    """What a spreadsheet-safe CSV holds for a text (see tracker.lib.tabular)."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def by_id(rows: list[list[str]], pk: int) -> dict[str, str]:
    return next(row for row in as_dicts(rows) if row["id"] == str(pk))


# --- What each role gets -------------------------------------------------------------------


def test_admin_gets_every_table_decrypted_with_money_and_audit(admin, zinhle, history):
    export = export_data(actor=admin)
    tables, archive = read(export)
    assert export.filename.startswith("tracker-data-")
    assert export.filename.endswith(".zip")
    assert set(archive.namelist()) == (
        {t.filename for t in TABLES} | {"README.txt", "manifest.json"}
    )
    assert FINANCE | {"audit_log", "sessions", "students"} <= set(tables)

    student = by_id(tables["students"], zinhle.pk)
    for field in ("first_name", "last_name", "email", "address", "guardian_name",
                  "guardian_phone", "guardian_email", "notes", "consent_given_by"):  # fmt: skip
        assert student[field] == neutralised(PII[field]), field
    # "+27…" reads as a formula to a spreadsheet: neutralised as in every CSV of the app.
    assert student["phone"] == "'" + PII["phone"]
    assert student["date_of_birth"] == "2009-02-13"

    invoice = history["invoice"]
    assert by_id(tables["invoices"], invoice.pk)["payer_email"] == PII["guardian_email"]
    assert by_id(tables["invoices"], invoice.pk)["total"] == format(invoice.total, "f")
    assert {row["hourly_rate"] for row in as_dicts(tables["rates"])} == {"300.00", "250.00"}
    assert {row["reference"] for row in as_dicts(tables["payments"])} == {"ZINHLE QUIRKFIELD"}
    assert {row["name"] for row in as_dicts(tables["payers"])} >= {PII["guardian_name"]}
    assert {"price", "currency"} <= set(tables["sessions"][0])
    actions = {row["action"] for row in as_dicts(tables["audit_log"])}
    assert {"students.student.created", "finance.invoice.issued"} <= actions

    manifest = json.loads(archive.read("manifest.json"))
    assert manifest["role"] == "admin"
    assert manifest["tables"]["sessions"]["columns"] == tables["sessions"][0]
    for table in TABLES:
        assert manifest["tables"][table.name]["rows"] == table.model.objects.count() - (
            1 if table.name == "audit_log" else 0  # the export's own entry comes after
        ), table.name
        assert export.counts[table.name] == len(tables[table.name]) - 1
    readme = archive.read("README.txt").decode()
    assert "invoices.csv" in readme
    assert "Messages and notifications" in readme


def test_moderator_gets_no_money_anywhere_and_no_audit(moderator, zinhle, history):
    type(zinhle).objects.filter(pk=zinhle.pk).update(default_rate=Decimal("987.65"))
    tables, archive = read(export_data(actor=moderator))

    assert not (FINANCE | {"audit_log", "sign_ins", "api_sign_ins"}) & set(tables)
    for name, rows in tables.items():
        for column in rows[0]:
            assert not set(column.split("_")) & MONEY_WORDS, f"{name}.{column}"
    text = everything(archive)
    assert "987.65" not in text  # the student's default rate
    assert "ZINHLE QUIRKFIELD" not in text  # a payment's reference
    assert "Money (prices, rates" in archive.read("README.txt").decode()
    assert json.loads(archive.read("manifest.json"))["role"] == "moderator"

    # Students with their contact details; staff accounts with their basic fields only.
    student = by_id(tables["students"], zinhle.pk)
    assert student["guardian_email"] == PII["guardian_email"]
    assert "default_rate" not in student
    assert not {"email", "phone", "last_login"} & set(tables["users"][0])
    assert {row["id"] for row in as_dicts(tables["sessions"])} >= {str(history["own"].pk)}


def test_the_admin_export_has_a_column_for_every_field_not_left_out_on_purpose():
    """A new model or column fails here until someone decides who may export it."""
    exported = {t.model._meta.label_lower: set(t.columns + t.admin_columns) for t in TABLES}
    for app in DOMAIN_APPS:
        for model in apps.get_app_config(app).get_models(include_auto_created=True):
            label = model._meta.label_lower
            if label in LEFT_OUT_MODELS:
                continue
            assert label in exported, f"{label} is in no export: add it, or leave it out here"
            fields = {f.attname for f in model._meta.concrete_fields}
            missing = fields - exported[label] - LEFT_OUT_FIELDS.get(label, set())
            assert missing == set(), label


def test_tutors_get_nothing(tutor):
    with pytest.raises(PermissionDenied):
        export_tables(actor=tutor)
    with pytest.raises(PermissionDenied):
        export_data(actor=tutor)
    assert not AuditLog.objects.filter(action=data_export.EXPORTED).exists()


# --- Secrets --------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["admin", "moderator"])
def test_no_secret_is_ever_exported(client, people, tutor, zinhle, history, role):
    admin = people["admin"]
    pair = token_issue(user=tutor)
    totp = TOTPDevice.objects.create(user=admin, name="Phone", confirmed=True)
    recovery = StaticDevice.objects.create(user=admin, name="Backup codes", confirmed=True)
    StaticToken.objects.create(device=recovery, token="rcvq7x2mpl")
    feed = CalendarFeed.objects.create(user=tutor)
    client.force_login(admin)
    signin = SignInSession.objects.create(
        user=admin, session_key="k3ysk3ysk3ysk3ysk3ys0123456789ab"
    )
    thread_start(actor=admin, recipients=[tutor], subject="Staff room", body="Quuxplorative gossip")
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM students_student WHERE id = %s", [zinhle.pk])
        (ciphertext,) = cursor.fetchone()
    secrets = {
        "password hash": admin.password,
        "access token": pair.access_token,
        "refresh token": pair.refresh_token,
        "TOTP key": totp.key,
        "recovery code": "rcvq7x2mpl",
        "calendar feed": feed.secret,
        "sign-in key": signin.session_key,
        "message body": "Quuxplorative",
        "stored ciphertext": ciphertext,
        "secret key": settings.SECRET_KEY,
        "replayed log key": "replay-1",
    }
    for model, field in ((ApiToken, "digest"), (DjangoSession, "session_key"),
                         (SearchToken, "digest")):  # fmt: skip
        for i, value in enumerate(model.objects.values_list(field, flat=True)):
            secrets[f"{model.__name__}.{field} {i}"] = value
    assert SearchToken.objects.exists()
    assert DjangoSession.objects.exists()

    _tables, archive = read(export_data(actor=people[role]))
    raw = b"".join(archive.read(name) for name in archive.namelist())
    text = raw.decode("utf-8-sig", errors="replace")
    leaked = {name for name, secret in secrets.items() if secret and secret in text}
    assert leaked == set()
    for key in crypto._configured_keys():
        spellings = {key, base64.b64encode(key), base64.urlsafe_b64encode(key), key.hex().encode()}
        assert not any(spelling in raw for spelling in spellings)


# --- The CSV itself -------------------------------------------------------------------------


def test_the_csv_reads_back_as_the_data(admin, tutor):
    awkward = {
        "first_name": 'Zoë "Z", the\nfirst',
        "last_name": '=HYPERLINK("http://evil.example","x")',
        "notes": "Line one\r\nline two, ünïcödé 🎓; 5 > 3",
        "address": "-1 Minus Street",
    }
    student = StudentFactory(
        **awkward, default_rate=Decimal("1234.50"), date_of_birth=date(2010, 2, 28)
    )
    start = datetime(2031, 3, 12, 13, 0, 7, 123456, tzinfo=UTC)
    session = Session.objects.create(
        tutor=tutor, start=start, end=start + timedelta(minutes=45), price=Decimal("450.25"),
        notes="+ bring the calculator",
    )  # fmt: skip
    SessionStudent.objects.create(
        session=session, student=student, start=session.start, end=session.end
    )
    student.refresh_from_db()

    tables, _archive = read(export_data(actor=admin))
    row = by_id(tables["students"], student.pk)
    assert row["first_name"] == awkward["first_name"]
    assert row["notes"] == awkward["notes"]
    # Formulas and things that look like them are neutralised, numbers are left alone.
    assert row["last_name"] == "'" + awkward["last_name"]
    assert row["address"] == "'" + awkward["address"]
    assert row["default_rate"] == "1234.50"
    assert Decimal(row["default_rate"]) == student.default_rate
    assert date.fromisoformat(row["date_of_birth"]) == student.date_of_birth
    assert datetime.fromisoformat(row["created_at"]) == student.created_at
    assert row["archived_at"] == ""
    assert row["school_id"] == str(student.school_id)

    seat = next(
        r for r in as_dicts(tables["session_students"]) if r["student_id"] == str(student.pk)
    )
    assert seat["session_id"] == str(session.pk)
    row = by_id(tables["sessions"], session.pk)
    assert datetime.fromisoformat(row["start"]) == start
    assert row["start"].endswith("+02:00")  # the business's time zone, offset included
    assert Decimal(row["price"]) == Decimal("450.25")
    assert row["notes"] == "'+ bring the calculator"
    assert (row["billable"], row["series_id"], row["tutor_id"]) == ("True", "", str(tutor.pk))


def test_json_columns_are_json(admin, zinhle):
    tables, _archive = read(export_data(actor=admin))
    created = next(
        row for row in as_dicts(tables["audit_log"]) if row["action"] == "students.student.created"
    )
    entry = AuditLog.objects.get(pk=created["id"])
    assert json.loads(created["changes"]) == entry.changes
    assert created["hash"] == entry.hash


def test_a_big_export_moves_to_disk_and_stays_a_valid_zip(admin, zinhle, monkeypatch):
    monkeypatch.setattr(data_export, "IN_MEMORY", 1024)
    export = export_data(actor=admin)
    assert export.file._rolled  # on disk, not in memory
    tables, _archive = read(export)
    assert by_id(tables["students"], zinhle.pk)["last_name"] == PII["last_name"]


# --- Cost -----------------------------------------------------------------------------------


def sessions(tutor, student, count: int, offset: int = 0) -> None:
    base = datetime(2031, 1, 5, 8, tzinfo=UTC)
    made = Session.objects.bulk_create(
        Session(tutor=tutor, start=base + timedelta(hours=2 * i),
                end=base + timedelta(hours=2 * i, minutes=45))
        for i in range(offset, offset + count)
    )  # fmt: skip
    SessionStudent.objects.bulk_create(
        SessionStudent(session=s, student=student, start=s.start, end=s.end) for s in made
    )


def queries(actor) -> int:
    with CaptureQueriesContext(connection) as captured:
        export_data(actor=actor)
    return len(captured)


@pytest.mark.parametrize("role", ["admin", "moderator"])
def test_the_number_of_queries_does_not_grow_with_the_data(people, tutor, role):
    student = StudentFactory(tutors=[tutor])
    actor = people[role]
    sessions(tutor, student, 5)
    few = queries(actor)
    sessions(tutor, student, 45, offset=5)
    StudentFactory.create_batch(10, tutors=[tutor])
    assert queries(actor) == few
    # One per table, the role check reads nothing, and a few to write the audit entry.
    assert few <= len(export_tables(actor=actor)) + 8


# --- Audit ----------------------------------------------------------------------------------


def test_every_export_is_audited_with_counts_not_data(moderator, zinhle, history):
    export = export_data(actor=moderator)
    entry = AuditLog.objects.get(action=data_export.EXPORTED)
    assert entry.actor_label == "moderator"
    assert entry.changes == {"role": "moderator", "rows": export.counts}
    assert entry.changes["rows"]["students"] == 2
    text = json.dumps(entry.changes)
    assert "Zinhle" not in text
    assert "Beatrix" not in text


# --- Page and API ---------------------------------------------------------------------------


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("tutor", 403), ("moderator", 200), ("admin", 200)]
)
def test_api_by_role(client, people, bearer, role, status):
    headers = bearer(people[role]) if people[role] else {}
    response = client.get("/api/v1/exports/data", **headers)
    assert response.status_code == status
    audited = AuditLog.objects.filter(action=data_export.EXPORTED).exists()
    assert audited == (status == 200)
    if status == 200:
        assert response["Content-Type"] == "application/zip"
        assert response["Content-Disposition"].startswith('attachment; filename="tracker-data-')
        names = zipfile.ZipFile(io.BytesIO(body(response))).namelist()
        assert ("invoices.csv" in names) == (role == "admin")
        assert {"README.txt", "manifest.json"} <= set(names)
    else:
        assert response["Content-Type"].startswith("application/problem+json")


def test_api_refuses_other_methods(client, admin, bearer):
    assert client.post("/api/v1/exports/data", **bearer(admin)).status_code == 405


@pytest.mark.parametrize(
    ("role", "path", "method", "status"),
    [
        ("anonymous", "/exports/", "get", 302),
        ("anonymous", "/exports/data.zip", "get", 302),
        ("tutor", "/exports/", "get", 403),
        ("tutor", "/exports/data.zip", "get", 403),
        ("moderator", "/exports/", "get", 200),
        ("moderator", "/exports/data.zip", "get", 200),
        ("admin", "/exports/", "get", 200),
        ("admin", "/exports/data.zip", "get", 200),
        ("admin", "/exports/", "post", 405),
        ("admin", "/exports/data.zip", "post", 405),
    ],
)
def test_pages_by_role(client, people, role, path, method, status):
    if people[role]:
        client.force_login(people[role])
    response = getattr(client, method)(path)
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_the_page_lists_what_the_role_gets(client, people, role):
    client.force_login(people[role])
    html = client.get("/exports/").content.decode()
    assert 'href="/exports/data.zip"' in html
    assert "sessions.csv" in html
    assert "students.csv" in html
    assert ("invoices.csv" in html) == (role == "admin")
    assert ("audit_log.csv" in html) == (role == "admin")
    sessions_columns = next(t for t in export_tables(actor=people[role]) if t.name == "sessions")
    assert ("price" in sessions_columns.columns) == (role == "admin")
