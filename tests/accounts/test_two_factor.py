"""Two-step sign-in: set-up, the second step, recovery codes, turning off, admins required."""

from __future__ import annotations

import base64
import re
import time

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import TEST_PASSWORD, UserFactory
from tracker.accounts import security, two_factor
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db


def code_for(device: TOTPDevice, steps_ahead: int = 0) -> str:
    """The app's code now (or one 30-second step later: a code is accepted only once)."""
    device.refresh_from_db()
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + steps_ahead * device.step
    return f"{totp.token():06d}"


def with_authenticator(user) -> tuple[TOTPDevice, list[str]]:
    device = TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)
    static = StaticDevice.objects.create(user=user, name="Recovery codes", confirmed=True)
    codes = [f"code{n:04d}" for n in range(10)]
    StaticToken.objects.bulk_create(StaticToken(device=static, token=code) for code in codes)
    return device, codes


def password_step(client: Client, username: str) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/verify/"


def signed_in_verified(client: Client, user, device: TOTPDevice) -> None:
    client.force_login(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()


def is_signed_in(client: Client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


# --- setting up -------------------------------------------------------------------------------


def test_the_set_up_page_shows_a_qr_code_and_the_key(client, tutor):
    client.force_login(tutor)
    response = client.get("/accounts/two-factor/setup/")
    assert response.status_code == 200
    page = response.content.decode()
    assert re.search(r'<img src="data:image/svg\+xml[^"]+" alt="QR code', page)
    device = TOTPDevice.objects.get(user=tutor, confirmed=False)
    secret = base64.b32encode(device.bin_key).decode().rstrip("=")
    shown = re.search(r"<code data-totp-secret>([A-Z2-7 ]+)</code>", page).group(1)
    assert shown.replace(" ", "") == secret
    # A reload keeps the same key: the QR code already scanned stays good.
    client.get("/accounts/two-factor/setup/")
    assert TOTPDevice.objects.filter(user=tutor).count() == 1


def test_set_up_is_confirmed_with_a_code_and_shows_recovery_codes_once(client, tutor):
    client.force_login(tutor)
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=tutor)

    wrong = client.post("/accounts/two-factor/setup/", {"code": "000000"})
    assert wrong.status_code == 200
    assert "That code is not right" in wrong.content.decode()
    device.refresh_from_db()
    assert not device.confirmed

    device.throttle_reset()
    response = client.post("/accounts/two-factor/setup/", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/two-factor/recovery-codes/"
    device.refresh_from_db()
    assert device.confirmed
    codes_page = client.get(response["Location"])
    tokens = set(StaticToken.objects.filter(device__user=tutor).values_list("token", flat=True))
    assert len(tokens) == two_factor.RECOVERY_CODE_COUNT
    assert all(token in codes_page.content.decode() for token in tokens)
    assert codes_page["Cache-Control"] == "no-store"
    # Shown once only.
    assert client.get("/accounts/two-factor/recovery-codes/").status_code == 302
    assert AuditLog.objects.filter(action="accounts.2fa.enabled", actor_ref=tutor.pk).exists()
    # This browser passed the second factor: it stays signed in.
    assert is_signed_in(client)
    assert client.session[security.MARK]["otp"] is True


def test_a_wrong_code_is_throttled_and_the_throttle_survives_the_error(client, tutor):
    client.force_login(tutor)
    client.get("/accounts/two-factor/setup/")
    client.post("/accounts/two-factor/setup/", {"code": "000000"})
    device = TOTPDevice.objects.get(user=tutor)
    assert device.throttling_failure_count == 1
    # Straight after a failure even the right code waits.
    response = client.post("/accounts/two-factor/setup/", {"code": code_for(device)})
    assert "Too many wrong codes" in response.content.decode()
    device.refresh_from_db()
    assert not device.confirmed


def test_set_up_when_already_on_goes_to_the_status_page(client, tutor):
    device, _codes = with_authenticator(tutor)
    signed_in_verified(client, tutor, device)
    assert client.get("/accounts/two-factor/setup/")["Location"] == "/accounts/two-factor/"
    page = client.get("/accounts/two-factor/").content.decode()
    assert "You have 10 recovery codes left." in page


# --- signing in with the second step ------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(client, tutor):
    device, _codes = with_authenticator(tutor)
    password_step(client, "tutor")
    # The password alone signs nobody in.
    assert not is_signed_in(client)
    assert client.get("/accounts/login/verify/").status_code == 200
    response = client.post("/accounts/login/verify/", {"code": code_for(device)})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(client)
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert AuditLog.objects.filter(action="accounts.signin.succeeded", actor_ref=tutor.pk).exists()


def test_sign_in_keeps_the_page_asked_for(client, tutor):
    device, _codes = with_authenticator(tutor)
    client.post(
        "/accounts/login/",
        {"username": "tutor", "password": TEST_PASSWORD, "next": "/students/"},
    )
    response = client.post("/accounts/login/verify/", {"code": code_for(device)})
    assert response["Location"] == "/students/"


def test_a_wrong_code_does_not_sign_in_and_is_audited(client, tutor):
    with_authenticator(tutor)
    password_step(client, "tutor")
    response = client.post("/accounts/login/verify/", {"code": "123456"})
    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert not is_signed_in(client)
    assert AuditLog.objects.filter(action="accounts.2fa.code_failed").count() == 1
    assert TOTPDevice.objects.get(user=tutor).throttling_failure_count == 1


def test_too_many_wrong_codes_start_the_sign_in_again(client, tutor):
    device, _codes = with_authenticator(tutor)
    password_step(client, "tutor")
    for _ in range(two_factor.PENDING_TRIES):
        TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
        response = client.post("/accounts/login/verify/", {"code": "999999"})
    assert response["Location"] == "/accounts/login/"
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"


def test_the_code_step_expires(client, tutor, monkeypatch):
    device, _codes = with_authenticator(tutor)
    password_step(client, "tutor")
    real = time.time
    monkeypatch.setattr(two_factor.time, "time", lambda: real() + two_factor.PENDING_SECONDS + 1)
    response = client.post("/accounts/login/verify/", {"code": code_for(device)})
    assert response["Location"] == "/accounts/login/"
    assert not is_signed_in(client)


def test_the_code_step_without_a_password_first_goes_to_sign_in(client):
    assert client.get("/accounts/login/verify/")["Location"] == "/accounts/login/"
    assert client.post("/accounts/login/verify/", {"code": "123456"}).status_code == 302


def test_a_recovery_code_works_once(client, tutor):
    _device, codes = with_authenticator(tutor)
    password_step(client, "tutor")
    response = client.post("/accounts/login/verify/", {"code": codes[0].upper()})
    assert response.status_code == 302
    assert is_signed_in(client)
    entry = AuditLog.objects.get(action="accounts.2fa.recovery_code_used")
    assert entry.changes == {"left": 9}
    assert codes[0] not in entry.changes.values()

    again = Client()
    password_step(again, "tutor")
    refused = again.post("/accounts/login/verify/", {"code": codes[0]})
    assert refused.status_code == 200
    assert not is_signed_in(again)


def test_a_browser_signed_in_before_set_up_must_sign_in_again(client, tutor, monkeypatch):
    client.force_login(tutor)
    assert is_signed_in(client)
    with_authenticator(tutor)
    # Noticed at the next activity write, within a minute.
    session = client.session
    session[security.MARK]["seen"] -= security.TOUCH_SECONDS
    session.save()
    response = client.get("/accounts/profile/")
    assert response["Location"].startswith("/accounts/login/")
    assert "Sign in again with your code" in client.get(response["Location"]).content.decode()


# --- recovery codes and turning off -------------------------------------------------------------


def test_new_recovery_codes_replace_the_old(client, tutor):
    device, codes = with_authenticator(tutor)
    signed_in_verified(client, tutor, device)
    response = client.post("/accounts/two-factor/recovery-codes/")
    assert response["Location"] == "/accounts/two-factor/recovery-codes/"
    page = client.get(response["Location"]).content.decode()
    new = set(StaticToken.objects.filter(device__user=tutor).values_list("token", flat=True))
    assert len(new) == 10
    assert not new & set(codes)
    assert all(code in page for code in new)
    assert AuditLog.objects.filter(action="accounts.2fa.recovery_codes_regenerated").exists()


@pytest.mark.parametrize(
    ("proof", "turned_off"),
    [
        ({"password": TEST_PASSWORD}, True),
        ({"password": "not-my-password"}, False),
        ({"code": "current"}, True),
        ({"code": "000000"}, False),
        ({}, False),
    ],
)
def test_turning_off_needs_the_password_or_a_code(client, tutor, proof, turned_off):
    device, _codes = with_authenticator(tutor)
    signed_in_verified(client, tutor, device)
    if proof.get("code") == "current":
        proof = {"code": code_for(device)}
    response = client.post("/accounts/two-factor/disable/", proof)
    assert (response.status_code == 302) is turned_off
    assert two_factor.has_second_factor(tutor) is not turned_off
    assert StaticDevice.objects.filter(user=tutor).exists() is not turned_off
    assert AuditLog.objects.filter(action="accounts.2fa.disabled").exists() is turned_off
    assert is_signed_in(client)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/accounts/two-factor/", 302),
        ("get", "/accounts/two-factor/setup/", 302),
        ("get", "/accounts/two-factor/disable/", 302),
        ("post", "/accounts/two-factor/recovery-codes/", 302),
    ],
)
def test_anonymous_people_are_sent_to_sign_in(client, method, url, status):
    response = getattr(client, method)(url)
    assert response.status_code == status
    assert response["Location"].startswith("/accounts/login/")


