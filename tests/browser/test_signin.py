"""Each role signs in through the page and sees only its own navigation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import TEST_PASSWORD, UserFactory
from tracker.accounts.models import Role, User

NAV = {
    Role.TUTOR: {"Calendar", "Dashboard", "Today", "Students", "Messages", "My profile"},
    Role.MODERATOR: {
        "Calendar",
        "Dashboard",
        "Today",
        "Students",
        "Messages",
        "Verify",
        "Money",
        "Reports",
        "Accounts",
        "My profile",
    },
    Role.ADMIN: {
        "Calendar",
        "Dashboard",
        "Today",
        "Students",
        "Messages",
        "Verify",
        "Money",
        "Reports",
        "Accounts",
        "Settings",
        "Audit trail",
        "My profile",
    },
}


def sign_in(visit, username: str, password: str = TEST_PASSWORD) -> None:
    visit.goto("/accounts/login/")
    visit.page.get_by_label("Username or e-mail").fill(username)
    visit.page.get_by_label("Password").fill(password)
    visit.page.get_by_role("button", name="Sign in").click()


@pytest.mark.parametrize("role", Role.values)
def test_each_role_signs_in_and_sees_only_its_navigation(visit, role):
    UserFactory(username=f"the-{role}", role=role, first_name="Pat", last_name="Role")
    visit.goto("/accounts/login/")
    visit.check("login")
    sign_in(visit, f"the-{role}")
    nav = visit.page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    links = {text.strip() for text in nav.get_by_role("link").all_inner_texts()}
    assert links == NAV[role]
    expect(visit.page.get_by_text("Pat Role")).to_be_visible()
    visit.check(f"home-{role}")


def test_wrong_password_shows_an_error_on_the_form(visit):
    UserFactory(username="forgetful")
    sign_in(visit, "forgetful", "not-my-password")
    expect(visit.page.get_by_role("alert")).to_contain_text("Please enter a correct")
    visit.check("login-error")


def test_moderator_adds_a_tutor_and_finds_them_in_the_list(visit):
    UserFactory(username="coordinator", role=Role.MODERATOR)
    sign_in(visit, "coordinator")
    visit.page.get_by_role("link", name="Accounts").click()
    visit.page.get_by_role("link", name="New account").click()
    visit.check("new-account")
    visit.page.get_by_label("Username").fill("newtutor")
    visit.page.get_by_label("E-mail").fill("newtutor@example.com")
    visit.page.get_by_label("First name").fill("Naledi")
    visit.page.get_by_label("Last name").fill("Sithole")
    visit.page.get_by_role("button", name="Create account").click()
    expect(visit.page.get_by_role("status")).to_contain_text("Account Naledi Sithole created")
    visit.page.get_by_label("Search").fill("Naledi")
    expect(visit.page.locator("#account-results")).to_contain_text("newtutor")
    visit.check("accounts")
    assert User.objects.get(username="newtutor").role == Role.TUTOR


def test_a_person_edits_their_contact_details_and_signs_out(visit):
    UserFactory(username="thandi", role=Role.TUTOR)
    sign_in(visit, "thandi")
    visit.page.get_by_role("link", name="My profile").click()
    visit.page.get_by_label("Phone").fill("+27 82 000 1111")
    visit.page.get_by_role("button", name="Save contact details").click()
    expect(visit.page.get_by_role("status")).to_contain_text("Your contact details are saved.")
    visit.check("profile")
    visit.page.get_by_role("button", name="Sign out").click()
    expect(visit.page.get_by_role("heading", name="Sign in")).to_be_visible()
