"""Availability in the browser, at phone and desktop size: a moderator keeps a student's
weekly windows, a tutor adds their own time off."""

from __future__ import annotations

from datetime import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import TEST_PASSWORD, UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.students.models import AvailabilityWindow, TimeOff


@pytest.fixture
def student(live_server):
    return StudentFactory(first_name="Lindiwe", last_name="Mokoena")


def test_a_moderator_keeps_a_students_weekly_windows(visit, student):
    UserFactory(username="coordinator", role=Role.MODERATOR)
    sign_in(visit, "coordinator")
    visit.goto(f"/availability/student/{student.pk}/")
    page = visit.page
    section = page.locator(f"#availability-student-{student.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Availability of Lindiwe Mokoena")
    visit.check("empty")

    section.get_by_label("Day:", exact=True).select_option(label="Monday")
    section.get_by_label("From:", exact=True).fill("14:00")
    section.get_by_label("Until:", exact=True).fill("16:00")
    section.get_by_role("button", name="Add window").click()
    expect(section.get_by_role("status")).to_have_text("Monday 14:00–16:00 added.")
    monday = section.get_by_role("list", name="Monday")
    expect(monday.get_by_role("listitem")).to_have_count(1)
    expect(monday).to_contain_text("14:00–16:00")
    visit.check("added")

    section.get_by_label("Day:", exact=True).select_option(label="Monday")
    section.get_by_label("From:", exact=True).fill("15:00")
    section.get_by_label("Until:", exact=True).fill("17:00")
    section.get_by_role("button", name="Add window").click()
    start = section.get_by_label("From:", exact=True)
    expect(start).to_have_attribute("aria-invalid", "true")
    expect(start).to_have_accessible_description("This overlaps Monday 14:00–16:00.")
    visit.check("overlap")

    section.get_by_label("From:", exact=True).fill("16:00")
    section.get_by_label("Until:", exact=True).fill("18:00")
    section.get_by_role("button", name="Add window").click()
    expect(monday.get_by_role("listitem")).to_have_count(2)

    monday.get_by_role("button", name="Remove Monday 14:00–16:00").click()
    expect(section.get_by_role("status")).to_have_text("Monday 14:00–16:00 removed.")
    expect(monday.get_by_role("listitem")).to_have_count(1)
    expect(monday).to_contain_text("16:00–18:00")
    visit.check("removed")

    assert list(AvailabilityWindow.objects.values_list("start", flat=True)) == [time(16)]
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_a_tutor_adds_their_own_time_off(visit):
    tutor = UserFactory(username="thabo", role=Role.TUTOR)
    sign_in(visit, "thabo")
    visit.goto("/availability/me/")
    page = visit.page
    section = page.locator(f"#availability-tutor-{tutor.pk}")
    expect(page.get_by_role("heading", level=1)).to_have_text("My availability")

    section.get_by_label("Away from").fill("2030-07-01T08:00")
    section.get_by_label("Back at").fill("2030-07-03T17:00")
    section.get_by_label("Reason").fill("Moderation training")
    section.get_by_role("button", name="Add time off").click()

    expect(section.get_by_role("status")).to_have_text("Time off added.")
    expect(section).to_contain_text("Mon 1 Jul 2030, 08:00 – Wed 3 Jul 2030, 17:00")
    expect(section).to_contain_text("Moderation training")
    visit.check("time-off")
    assert TimeOff.objects.get().tutor == tutor


def test_the_forms_work_without_javascript(browser, live_server, student):
    UserFactory(username="coordinator", role=Role.MODERATOR)
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username or e-mail").fill("coordinator")
    page.get_by_label("Password").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"/availability/student/{student.pk}/")

    page.get_by_label("Day:", exact=True).select_option(label="Wednesday")
    page.get_by_label("From:", exact=True).fill("10:00")
    page.get_by_label("Until:", exact=True).fill("09:00")
    page.get_by_role("button", name="Add window").click()
    expect(page.get_by_label("Until:", exact=True)).to_have_accessible_description(
        "Must be later than the start."
    )

    page.get_by_label("Until:", exact=True).fill("11:00")
    page.get_by_role("button", name="Add window").click()
    expect(page.locator(".messages")).to_contain_text("Wednesday 10:00–11:00 added.")
    expect(page.get_by_role("list", name="Wednesday")).to_contain_text("10:00–11:00")

    page.get_by_role("button", name="Remove Wednesday 10:00–11:00").click()
    expect(page.locator(".messages")).to_contain_text("Wednesday 10:00–11:00 removed.")
    assert not AvailabilityWindow.objects.exists()
    context.close()
