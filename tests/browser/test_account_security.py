"""A person turns on two-step sign-in and uses it; a person signs out another browser."""

from __future__ import annotations

import base64
import re
import time

from django.test import Client
from django_otp.oath import TOTP
from playwright.sync_api import expect

from tests.browser.test_signin import sign_in
from tests.factories import TEST_PASSWORD, UserFactory

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def authenticator_code(secret: str, steps_ahead: int = 0) -> str:
    """What an authenticator app shows for the key typed in from the page."""
    compact = secret.replace(" ", "")
    key = base64.b32decode(compact + "=" * (-len(compact) % 8))
    totp = TOTP(key)
    totp.time = time.time() + steps_ahead * 30
    return f"{totp.token():06d}"


def test_a_person_sets_up_two_step_sign_in_and_signs_in_with_a_code(visit):
    UserFactory(username="nomsa")
    page = visit.page
    sign_in(visit, "nomsa")
    page.get_by_role("link", name="My profile").click()
    page.get_by_role("link", name="Two-step sign-in").click()
    page.get_by_role("link", name="Set up two-step sign-in").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    visit.check("set-up")

    secret = page.locator("[data-totp-secret]").inner_text()
    page.get_by_label("Code").fill(authenticator_code(secret))
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_role("heading", name="Your recovery codes")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("Two-step sign-in is on.")
    codes = page.get_by_role("list", name="Recovery codes").get_by_role("listitem")
    expect(codes).to_have_count(10)
    visit.check("recovery-codes")
    page.get_by_role("link", name="I have saved them").click()
    expect(page.get_by_text("On: signing in asks for a code")).to_be_visible()

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    sign_in(visit, "nomsa")
    expect(page.get_by_role("heading", name="Enter your code")).to_be_visible()
    visit.check("code-step")
    # A code works once: the next one the app shows.
    page.get_by_label("Code").fill(authenticator_code(secret, steps_ahead=1))
    page.get_by_role("button", name="Verify and sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_be_visible()
    expect(page).to_have_url(re.compile(r"/calendar/"))


def test_a_person_signs_out_another_browser(visit, database):
    UserFactory(username="sipho")
    phone = Client(HTTP_USER_AGENT=IPHONE)
    with database:
        phone.post("/accounts/login/", {"username": "sipho", "password": TEST_PASSWORD})
        assert phone.get("/accounts/profile/").status_code == 200
    page = visit.page
    sign_in(visit, "sipho")
    page.get_by_role("link", name="My profile").click()
    page.get_by_role("link", name="Where you're signed in").click()
    browsers = page.get_by_role("region", name="Browsers")
    expect(browsers.get_by_text("Safari on iPhone")).to_be_visible()
    expect(browsers.get_by_text("This device")).to_be_visible()
    visit.check("sessions")

    page.get_by_role("button", name="Revoke Safari on iPhone").click()
    expect(page.get_by_role("status")).to_contain_text("Signed out.")
    expect(browsers.get_by_text("Safari on iPhone")).to_have_count(0)
    with database:
        response = phone.get("/accounts/profile/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
