"""The import page and the import API: access by role, the preview, the import, bad files."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.factories import UserFactory
from tests.students.test_import import csv_bytes, make_lookups
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog
from tracker.org.models import School
from tracker.students import imports
from tracker.students.models import Student

pytestmark = pytest.mark.django_db

UPLOAD = reverse("students-import:upload")
COMMIT = reverse("students-import:commit")
API = "/api/v1/students/import"
ROLES = ("admin", "moderator", "tutor", "anonymous")
GOOD = [["first_name", "last_name", "school", "subjects", "tutors"]] + [
    [f"Learner{i}", f"Surname{i}", "Greenwood High", "Mathematics", "sipho"] for i in range(25)
]


@pytest.fixture(autouse=True)
def upload_dir(settings, tmp_path):
    settings.VAR_DIR = tmp_path
    return tmp_path / "imports"


@pytest.fixture
def lookups() -> dict[str, Any]:
    return make_lookups()


def sheet(rows: list[list[Any]] = GOOD, name: str = "students.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, csv_bytes(rows), content_type="text/csv")


def signed_in(client, request, role: str):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    return request.getfixturevalue(role) if role != "anonymous" else None


# --- Who may do what ---------------------------------------------------------------------

EXPECTED = {
    #                 admin moderator tutor anonymous
    "upload page":    (200, 200, 403, 302),
    "check a file":   (200, 200, 403, 302),
    "import":         (302, 302, 403, 302),
    "csv template":   (200, 200, 403, 302),
    "xlsx template":  (200, 200, 403, 302),
    "api dry run":    (200, 200, 403, 401),
    "api import":     (201, 201, 403, 401),
    "api template":   (200, 200, 403, 401),
}  # fmt: skip
ACCESS = [
    (action, role, status)
    for action, statuses in EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("action", "role", "status"), ACCESS)
def test_access(request, client, bearer, lookups, action, role, status):
    user = signed_in(client, request, role)
    auth = bearer(user) if user else {}
    if action == "upload page":
        response = client.get(UPLOAD)
    elif action == "check a file":
        response = client.post(UPLOAD, {"file": sheet()})
    elif action == "import":
        uploader = user or UserFactory(role=Role.MODERATOR)
        content = csv_bytes(GOOD)
        token = imports.upload_keep(actor=uploader, filename="s.csv", content=content)
        response = client.post(COMMIT, {"token": token})
    elif action.endswith(" template") and not action.startswith("api"):
        fmt = action.split()[0]
        response = client.get(reverse("students-import:template", kwargs={"fmt": fmt}))
    elif action == "api dry run":
        response = client.post(API, {"file": sheet()}, **auth)
    elif action == "api import":
        response = client.post(f"{API}?dry_run=false", {"file": sheet()}, **auth)
    else:
        response = client.get(f"{API}/template?fmt=xlsx", **auth)

    assert response.status_code == status
    if role == "anonymous" and not action.startswith("api"):
        assert response["Location"].startswith("/accounts/login/?next=")
    creates = action in {"import", "api import"} and role in {"admin", "moderator"}
    assert Student.objects.count() == (25 if creates else 0)


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", COMMIT),
        ("put", UPLOAD),
        ("post", reverse("students-import:template", kwargs={"fmt": "csv"})),
    ],
)
def test_wrong_methods_are_refused(client, moderator, method, url):
    client.force_login(moderator)
    assert getattr(client, method)(url).status_code == 405


# --- The page ----------------------------------------------------------------------------


def test_the_upload_page_offers_the_file_input_and_both_templates(client, moderator):
    client.force_login(moderator)
    page = client.get(UPLOAD).content.decode()
    assert 'type="file"' in page
    assert 'accept=".csv,.xlsx"' in page
    assert 'enctype="multipart/form-data"' in page
    assert reverse("students-import:template", kwargs={"fmt": "csv"}) in page
    assert reverse("students-import:template", kwargs={"fmt": "xlsx"}) in page
    assert "Administrators only: leave it empty." in page


def test_a_sheet_with_problems_lists_them_and_offers_no_import(
    client, moderator, lookups, upload_dir
):
    rows = [list(row) for row in GOOD]
    rows[4][2] = "Nowhere High"
    client.force_login(moderator)

    response = client.post(UPLOAD, {"file": sheet(rows)})

    page = response.content.decode()
    assert response.status_code == 200
    assert "Found 1 problem." in page
    assert "There is no active school called “Nowhere High”." in page
    assert "<td>5</td>" in page
    assert 'name="token"' not in page
    assert "Upload the corrected file" in page
    assert not upload_dir.exists()


def test_a_clean_sheet_shows_the_first_20_rows_and_the_import_button(client, moderator, lookups):
    client.force_login(moderator)

    response = client.post(UPLOAD, {"file": sheet()})

    page = response.content.decode()
    assert "All 25 rows are ready to import." in page
    assert "The first 20 rows of 25" in page
    assert "Learner19" in page
    assert "Learner20" not in page
    assert "Import 25 students" in page
    assert response.context["token"] in page
    assert Student.objects.count() == 0


def test_importing_creates_everyone_redirects_to_the_list_and_forgets_the_file(
    client, moderator, lookups, upload_dir, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    token = client.post(UPLOAD, {"file": sheet()}).context["token"]

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(COMMIT, {"token": token})

    assert response.status_code == 302
    assert response["Location"].endswith("/students/")
    assert Student.objects.count() == 25
    assert AuditLog.objects.filter(action="students.student.created").count() == 25
    assert list(upload_dir.iterdir()) == []
    followed = client.get(response["Location"]).content.decode()
    assert "25 students imported." in followed


def test_the_same_file_cannot_be_imported_twice(
    client, moderator, lookups, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    token = client.post(UPLOAD, {"file": sheet()}).context["token"]
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(COMMIT, {"token": token}).status_code == 302

    again = client.post(COMMIT, {"token": token})

    assert again.status_code == 400
    assert "This upload is no longer available" in again.content.decode()
    assert Student.objects.count() == 25


def test_another_users_token_cannot_be_imported(client, moderator, admin, lookups):
    token = imports.upload_keep(actor=moderator, filename="s.csv", content=csv_bytes(GOOD))
    client.force_login(admin)

    response = client.post(COMMIT, {"token": token})

    assert response.status_code == 400
    assert "This upload is no longer available" in response.content.decode()
    assert Student.objects.count() == 0


def test_a_change_between_check_and_import_is_reported_and_nothing_imported(
    client, moderator, lookups
):
    client.force_login(moderator)
    token = client.post(UPLOAD, {"file": sheet()}).context["token"]
    School.objects.filter(name="Greenwood High").update(is_active=False)

    response = client.post(COMMIT, {"token": token})

    page = response.content.decode()
    assert response.status_code == 400
    assert "Nothing was imported" in page
    assert page.count("There is no active school called “Greenwood High”.") == 25
    assert Student.objects.count() == 0


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (None, "Choose a file to upload."),
        (SimpleUploadedFile("pic.png", b"\x89PNG\r\n\x1a\n"), "Upload a .csv or .xlsx file."),
        (SimpleUploadedFile("empty.csv", b""), "The submitted file is empty."),
        (SimpleUploadedFile("a.csv", b"name\r\nAnn\r\n"), "these are missing: first_name"),
        (SimpleUploadedFile("a.csv", b"first_name,last_name,age\r\nA,B,9\r\n"), "“age”"),
    ],
)  # fmt: skip
def test_a_bad_file_gets_a_clear_message_on_the_page(client, moderator, upload, message):
    client.force_login(moderator)
    response = client.post(UPLOAD, {"file": upload} if upload else {})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert "token" not in response.context


def test_a_moderator_uploading_rates_is_told_only_administrators_may(client, moderator):
    client.force_login(moderator)
    rows = [["first_name", "last_name", "default_rate"], ["Ann", "One", "350"]]
    page = client.post(UPLOAD, {"file": sheet(rows)}).content.decode()
    assert "Only administrators may import rates." in page
    assert 'name="token"' not in page


@pytest.mark.parametrize(
    ("fmt", "content_type"),
    [
        ("csv", "text/csv; charset=utf-8"),
        ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ],
)
def test_templates_download_as_attachments(client, moderator, fmt, content_type):
    client.force_login(moderator)
    response = client.get(reverse("students-import:template", kwargs={"fmt": fmt}))
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="students-import.{fmt}"'
    # Compare what the file says: an XLSX stores the second it was written.
    assert _cells(response.content, fmt) == _cells(imports.import_template(fmt), fmt)


def _cells(content: bytes, fmt: str) -> list[list[object]]:
    if fmt == "csv":
        return [line.split(",") for line in content.decode("utf-8-sig").splitlines()]
    from io import BytesIO

    from openpyxl import load_workbook

    sheet = load_workbook(BytesIO(content), read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def test_an_unknown_template_format_is_404(client, moderator):
    client.force_login(moderator)
    assert client.get(reverse("students-import:template", kwargs={"fmt": "ods"})).status_code == 404


# --- The API -----------------------------------------------------------------------------


def test_api_dry_run_reports_problems_with_rows_and_writes_nothing(
    client, moderator, bearer, lookups
):
    rows = [list(row) for row in GOOD]
    rows[7][0] = ""
    response = client.post(API, {"file": sheet(rows)}, **bearer(moderator))
    assert response.status_code == 200
    assert response.json() == {
        "rows": 25,
        "problems": [{"row": 8, "field": "first_name", "message": "This field cannot be blank."}],
        "created": 0,
    }
    assert Student.objects.count() == 0


def test_api_import_creates_every_student(client, moderator, bearer, lookups):
    response = client.post(f"{API}?dry_run=false", {"file": sheet()}, **bearer(moderator))
    assert response.status_code == 201
    assert response.json() == {"rows": 25, "problems": [], "created": 25}
    assert Student.objects.filter(school__name="Greenwood High").count() == 25


def test_api_import_with_problems_is_a_422_naming_each_row_and_writes_nothing(
    client, moderator, bearer, lookups
):
    rows = [list(row) for row in GOOD]
    rows[2][4] = "ghost"
    response = client.post(f"{API}?dry_run=false", {"file": sheet(rows)}, **bearer(moderator))
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["errors"] == [
        {
            "row": 3,
            "field": "tutors",
            "message": "There is no active tutor with the username or e-mail “ghost”.",
            "code": "invalid",
        }
    ]
    assert Student.objects.count() == 0
    assert not AuditLog.objects.filter(action="students.student.created").exists()


@pytest.mark.parametrize("dry_run", ["true", "false"])
def test_api_bad_files_are_problems_never_500(client, moderator, bearer, dry_run):
    png = SimpleUploadedFile("pic.png", b"\x89PNG\r\n\x1a\n")
    response = client.post(f"{API}?dry_run={dry_run}", {"file": png}, **bearer(moderator))
    body = response.json()
    problems = body["problems"] if dry_run == "true" else body["errors"]
    assert response.status_code == (200 if dry_run == "true" else 422)
    assert problems[0]["row"] is None
    assert problems[0]["message"] == "Upload a .csv or .xlsx file."


def test_api_without_a_file_is_422(client, moderator, bearer):
    response = client.post(API, {}, **bearer(moderator))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].split(".")[0] == "file"


def test_api_refuses_rates_from_a_moderator(client, moderator, bearer):
    rows = [["first_name", "last_name", "default_rate"], ["Ann", "One", "350"]]
    response = client.post(f"{API}?dry_run=false", {"file": sheet(rows)}, **bearer(moderator))
    assert response.status_code == 422
    assert response.json()["errors"][0]["message"] == "Only administrators may import rates."
    assert Student.objects.count() == 0


def test_api_template_is_a_file_with_its_content_type(client, moderator, bearer):
    response = client.get(f"{API}/template?fmt=xlsx", **bearer(moderator))
    assert response.status_code == 200
    assert response["Content-Type"] == imports.TEMPLATE_TYPES["xlsx"]
    assert response["Content-Disposition"] == 'attachment; filename="students-import.xlsx"'
    header = next(openpyxl.load_workbook(io.BytesIO(response.content)).active.values)
    assert header == imports.COLUMNS
    csv_response = client.get(f"{API}/template", **bearer(moderator))
    assert csv_response["Content-Type"] == "text/csv; charset=utf-8"
    assert client.get(f"{API}/template?fmt=ods", **bearer(moderator)).status_code == 422


def test_the_api_routes_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert "post" in paths[API]
    assert "get" in paths[f"{API}/template"]
