"""GET /api/v1/search: the selector's answers as JSON, and problems for bad input."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

URL = "/api/v1/search"


def test_results_and_totals_for_each_kind(client, tutor, world, bearer):
    response = client.get(URL, {"q": "Thandi"}, **bearer(tutor))
    assert response.status_code == 200
    body = response.json()
    assert body["query"] == "Thandi"
    assert [(hit["kind"], hit["id"]) for hit in body["results"]] == [
        ("students", world["Thandi"]),
        ("sessions", world["soon"]), ("sessions", world["later"]), ("sessions", world["past"]),
        ("messages", world["to_tutor"]),
    ]  # fmt: skip
    assert body["results"][0] == {
        "kind": "students", "id": world["Thandi"], "title": "Thandi Mokoena",
        "subtitle": body["results"][0]["subtitle"], "url": f"/students/{world['Thandi']}/",
    }  # fmt: skip
    assert body["groups"] == [
        {"kind": "students", "label": "Students", "total": 1},
        {"kind": "sessions", "label": "Sessions", "total": 3},
        {"kind": "messages", "label": "Messages", "total": 1},
    ]


def test_one_kind_with_limit_and_offset(client, moderator, world, bearer):
    response = client.get(
        URL, {"q": "tha", "kind": "sessions", "limit": 2, "offset": 1}, **bearer(moderator)
    )
    body = response.json()
    assert [hit["id"] for hit in body["results"]] == [world["theirs"], world["later"]]
    assert body["groups"] == [{"kind": "sessions", "label": "Sessions", "total": 4}]


def test_the_session_cookie_works_too(client, moderator, world):
    client.force_login(moderator)
    response = client.get(URL, {"q": "Lerato", "kind": "tutors"})
    assert [hit["id"] for hit in response.json()["results"]] == [world["tutor"]]


def test_another_tutors_things_are_never_in_the_answer(client, tutor, world, bearer):
    body = client.get(URL, {"q": "tha", "limit": 50}, **bearer(tutor)).json()
    ids = {(hit["kind"], hit["id"]) for hit in body["results"]}
    assert ("students", world["Thabo"]) not in ids
    assert ("sessions", world["theirs"]) not in ids
    assert ("messages", world["to_other"]) not in ids
    assert not any(hit["kind"] == "tutors" for hit in body["results"])


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": "a"}, "q"),
        ({"q": "x" * 101}, "q"),
        ({"q": " a "}, "q"),
        ({"q": "\x00\x00"}, "q"),
        ({"q": "Thandi", "kind": "invoices"}, "kind"),
        ({"q": "Thandi", "limit": 0}, "limit"),
        ({"q": "Thandi", "limit": 51}, "limit"),
        ({"q": "Thandi", "offset": -1}, "offset"),
    ],
)
def test_bad_input_is_a_422_problem_naming_the_field(client, tutor, bearer, params, field):
    response = client.get(URL, params, **bearer(tutor))
    assert response.status_code == 422
    assert response["Content-Type"].startswith("application/problem+json")
    assert [error["field"] for error in response.json()["errors"]] == [field]


def test_a_tutor_asking_for_accounts_is_refused(client, tutor, bearer):
    response = client.get(URL, {"q": "Lerato", "kind": "tutors"}, **bearer(tutor))
    assert response.status_code == 403


def test_nobody_signed_in_gets_401(client):
    response = client.get(URL, {"q": "Thandi"})
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/problem+json")


def test_only_get_is_allowed(client, tutor, bearer):
    assert client.post(URL + "?q=Thandi", **bearer(tutor)).status_code == 405


def test_the_schema_documents_the_parameters_and_the_answer(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"][URL]["get"]
    params = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert (params["q"]["minLength"], params["q"]["maxLength"]) == (2, 100)
    assert set(params) == {"q", "kind", "limit", "offset"}
    assert "200" in operation["responses"]
