"""With Redis, a repeated thread list is answered by CachedReadMiddleware under the
person's inbox version (tracker/messaging/cached.py): every message sent or received and
every thread read shows on the next read, for each member."""

from __future__ import annotations

import pytest

from tests.factories import UserFactory
from tracker.accounts.models import Role
from tracker.messaging import services

pytestmark = pytest.mark.django_db


def threads(client, headers, **params):
    response = client.get("/api/v1/threads", params, **headers)
    assert response.status_code == 200
    return response.json()["results"]


@pytest.fixture
def known(client, moderator, tutor, bearer, shared_redis):
    """Both members' tokens known and their lists stored."""
    thread = services.thread_start(actor=moderator, recipients=[tutor], subject="Rota", body="B")
    staff, own = bearer(moderator), bearer(tutor)
    for headers in (staff, own):
        for _ in range(3):
            threads(client, headers)
    return thread, staff, own


def test_a_repeated_list_is_answered_without_the_database(client, known, django_assert_num_queries):
    _thread, _staff, own = known
    with django_assert_num_queries(0):
        [row] = threads(client, own)
    assert (row["subject"], row["unread"]) == ("Rota", 1)


def test_a_reply_shows_for_the_sender_and_the_recipient(client, known, moderator, tutor, committed):
    thread, staff, own = known
    other = services.thread_start(actor=moderator, recipients=[tutor], subject="Pay", body="B")
    committed(services.message_reply, actor=tutor, thread=thread, body="Fine by me")
    # The reply moves the older thread up in both lists; the moderator has one unread.
    assert [(r["id"], r["unread"]) for r in threads(client, staff)] == [
        (thread.pk, 1),
        (other.pk, 0),
    ]
    assert [r["id"] for r in threads(client, own)] == [thread.pk, other.pk]


def test_reading_a_thread_shows_on_the_next_read(client, known, tutor, committed):
    thread, _staff, own = known
    committed(services.thread_mark_read, actor=tutor, thread=thread)
    assert threads(client, own)[0]["unread"] == 0


def test_a_new_thread_shows_for_its_recipients_only(client, known, moderator, bearer, committed):
    _thread, _staff, own = known
    outsider = UserFactory(username="someone-else", role=Role.TUTOR)
    theirs = bearer(outsider)
    for _ in range(3):
        assert threads(client, theirs) == []
    committed(services.thread_start, actor=moderator, recipients=[outsider], subject="Hi", body="B")
    assert [r["subject"] for r in threads(client, theirs)] == ["Hi"]
    assert [r["subject"] for r in threads(client, own)] == ["Rota"]


def test_a_search_is_its_own_answer(client, known):
    _thread, _staff, own = known
    for _ in range(2):
        assert threads(client, own, q="nothing-like-it") == []
    assert len(threads(client, own)) == 1
