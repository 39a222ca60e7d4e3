"""Closure days: admins manage them (page and API), everyone reads them, series skip them."""

from __future__ import annotations

import pytest

from tests.factories import BranchFactory
from tracker.audit.models import AuditLog
from tracker.scheduling.models import Closure

pytestmark = pytest.mark.django_db

NEW = {"start_date": "2031-04-18", "end_date": "2031-04-21", "reason": "Easter"}


@pytest.fixture
def easter(db):
    return Closure.objects.create(start_date="2031-04-18", end_date="2031-04-21", reason="Easter")


# (role, method, path) → status; {c} is an existing closure.
ACCESS = [
    ("anonymous", "get", "", 401),
    ("tutor", "get", "", 200),
    ("moderator", "get", "", 200),
    ("tutor", "post", "", 403),
    ("moderator", "post", "", 403),
    ("admin", "post", "", 201),
    ("moderator", "delete", "/{c}", 403),
    ("admin", "delete", "/{c}", 204),
]


@pytest.mark.parametrize(("role", "method", "path", "status"), ACCESS)
def test_closure_api_by_role(client, people, bearer, easter, role, method, path, status):
    headers = bearer(people[role]) if people[role] else {}
    url = "/api/v1/closures" + path.format(c=easter.pk)
    kwargs = {"content_type": "application/json"} if method == "post" else {}
    body = NEW if method == "post" else None
    assert getattr(client, method)(url, body, **kwargs, **headers).status_code == status


def test_adding_and_removing_are_audited(client, admin, bearer):
    headers = bearer(admin)
    created = client.post("/api/v1/closures", NEW, content_type="application/json", **headers)
    assert created.json()["reason"] == "Easter"
    client.delete(f"/api/v1/closures/{created.json()['id']}", **headers)
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {"scheduling.closure.added", "scheduling.closure.removed"} <= actions


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW, "end_date": "2031-04-01"}, "end_date"),
        ({**NEW, "end_date": "2033-01-01"}, "end_date"),
        ({**NEW, "reason": "   "}, "reason"),
        ({**NEW, "branch": 424242}, "branch"),
        ({**NEW, "start_date": "not a date"}, "start_date"),
    ],
)
def test_bad_input_is_a_field_problem_and_writes_nothing(client, admin, bearer, body, field):
    response = client.post(
        "/api/v1/closures", body, content_type="application/json", **bearer(admin)
    )
    assert response.status_code == 422
    assert field in {error["field"] for error in response.json()["errors"]}
    assert not Closure.objects.exists()


def test_a_branch_closure_names_its_branch(client, admin, bearer):
    branch = BranchFactory(name="Sandton")
    body = {**NEW, "branch": branch.pk}
    response = client.post(
        "/api/v1/closures", body, content_type="application/json", **bearer(admin)
    )
    assert response.json()["branch_id"] == branch.pk


@pytest.mark.parametrize(
    ("role", "status"), [(None, 302), ("tutor", 403), ("moderator", 403), ("admin", 200)]
)
def test_closure_page_by_role(client, people, role, status):
    if role:
        client.force_login(people[role])
    assert client.get("/settings/closures/").status_code == status


def test_admin_adds_from_the_page_and_sees_field_errors(client, admin, easter):
    client.force_login(admin)
    bad = client.post("/settings/closures/", {**NEW, "end_date": "2031-04-01"})
    assert bad.status_code == 200
    assert "The last day cannot be before the first." in bad.content.decode()
    good = client.post("/settings/closures/", {**NEW, "reason": "Freedom Day"})
    assert good.status_code == 302
    assert Closure.objects.filter(reason="Freedom Day").exists()
    assert client.get(f"/settings/closures/{easter.pk}/remove/").status_code == 405
    client.post(f"/settings/closures/{easter.pk}/remove/")
    assert not Closure.objects.filter(pk=easter.pk).exists()
