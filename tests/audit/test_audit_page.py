"""The /audit/ page: admins only, filter form, htmx partial, pages that keep the filters."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from tests.audit.trail import FILTER_CASES, FILTER_IDS, write_many
from tracker.audit.services import record

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


@pytest.fixture
def url():
    return reverse("audit:log")


@pytest.fixture
def admin_client(client, admin):
    client.force_login(admin)
    return client


def shown_ids(response) -> set[int]:
    page = response.context["page"]
    return {entry.pk for entry in page} if page else set()


def test_the_page_lives_at_audit(url):
    assert url == "/audit/"


@pytest.mark.parametrize(("role", "status"), [("admin", 200), ("moderator", 403), ("tutor", 403)])
def test_only_admins_may_open_the_page(client, request, url, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url).status_code == status


def test_the_page_refuses_partials_to_other_roles_too(client, moderator, url):
    client.force_login(moderator)
    assert client.get(url, headers=HTMX).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(resolve_url(settings.LOGIN_URL))


def test_the_page_is_read_only(admin_client, url):
    assert admin_client.post(url).status_code == 405


def test_the_page_lists_entries_in_an_accessible_table(admin_client, url, trail):
    response = admin_client.get(url)
    html = response.content.decode()
    assert {entry.pk for entry in trail.values()} <= shown_ids(response)
    assert "<caption>" in html
    assert '<th scope="col">' in html
    assert 'role="region" tabindex="0" aria-label="' in html
    assert "finance.invoice #9" in html


def test_times_are_shown_in_the_business_time_zone(admin_client, url, trail):
    html = admin_client.get(url).content.decode()
    # 22:00 UTC on 9 March is midnight on the 10th in Johannesburg.
    assert ">2025-03-10 00:00:00</time>" in html
    assert ">2025-03-09 23:59:00</time>" in html


def test_changes_are_shown_as_old_and_new_values(admin_client, url, admin):
    record(
        "scheduling.session.cancelled",
        actor=admin,
        changes={"status": ["scheduled", "cancelled"], "password": "hunter2", "reason": "ill"},
    )
    html = admin_client.get(url).content.decode()
    assert '<span class="changes__key">status</span>: scheduled → cancelled' in html
    assert '<span class="changes__key">password</span>: ***' in html
    assert '<span class="changes__key">reason</span>: ill' in html
    assert "hunter2" not in html


@pytest.mark.parametrize(("query", "expected"), FILTER_CASES, ids=FILTER_IDS)
def test_each_filter_narrows_the_results(admin_client, url, trail, query, expected):
    response = admin_client.get(url, query)
    assert response.status_code == 200
    assert shown_ids(response) == {trail[name].pk for name in expected}


def test_a_filter_that_matches_nothing_says_so(admin_client, url, trail):
    html = admin_client.get(url, {"actor": "nobody"}).content.decode()
    assert "No entries match these filters." in html
    assert "<table" not in html


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "not a date"}, "date_to"),
        ({"date_from": "2025-03-10", "date_to": "2025-03-09"}, "date_to"),
        ({"actor": "x" * 151}, "actor"),
    ],
)
def test_bad_filters_are_field_errors_not_crashes(admin_client, url, query, field):
    response = admin_client.get(url, query)
    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html
    assert 'aria-invalid="true"' in html
    assert 'role="alert"' in html


def test_an_htmx_request_gets_only_the_results(admin_client, url, trail):
    response = admin_client.get(url, {"action": "students."}, headers=HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert "<form" not in html
    assert "<table" in html
    assert "<code>students.student.created</code>" in html
    assert "<code>finance.invoice.voided</code>" not in html
    assert "HX-Request" in response["Vary"]


def test_an_htmx_bad_filter_explains_itself_in_the_results(admin_client, url):
    html = admin_client.get(url, {"date_from": "2025-02-30"}, headers=HTMX).content.decode()
    assert 'role="alert"' in html
    assert "<html" not in html


def test_an_htmx_history_restore_gets_the_whole_page(admin_client, url):
    headers = {**HTMX, "HX-History-Restore-Request": "true"}
    assert "<html" in admin_client.get(url, headers=headers).content.decode()


def test_the_form_updates_the_results_in_place_and_the_address_bar(admin_client, url):
    html = admin_client.get(url).content.decode()
    assert f'hx-get="{url}" hx-target="#audit-results" hx-push-url="true"' in html
    assert '<div id="audit-results"' in html


def test_pages_hold_fifty_entries_and_their_links_keep_the_filters(admin_client, url, admin):
    write_many(55, admin)
    first = admin_client.get(url, {"action": "tests."})
    assert len(first.context["page"]) == 50
    assert 'href="?action=tests.&amp;page=2"' in first.content.decode()
    second = admin_client.get(url, {"action": "tests.", "page": 2})
    assert len(second.context["page"]) == 5
    assert not shown_ids(first) & shown_ids(second)
    assert 'href="?action=tests.&amp;page=1"' in second.content.decode()


def test_a_page_number_out_of_range_shows_the_last_page(admin_client, url, admin):
    write_many(3, admin)
    response = admin_client.get(url, {"action": "tests.", "page": 99})
    assert response.status_code == 200
    assert len(response.context["page"]) == 3


def test_the_page_costs_the_same_queries_however_long_the_trail(
    admin_client, url, admin, django_assert_max_num_queries
):
    write_many(30, admin)
    # Session, user, count, one page of entries, the request's savepoint pair, and the
    # bell's unread count.
    with django_assert_max_num_queries(7):
        response = admin_client.get(url)
    assert len(response.context["page"]) == 31


def test_the_page_loads_its_own_stylesheet_and_no_inline_style(admin_client, url, trail):
    html = admin_client.get(url).content.decode()
    assert "/static/css/audit.css" in html
    assert " style=" not in html
    assert "<script>" not in html
