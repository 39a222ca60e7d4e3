"""Bulk import of students from the spreadsheet a business already keeps (CSV or XLSX).

Checking and importing are one pipeline: `import_preview` reads the sheet and checks every
row without writing; `import_commit` runs that same check and, only when nothing is wrong,
creates every student through `student_create`, so each one is validated and audited like a
student added by hand. All or nothing.

Between the preview page and the "Import" button the uploaded file waits on disk, encrypted
(it holds personal data), under a random token that only its uploader may redeem.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
import json
import os
import re
import secrets
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any, NamedTuple

import openpyxl
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, validate_email
from django.db import transaction
from django.utils.translation import gettext as _
from openpyxl.styles import Font

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can, require
from tracker.lib.crypto import DecryptionError, key_ring
from tracker.org.models import Branch, School, Subject
from tracker.students.models import BASIC_FIELDS, CONTACT_FIELDS, Student
from tracker.students.services import student_create

# The sheet's columns are the student's editable fields, in the form's order.
COLUMNS = (
    *(field for field in BASIC_FIELDS if field != "status"),
    "tutors",
    *CONTACT_FIELDS,
    "default_rate",
)
REQUIRED_COLUMNS = ("first_name", "last_name")
MAX_ROWS = 5_000
MAX_FILE_BYTES = 5 * 1024 * 1024
# An .xlsx is a zip: 5 MB of it can unpack to gigabytes of XML. Real sheets of 5,000 rows
# unpack to a few MB.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
# Excel's own last row: a damaged or hostile sheet cannot make us walk further.
EXCEL_MAX_ROWS = 1_048_576
EXCEL_MAX_COLUMNS = 200
# The same limits as the student form and the API, which the model itself does not have.
TEXT_LIMITS = {
    "phone": 40,
    "email": 254,
    "address": 500,
    "guardian_name": 200,
    "guardian_phone": 40,
    "guardian_email": 254,
    "notes": 5000,
    "consent_given_by": 200,
}
TRUE_WORDS = frozenset({"yes", "y", "true", "1"})
FALSE_WORDS = frozenset({"no", "n", "false", "0"})
ROW = "row"  # the key of each parsed row's sheet row number; no column is called that

TEMPLATE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
TEMPLATE_EXAMPLE = {
    "first_name": "Thandi",
    "last_name": "Example",
    "grade": "Grade 10",
    "school": "Example High School",
    "branch": "Main",
    "subjects": "Mathematics; Physical Sciences",
    "date_of_birth": date(2010, 3, 31),
    "phone": "+27 82 000 0000",
    "email": "thandi@example.com",
    "guardian_name": "Grace Example",
    "guardian_phone": "+27 82 000 0001",
    "guardian_email": "grace@example.com",
    "consent_given": "yes",
    "consent_date": date(2025, 1, 15),
    "consent_given_by": "Grace Example (mother)",
}

UPLOAD_CONTEXT = "students.import"
UPLOAD_MAX_AGE_SECONDS = 60 * 60
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32}$")


class Problem(NamedTuple):
    """One thing to fix: `row` is the sheet's row number, None for the file as a whole;
    `field` is the column, "" for the whole row or file."""

    row: int | None
    field: str
    message: str


class CleanRow(NamedTuple):
    row: int
    fields: dict[str, Any]  # ready for student_create(**fields)


@dataclass(frozen=True)
class ImportPreview:
    rows: int
    problems: list[Problem]
    cleaned: list[CleanRow]


class ImportRejected(ValidationError):
    """The sheet has problems: nothing was imported."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__([_describe(problem) for problem in problems], code="invalid")
        self.problems = problems


def _describe(problem: Problem) -> str:
    where = [_("row %(number)d") % {"number": problem.row}] if problem.row else []
    where += [problem.field] if problem.field else []
    return f"{', '.join(where)}: {problem.message}" if where else problem.message


# --- Reading the file --------------------------------------------------------------------


def read_upload(upload: IO[bytes]) -> bytes:
    """The uploaded file's bytes, one past the limit at most: the check reports the size."""
    return upload.read(MAX_FILE_BYTES + 1)