def test_pages_refuse_other_methods(client, tutor):
    client.force_login(tutor)
    assert client.put("/accounts/two-factor/setup/").status_code == 405
    assert client.delete("/accounts/two-factor/disable/").status_code == 405


# --- admins required to use it ------------------------------------------------------------------


# (role, REQUIRE_ADMIN_2FA, has authenticator) → where GET /calendar/ leads.
REQUIRED = [
    (Role.ADMIN, True, False, "/accounts/two-factor/setup/"),
    (Role.ADMIN, True, True, None),
    (Role.ADMIN, False, False, None),
    (Role.MODERATOR, True, False, None),
    (Role.TUTOR, True, False, None),
]


@pytest.mark.parametrize(("role", "required", "has_device", "redirect"), REQUIRED)
def test_admins_without_a_second_factor_are_sent_to_set_it_up(
    client, settings, role, required, has_device, redirect
):
    settings.REQUIRE_ADMIN_2FA = required
    user = UserFactory(role=role)
    if has_device:
        device, _codes = with_authenticator(user)
        signed_in_verified(client, user, device)
    else:
        client.force_login(user)
    response = client.get("/calendar/")
    if redirect:
        assert response.status_code == 302
        assert response["Location"] == redirect
    else:
        assert response.status_code == 200


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/accounts/two-factor/", 200),
        ("/accounts/two-factor/setup/", 200),
        ("/healthz", 200),
        ("/accounts/profile/", 302),
        ("/students/", 302),
        ("/api/v1/me", 403),
    ],
)
def test_an_admin_without_it_may_only_set_it_up(client, admin, settings, url, status):
    settings.REQUIRE_ADMIN_2FA = True
    client.force_login(admin)
    response = client.get(url)
    assert response.status_code == status
    if url.startswith("/api/"):
        assert response["Content-Type"] == "application/problem+json"


