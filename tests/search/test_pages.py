"""The search page and the header box's suggestions."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return response.content.decode()


def test_the_header_box_is_a_plain_form_that_works_without_script(client, tutor):
    client.force_login(tutor)
    html = text(client.get("/calendar/"))
    assert '<form class="site-search" role="search" method="get" action="/search/"' in html
    assert '<label class="visually-hidden" for="site-search-q">Find</label>' in html
    assert 'hx-get="/search/suggest/"' in html


def test_nobody_signed_in_gets_no_box_and_no_page(client):
    assert "site-search" not in text(client.get("/accounts/login/"))
    for path in ("/search/?q=Thandi", "/search/suggest/?q=Thandi"):
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", ["/search/", "/search/suggest/"])
def test_the_pages_only_answer_get(client, tutor, path):
    client.force_login(tutor)
    assert client.post(path, {"q": "Thandi"}).status_code == 405


@pytest.mark.parametrize("query", ["", "?q=", "?q=+a+", "?q=%E2%80%8B%E2%80%8B"])
def test_no_query_or_a_short_one_shows_guidance(client, tutor, query):
    client.force_login(tutor)
    response = client.get("/search/" + query)
    assert response.status_code == 200
    html = text(response)
    assert "Type at least 2 characters" in html
    assert "You can find: Students, Sessions, Messages." in html
    assert "errorlist" not in html


@pytest.mark.parametrize(
    ("query", "error"),
    [("x" * 101, "at most 100 characters"), ("\x00\x00", "Null characters are not allowed")],
)
def test_a_long_or_broken_query_is_a_field_error(client, tutor, query, error):
    client.force_login(tutor)
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert error in response.context["form"].errors["q"][0]
    assert response.context["results"] is None


def test_results_are_grouped_with_counts_and_links(client, tutor, world):
    client.force_login(tutor)
    response = client.get("/search/", {"q": "Thandi"})
    html = text(response)
    assert "Results for “Thandi”" in html
    headings = re.findall(r'<h2 id="results-(\w+)">([^<]+) <span[^>]*>\((\d+)\)', html)
    assert headings == [("students", "Students", "1"), ("sessions", "Sessions", "3"),
                        ("messages", "Messages", "1")]  # fmt: skip
    assert f'href="/students/{world["Thandi"]}/"' in html
    assert f'href="/messages/{world["to_tutor"]}/"' in html
    assert 'href="/calendar/"' in html
    # Never another tutor's student, nor a contact detail of one's own.
    assert "Thabo" not in html
    # The phone as written and as digits alone: a bare "555" could be a sequence number.
    assert "555 0101" not in html
    assert "5550101" not in html
    assert "Grace" not in html


def test_more_than_fit_links_to_that_kind_alone_page_by_page(client, moderator, world):
    from tests.students.conftest import StudentFactory

    for n in range(30):
        StudentFactory(first_name=f"Thapelo{n:02}", last_name="Crowd")
    client.force_login(moderator)
    html = text(client.get("/search/", {"q": "tha"}))
    assert '<a href="?q=tha&amp;kind=students">See all 33 students</a>' in html
    first = client.get("/search/", {"q": "tha", "kind": "students"})
    assert len(first.context["results"].hits) == 25
    assert "Page 1 of 2" in text(first)
    second = client.get("/search/", {"q": "tha", "kind": "students", "page": "2"})
    assert [hit.title for hit in second.context["results"].hits][-3:] == [
        "Thabo Dlamini", "Thandi Mokoena", "Thato Mokoena",
    ]  # fmt: skip
    # An old link past the end shows the last page, not an empty one.
    beyond = client.get("/search/", {"q": "tha", "kind": "students", "page": "9"})
    assert len(beyond.context["results"].hits) == 8


def test_a_tutor_cannot_ask_the_page_for_accounts(client, tutor, world):
    client.force_login(tutor)
    response = client.get("/search/", {"q": "Lerato", "kind": "tutors"})
    assert response.status_code == 200
    assert "kind" in response.context["form"].errors
    assert response.context["results"] is None
    assert 'value="tutors"' not in text(response)


def test_suggestions_are_a_partial_with_a_count_for_screen_readers(client, moderator, world):
    client.force_login(moderator)
    response = client.get(reverse("search:suggest"), {"q": "Thandi"}, HTTP_HX_REQUEST="true")
    html = text(response)
    assert "<html" not in html
    assert '<span id="site-search-status" hx-swap-oob="innerHTML">5 suggestions</span>' in html
    assert f'href="/students/{world["Thandi"]}/"' in html
    assert 'href="/search/?q=Thandi"' in html


@pytest.mark.parametrize("query", ["", "T", "x" * 101])
def test_suggestions_for_too_little_or_too_much_are_empty(client, tutor, query):
    client.force_login(tutor)
    html = text(client.get(reverse("search:suggest"), {"q": query}))
    assert "site-search__panel" not in html
    assert '<span id="site-search-status" hx-swap-oob="innerHTML"></span>' in html


def test_suggestions_say_when_nothing_matches(client, tutor, world):
    client.force_login(tutor)
    html = text(client.get(reverse("search:suggest"), {"q": "Zebedee"}))
    assert "Nothing found." in html
    assert ">Nothing found<" in html
