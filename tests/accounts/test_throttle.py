"""Sign-in throttling: 5 failures per username or address in 15 minutes lock sign-in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessAttemptExpiration
from django.utils import timezone

from tests.factories import TEST_PASSWORD, UserFactory
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db


def api_sign_in(client, username, password, address="203.0.113.7"):
    return client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
        REMOTE_ADDR=address,
    )


def test_sixth_wrong_password_and_then_the_right_one_answer_429(client, tutor):
    statuses = [api_sign_in(client, "tutor", "wrong").status_code for _ in range(6)]
    assert statuses[:4] == [401] * 4
    assert statuses[5] == 429
    right = api_sign_in(client, "tutor", TEST_PASSWORD)
    assert right.status_code == 429
    assert right["Content-Type"] == "application/problem+json"
    assert right["Retry-After"] == "900"


def test_failures_and_the_lockout_are_audited(client, tutor):
    for _ in range(6):
        api_sign_in(client, "tutor", "wrong")
    failed = AuditLog.objects.filter(action="accounts.signin.failed")
    assert failed.count() >= 5
    assert all(entry.changes["username"] == "tutor" for entry in failed)
    assert AuditLog.objects.filter(action="accounts.signin.locked_out").exists()
    assert "wrong" not in str(list(failed.values_list("changes", flat=True)))


def test_the_lock_is_per_username_across_addresses(client, tutor):
    for number in range(5):
        api_sign_in(client, "tutor", "wrong", address=f"198.51.100.{number}")
    assert api_sign_in(client, "tutor", TEST_PASSWORD, address="192.0.2.1").status_code == 429


def test_the_lock_is_per_address_across_usernames(client):
    for number in range(5):
        UserFactory(username=f"person{number}")
        api_sign_in(client, f"person{number}", "wrong", address="198.51.100.99")
    UserFactory(username="innocent")
    assert (
        api_sign_in(client, "innocent", TEST_PASSWORD, address="198.51.100.99").status_code == 429
    )
    assert api_sign_in(client, "innocent", TEST_PASSWORD, address="192.0.2.50").status_code == 200


def test_email_and_username_count_against_the_same_account(client):
    UserFactory(username="lerato", email="lerato@example.com")
    for attempt in range(5):
        identifier = "lerato@example.com" if attempt % 2 else "lerato"
        api_sign_in(client, identifier, "wrong", address=f"198.51.100.{attempt}")
    assert api_sign_in(client, "lerato", TEST_PASSWORD, address="192.0.2.9").status_code == 429


def test_the_lock_lifts_after_fifteen_minutes(client, tutor):
    for _ in range(5):
        api_sign_in(client, "tutor", "wrong")
    assert api_sign_in(client, "tutor", TEST_PASSWORD).status_code == 429
    long_ago = timezone.now() - timedelta(minutes=16)
    AccessAttempt.objects.update(attempt_time=long_ago)
    AccessAttemptExpiration.objects.update(expires_at=long_ago)
    assert api_sign_in(client, "tutor", TEST_PASSWORD).status_code == 200


def test_the_sign_in_page_shows_a_clear_lockout_message(client, tutor):
    for _ in range(5):
        client.post("/accounts/login/", {"username": "tutor", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "tutor", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
