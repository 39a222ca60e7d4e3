"""An admin keeps the subject list on the settings page, at phone and desktop size."""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import expect

from tests.factories import SubjectFactory, UserFactory
from tracker.accounts.models import Role


def sign_in(context, live_server, user) -> None:
    # There is no sign-in page yet: borrow a session made by Django's test client.
    client = Client()
    client.force_login(user)
    cookie = {"name": "sessionid", "value": client.cookies["sessionid"].value}
    context.add_cookies([{**cookie, "url": live_server.url}])


@pytest.fixture
def admin_user(live_server):
    return UserFactory(username="browser-admin", role=Role.ADMIN)


def test_admin_adds_deactivates_and_is_told_about_a_missing_name(visit, live_server, admin_user):
    # One long unbroken name: it must wrap on a phone rather than widen the page.
    SubjectFactory(name="Pneumonoultramicroscopicsilicovolcanoconiosis" * 2)
    sign_in(visit.page.context, live_server, admin_user)
    visit.goto("/settings/")
    visit.check("settings")
    page = visit.page
    subjects = page.locator("#lookup-subject")

    subjects.get_by_label("Subject name").fill("Music theory")
    subjects.get_by_role("button", name="Add subject").click()
    expect(subjects.get_by_role("status")).to_have_text("“Music theory” added.")
    row = subjects.get_by_role("row").filter(has_text="Music theory")
    expect(row).to_contain_text("Active")

    row.get_by_role("button", name="Deactivate Music theory").click()
    expect(row).to_contain_text("Inactive")
    # htmx hands focus back to the same button, now offering the opposite.
    expect(row.get_by_role("button", name="Reactivate Music theory")).to_be_focused()

    subjects.get_by_role("button", name="Add subject").click()
    name = subjects.get_by_label("Subject name")
    expect(name).to_have_attribute("aria-invalid", "true")
    expect(name).to_have_accessible_description("Enter a name.")
    visit.check("missing-name")

    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_everything_works_without_javascript(browser, live_server, admin_user):
    context = browser.new_context(java_script_enabled=False, base_url=live_server.url)
    sign_in(context, live_server, admin_user)
    page = context.new_page()
    page.goto("/settings/")
    subjects = page.locator("#lookup-subject")

    subjects.get_by_label("Subject name").fill("Latin")
    subjects.get_by_role("button", name="Add subject").click()
    expect(page.get_by_role("status")).to_contain_text("“Latin” added.")

    page.locator("#lookup-subject").get_by_role("button", name="Deactivate Latin").click()
    row = page.locator("#lookup-subject").get_by_role("row").filter(has_text="Latin")
    expect(row).to_contain_text("Inactive")

    row.get_by_role("link", name="Edit Latin").click()
    page.get_by_label("Subject name").fill("Classical Latin")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("“Classical Latin” saved.")

    page.locator("#lookup-subject").get_by_role("button", name="Add subject").click()
    expect(page.locator("#lookup-subject").get_by_text("Enter a name.")).to_be_visible()
    context.close()
