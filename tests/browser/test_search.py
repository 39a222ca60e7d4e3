"""The header's search box in the browser: suggestions while typing, by keyboard and by
tap, at phone and desktop size."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.browser.helpers import SCREENS
from tests.browser.test_signin import sign_in
from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role


def _world():
    UserFactory(username="coordinator", role=Role.MODERATOR, first_name="Mandla",
                last_name="Moderator")  # fmt: skip
    tutor = UserFactory(username="lerato", role=Role.TUTOR, first_name="Lerato",
                        last_name="Molefe")  # fmt: skip
    StudentFactory(first_name="Thandi", last_name="Mokoena", grade="Grade 9", tutors=[tutor])
    StudentFactory(first_name="Thabo", last_name="Dlamini", tutors=[tutor])


def fits_the_screen(visit) -> None:
    width = visit.page.evaluate("document.documentElement.scrollWidth")
    assert width <= SCREENS[visit.screen]["width"]


def test_moderator_finds_a_student_from_the_header(visit):
    _world()
    sign_in(visit, "coordinator")
    page = visit.page
    box = page.get_by_role("searchbox", name="Find", exact=True)
    expect(box).to_be_visible()
    fits_the_screen(visit)

    box.press_sequentially("Thand")
    suggestions = page.locator("#site-search-suggestions")
    thandi = suggestions.get_by_role("link", name=re.compile(r"^Thandi Mokoena Grade 9"))
    expect(thandi).to_be_visible()
    expect(suggestions.get_by_role("link", name=re.compile("Thabo"))).to_have_count(0)
    expect(page.locator("#site-search-status")).to_have_text("1 suggestion")
    visit.check("suggestions")
    fits_the_screen(visit)

    # The keyboard: down into the list, Escape closes it, down opens it again.
    box.press("ArrowDown")
    expect(thandi).to_be_focused()
    page.keyboard.press("Escape")
    expect(suggestions).to_be_hidden()
    expect(box).to_be_focused()
    box.press("ArrowDown")
    expect(thandi).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thandi Mokoena")
    visit.check("student")


def test_a_tap_on_a_suggestion_opens_it_and_enter_opens_every_result(visit):
    _world()
    sign_in(visit, "coordinator")
    page = visit.page
    box = page.get_by_role("searchbox", name="Find", exact=True)
    box.fill("Lerato")
    suggestions = page.locator("#site-search-suggestions")
    expect(suggestions.get_by_role("link", name=re.compile(r"^Lerato Molefe"))).to_be_visible()
    # A tap elsewhere closes the list; typing opens it again.
    page.get_by_role("contentinfo").click()
    expect(suggestions).to_be_hidden()
    box.fill("Tha")
    suggestions.get_by_role("link", name=re.compile(r"^Thabo Dlamini")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Thabo Dlamini")

    box = page.get_by_role("searchbox", name="Find", exact=True)
    box.fill("Tha")
    expect(page.locator("#site-search-status")).to_have_text("2 suggestions")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “Tha”")
    students = page.get_by_role("region", name="Students (2)")
    expect(students.get_by_role("link")).to_have_count(2)
    visit.check("results")
    fits_the_screen(visit)