def parse_sheet(*, filename: str, content: bytes) -> list[dict[str, Any]]:
    """The sheet's non-empty rows as {column: value, ROW: sheet row number}.

    Raises ValidationError with one message a person can act on for a file that cannot be
    read, is too big, or whose header row is wrong.
    """
    if not content:
        raise ValidationError(_("The file is empty."))
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(_("The file is larger than 5 MB. Split it into smaller files."))
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv":
        lines = _csv_lines(content)
    elif suffix == ".xlsx":
        lines = _xlsx_lines(content)
    else:
        raise ValidationError(_("Upload a .csv or .xlsx file."))
    return _rows(lines)


def _csv_lines(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    try:
        text = content.decode("utf-8-sig")  # Excel's "CSV UTF-8" starts with a BOM
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file is not a CSV text file in UTF-8. Save it as “CSV UTF-8” and try again.")
        ) from None
    if "\x00" in text:  # a binary file, and no database column takes a NUL character
        raise ValidationError(_("The CSV file is damaged and cannot be read."))
    header = text.split("\n", 1)[0]
    # Spreadsheets set to a decimal comma separate CSV columns with semicolons.
    delimiter = ";" if header.count(";") > header.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        # Numbered by record, not by line: a cell with a line break is still one sheet row.
        yield from enumerate(reader, start=1)
    except csv.Error:
        raise ValidationError(_("The CSV file is damaged and cannot be read.")) from None


