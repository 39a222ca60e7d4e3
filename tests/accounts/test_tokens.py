"""API sign-in: access tokens, refresh rotation with reuse detection, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import TEST_PASSWORD, UserFactory
from tracker.accounts.models import ApiToken, Role
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db


def obtain(client, username, password=TEST_PASSWORD):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )


def refresh(client, token):
    return client.post(
        "/api/v1/auth/refresh", {"refresh_token": token}, content_type="application/json"
    )


def me(client, access):
    return client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {access}")


@pytest.mark.parametrize("role", Role.values)
def test_each_role_gets_tokens_and_me_reports_the_role(client, role):
    user = UserFactory(username=f"the-{role}", role=role, teaching_class="Grade 9 Maths")
    response = obtain(client, user.username)
    assert response.status_code == 200
    pair = response.json()
    assert pair["token_type"] == "bearer"
    assert pair["expires_in"] == 15 * 60
    body = me(client, pair["access_token"]).json()
    assert body["role"] == role
    assert body["username"] == user.username
    assert body["class"] == "Grade 9 Maths"
    assert body["branch"]["name"] == user.branch.name


def test_sign_in_with_email_works_too(client):
    UserFactory(username="thandi", email="Thandi@Example.com")
    assert obtain(client, "thandi@example.com").status_code == 200


def test_wrong_password_is_401_problem(client, tutor):
    response = obtain(client, "tutor", "wrong-password")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"


def test_tokens_are_stored_only_as_digests(client, tutor):
    pair = obtain(client, "tutor").json()
    digests = set(ApiToken.objects.values_list("digest", flat=True))
    assert pair["access_token"] not in digests
    assert pair["refresh_token"] not in digests
    assert len(digests) == 2


def test_refresh_rotates_and_the_old_refresh_token_stops_working(client, tutor):
    first = obtain(client, "tutor").json()
    second = refresh(client, first["refresh_token"])
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]
    assert me(client, rotated["access_token"]).status_code == 200
    assert refresh(client, rotated["refresh_token"]).status_code == 200


def test_reusing_a_refresh_token_revokes_every_token_of_that_sign_in(client, tutor):
    first = obtain(client, "tutor").json()
    rotated = refresh(client, first["refresh_token"]).json()
    other_login = obtain(client, "tutor").json()

    replay = refresh(client, first["refresh_token"])

    assert replay.status_code == 401
    assert "already used" in replay.json()["detail"]
    assert me(client, rotated["access_token"]).status_code == 401
    assert me(client, first["access_token"]).status_code == 401
    assert refresh(client, rotated["refresh_token"]).status_code == 401
    # A separate sign-in of the same person is a different family and keeps working.
    assert me(client, other_login["access_token"]).status_code == 200
    assert AuditLog.objects.filter(action="accounts.token.reuse_detected").count() == 1


def test_revoke_ends_the_sign_in(client, tutor):
    pair = obtain(client, "tutor").json()
    response = client.post(
        "/api/v1/auth/revoke", {"token": pair["refresh_token"]}, content_type="application/json"
    )
    assert response.status_code == 204
    assert me(client, pair["access_token"]).status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_revoking_an_unknown_token_is_not_an_error(client):
    response = client.post(
        "/api/v1/auth/revoke", {"token": "sta_nothing"}, content_type="application/json"
    )
    assert response.status_code == 204


def test_a_deactivated_users_access_token_answers_401_at_once(client, tutor, admin, bearer):
    pair = obtain(client, "tutor").json()
    response = client.patch(
        f"/api/v1/users/{tutor.pk}",
        {"is_active": False},
        content_type="application/json",
        **bearer(admin),
    )
    assert response.status_code == 200
    assert me(client, pair["access_token"]).status_code == 401
    assert refresh(client, pair["refresh_token"]).status_code == 401
    assert obtain(client, "tutor").status_code == 401


def test_an_expired_access_token_answers_401(client, tutor):
    pair = obtain(client, "tutor").json()
    ApiToken.objects.filter(kind="access").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert me(client, pair["access_token"]).status_code == 401


def test_an_expired_refresh_token_answers_401(client, tutor):
    pair = obtain(client, "tutor").json()
    ApiToken.objects.filter(kind="refresh").update(expires_at=timezone.now() - timedelta(seconds=1))
    assert refresh(client, pair["refresh_token"]).status_code == 401


def test_an_access_token_is_not_a_refresh_token(client, tutor):
    pair = obtain(client, "tutor").json()
    assert refresh(client, pair["access_token"]).status_code == 401
    assert me(client, pair["refresh_token"]).status_code == 401


def test_changing_the_password_signs_out_api_clients(client, tutor):
    pair = obtain(client, "tutor").json()
    response = client.post(
        "/api/v1/me/password",
        {"current_password": TEST_PASSWORD, "new_password": "a-brand-new-passphrase"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {pair['access_token']}",
    )
    assert response.status_code == 204
    assert me(client, pair["access_token"]).status_code == 401
    assert obtain(client, "tutor", "a-brand-new-passphrase").status_code == 200


def test_token_endpoint_validates_its_input(client):
    response = client.post("/api/v1/auth/token", {"username": ""}, content_type="application/json")
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"username", "password"}


def test_a_browser_session_may_call_the_api_but_writes_need_csrf(tutor):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(tutor)
    assert browser.get("/api/v1/me").status_code == 200
    refused = browser.patch("/api/v1/me", {"phone": "1"}, content_type="application/json")
    assert refused.status_code == 403
    assert refused["Content-Type"] == "application/problem+json"