def test_an_admin_may_still_sign_out(client, admin, settings):
    settings.REQUIRE_ADMIN_2FA = True
    client.force_login(admin)
    assert client.post("/accounts/logout/")["Location"] == "/accounts/login/"


def test_an_admin_who_sets_it_up_gets_in(client, admin, settings):
    settings.REQUIRE_ADMIN_2FA = True
    client.force_login(admin)
    client.get("/accounts/two-factor/setup/")
    device = TOTPDevice.objects.get(user=admin)
    client.post("/accounts/two-factor/setup/", {"code": code_for(device)})
    assert client.get("/calendar/").status_code == 200


def test_an_admin_token_without_it_is_refused(client, admin, bearer, settings):
    headers = bearer(admin)
    settings.REQUIRE_ADMIN_2FA = True
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    token = client.post(
        "/api/v1/auth/token",
        {"username": "admin", "password": TEST_PASSWORD},
        content_type="application/json",
    )
    assert token.status_code == 403
    settings.REQUIRE_ADMIN_2FA = False
    assert client.get("/api/v1/me", **bearer(admin)).status_code == 200


# --- the API's token endpoint -----------------------------------------------------------------


def obtain(client, otp=None):
    body = {"username": "tutor", "password": TEST_PASSWORD}
    if otp is not None:
        body["otp"] = otp
    return client.post("/api/v1/auth/token", body, content_type="application/json")


def test_the_api_asks_for_the_code_too(client, tutor):
    device, codes = with_authenticator(tutor)
    missing = obtain(client)
    assert missing.status_code == 401
    assert missing.json()["otp_required"] is True
    wrong = obtain(client, "000000")
    assert wrong.status_code == 401
    assert TOTPDevice.objects.get(pk=device.pk).throttling_failure_count == 1
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    assert obtain(client, code_for(device)).status_code == 200
    assert obtain(client, codes[3]).status_code == 200
    assert obtain(client, codes[3]).status_code == 401


def test_the_api_needs_no_code_without_an_authenticator(client, tutor):
    assert obtain(client).status_code == 200
