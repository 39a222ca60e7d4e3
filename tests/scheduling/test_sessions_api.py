"""/api/v1/sessions: the feed, booking, moving, cancelling, and who may."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.factories import UserFactory
from tests.scheduling.conftest import at
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.scheduling.models import Session
from tracker.scheduling.services import bump_feed_version

pytestmark = pytest.mark.django_db

WEEK = {"start": at(2, 0).isoformat(), "end": at(9, 0).isoformat()}


def feed(client, headers, **params):
    return client.get("/api/v1/sessions", {**WEEK, **params}, **headers)


def post(client, headers, body):
    return client.post("/api/v1/sessions", body, content_type="application/json", **headers)


def body_for(tutor, pupil, start, minutes=60, **extra):
    return {
        "tutor": tutor.pk,
        "students": [pupil.pk],
        "start": start.isoformat(),
        "end": (start + timedelta(minutes=minutes)).isoformat(),
        **extra,
    }


def test_a_tutor_sees_only_their_own_sessions(client, tutor, book, bearer):
    mine = book(at(3, 16))
    other = UserFactory(username="other-tutor", role=Role.TUTOR)
    book(at(3, 16), tutor=other, students=[StudentFactory()])
    rows = feed(client, bearer(tutor)).json()
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["can_manage"] is False
    assert rows[0]["title"] == "Mathematics · Palesa"


def test_staff_see_everyone_and_filter(client, moderator, tutor, book, bearer, pupil):
    book(at(3, 16))
    other = UserFactory(username="other-tutor", role=Role.TUTOR)
    book(at(3, 16), tutor=other, students=[StudentFactory()])
    headers = bearer(moderator)
    assert len(feed(client, headers).json()) == 2
    assert len(feed(client, headers, tutor=tutor.pk).json()) == 1
    assert len(feed(client, headers, student=pupil.pk).json()) == 1
    assert len(feed(client, headers, status="cancelled").json()) == 0


def test_the_feed_costs_the_same_queries_for_any_week_size(
    client, tutor, book, bearer, django_assert_max_num_queries
):
    headers = bearer(tutor)
    book(at(3, 10))
    feed(client, headers)  # the first look may extend open series; later ones do not
    bump_feed_version()  # a read from the database, not from the cache
    with django_assert_max_num_queries(10) as one:
        feed(client, headers)
    for day in range(3, 8):
        for hour in (12, 14, 16):
            book(at(day, hour), students=[StudentFactory()])
    with django_assert_max_num_queries(10) as many:
        rows = feed(client, headers).json()
    assert len(rows) == 16
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_feed_refuses_huge_or_backwards_ranges(client, tutor, bearer):
    headers = bearer(tutor)
    too_long = feed(client, headers, end=at(2, 0, month=6).isoformat())
    assert too_long.status_code == 422
    backwards = feed(client, headers, end=at(1, 0).isoformat())
    assert backwards.status_code == 422


@pytest.mark.parametrize(
    ("role", "status"), [("anonymous", 401), ("tutor", 403), ("moderator", 201), ("admin", 201)]
)
def test_who_may_book(client, people, tutor, pupil, bearer, role, status):
    headers = bearer(people[role]) if people[role] else {}
    assert post(client, headers, body_for(tutor, pupil, at(3, 16))).status_code == status


def test_a_clash_is_409_naming_the_session(client, moderator, tutor, pupil, book, bearer):
    first = book(at(3, 16))
    response = post(client, bearer(moderator), body_for(tutor, pupil, at(3, 16, 30)))
    assert response.status_code == 409
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["clashing_session"]["id"] == first.pk
    assert Session.objects.count() == 1


def test_booking_a_weekly_series(client, moderator, tutor, pupil, bearer):
    response = post(
        client,
        bearer(moderator),
        body_for(tutor, pupil, at(3, 16), repeat={"freq": "weekly", "count": 4}),
    )
    assert response.status_code == 201
    assert response.json()["series_id"] is not None
    assert Session.objects.filter(series_id=response.json()["series_id"]).count() == 4


def test_moving_and_undoing(client, moderator, book, bearer):
    session = book(at(3, 16))
    headers = bearer(moderator)
    moved = client.patch(
        f"/api/v1/sessions/{session.pk}",
        {"start": at(4, 10).isoformat(), "end": at(4, 11).isoformat()},
        content_type="application/json",
        **headers,
    )
    assert moved.status_code == 200
    undone = client.patch(
        f"/api/v1/sessions/{session.pk}",
        {"start": at(3, 16).isoformat(), "end": at(3, 17).isoformat()},
        content_type="application/json",
        **headers,
    )
    assert undone.status_code == 200
    session.refresh_from_db()
    assert session.start == at(3, 16)


def test_tutors_cannot_move_or_cancel_and_cannot_see_others(client, tutor, book, bearer):
    mine = book(at(3, 16))
    other = UserFactory(username="other-tutor", role=Role.TUTOR)
    theirs = book(at(3, 16), tutor=other, students=[StudentFactory()])
    headers = bearer(tutor)
    moved = client.patch(
        f"/api/v1/sessions/{mine.pk}",
        {"start": at(4, 10).isoformat(), "end": at(4, 11).isoformat()},
        content_type="application/json",
        **headers,
    )
    assert moved.status_code == 403
    cancel = client.post(
        f"/api/v1/sessions/{mine.pk}/cancel",
        {"reason": "x"},
        content_type="application/json",
        **headers,
    )
    assert cancel.status_code == 403
    assert client.get(f"/api/v1/sessions/{theirs.pk}", **headers).status_code == 404


def test_cancelling_through_the_api(client, moderator, book, bearer):
    session = book(at(3, 16))
    response = client.post(
        f"/api/v1/sessions/{session.pk}/cancel",
        {"reason": "Exams", "billable": False},
        content_type="application/json",
        **bearer(moderator),
    )
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert response.json()["cancellation_reason"] == "Exams"


def test_the_version_answers_304_until_something_changes(client, tutor, book, bearer):
    headers = bearer(tutor)
    first = client.get("/api/v1/sessions/version", **headers)
    etag = first["ETag"]
    assert (
        client.get("/api/v1/sessions/version", HTTP_IF_NONE_MATCH=etag, **headers).status_code
        == 304
    )
    book(at(3, 16))
    changed = client.get("/api/v1/sessions/version", HTTP_IF_NONE_MATCH=etag, **headers)
    assert changed.status_code == 200
    assert changed.json()["version"] == first.json()["version"] + 1


def test_the_feed_extends_open_series_as_far_as_it_looks(client, moderator, tutor, pupil, bearer):
    from django.utils import timezone

    headers = bearer(moderator)
    far = timezone.now() + timedelta(weeks=40)
    week = {"start": far.isoformat(), "end": (far + timedelta(days=7)).isoformat()}
    assert client.get("/api/v1/sessions", week, **headers).json() == []
    start = timezone.localtime().replace(hour=16, minute=0, second=0, microsecond=0)
    post(
        client,
        headers,
        body_for(tutor, pupil, start + timedelta(days=1), repeat={"freq": "weekly"}),
    )
    rows = client.get("/api/v1/sessions", week, **headers).json()
    assert len(rows) == 1
