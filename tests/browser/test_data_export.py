"""The data export in the browser: an admin reads what the ZIP holds and downloads it."""

from __future__ import annotations

import json
import zipfile

from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role


def test_admin_downloads_every_table_as_a_zip(visit, database):
    UserFactory(username="principal", role=Role.ADMIN)
    StudentFactory(first_name="Zinhle", last_name="Quirkfield", phone="+27 82 555 0199")
    sign_in(visit, "principal")
    page = visit.page
    visit.goto("/exports/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Data export")
    expect(page.get_by_text("invoices.csv")).to_be_visible()
    visit.check("export-page")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download the data (ZIP)").click()
    assert download.value.suggested_filename.startswith("tracker-data-")
    with zipfile.ZipFile(download.value.path()) as archive:
        names = set(archive.namelist())
        students = archive.read("students.csv").decode("utf-8-sig")
        manifest = json.loads(archive.read("manifest.json"))
    assert {"README.txt", "manifest.json", "students.csv", "sessions.csv", "invoices.csv",
            "audit_log.csv"} <= names  # fmt: skip
    assert "Quirkfield" in students
    assert "'+27 82 555 0199" in students
    assert manifest["role"] == "admin"
    # The page stays usable after the download (nothing navigated away).
    visit.check("after-download")
