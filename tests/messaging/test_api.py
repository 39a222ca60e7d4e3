"""/api/v1/threads, /broadcasts and /notifications: the same rules as the pages."""

from __future__ import annotations

import json

import pytest

from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.messaging import services

pytestmark = pytest.mark.django_db


def post(client, url, body, headers):
    return client.post(url, data=json.dumps(body), content_type="application/json", **headers)


@pytest.fixture
def conversation(moderator, tutor):
    return services.thread_start(actor=moderator, recipients=[tutor], subject="Rota",
                                 body="See https://example.org/rota?a=1&b=2")  # fmt: skip


# (role, method, path, body) → status; {t} is a thread between the moderator and the tutor.
ACCESS = [
    ("anonymous", "get", "/threads", None, 401),
    ("anonymous", "get", "/notifications", None, 401),
    ("anonymous", "get", "/notifications/unread", None, 401),
    ("anonymous", "post", "/broadcasts", {"audience": "everyone"}, 401),
    ("tutor", "get", "/threads", None, 200),
    ("tutor", "get", "/threads/{t}", None, 200),
    ("tutor", "get", "/threads/{t}/messages", None, 200),
    ("tutor", "post", "/threads/{t}/messages", {"body": "ok"}, 201),
    ("tutor", "post", "/threads/{t}/read", {}, 200),
    ("tutor", "post", "/threads", {"recipients": ["{o}"], "subject": "s", "body": "b"}, 403),
    ("tutor", "post", "/broadcasts", {"audience": "everyone", "subject": "s", "body": "b"}, 403),
    ("tutor", "get", "/notifications", None, 200),
    ("tutor", "post", "/notifications/read", {}, 200),
    ("tutor", "get", "/notifications/preferences", None, 200),
    ("tutor", "put", "/notifications/preferences", {"email": ["message_received"]}, 200),
    ("outsider", "get", "/threads/{t}", None, 404),
    ("outsider", "get", "/threads/{t}/messages", None, 404),
    ("outsider", "post", "/threads/{t}/messages", {"body": "let me in"}, 404),
    ("outsider", "post", "/threads/{t}/read", {}, 404),
    ("moderator", "post", "/threads", {"recipients": ["{o}"], "subject": "s", "body": "b"}, 201),
    ("moderator", "post", "/broadcasts", {"audience": "everyone", "subject": "s",
                                          "body": "b"}, 403),
    ("admin", "post", "/broadcasts", {"audience": "role", "role": "tutor", "subject": "s",
                                      "body": "b"}, 201),
    ("admin", "get", "/threads/{t}", None, 404),
]  # fmt: skip


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), ACCESS)
def test_messaging_endpoints_by_role(
    client, people, other_tutor, bearer, conversation, role, method, path, body, status
):
    who = {**people, "outsider": other_tutor}[role]
    headers = bearer(who) if who else {}
    url = "/api/v1" + path.format(t=conversation.pk)
    if body is not None:
        text = json.dumps(body).replace('"{o}"', str(other_tutor.pk))
        response = getattr(client, method)(url, data=text, content_type="application/json",
                                           **headers)  # fmt: skip
    else:
        response = getattr(client, method)(url, **headers)
    assert response.status_code == status, response.content


def test_the_sender_sees_who_read_a_message_and_others_do_not(
    client, bearer, moderator, tutor, conversation
):
    post(client, f"/api/v1/threads/{conversation.pk}/read", {}, bearer(tutor))
    mine = client.get(f"/api/v1/threads/{conversation.pk}/messages", **bearer(moderator)).json()
    [receipt] = mine["results"][0]["read_by"]
    assert receipt["user"]["id"] == tutor.pk
    assert receipt["read_at"] is not None
    theirs = client.get(f"/api/v1/threads/{conversation.pk}/messages", **bearer(tutor)).json()
    assert theirs["results"][0]["read_by"] is None
    assert theirs["results"][0]["body"] == "See https://example.org/rota?a=1&b=2"


