"""A moderator imports a small spreadsheet: sees the one bad row, fixes it, imports."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import UserFactory
from tests.students.test_import import csv_bytes, make_lookups
from tracker.accounts.models import Role
from tracker.students.models import Student

HEADER = ["first_name", "last_name", "grade", "school", "subjects", "tutors", "email"]


def rows(lerato_email: str) -> list[list[str]]:
    school = "Greenwood High"
    return [
        HEADER,
        ["Ayanda", "Dube", "Grade 9", school, "Mathematics", "sipho", "ayanda@example.com"],
        ["Lerato", "Mokoena", "Grade 10", school, "English", "sipho", lerato_email],
        # One long unbroken name: it must wrap, not widen the phone screen.
        ["Pieter", "Oosthuizenvandermerwe" * 4, "Grade 11", school, "English", "sipho", ""],
    ]


@pytest.fixture
def moderator_signed_in(visit, transactional_db, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    make_lookups()
    UserFactory(username="coordinator", role=Role.MODERATOR)
    sign_in(visit, "coordinator")


def test_moderator_fixes_the_bad_row_and_imports_the_sheet(visit, moderator_signed_in, tmp_path):
    page = visit.page
    bad, fixed = tmp_path / "students.csv", tmp_path / "students-fixed.csv"
    bad.write_bytes(csv_bytes(rows(lerato_email="lerato at home")))
    fixed.write_bytes(csv_bytes(rows(lerato_email="lerato@example.com")))

    visit.goto("/students/import/")
    page.get_by_text("What goes in each column").click()
    expect(page.get_by_text("Administrators only: leave it empty.")).to_be_visible()
    visit.check("upload")
    page.get_by_label("Spreadsheet", exact=True).set_input_files(bad)
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("alert")).to_contain_text("Found 1 problem.")
    problems = page.get_by_role("region", name="Problems to fix")
    expect(problems.get_by_role("row").nth(1)).to_have_text(
        re.compile(r"3\s*email\s*Enter a valid email address\.")
    )
    visit.check("problems")

    page.get_by_label("Spreadsheet", exact=True).set_input_files(fixed)
    page.get_by_role("button", name="Check the file").click()

    expect(page.get_by_role("status").filter(has_text="ready")).to_have_text(
        "All 3 rows are ready to import."
    )
    expect(page.get_by_role("region", name="Students to import")).to_contain_text("Lerato")
    visit.check("preview")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    assert Student.objects.count() == 0

    page.get_by_role("button", name="Import 3 students").click()

    expect(page).to_have_url(re.compile(r"/students/$"))
    expect(page.get_by_role("status").first).to_contain_text("3 students imported.")
    assert sorted(Student.objects.values_list("first_name", flat=True)) == [
        "Ayanda",
        "Lerato",
        "Pieter",
    ]
