"""GET /api/v1/audit and /api/v1/audit/verify: admins only, filtered, cursor-paginated."""

from __future__ import annotations

import pytest

from tests.audit.trail import FILTER_CASES, FILTER_IDS, write_many
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db

LIST = "/api/v1/audit"
VERIFY = "/api/v1/audit/verify"
PROBLEM = "application/problem+json"


@pytest.mark.parametrize("path", [LIST, VERIFY])
@pytest.mark.parametrize(
    ("role", "status"),
    [("admin", 200), ("moderator", 403), ("tutor", 403), (None, 401)],
)
def test_only_admins_may_read_the_audit_trail(client, request, path, role, status):
    if role:
        client.force_login(request.getfixturevalue(role))
    response = client.get(path)
    assert response.status_code == status
    if status != 200:
        assert response["Content-Type"] == PROBLEM


@pytest.mark.parametrize("path", [LIST, VERIFY])
def test_the_audit_trail_is_read_only(client, admin, path):
    client.force_login(admin)
    assert client.post(path).status_code == 405


def test_entries_carry_every_field_newest_first(client, admin, trail):
    client.force_login(admin)
    body = client.get(LIST).json()
    ids = [item["id"] for item in body["results"]]
    assert ids == sorted(ids, reverse=True)
    voided = next(item for item in body["results"] if item["id"] == trail["voided"].pk)
    assert voided == {
        "id": trail["voided"].pk,
        "created_at": "2025-03-10T22:00:00Z",
        "actor_id": trail["voided"].actor_ref,
        "actor": "ann",
        "action": "finance.invoice.voided",
        "target_type": "finance.invoice",
        "target_id": "9",
        "changes": {},
        "ip": None,
        "user_agent": "",
        "request_id": "",
        "hash": trail["voided"].hash,
        "prev_hash": trail["cancelled"].hash,
    }


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES, ids=FILTER_IDS)
def test_each_filter_narrows_the_results(client, admin, trail, query, expected):
    client.force_login(admin)
    response = client.get(LIST, query)
    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {
        trail[name].pk for name in expected
    }


def test_empty_filters_filter_nothing(client, admin, trail):
    client.force_login(admin)
    results = client.get(LIST, {"actor": "", "action": ""}).json()["results"]
    assert {entry.pk for entry in trail.values()} <= {item["id"] for item in results}


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
    ],
)
def test_a_bad_date_is_a_422_problem_naming_the_field(client, admin, query, field):
    client.force_login(admin)
    response = client.get(LIST, query)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_range_that_ends_before_it_starts_is_a_422_problem(client, admin):
    client.force_login(admin)
    response = client.get(LIST, {"date_from": "2025-03-10", "date_to": "2025-03-09"})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM


def test_the_cursor_leads_to_the_next_page_without_overlap(client, admin):
    client.force_login(admin)
    write_many(25, admin)
    first = client.get(LIST, {"action": "tests.", "page_size": 10}).json()
    assert len(first["results"]) == 10
    assert first["next"]
    second = client.get(first["next"]).json()
    first_ids = [item["id"] for item in first["results"]]
    second_ids = [item["id"] for item in second["results"]]
    assert len(second_ids) == 10
    assert max(second_ids) < min(first_ids)
    assert all(item["action"].startswith("tests.") for item in second["results"])


def test_the_last_page_has_no_next_cursor(client, admin):
    client.force_login(admin)
    write_many(3, admin)
    body = client.get(LIST, {"action": "tests."}).json()
    assert len(body["results"]) == 3
    assert body["next"] is None


def test_listing_costs_the_same_queries_however_long_the_trail(
    client, admin, django_assert_max_num_queries
):
    client.force_login(admin)
    write_many(30, admin)
    # Session, user, one page of entries, and the request's savepoint pair (ATOMIC_REQUESTS).
    with django_assert_max_num_queries(5):
        response = client.get(LIST)
    assert len(response.json()["results"]) == 31


def test_verify_reports_an_intact_chain(client, admin, trail):
    client.force_login(admin)
    assert client.get(VERIFY).json() == {
        "intact": True,
        "checked": AuditLog.objects.count(),
        "broken_entry_id": None,
        "reason": None,
    }


def test_verify_names_the_first_entry_changed_in_the_database(client, admin, trail):
    client.force_login(admin)
    AuditLog.objects.filter(pk=trail["changed"].pk).update(actor_label="mallory")
    body = client.get(VERIFY).json()
    assert body["intact"] is False
    assert body["broken_entry_id"] == trail["changed"].pk
    assert body["reason"] == "was changed after it was written"
