"""However many things match, a search costs the same few queries."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.search.conftest import SAST
from tests.students.conftest import StudentFactory
from tracker.messaging.services import thread_start
from tracker.scheduling.services import session_create
from tracker.search.selectors import search

pytestmark = pytest.mark.django_db

# Per kind: a count and a page of rows, plus the students of the sessions on the page.
SEARCH_QUERIES = 9
# A page adds the sign-in session, the person, the header's unread count and the
# request's transaction (ATOMIC_REQUESTS).
PAGE_QUERIES = SEARCH_QUERIES + 5


@pytest.fixture
def crowd(world, moderator, tutor):
    """A dozen more students, sessions and threads that all match "tha"."""
    for n in range(12):
        pupil = StudentFactory(first_name=f"Thapelo{n}", last_name="Crowd", tutors=[tutor])
        start = datetime(2031, 4, 1, 8, tzinfo=SAST) + timedelta(days=n)
        session_create(
            actor=moderator, start=start, end=start + timedelta(hours=1), tutor=tutor,
            students=[pupil],
        )  # fmt: skip
        thread_start(actor=moderator, recipients=[tutor], subject=f"Thabo {n}", body="Hello")


@pytest.mark.parametrize("role", ["tutor", "moderator", "admin"])
def test_a_search_costs_the_same_few_queries_however_many_match(
    everyone, world, crowd, role, django_assert_max_num_queries
):
    with django_assert_max_num_queries(SEARCH_QUERIES):
        results = search(user=everyone[role], query="tha", limit=50)
        # Reading every hit's fields must not query either.
        assert all(hit.title and hit.subtitle and hit.url for hit in results.hits)
    assert results.total >= 12


@pytest.mark.parametrize("path", ["/search/?q=tha", "/search/?q=tha&kind=sessions",
                                  "/search/suggest/?q=tha"])  # fmt: skip
def test_the_pages_cost_a_bounded_number_of_queries(
    client, moderator, world, crowd, path, django_assert_max_num_queries
):
    client.force_login(moderator)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get(path)
    assert response.status_code == 200


def test_the_api_costs_a_bounded_number_of_queries(
    client, moderator, world, crowd, bearer, django_assert_max_num_queries
):
    headers = bearer(moderator)
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = client.get("/api/v1/search?q=tha&limit=50", **headers)
    assert response.status_code == 200
    assert len(response.json()["results"]) > 30
