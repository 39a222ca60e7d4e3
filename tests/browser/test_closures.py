from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.scheduling.models import Closure


def test_admin_adds_a_public_holiday(visit, database):
    UserFactory(username="boss", role=Role.ADMIN)
    sign_in(visit, "boss")
    visit.goto("/settings/")
    visit.page.get_by_role("link", name="Closure days: public holidays and branch closures").click()
    page = visit.page
    page.get_by_label("First day").fill("2031-04-18")
    page.get_by_label("Last day").fill("2031-04-21")
    page.get_by_role("button", name="Add closure").click()
    expect(page.get_by_text("This field is required.")).to_be_visible()
    page.get_by_label("Reason").fill("Easter weekend")
    page.get_by_role("button", name="Add closure").click()
    expect(page.get_by_role("status")).to_contain_text("Closure added")
    expect(page.get_by_role("button", name="Remove Easter weekend")).to_be_visible()
    visit.check("closures")
    with database:
        assert Closure.objects.get().reason == "Easter weekend"
