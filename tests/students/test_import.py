"""Bulk import of students from CSV and XLSX: reading the sheet, checking it, importing it."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BranchFactory, SchoolFactory, SubjectFactory, UserFactory
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog
from tracker.students import imports
from tracker.students.imports import Problem
from tracker.students.models import Student
from tracker.students.services import student_create

pytestmark = pytest.mark.django_db

CREATED = "students.student.created"
# As people write them: any case, spaces for underscores.
HEADER = [
    "First Name", "Last Name", "Grade", "School", "Branch", "Subjects", "Tutors",
    "Date of birth", "Phone", "E-mail", "Guardian name", "Consent given", "Consent date",
]  # fmt: skip


def make_lookups() -> dict[str, Any]:
    """The school, branch, subjects and tutor that sheets in these tests name."""
    return {
        "school": SchoolFactory(name="Greenwood High"),
        "branch": BranchFactory(name="Central"),
        "maths": SubjectFactory(name="Mathematics"),
        "english": SubjectFactory(name="English"),
        "tutor": UserFactory(username="sipho", email="sipho@example.com", role=Role.TUTOR),
    }


def student_row(i: int) -> list[Any]:
    return [
        f"Learner{i}", f"Surname{i}", "Grade 8", "greenwood high", "Central",
        "Mathematics; english", "sipho", date(2010, 1, 1) + timedelta(days=i),
        f"+27 82 555 {i:04d}", f"learner{i}@example.com", "Grace Guardian", "yes",
        date(2025, 1, 15),
    ]  # fmt: skip


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_bytes(rows: list[list[Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    def cell(value: Any) -> str:
        text = value.isoformat() if isinstance(value, date) else str(value)
        return f'"{text}"' if delimiter in text or "\n" in text else text

    text = "\r\n".join(delimiter.join(cell(value) for value in row) for row in rows) + "\r\n"
    return ("\ufeff" if bom else "").encode() + text.encode()


def created_entries() -> int:
    return AuditLog.objects.filter(action=CREATED).count()


@pytest.fixture
def lookups() -> dict[str, Any]:
    return make_lookups()


def preview_of(actor, rows: list[list[Any]], fmt: str = "csv") -> imports.ImportPreview:
    content = xlsx_bytes(rows) if fmt == "xlsx" else csv_bytes(rows)
    return imports.import_preview(actor=actor, filename=f"students.{fmt}", content=content)


# --- Acceptance --------------------------------------------------------------------------


def test_a_500_row_workbook_with_three_bad_rows_is_refused_then_imported_once_fixed(
    moderator, lookups
):
    rows = [HEADER] + [student_row(i) for i in range(500)]
    rows[6][3] = "Nowhere High"  # sheet row 7
    rows[249][9] = "not-an-email"  # sheet row 250
    rows[498][7] = "2010-02-30"  # sheet row 499, typed as text

    preview = imports.import_preview(
        actor=moderator, filename="Students.XLSX", content=xlsx_bytes(rows)
    )

    assert preview.rows == 500
    assert preview.problems == [
        Problem(7, "school", "There is no active school called “Nowhere High”."),
        Problem(250, "email", "Enter a valid email address."),
        Problem(499, "date_of_birth", "Enter the date as YYYY-MM-DD, such as 2012-03-31."),
    ]
    with pytest.raises(imports.ImportRejected) as rejected:
        imports.import_commit(actor=moderator, filename="students.xlsx", content=xlsx_bytes(rows))
    assert rejected.value.problems == preview.problems
    assert Student.objects.count() == 0
    assert created_entries() == 0

    rows[6][3], rows[249][9], rows[498][7] = "Greenwood High", "fixed@example.com", "2010-02-28"
    started = time.perf_counter()
    students = imports.import_commit(
        actor=moderator, filename="students.xlsx", content=xlsx_bytes(rows)
    )
    elapsed = time.perf_counter() - started

    assert len(students) == Student.objects.count() == 500
    assert created_entries() == 500
    last = Student.objects.get(first_name="Learner499")
    assert last.school == lookups["school"]
    assert last.date_of_birth == date(2010, 1, 1) + timedelta(days=499)
    assert {s.name for s in last.subjects.all()} == {"Mathematics", "English"}
    assert list(last.tutors.all()) == [lookups["tutor"]]
    assert last.consent_given
    assert last.consent_date == date(2025, 1, 15)
    assert last.consent_recorded_by == moderator
    assert elapsed < 30, f"500 students took {elapsed:.1f}s"


def test_a_csv_with_semicolons_and_a_bom_is_checked_and_imported_the_same_way(moderator, lookups):
    rows = [HEADER] + [student_row(i) for i in range(30)]
    rows[3][5] = "Mathematics; Latin"
    rows[10][9] = "learner@"
    rows[20][12] = "15/01/2025"
    content = csv_bytes(rows, delimiter=";", bom=True)

    preview = imports.import_preview(actor=moderator, filename="s.csv", content=content)

    assert preview.rows == 30
    assert preview.problems == [
        Problem(4, "subjects", "There is no active subject called “Latin”."),
        Problem(11, "email", "Enter a valid email address."),
        Problem(21, "consent_date", "Enter the date as YYYY-MM-DD, such as 2012-03-31."),
    ]
    assert Student.objects.count() == 0

    rows[3][5], rows[10][9], rows[20][12] = "Mathematics", "learner10@example.com", "2025-01-15"
    content = csv_bytes(rows, delimiter=";", bom=True)
    students = imports.import_commit(actor=moderator, filename="s.csv", content=content)

    assert len(students) == 30
    assert created_entries() == 30
    assert Student.objects.get(first_name="Learner2").subjects.get().name == "Mathematics"


# --- Reading the file --------------------------------------------------------------------


def test_headers_are_matched_whatever_their_case_spacing_and_order():
    content = csv_bytes(
        [[" LAST name ", "first_NAME", "guardian e-mail"], ["Dube", "Ayanda", "x@example.com"]]
    )
    rows = imports.parse_sheet(filename="a.csv", content=content)
    assert rows == [
        {"row": 2, "last_name": "Dube", "first_name": "Ayanda", "guardian_email": "x@example.com"}
    ]


def test_empty_rows_are_skipped_and_rows_keep_their_sheet_numbers():
    content = xlsx_bytes([["first_name", "last_name"], ["Ann", "One"], [None, None], ["  ", ""],
                          ["Ben", "Two"]])  # fmt: skip
    rows = imports.parse_sheet(filename="a.xlsx", content=content)
    assert [(row["row"], row["first_name"]) for row in rows] == [(2, "Ann"), (5, "Ben")]


def test_a_cell_with_a_line_break_is_one_row_of_the_sheet():
    content = csv_bytes([["first_name", "last_name", "notes"], ["Ann", "One", "line\nbreak"],
                         ["Ben", "Two", ""]])  # fmt: skip
    rows = imports.parse_sheet(filename="a.csv", content=content)
    assert [(row["row"], row.get("notes")) for row in rows] == [(2, "line\nbreak"), (3, None)]


def test_xlsx_date_and_number_cells_are_understood(admin, lookups):
    content = xlsx_bytes([
        ["first_name", "last_name", "date_of_birth", "phone", "default_rate", "consent_given"],
        ["Ann", "One", date(2011, 5, 6), 27825550000, 350.5, True],
    ])  # fmt: skip
    preview = imports.import_preview(actor=admin, filename="a.xlsx", content=content)
    assert preview.problems == []
    fields = preview.cleaned[0].fields
    assert fields["date_of_birth"] == date(2011, 5, 6)
    assert fields["phone"] == "27825550000"
    assert fields["default_rate"] == Decimal("350.5")
    assert fields["consent_given"] is True


@pytest.mark.parametrize(
    ("filename", "content", "message"),
    [
        ("photo.png", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "Upload a .csv or .xlsx file."),
        ("photo.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a CSV text file in UTF-8"),
        ("photo.xlsx", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "not a valid .xlsx workbook"),
        ("old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "Upload a .csv or .xlsx file."),
        ("empty.csv", b"", "The file is empty."),
        ("blank.csv", b"\r\n", "these are missing: first_name, last_name"),
        ("latin1.csv", "first_name,last_name\r\nJosé,Ñandú\r\n".encode("latin-1"), "UTF-8"),
        ("nul.csv", b"first_name,last_name\r\nA\x00n,B\r\n", "damaged"),
        ("header.csv", b"first_name,last_name\r\n", "a header row but no students"),
        ("names.csv", b"name,surname\r\nAnn,One\r\n", "Unknown columns: “name”, “surname”."),
        ("names.csv", b"name,surname\r\nAnn,One\r\n", "these are missing: first_name, last_name"),
        ("extra.csv", b"first_name,last_name,Shoe size,Fav colour\r\nA,B,4,red\r\n",
         "Unknown columns: “Shoe size”, “Fav colour”."),
        ("twice.csv", b"first_name,last_name,Last Name\r\nA,B,C\r\n", "more than once: last_name"),
    ],
)  # fmt: skip
def test_a_file_that_cannot_be_imported_says_why(moderator, filename, content, message):
    preview = imports.import_preview(actor=moderator, filename=filename, content=content)
    assert preview.rows == 0
    assert {(row, field) for row, field, _ in preview.problems} == {(None, "")}
    assert any(message in text for _, _, text in preview.problems), preview.problems


def test_a_zip_that_is_not_a_workbook_is_refused(moderator):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    preview = imports.import_preview(actor=moderator, filename="a.xlsx", content=buffer.getvalue())
    assert "not a valid .xlsx workbook" in preview.problems[0].message


def test_too_many_rows_and_too_many_bytes_are_refused(moderator):
    many = csv_bytes([["first_name", "last_name"]] + [["A", f"B{i}"] for i in range(5_001)])
    assert "more than 5,000 students" in preview_message(moderator, many)
    exactly = csv_bytes([["first_name", "last_name"]] + [["A", f"B{i}"] for i in range(5_000)])
    assert imports.parse_sheet(filename="a.csv", content=exactly)[-1]["row"] == 5_001
    huge = b"first_name,last_name,notes\r\n" + b"A,B," + b"x" * (5 * 1024 * 1024) + b"\r\n"
    assert "larger than 5 MB" in preview_message(moderator, huge)


def preview_message(actor, content: bytes) -> str:
    preview = imports.import_preview(actor=actor, filename="a.csv", content=content)
    assert len(preview.problems) == 1
    return preview.problems[0].message


def test_read_upload_stops_one_byte_past_the_limit():
    upload = io.BytesIO(b"x" * (imports.MAX_FILE_BYTES + 100))
    assert len(imports.read_upload(upload)) == imports.MAX_FILE_BYTES + 1


# --- Checking the rows -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("column", "value", "message"),
    [
        ("school", "Old School", "There is no active school called “Old School”."),
        ("branch", "Nowhere", "There is no active branch called “Nowhere”."),
        ("subjects", "Maths, Latin", "There is no active subject called “Maths”."),
        ("tutors", "nobody", "There is no active tutor with the username or e-mail “nobody”."),
        ("tutors", "boss", "There is no active tutor with the username or e-mail “boss”."),
        ("date_of_birth", "31/03/2012", "Enter the date as YYYY-MM-DD, such as 2012-03-31."),
        ("guardian_email", "grace at home", "Enter a valid email address."),
        ("consent_given", "maybe", "Write yes or no."),
        ("phone", "0" * 41, "Ensure this value has at most 40 characters (it has 41)."),
        ("grade", "G" * 51, "Ensure this value has at most 50 characters (it has 51)."),
        ("last_name", "", "This field cannot be blank."),
        ("default_rate", "lots", "Enter an amount, such as 350.00."),
        ("default_rate", "NaN", "Enter an amount, such as 350.00."),
        ("default_rate", "-5", "A rate cannot be negative."),
        ("default_rate", "1.005", "Ensure that there are no more than 2 decimal places."),
    ],
)
def test_each_bad_value_is_reported_on_its_row_and_column(admin, lookups, column, value, message):
    SchoolFactory(name="Old School", is_active=False)
    UserFactory(username="boss", role=Role.ADMIN)
    header, good, bad = (
        ["first_name", "last_name", column],
        ["Ben", "Two", ""],
        ["Ann", "One", value],
    )
    if column == "last_name":
        header, good, bad = header[:2], good[:2], ["Ann", value]
    preview = preview_of(admin, [header, good, bad])
    assert preview.problems[0] == Problem(3, column, message)


def test_model_messages_are_those_student_create_gives(admin, lookups):
    bad = {"first_name": "A" * 101, "last_name": "", "grade": "G" * 51}
    with pytest.raises(ValidationError) as created:
        student_create(actor=admin, **bad)
    preview = preview_of(admin, [list(bad), list(bad.values())])
    assert {(p.field, p.message) for p in preview.problems} == {
        (field, message)
        for field, messages in created.value.message_dict.items()
        for message in messages
    }


def test_tutors_are_found_by_username_or_email_and_subjects_by_either_separator(moderator, lookups):
    other = UserFactory(username="lindi", email="Lindi@Example.com", role=Role.TUTOR)
    preview = preview_of(moderator, [
        ["first_name", "last_name", "tutors", "subjects"],
        ["Ann", "One", "SIPHO; lindi@example.com", "english,MATHEMATICS; English"],
    ])  # fmt: skip
    assert preview.problems == []
    fields = preview.cleaned[0].fields
    assert fields["tutors"] == [lookups["tutor"], other]
    assert fields["subjects"] == [lookups["english"], lookups["maths"]]


def test_the_same_student_twice_in_a_sheet_is_a_problem(moderator):
    preview = preview_of(moderator, [
        ["first_name", "last_name", "date_of_birth"],
        ["Ann", "One", "2012-01-01"],
        ["ann", "ONE", "2012-01-01"],
        ["Ann", "One", "2013-01-01"],
        ["Ann", "One", ""],
    ])  # fmt: skip
    assert [(p.row, p.field) for p in preview.problems] == [(3, "")]
    assert "as row 2" in preview.problems[0].message


def test_consent_details_without_consent_are_a_problem_not_silently_dropped(moderator):
    preview = preview_of(moderator, [
        ["first_name", "last_name", "consent_given", "consent_date", "consent_given_by"],
        ["Ann", "One", "no", "2025-01-01", "Mother"],
        ["Ben", "Two", "", "", "Father"],
        ["Cas", "Three", "Yes", "", "Father"],
    ])  # fmt: skip
    assert [(p.row, p.field) for p in preview.problems] == [
        (2, "consent_given"),
        (3, "consent_given"),
    ]


def test_a_moderator_may_not_import_rates(moderator, lookups):
    rows = [["first_name", "last_name", "default_rate"], ["Ann", "One", "350"], ["Ben", "Two", ""]]
    preview = preview_of(moderator, rows)
    assert preview.problems == [
        Problem(None, "default_rate", "Only administrators may import rates.")
    ]
    with pytest.raises(imports.ImportRejected):
        imports.import_commit(actor=moderator, filename="a.csv", content=csv_bytes(rows))
    assert Student.objects.count() == 0


def test_an_empty_rate_column_is_fine_for_a_moderator_and_rates_import_for_an_admin(
    moderator, admin
):
    rows = [["first_name", "last_name", "default_rate"], ["Ann", "One", ""]]
    assert preview_of(moderator, rows).problems == []
    rows[1][2] = "350.00"
    (student,) = imports.import_commit(actor=admin, filename="a.csv", content=csv_bytes(rows))
    assert student.default_rate == Decimal("350.00")


def test_a_tutor_may_neither_preview_nor_import(tutor):
    rows = csv_bytes([["first_name", "last_name"], ["Ann", "One"]])
    with pytest.raises(PermissionDenied):
        imports.import_preview(actor=tutor, filename="a.csv", content=rows)
    with pytest.raises(PermissionDenied):
        imports.import_commit(actor=tutor, filename="a.csv", content=rows)
    assert Student.objects.count() == 0


def test_a_row_the_service_refuses_at_import_time_undoes_the_whole_import(moderator, monkeypatch):
    def refuse_the_second(*, actor, **fields):
        if fields["first_name"] == "Ben":
            raise ValidationError({"grade": ["Not this one."]})
        return student_create(actor=actor, **fields)

    monkeypatch.setattr(imports, "student_create", refuse_the_second)
    rows = [["first_name", "last_name"], ["Ann", "One"], ["Ben", "Two"], ["Cas", "Three"]]
    with pytest.raises(imports.ImportRejected) as rejected:
        imports.import_commit(actor=moderator, filename="a.csv", content=csv_bytes(rows))
    assert rejected.value.problems == [Problem(3, "grade", "Not this one.")]
    assert "row 3, grade: Not this one." in rejected.value.messages
    assert Student.objects.count() == 0
    assert created_entries() == 0


def test_the_preview_queries_the_lookups_once_however_many_rows(moderator, lookups):
    def queries_for(count: int) -> list[str]:
        rows = [HEADER] + [student_row(i) for i in range(count)]
        with CaptureQueriesContext(connection) as captured:
            preview = preview_of(moderator, rows, fmt="xlsx")
        assert preview.problems == []
        return [query["sql"] for query in captured.captured_queries]

    small, large = queries_for(10), queries_for(100)

    assert len(large) == len(small) <= 4
    for table in ("org_school", "org_branch", "org_subject", "accounts_user"):
        assert sum(f'FROM "{table}"' in sql for sql in large) == 1, table


# --- The template ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_template_has_every_column_and_an_example_that_imports(admin, fmt):
    SchoolFactory(name="Example High School")
    BranchFactory(name="Main")
    SubjectFactory(name="Mathematics")
    SubjectFactory(name="Physical Sciences")
    content = imports.import_template(fmt)

    rows = imports.parse_sheet(filename=f"t.{fmt}", content=content)
    preview = imports.import_preview(actor=admin, filename=f"t.{fmt}", content=content)

    assert set(rows[0]) == {"row", *imports.TEMPLATE_EXAMPLE}
    assert preview.problems == []
    assert preview.cleaned[0].fields["date_of_birth"] == date(2010, 3, 31)


def test_the_template_header_is_every_column_in_order():
    header = imports.import_template("csv").decode("utf-8-sig").splitlines()[0]
    assert header.split(",") == list(imports.COLUMNS)
    with pytest.raises(ValueError, match="ods"):
        imports.import_template("ods")


# --- The file kept between preview and import --------------------------------------------


@pytest.fixture
def upload_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


def test_a_kept_upload_is_encrypted_and_only_its_uploader_may_open_it(upload_dir, moderator, admin):
    content = csv_bytes([["first_name", "last_name"], ["Zanele", "Secretname"]])
    token = imports.upload_keep(actor=moderator, filename="mine.csv", content=content)

    stored = (upload_dir / token).read_bytes()
    assert b"Secretname" not in stored
    assert b"mine.csv" not in stored
    assert imports.upload_open(actor=moderator, token=token) == ("mine.csv", content)
    with pytest.raises(imports.UploadGone):
        imports.upload_open(actor=admin, token=token)

    imports.upload_discard(token=token)
    assert not (upload_dir / token).exists()
    with pytest.raises(imports.UploadGone):
        imports.upload_open(actor=moderator, token=token)


@pytest.mark.parametrize("token", ["", "../../secret_key", "x" * 32, "a/b"])
def test_a_token_that_names_no_upload_is_gone(upload_dir, moderator, token):
    upload_dir.mkdir(parents=True)
    (upload_dir / ("x" * 32)).write_text("not encrypted")
    with pytest.raises(imports.UploadGone):
        imports.upload_open(actor=moderator, token=token)


def test_uploads_expire_after_an_hour_and_old_files_are_cleaned_up(
    upload_dir, moderator, monkeypatch
):
    content = csv_bytes([["first_name", "last_name"], ["Ann", "One"]])
    old = imports.upload_keep(actor=moderator, filename="a.csv", content=content)
    an_hour_later = time.time() + imports.UPLOAD_MAX_AGE_SECONDS + 1
    monkeypatch.setattr(time, "time", lambda: an_hour_later)

    with pytest.raises(imports.UploadGone):
        imports.upload_open(actor=moderator, token=old)
    new = imports.upload_keep(actor=moderator, filename="a.csv", content=content)

    assert sorted(path.name for path in upload_dir.iterdir()) == [new]
