"""Privacy rights in the browser: an admin downloads a student's data, then erases them."""

from __future__ import annotations

import json
import zipfile
from datetime import timedelta

from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.scheduling.services import session_create
from tracker.students.models import Student
from tracker.students.services import student_archive


def test_admin_downloads_and_erases_a_student(visit, database):
    admin = UserFactory(username="principal", role=Role.ADMIN)
    tutor = UserFactory(username="lerato", role=Role.TUTOR)
    student = StudentFactory(
        first_name="Zinhle", last_name="Quirkfield", phone="+27 82 555 0199", tutors=[tutor]
    )
    start = timezone.now() - timedelta(days=3)
    session_create(
        actor=admin, tutor=tutor, students=[student], start=start, end=start + timedelta(hours=1)
    )
    student_archive(actor=admin, student=student)
    sign_in(visit, "principal")
    page = visit.page
    visit.goto(f"/students/{student.pk}/")
    visit.check("archived-student")

    with page.expect_download() as download:
        page.get_by_role("link", name="Download their data").click()
    with zipfile.ZipFile(download.value.path()) as archive:
        exported = json.loads(archive.read("student.json"))
        assert "sessions.csv" in archive.namelist()
    assert exported["tables"]["student"][0]["phone"] == "+27 82 555 0199"
    assert len(exported["tables"]["sessions"]) == 1

    page.get_by_role("link", name="Erase for good").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Erase Zinhle Quirkfield")
    page.get_by_label("The student's full name").fill("Zinhle")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text("Type the student's full name exactly as shown")).to_be_visible()
    visit.check("erase-refused")
    page.get_by_label("The student's full name").fill("Zinhle Quirkfield")
    page.get_by_role("button", name="Erase for good").click()
    expect(page.get_by_text("The student's personal data was erased.")).to_be_visible()
    visit.check("erased")
    with database:
        student.refresh_from_db()
        assert student.full_name == f"Erased student #{student.pk}"
        assert student.phone == ""
        assert not Student.objects.filter(first_name="Zinhle").exists()
