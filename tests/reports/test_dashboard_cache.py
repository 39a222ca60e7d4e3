"""Dashboards are cached per person and day, and every change they show is on the next read:
with the database's change counter (no Redis) and with version tokens in a shared cache
(Redis; this process's memory cache stands in for it)."""

from __future__ import annotations

import json
from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.core.cache import cache

from tests.caching import reads, record_sets
from tests.reports.conftest import NOW
from tracker.finance import services as money
from tracker.reports import dashboards
from tracker.scheduling.services import session_create
from tracker.students.availability import availability_add
from tracker.students.services import student_set_status

pytestmark = pytest.mark.django_db

DASHBOARD = "/api/v1/reports/dashboard"


@pytest.fixture
def frozen(monkeypatch):
    """Pages and the API ask for the dashboard without a time: give them NOW."""
    monkeypatch.setattr(dashboards, "_now", lambda now: now or NOW)


def read(client, headers):
    response = client.get(DASHBOARD, **headers)
    assert response.status_code == 200
    return response.json()


@pytest.mark.parametrize("role", ["tutor", "moderator", "admin"])
def test_a_second_read_is_served_from_the_cache(
    world, client, people, role, bearer, mode, frozen, django_assert_max_num_queries
):
    headers = bearer(people[role])
    first = read(client, headers)
    with django_assert_max_num_queries(4) as captured:
        assert read(client, headers) == first
    # The bearer token's lookup, and without Redis the change counter: no figure is counted.
    assert len(reads(captured)) == (1 if mode == "redis" else 2)


def test_people_never_share_a_cached_dashboard(world, client, tutor, other_tutor, bearer, frozen):
    assert read(client, bearer(tutor))["tutor"]["week"]["total"] == 4
    assert read(client, bearer(other_tutor))["tutor"]["week"]["total"] == 1


def test_a_tutors_log_shows_on_their_next_read(
    world, client, tutor, bearer, mode, frozen, committed
):
    headers = bearer(tutor)
    assert read(client, headers)["tutor"]["to_log"] == 1
    wednesday = world["sessions"]["wed"]
    body = json.dumps({"outcome": "completed"})
    logged = committed(
        client.post, f"/api/v1/sessions/{wednesday.pk}/log", body,
        content_type="application/json", **headers,
    )  # fmt: skip
    assert logged.status_code == 200
    after = read(client, headers)["tutor"]
    assert after["to_log"] == 0
    assert after["week"]["completed"] == 3


def test_a_new_session_and_a_verified_log_show_on_the_staff_dashboard(
    world, client, moderator, tutor, pupil, bearer, mode, frozen, committed
):
    headers = bearer(moderator)
    before = read(client, headers)["operations"]
    assert (before["week"]["total"], before["unverified"]) == (5, 1)
    start = NOW.replace(day=13, hour=8)
    committed(session_create, actor=moderator, tutor=tutor, students=[pupil], start=start,
              end=start + timedelta(hours=1))  # fmt: skip
    assert read(client, headers)["operations"]["week"]["total"] == 6
    tuesday = world["sessions"]["tue"]
    verified = committed(
        client.post, "/api/v1/attendance/verify", json.dumps({"session_ids": [tuesday.pk]}),
        content_type="application/json", **headers,
    )  # fmt: skip
    assert verified.status_code == 200
    assert read(client, headers)["operations"]["unverified"] == 0


def test_students_and_availability_show_on_the_staff_dashboard(
    world, client, moderator, tutor, bearer, mode, frozen, committed
):
    headers = bearer(moderator)
    before = read(client, headers)["operations"]
    assert (before["idle_students"], before["available_hours"]) == (2, 7.0)
    committed(student_set_status, actor=moderator, student=world["never"], status="paused")
    assert read(client, headers)["operations"]["idle_students"] == 1
    committed(availability_add, actor=moderator, owner=tutor, weekday=1, start=time(9),
              end=time(11))  # fmt: skip
    assert read(client, headers)["operations"]["available_hours"] == 9.0


def test_an_invoice_and_a_payment_show_on_the_admins_next_read(
    world, client, admin, bearer, mode, frozen, committed
):
    headers = bearer(admin)
    assert read(client, headers)["money"]["outstanding"] == "0.00"
    drafts = money.invoices_generate(
        actor=admin, start=date(2026, 3, 1), end=date(2026, 3, 31), per="student"
    )
    [invoice] = [committed(money.invoice_issue, actor=admin, invoice=d, send=False) for d in drafts]
    assert Decimal(read(client, headers)["money"]["outstanding"]) == invoice.total
    committed(money.payment_record, actor=admin, payer=invoice.payer, amount="100.00",
              received_on=date(2026, 3, 20), method="eft")  # fmt: skip
    assert Decimal(read(client, headers)["money"]["outstanding"]) == invoice.total - 100


def test_the_page_shows_a_change_on_the_next_read(
    world, client, tutor, moderator, mode, frozen, committed
):
    client.force_login(tutor)
    assert 'data-figure="to-log"' in client.get("/dashboard/").content.decode()
    assert dashboards.dashboard(user=tutor).tutor.to_log == 1
    from tracker.attendance.services import session_log

    committed(session_log, actor=moderator, session=world["sessions"]["wed"], outcome="completed")
    html = client.get("/dashboard/").content.decode()
    card = html.split('data-figure="to-log"')[1]
    assert card.split('class="card__value">')[1].split("</dd>")[0] == "0"


def test_a_dashboard_for_a_given_time_is_computed_not_cached(world, tutor):
    dashboards.dashboard(user=tutor, now=NOW)
    assert cache.get(dashboards._cache_key(tutor)) is None
    assert dashboards.dashboard(user=tutor).tutor is not None
    assert cache.get(dashboards._cache_key(tutor)) is not None


def test_a_cached_dashboard_expires_within_a_minute(world, tutor, frozen, monkeypatch):
    """Time alone changes some figures: a session that has just ended waits to be logged."""
    stored = record_sets(monkeypatch, dashboards)
    dashboards.dashboard(user=tutor)
    assert [timeout for _key, timeout in stored] == [dashboards.CACHE_SECONDS]
    assert 0 < dashboards.CACHE_SECONDS <= 60


def test_a_repeated_dashboard_is_answered_before_the_stack_until_a_log(
    world,
    client,
    tutor,
    bearer,
    frozen,
    committed,
    shared_redis,
    django_assert_num_queries,
    monkeypatch,
):
    """With Redis, CachedReadMiddleware answers a repeated dashboard under these same
    scopes, and builds it afresh after a log without the API view (tracker/reports/cached.py)."""
    headers = bearer(tutor)
    first = [read(client, headers) for _ in range(3)][-1]
    with django_assert_num_queries(0):
        assert read(client, headers) == first
    wednesday = world["sessions"]["wed"]
    body = json.dumps({"outcome": "completed"})
    committed(
        client.post, f"/api/v1/sessions/{wednesday.pk}/log", body,
        content_type="application/json", **headers,
    )  # fmt: skip

    def the_view_ran(**kwargs):
        raise AssertionError("the API view ran")

    monkeypatch.setattr(dashboards, "dashboard", the_view_ran)
    assert read(client, headers)["tutor"]["to_log"] == 0
