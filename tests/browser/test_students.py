"""Students in the browser: a moderator adds one on a phone, a tutor opens theirs."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import SubjectFactory, UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.students.models import Student


def test_moderator_adds_a_student_with_availability(visit):
    UserFactory(username="coordinator", role=Role.MODERATOR)
    UserFactory(username="thandi", role=Role.TUTOR, first_name="Thandi", last_name="Mokoena")
    SubjectFactory(name="Mathematics")
    sign_in(visit, "coordinator")
    visit.page.get_by_role("link", name="Students", exact=True).click()
    visit.page.get_by_role("link", name="Add a student").click()
    page = visit.page
    page.get_by_label("First name").fill("Kagiso")
    page.get_by_label("Last name").fill("Molefe")
    page.get_by_label("Class / grade").fill("Grade 8")
    page.get_by_label("Mathematics").check()
    page.get_by_label("Thandi Mokoena").check()
    page.get_by_label("Guardian's phone").fill("071 000 1111")
    page.get_by_label("Guardian consent given").check()
    visit.check("add-form")
    page.get_by_role("button", name="Add student").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kagiso Molefe")
    expect(page.get_by_text("071 000 1111")).to_be_visible()

    section = page.locator("section.availability")
    section.get_by_label("Day").select_option(label="Monday")
    section.get_by_label("From:", exact=True).fill("14:00")
    section.get_by_label("Until:", exact=True).fill("16:00")
    section.get_by_role("button", name="Add window").click()
    expect(section).to_contain_text("14:00")
    visit.check("student-with-availability")
    student = Student.objects.get(first_name="Kagiso")
    assert student.availability.count() == 1


def test_tutor_opens_an_assigned_student(visit):
    tutor = UserFactory(username="lerato", role=Role.TUTOR)
    StudentFactory(first_name="Amahle", last_name="Zulu", tutors=[tutor])
    StudentFactory(first_name="Someone", last_name="Else")
    sign_in(visit, "lerato")
    visit.page.get_by_role("link", name="Students", exact=True).click()
    expect(visit.page.get_by_role("heading", level=1)).to_have_text("My students")
    expect(visit.page.get_by_text("Someone")).to_have_count(0)
    visit.check("tutor-list")
    visit.page.get_by_role("link", name="Zulu, Amahle").click()
    expect(visit.page.get_by_role("heading", level=1)).to_contain_text("Amahle Zulu")
    expect(visit.page.get_by_text("Contact and guardian")).to_have_count(0)
    visit.check("tutor-student")
