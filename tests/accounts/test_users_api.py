"""Account management through the API: who may do what to whom."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tracker.accounts.models import Role, User
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db

NEW = {"email": "new@example.com", "first_name": "Nomsa", "last_name": "Mthembu"}


def create(client, headers, role, username="newbie"):
    body = {**NEW, "username": username, "role": role, "email": f"{username}@example.com"}
    return client.post("/api/v1/users", body, content_type="application/json", **headers)


def auth(person, bearer):
    return bearer(person) if person is not None else {}


# (actor, method, target, body) → status. Targets are resolved from the fixtures by name.
ACCESS = [
    ("anonymous", "get", None, None, 401),
    ("tutor", "get", None, None, 403),
    ("moderator", "get", None, None, 200),
    ("admin", "get", None, None, 200),
    ("tutor", "get", "other_tutor", None, 403),
    ("moderator", "get", "other_tutor", None, 200),
    ("moderator", "get", "admin", None, 404),
    ("admin", "get", "moderator", None, 200),
    ("tutor", "patch", "other_tutor", {"first_name": "X"}, 403),
    ("moderator", "patch", "other_tutor", {"first_name": "X"}, 200),
    ("moderator", "patch", "other_tutor", {"role": "moderator"}, 403),
    ("moderator", "patch", "other_tutor", {"is_active": False}, 403),
    ("moderator", "patch", "admin", {"first_name": "X"}, 404),
    ("admin", "patch", "other_tutor", {"role": "moderator"}, 200),
    ("admin", "patch", "moderator", {"is_active": False}, 200),
    ("anonymous", "delete", "other_tutor", None, 401),
    ("tutor", "delete", "other_tutor", None, 403),
    ("moderator", "delete", "other_tutor", None, 403),
    ("moderator", "delete", "admin", None, 403),
    ("admin", "delete", "other_tutor", None, 204),
]


@pytest.mark.parametrize(("actor", "method", "target", "body", "status"), ACCESS)
def test_account_endpoints_by_role(
    client, people, other_tutor, bearer, actor, method, target, body, status
):
    url = "/api/v1/users"
    if target is not None:
        url += f"/{(people | {'other_tutor': other_tutor})[target].pk}"
    kwargs = {"content_type": "application/json"} if body is not None else {}
    response = getattr(client, method)(url, body, **kwargs, **auth(people[actor], bearer))
    assert response.status_code == status, response.content


@pytest.mark.parametrize(
    ("actor", "role", "status"),
    [
        ("tutor", Role.TUTOR, 403),
        ("moderator", Role.TUTOR, 201),
        ("moderator", Role.MODERATOR, 403),
        ("moderator", Role.ADMIN, 403),
        ("admin", Role.TUTOR, 201),
        ("admin", Role.MODERATOR, 201),
        ("admin", Role.ADMIN, 201),
    ],
)
def test_who_may_create_which_role(client, people, bearer, actor, role, status):
    response = create(client, bearer(people[actor]), role)
    assert response.status_code == status
    assert User.objects.filter(username="newbie").exists() is (status == 201)


def test_a_new_account_without_password_gets_an_invitation(
    client, moderator, bearer, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = create(client, bearer(moderator), Role.TUTOR)
    assert response.status_code == 201
    body = response.json()
    assert body["role"] == "tutor"
    assert body["is_active"] is True
    user = User.objects.get(username="newbie")
    assert not user.has_usable_password()
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["newbie@example.com"]
    assert "/accounts/password/reset/" in mailoutbox[0].body


def test_duplicate_username_or_email_is_422_with_field_errors(client, admin, tutor, bearer):
    response = client.post(
        "/api/v1/users",
        {"username": "TUTOR", "email": tutor.email.upper()},
        content_type="application/json",
        **bearer(admin),
    )
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"username", "email"}


def test_a_weak_password_is_refused_and_nothing_is_written(client, admin, bearer):
    response = client.post(
        "/api/v1/users",
        {"username": "weak", "email": "weak@example.com", "password": "123"},
        content_type="application/json",
        **bearer(admin),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "password"
    assert not User.objects.filter(username="weak").exists()
    assert not AuditLog.objects.filter(action="accounts.user.created").exists()


def test_an_inactive_branch_cannot_be_assigned(client, admin, bearer):
    from tests.factories import BranchFactory

    closed = BranchFactory(name="Closed", is_active=False)
    response = client.post(
        "/api/v1/users",
        {"username": "x1", "email": "x1@example.com", "branch": closed.pk},
        content_type="application/json",
        **bearer(admin),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "branch"


def test_moderators_list_only_tutors(client, moderator, tutor, other_tutor, admin, bearer):
    response = client.get("/api/v1/users", **bearer(moderator))
    usernames = {row["username"] for row in response.json()["results"]}
    assert usernames == {"tutor", "outsider"}


def test_the_list_filters_and_pages_with_a_cursor(client, admin, bearer):
    for number in range(7):
        UserFactory(username=f"pupil-teacher-{number}", role=Role.TUTOR)
    headers = bearer(admin)
    first = client.get("/api/v1/users?role=tutor&page_size=5", **headers).json()
    assert len(first["results"]) == 5
    second = client.get(first["next"], **headers)
    assert second.status_code == 200, second.content
    seen = {row["id"] for row in first["results"]}
    assert not seen & {row["id"] for row in second.json()["results"]}
    found = client.get("/api/v1/users?search=teacher-3", **headers).json()["results"]
    assert [row["username"] for row in found] == ["pupil-teacher-3"]


def test_listing_accounts_does_not_query_per_row(
    client, admin, bearer, django_assert_max_num_queries
):
    for number in range(30):
        UserFactory(username=f"bulk{number}")
    headers = bearer(admin)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/users?page_size=50", **headers)
    assert len(response.json()["results"]) == 31


def test_the_last_admin_cannot_be_demoted_deactivated_or_deleted(client, admin, bearer):
    headers = bearer(admin)
    for body in ({"role": "tutor"}, {"is_active": False}):
        response = client.patch(
            f"/api/v1/users/{admin.pk}", body, content_type="application/json", **headers
        )
        assert response.status_code == 409
    second = UserFactory(username="second-admin", role=Role.ADMIN)
    refused = client.delete(f"/api/v1/users/{admin.pk}", **headers)
    assert refused.status_code == 409
    assert refused.json()["detail"] == "You cannot delete your own account."
    assert client.delete(f"/api/v1/users/{second.pk}", **headers).status_code == 204


def test_me_edits_only_contact_details(client, tutor, bearer):
    headers = bearer(tutor)
    response = client.patch(
        "/api/v1/me",
        {"phone": "+27 82 555 0101", "time_zone": "Europe/London", "role": "admin"},
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 200
    tutor.refresh_from_db()
    assert tutor.phone == "+27 82 555 0101"
    assert tutor.role == Role.TUTOR
    bad = client.patch(
        "/api/v1/me", {"time_zone": "Mars/Base"}, content_type="application/json", **headers
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "time_zone"


def test_changing_password_needs_the_current_one(client, tutor, bearer):
    response = client.post(
        "/api/v1/me/password",
        {"current_password": "not-it", "new_password": "another-long-passphrase"},
        content_type="application/json",
        **bearer(tutor),
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "current_password"


def test_every_state_change_is_audited_and_the_chain_verifies(client, admin, bearer):
    from django.core.management import call_command

    headers = bearer(admin)
    created = create(client, headers, Role.TUTOR).json()
    client.patch(
        f"/api/v1/users/{created['id']}",
        {"first_name": "Renamed"},
        content_type="application/json",
        **headers,
    )
    client.patch(
        f"/api/v1/users/{created['id']}",
        {"role": "moderator"},
        content_type="application/json",
        **headers,
    )
    client.patch(
        f"/api/v1/users/{created['id']}",
        {"is_active": False},
        content_type="application/json",
        **headers,
    )
    client.delete(f"/api/v1/users/{created['id']}", **headers)
    actions = list(AuditLog.objects.order_by("id").values_list("action", flat=True))
    for action in (
        "accounts.signin.succeeded",
        "accounts.user.created",
        "accounts.user.updated",
        "accounts.user.role_changed",
        "accounts.user.deactivated",
        "accounts.user.deleted",
    ):
        assert action in actions
    created_entry = AuditLog.objects.get(action="accounts.user.created")
    assert created_entry.changes["email"] == "[redacted]"
    assert created_entry.actor_label == "admin"
    call_command("verify_audit")