def _xlsx_lines(content: bytes) -> Iterator[tuple[int, list[Any]]]:
    damaged = _(
        "The file is not a valid .xlsx workbook. Open it in your spreadsheet program, save it "
        "as .xlsx and try again."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(item.file_size for item in archive.infolist())
    except zipfile.BadZipFile:
        raise ValidationError(damaged) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ValidationError(_("The workbook is too large. Split it into smaller files."))
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # openpyxl lets its zip and XML layers' many errors through
        raise ValidationError(damaged) from None
    try:
        if not workbook.worksheets:
            raise ValidationError(damaged)
        sheet = workbook.worksheets[0]
        header = next(sheet.iter_rows(max_row=1, max_col=EXCEL_MAX_COLUMNS, values_only=True), ())
        width = max((i + 1 for i, cell in enumerate(header) if not _blank(cell)), default=1)
        yield 1, list(header[:width])
        rows = sheet.iter_rows(min_row=2, max_row=EXCEL_MAX_ROWS, max_col=width, values_only=True)
        yield from enumerate(rows, start=2)
    except ValidationError:
        raise
    except Exception:  # the rows are parsed lazily: damage may only show here
        raise ValidationError(damaged) from None
    finally:
        workbook.close()


def _rows(lines: Iterator[tuple[int, list[Any]]]) -> list[dict[str, Any]]:
    first = next(lines, None)
    if first is None:
        raise ValidationError(_("The file is empty."))
    columns = _columns(first[1])
    rows: list[dict[str, Any]] = []
    for number, cells in lines:
        values = {
            name: _plain(cell)
            for name, cell in zip(columns, cells, strict=False)
            if name and not _blank(cell)
        }
        if not values:
            continue
        if len(rows) == MAX_ROWS:
            raise ValidationError(
                _("The file has more than %(max)s students. Split it into smaller files.")
                % {"max": f"{MAX_ROWS:,}"}
            )
        rows.append({ROW: number, **values})
    if not rows:
        raise ValidationError(_("The file has a header row but no students under it."))
    return rows


def _header_key(text: str) -> str:
    return re.sub(r"[\s_-]+", "", text).casefold()


_COLUMN_BY_KEY = {_header_key(name): name for name in COLUMNS}


def _columns(header: list[Any]) -> list[str | None]:
    """The column name of each cell of the header row; None for a blank header cell."""
    columns: list[str | None] = []
    unknown: list[str] = []
    for cell in header:
        text = "" if cell is None else str(cell).strip()
        name = _COLUMN_BY_KEY.get(_header_key(text)) if text else None
        if text and name is None:
            unknown.append(text)
        columns.append(name)
    errors = []
    if unknown:
        errors.append(
            _("Unknown columns: %(names)s. The columns are: %(known)s.")
            % {"names": ", ".join(f"“{n}”" for n in unknown), "known": ", ".join(COLUMNS)}
        )
    repeated = sorted({name for name in columns if name and columns.count(name) > 1})
    if repeated:
        errors.append(
            _("These columns appear more than once: %(names)s.") % {"names": ", ".join(repeated)}
        )
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        errors.append(
            _("The first row must name the columns; these are missing: %(names)s.")
            % {"names": ", ".join(missing)}
        )
    if errors:
        raise ValidationError(errors)
    return columns


def _blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


def _plain(cell: Any) -> Any:
    if isinstance(cell, str):
        return cell.strip()
    if isinstance(cell, datetime):
        return cell.date()
    return cell


# --- Checking the rows -------------------------------------------------------------------


@dataclass(frozen=True)
class Lookups:
    """The active schools, branches, subjects and tutors, loaded once per sheet."""

    schools: dict[str, School]
    branches: dict[str, Branch]
    subjects: dict[str, Subject]
    tutors: dict[str, User]

    @classmethod
    def load(cls) -> Lookups:
        tutors = list(User.objects.filter(role=Role.TUTOR, is_active=True))
        by_login: dict[str, User] = {}
        for tutor in tutors:
            if tutor.email:
                by_login.setdefault(tutor.email.casefold(), tutor)
        # A username wins over someone else's e-mail address that happens to read the same.
        by_login.update({tutor.username.casefold(): tutor for tutor in tutors})
        return cls(
            schools=_by_name(School),
            branches=_by_name(Branch),
            subjects=_by_name(Subject),
            tutors=by_login,
        )


def _by_name(model: type[School | Branch | Subject]) -> dict[str, Any]:
    return {item.name.casefold(): item for item in model.objects.filter(is_active=True)}


def _text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a phone number typed into a number cell
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def _limited(column: str, text: str) -> str:
    if column in TEXT_LIMITS:
        MaxLengthValidator(TEXT_LIMITS[column])(text)
    return text


def _email(column: str, value: Any) -> str:
    text = _limited(column, _text(value))
    validate_email(text)
    return text


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        # A calendar date, not a moment: no time zone to attach.
        return datetime.strptime(_text(value), "%Y-%m-%d").date()  # noqa: DTZ007
    except ValueError:
        raise ValidationError(_("Enter the date as YYYY-MM-DD, such as 2012-03-31.")) from None


def _yes_no(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    word = _text(value).casefold()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValidationError(_("Write yes or no."))


def _rate(value: Any) -> Decimal:
    try:
        rate = Decimal(_text(value).replace(" ", ""))
    except InvalidOperation:
        raise ValidationError(_("Enter an amount, such as 350.00.")) from None
    if not rate.is_finite():
        raise ValidationError(_("Enter an amount, such as 350.00."))
    if rate < 0:
        raise ValidationError(_("A rate cannot be negative."))
    return rate


def _one(found: dict[str, Any], value: Any, message: str) -> Any:
    name = _text(value)
    if name.casefold() not in found:
        raise ValidationError(message % {"name": name})
    return found[name.casefold()]


def _several(found: dict[str, Any], value: Any, message: str) -> list[Any]:
    names = [name.strip() for name in re.split(r"[;,]", _text(value)) if name.strip()]
    unknown = [name for name in names if name.casefold() not in found]
    if unknown:
        raise ValidationError([message % {"name": name} for name in unknown])
    return list({found[name.casefold()].pk: found[name.casefold()] for name in names}.values())


def _clean_value(column: str, value: Any, lookups: Lookups) -> Any:
    if column == "school":
        return _one(lookups.schools, value, _("There is no active school called “%(name)s”."))
    if column == "branch":
        return _one(lookups.branches, value, _("There is no active branch called “%(name)s”."))
    if column == "subjects":
        return _several(lookups.subjects, value, _("There is no active subject called “%(name)s”."))
    if column == "tutors":
        message = _("There is no active tutor with the username or e-mail “%(name)s”.")
        return _several(lookups.tutors, value, message)
    if column in {"date_of_birth", "consent_date"}:
        return _date(value)
    if column in {"email", "guardian_email"}:
        return _email(column, value)
    if column == "consent_given":
        return _yes_no(value)
    if column == "default_rate":
        return _rate(value)
    return _limited(column, _text(value))


def _clean_row(row: dict[str, Any], lookups: Lookups) -> tuple[dict[str, Any], list[Problem]]:
    number = row[ROW]
    fields: dict[str, Any] = {}
    errors: dict[str, list[str]] = {}
    for column in COLUMNS:
        if column not in row:
            continue
        try:
            fields[column] = _clean_value(column, row[column], lookups)
        except ValidationError as exc:
            errors[column] = exc.messages
    if not fields.get("consent_given") and ({"consent_date", "consent_given_by"} & fields.keys()):
        # student_create would drop them without a word: say so before the import.
        errors.setdefault("consent_given", []).append(
            _("Write yes here, or leave the consent date and who gave it empty.")
        )
    errors.update(_model_errors(fields, skip=errors.keys()))
    problems = [
        Problem(number, column, message)
        for column in sorted(errors, key=_column_order)
        for message in errors[column]
    ]
    return fields, problems


def _model_errors(fields: dict[str, Any], skip: Any) -> dict[str, list[str]]:
    """What the model's validation in student_create says about these values."""
    student = Student(
        rate_currency=settings.CURRENCY,
        **{name: value for name, value in fields.items() if name not in {"subjects", "tutors"}},
    )
    try:
        # Without the checks that cost a query or more a row and cannot fail here: school and
        # branch are among the active ones loaded above, the status is the default and a
        # negative rate is refused by _rate. student_create runs them all again on import.
        student.full_clean(
            exclude=["subjects", "tutors", "school", "branch", *skip], validate_constraints=False
        )
    except ValidationError as exc:
        return exc.message_dict
    return {}


def _column_order(column: str) -> int:
    return COLUMNS.index(column) if column in COLUMNS else -1


def _duplicate_problems(cleaned: list[CleanRow]) -> list[Problem]:
    first_seen: dict[tuple[str, str, date | None], int] = {}
    problems = []
    for number, fields in cleaned:
        if not (fields.get("first_name") and fields.get("last_name")):
            continue  # already reported as missing
        key = (
            str(fields.get("first_name", "")).casefold(),
            str(fields.get("last_name", "")).casefold(),
            fields.get("date_of_birth"),
        )
        if key in first_seen:
            problems.append(
                Problem(
                    number,
                    "",
                    _(
                        "Same first name, last name and date of birth as row %(row)d: "
                        "remove one of them, or add the date of birth to tell them apart."
                    )
                    % {"row": first_seen[key]},
                )
            )
        else:
            first_seen[key] = number
    return problems


def import_preview(*, actor: User, filename: str, content: bytes) -> ImportPreview:
    """Check every row as student_create would, without writing anything."""
    require(actor, Cap.STUDENT_EDIT)
    try:
        rows = parse_sheet(filename=filename, content=content)
    except ValidationError as exc:
        file_problems = [Problem(None, "", message) for message in exc.messages]
        return ImportPreview(rows=0, problems=file_problems, cleaned=[])
    problems: list[Problem] = []
    if not can(actor, Cap.STUDENT_VIEW_MONEY) and any("default_rate" in row for row in rows):
        problems.append(Problem(None, "default_rate", _("Only administrators may import rates.")))
        rows = [{k: v for k, v in row.items() if k != "default_rate"} for row in rows]
    lookups = Lookups.load()
    cleaned = []
    for row in rows:
        fields, row_problems = _clean_row(row, lookups)
        problems += row_problems
        cleaned.append(CleanRow(row[ROW], fields))
    problems += _duplicate_problems(cleaned)
    problems.sort(key=lambda p: (p.row or 0, _column_order(p.field)))
    return ImportPreview(rows=len(rows), problems=problems, cleaned=cleaned)


@transaction.atomic
def import_commit(*, actor: User, filename: str, content: bytes) -> list[Student]:
    """Create every student of the sheet, or none: raises ImportRejected on any problem."""
    preview = import_preview(actor=actor, filename=filename, content=content)
    if preview.problems:
        raise ImportRejected(preview.problems)
    students: list[Student] = []
    problems: list[Problem] = []
    for number, fields in preview.cleaned:
        try:
            students.append(student_create(actor=actor, **fields))
        except ValidationError as exc:
            # A rule of the service that the preview does not know: still name the row. The
            # students created so far go with the transaction.
            problems += [
                Problem(number, "" if field == "__all__" else field, message)
                for field, messages in exc.message_dict.items()
                for message in messages
            ]
    if problems:
        raise ImportRejected(problems)
    return students


# --- The template ------------------------------------------------------------------------


def import_template(fmt: str) -> bytes:
    """The header row and one made-up example row, as CSV or XLSX."""
    example = [TEMPLATE_EXAMPLE.get(name, "") for name in COLUMNS]
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerow([_text(value) for value in example])
        # With the BOM, Excel opens the file as UTF-8 instead of mangling accents.
        return buffer.getvalue().encode("utf-8-sig")
    if fmt == "xlsx":
        workbook = openpyxl.Workbook()
        sheet = workbook.active
        sheet.title = _("Students")
        sheet.append(COLUMNS)
        sheet.append(example)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for cell in sheet[2]:
            if isinstance(cell.value, date):
                cell.number_format = "yyyy-mm-dd"
        sheet.freeze_panes = "A2"
        buffer = io.BytesIO()
        workbook.save(buffer)
        return buffer.getvalue()
    raise ValueError(f"unknown template format {fmt!r}")


# --- The file kept between the preview and the import ------------------------------------


class UploadGone(ValidationError):
    """The token names no file this user may import: expired, imported already, or not theirs."""


def _upload_dir() -> Path:
    return Path(settings.VAR_DIR) / "imports"


def upload_keep(*, actor: User, filename: str, content: bytes) -> str:
    """Keep the file, encrypted, for its uploader's "Import" button; returns its token."""
    folder = _upload_dir()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    _discard_old(folder)
    token = secrets.token_urlsafe(24)
    payload = json.dumps(
        {
            "user": actor.pk,
            "filename": filename,
            "stored_at": time.time(),
            "content": base64.b64encode(content).decode(),
        }
    )
    sealed = key_ring().encrypt(payload, context=UPLOAD_CONTEXT)
    descriptor = os.open(folder / token, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(sealed)
    return token


def upload_open(*, actor: User, token: str) -> tuple[str, bytes]:
    """The filename and content kept under `token`, if this user uploaded them."""
    gone = UploadGone(
        _("This upload is no longer available (it expires after an hour). Upload the file again.")
    )
    path = _upload_dir() / token
    if not _TOKEN.match(token) or not path.is_file():
        raise gone
    try:
        payload = json.loads(key_ring().decrypt(path.read_text(), context=UPLOAD_CONTEXT))
        content = base64.b64decode(payload["content"], validate=True)
    except (DecryptionError, ValueError, KeyError, binascii.Error):
        raise gone from None
    # Someone else's token answers like an expired one: it does not confirm the file exists.
    if payload["user"] != actor.pk or time.time() - payload["stored_at"] > UPLOAD_MAX_AGE_SECONDS:
        raise gone
    return payload["filename"], content


def upload_discard(*, token: str) -> None:
    if _TOKEN.match(token):
        (_upload_dir() / token).unlink(missing_ok=True)


def _discard_old(folder: Path) -> None:
    cutoff = time.time() - UPLOAD_MAX_AGE_SECONDS
    for path in folder.iterdir():
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink(missing_ok=True)
        except FileNotFoundError:
            continue  # another request cleaned it up first
