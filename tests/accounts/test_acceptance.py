"""Issue 3's acceptance steps, end to end on the demo data, through the API."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from tracker.accounts.models import User
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db

PASSWORD = "demo-acceptance-pass"


@pytest.fixture
def demo():
    call_command("seed_demo", password=PASSWORD, stdout=io.StringIO())


def token(client, username, password=PASSWORD):
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": password},
        content_type="application/json",
    )
    return response


def as_(pair):
    return {"HTTP_AUTHORIZATION": f"Bearer {pair['access_token']}"}


def test_acceptance_on_demo_data(client, demo):
    pairs = {}
    for username in ("admin", "moderator", "tutor"):
        response = token(client, username)
        assert response.status_code == 200
        pairs[username] = response.json()
        assert client.get("/api/v1/me", **as_(pairs[username])).json()["role"] == username

    tutor, moderator, admin = as_(pairs["tutor"]), as_(pairs["moderator"]), as_(pairs["admin"])
    assert client.get("/api/v1/users", **tutor).status_code == 403
    assert client.get("/api/v1/audit", **tutor).status_code == 403

    def create(headers, username, role):
        body = {"username": username, "email": f"{username}@example.com", "role": role}
        return client.post("/api/v1/users", body, content_type="application/json", **headers)

    assert create(moderator, "fresh-tutor", "tutor").status_code == 201
    assert create(moderator, "fresh-admin", "admin").status_code == 403
    assert create(moderator, "fresh-moderator", "moderator").status_code == 403
    victim = User.objects.get(username="tutor5")
    assert client.delete(f"/api/v1/users/{victim.pk}", **moderator).status_code == 403

    created = create(admin, "fresh-moderator", "moderator")
    assert created.status_code == 201
    new_id = created.json()["id"]
    patch = client.patch(
        f"/api/v1/users/{new_id}", {"role": "admin"}, content_type="application/json", **admin
    )
    assert patch.status_code == 200
    assert client.delete(f"/api/v1/users/{new_id}", **admin).status_code == 204
    assert client.get("/api/v1/audit", **admin).status_code == 200

    # Refresh rotation and reuse detection.
    old = pairs["tutor"]["refresh_token"]
    rotated = client.post(
        "/api/v1/auth/refresh", {"refresh_token": old}, content_type="application/json"
    )
    assert rotated.status_code == 200
    replay = client.post(
        "/api/v1/auth/refresh", {"refresh_token": old}, content_type="application/json"
    )
    assert replay.status_code == 401
    assert client.get("/api/v1/me", **as_(rotated.json())).status_code == 401

    # A deactivated user's access token stops working at once.
    tutor2 = token(client, "tutor2").json()
    tutor2_id = User.objects.get(username="tutor2").pk
    client.patch(
        f"/api/v1/users/{tutor2_id}", {"is_active": False}, content_type="application/json", **admin
    )
    assert client.get("/api/v1/me", **as_(tutor2)).status_code == 401

    # Six wrong passwords: 429 on the sixth and on a seventh with the right password.
    statuses = [token(client, "tutor3", "wrong").status_code for _ in range(6)]
    assert statuses[-1] == 429
    assert token(client, "tutor3").status_code == 429

    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {
        "accounts.signin.succeeded",
        "accounts.signin.failed",
        "accounts.signin.locked_out",
        "accounts.user.created",
        "accounts.user.role_changed",
        "accounts.user.deleted",
        "accounts.user.deactivated",
        "accounts.token.refreshed",
        "accounts.token.reuse_detected",
    } <= actions
    call_command("verify_audit", stdout=io.StringIO())

    tampered = AuditLog.objects.filter(action="accounts.user.deleted").first()
    AuditLog.objects.filter(pk=tampered.pk).update(action="accounts.user.updated")
    with pytest.raises(CommandError, match=f"entry {tampered.pk}"):
        call_command("verify_audit")