def test_unread_counts_answer_304_until_something_changes(client, bearer, moderator, tutor):
    first = client.get("/api/v1/notifications/unread", **bearer(tutor))
    assert first.json() == {"version": 0, "messages": 0, "notifications": 0}
    etag = first.headers["ETag"]
    again = client.get("/api/v1/notifications/unread", HTTP_IF_NONE_MATCH=etag, **bearer(tutor))
    assert again.status_code == 304
    services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    changed = client.get("/api/v1/notifications/unread", HTTP_IF_NONE_MATCH=etag,
                         **bearer(tutor))  # fmt: skip
    assert changed.status_code == 200
    assert changed.json()["messages"] == 1
    assert changed.json()["notifications"] == 1


def test_threads_are_cursor_paginated_and_searchable(client, bearer, moderator, tutor):
    for n in range(3):
        services.thread_start(actor=moderator, recipients=[tutor], subject=f"S{n}",
                              body=f"word{n} common")  # fmt: skip
    page = client.get("/api/v1/threads?page_size=2", **bearer(tutor)).json()
    assert [t["subject"] for t in page["results"]] == ["S2", "S1"]
    assert page["results"][0]["unread"] == 1
    rest = client.get(page["next"], **bearer(tutor)).json()
    assert [t["subject"] for t in rest["results"]] == ["S0"]
    found = client.get("/api/v1/threads?q=word1", **bearer(tutor)).json()
    assert [t["subject"] for t in found["results"]] == ["S1"]


def test_a_group_message_to_a_branch(client, bearer, moderator, branch, branch_tutors):
    response = post(client, "/api/v1/threads",
                    {"branch": branch.pk, "subject": "Exams", "body": "Dates"},
                    bearer(moderator))  # fmt: skip
    assert response.status_code == 201
    assert response.json()["kind"] == "group"
    assert {m["id"] for m in response.json()["members"]} == {moderator.pk} | {
        t.pk for t in branch_tutors
    }


@pytest.mark.parametrize(
    "body",
    [
        {"recipients": [], "subject": "s", "body": "b"},
        {"recipients": [999999], "subject": "s", "body": "b"},
        {"subject": "", "body": "b", "recipients": [1]},
        {"branch": 999999, "subject": "s", "body": "b"},
    ],
)
def test_bad_messages_are_problems_not_crashes(client, bearer, moderator, body):
    response = post(client, "/api/v1/threads", body, bearer(moderator))
    assert response.status_code in (404, 422)
    assert response.headers["Content-Type"] == "application/problem+json"


def test_notifications_list_and_mark_read(client, bearer, moderator, tutor):
    services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    notes = client.get("/api/v1/notifications?unread=true", **bearer(tutor)).json()["results"]
    assert [n["kind"] for n in notes] == ["message_received"]
    read = post(client, "/api/v1/notifications/read", {"ids": [notes[0]["id"]]}, bearer(tutor))
    assert read.json() == {"read": 1}
    assert client.get("/api/v1/notifications?unread=true", **bearer(tutor)).json()["results"] == []


def test_lists_cost_the_same_queries_for_more_rows(
    client, bearer, moderator, tutor, django_assert_max_num_queries
):
    thread = services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    headers = bearer(moderator)
    client.get(f"/api/v1/threads/{thread.pk}/messages", **headers)
    with django_assert_max_num_queries(12) as few:
        client.get(f"/api/v1/threads/{thread.pk}/messages", **headers)
        client.get("/api/v1/threads", **headers)
    others = UserFactory.create_batch(5, role=Role.TUTOR)
    for n in range(10):
        services.message_reply(actor=moderator, thread=thread, body=f"More {n}")
        services.thread_start(actor=moderator, recipients=others, subject=f"T{n}", body="B")
    with django_assert_max_num_queries(len(few)):
        client.get(f"/api/v1/threads/{thread.pk}/messages", **headers)
        client.get("/api/v1/threads", **headers)
