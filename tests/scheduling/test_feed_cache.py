"""The calendar feed is cached per person, range and filters, and every change that shows in
it is on the very next read: with the database's change counter (no Redis) and with version
tokens in a shared cache (Redis; this process's memory cache stands in for it)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from ninja.responses import NinjaJSONEncoder
from pydantic import TypeAdapter

from tests.caching import reads, record_sets
from tests.factories import UserFactory
from tests.scheduling.conftest import at
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.accounts.services import user_update
from tracker.org.services import lookup_update
from tracker.scheduling import api, selectors, services
from tracker.students.privacy import student_erase
from tracker.students.services import student_archive, student_update

pytestmark = pytest.mark.django_db

WEEK = {"start": at(2, 0).isoformat(), "end": at(9, 0).isoformat()}


def feed(client, headers, **params):
    return client.get("/api/v1/sessions", {**WEEK, **params}, **headers)


def send(client, method, path, headers, body=None):
    return client.generic(
        method, path, json.dumps(body or {}), content_type="application/json", **headers
    )


def test_a_second_read_is_served_from_the_cache(
    client, tutor, book, bearer, mode, django_assert_max_num_queries
):
    book(at(3, 16))
    headers = bearer(tutor)
    first = feed(client, headers)
    with django_assert_max_num_queries(4) as captured:
        second = feed(client, headers)
    # The bearer token's lookup, and without Redis the change counter: nothing else.
    assert len(reads(captured)) == (1 if mode == "redis" else 2)
    assert second.status_code == 200
    assert second["Content-Type"] == "application/json; charset=utf-8"
    assert second.content == first.content
    assert len(second.json()) == 1


def test_the_cached_feed_is_rendered_as_ninja_renders_a_session(client, tutor, book, bearer):
    session = book(at(3, 16))
    headers = bearer(tutor)
    feed(client, headers)
    [row] = feed(client, headers).json()
    assert row == client.get(f"/api/v1/sessions/{session.pk}", **headers).json()


@pytest.mark.parametrize("role", ["tutor", "moderator", "admin"])
def test_the_feed_is_written_byte_for_byte_as_ninjas_schema_renders_it(
    role, people, tutor, moderator, book, maths
):
    """The feed writes session_out's rows as they are; ninja would validate them through
    SessionOut first. Every kind of value a row can hold must come out the same."""
    plain = book(at(3, 16))
    several = book(at(4, 9, 30) + timedelta(microseconds=123456), minutes=45,
                   students=[StudentFactory(), StudentFactory()], subject=None,
                   location="Room 4 — “upstairs”", notes="Bring <b>notes</b> & a pen")  # fmt: skip
    cancelled = book(at(5, 7))
    services.session_cancel(actor=moderator, session=cancelled, reason="Ill", billable=True)
    sessions = selectors.session_feed(user=people[role], start=at(1, 0), end=at(9, 0))
    rows = [api.session_out(s, user=people[role]) for s in sessions]
    assert [row["id"] for row in rows] == [plain.pk, several.pk, cancelled.pk]
    schema = TypeAdapter(list[api.SessionOut])
    as_ninja = schema.dump_python(schema.validate_python(rows))
    assert json.dumps(rows, cls=NinjaJSONEncoder) == json.dumps(as_ninja, cls=NinjaJSONEncoder)
    # The feed reads plain values rather than sessions: the same rows, value for value,
    # with every filter (the student and branch ones join through seats).
    pupil = several.students.order_by("pk").first()
    for filters in ({}, {"student": pupil.pk}, {"branch": pupil.branch_id}, {"tutor": tutor.pk}):
        period = {"start": at(1, 0), "end": at(9, 0), **filters}
        sessions = selectors.session_feed(user=people[role], **period)
        rows = [api.session_out(s, user=people[role]) for s in sessions]
        values = api.feed_rows(user=people[role], **period)
        assert json.dumps(values, cls=NinjaJSONEncoder) == json.dumps(rows, cls=NinjaJSONEncoder)
    assert [row["id"] for row in values] == [plain.pk, several.pk, cancelled.pk]


def test_people_never_share_a_cached_feed(client, moderator, tutor, other_tutor, book, bearer):
    mine = book(at(3, 16))
    theirs = book(at(3, 16), tutor=other_tutor, students=[StudentFactory()])
    assert {row["id"] for row in feed(client, bearer(moderator)).json()} == {mine.pk, theirs.pk}
    assert [row["id"] for row in feed(client, bearer(tutor)).json()] == [mine.pk]
    assert [row["id"] for row in feed(client, bearer(other_tutor)).json()] == [theirs.pk]
    # Same person, other filters: another entry.
    assert [row["id"] for row in feed(client, bearer(moderator), tutor=tutor.pk).json()] == [
        mine.pk
    ]
    assert feed(client, bearer(moderator), status="cancelled").json() == []


def test_a_refused_range_is_never_cached(client, tutor, bearer):
    headers = bearer(tutor)
    for _ in range(2):
        assert feed(client, headers, end=at(1, 0).isoformat()).status_code == 422


def test_a_range_without_an_offset_is_the_business_s_local_time(client, tutor, book, bearer):
    book(at(3, 16))
    headers = bearer(tutor)
    local = {"start": "2031-03-02T00:00:00", "end": "2031-03-09T00:00:00"}
    for mixed in (local, {**local, "start": WEEK["start"]}):
        response = client.get("/api/v1/sessions", mixed, **headers)
        assert response.status_code == 200
        assert len(response.json()) == 1


def test_a_range_far_ahead_is_refused_before_anything_is_generated(
    client, moderator, tutor, pupil, bearer
):
    series, _created = services.series_create(
        actor=moderator, tutor=tutor, students=[pupil], start=at(6, 8), end=at(6, 9),
        repeat={"freq": "weekly"},
    )  # fmt: skip
    # Stored up to half a year after its start (2031), beyond what a calendar can ask for.
    stored, until = series.sessions.count(), series.generated_until
    assert until > (timezone.now() + services.VIEW_AHEAD).date()
    far = {"start": "9999-12-01T00:00:00+00:00", "end": "9999-12-31T00:00:00+00:00"}
    assert client.get("/api/v1/sessions", far, **bearer(tutor)).status_code == 200
    series.refresh_from_db()
    assert (series.generated_until, series.sessions.count()) == (until, stored)
    wide = {"start": "9999-01-01T00:00:00+00:00", "end": "9999-12-31T00:00:00+00:00"}
    assert client.get("/api/v1/sessions", wide, **bearer(tutor)).status_code == 422


def test_a_cached_feed_expires_even_if_nothing_changes(client, tutor, bearer, monkeypatch):
    stored = record_sets(monkeypatch, api)
    feed(client, bearer(tutor))
    assert [timeout for key, timeout in stored if key.startswith("feed:")] == [api.FEED_TTL]
    assert 0 < api.FEED_TTL <= 600


# --- every change shows on the next read -------------------------------------------------


def _book(ctx):
    body = {
        "tutor": ctx["tutor"].pk,
        "students": [ctx["pupil"].pk],
        "start": at(5, 10).isoformat(),
        "end": at(5, 11).isoformat(),
    }
    assert send(ctx["client"], "POST", "/api/v1/sessions", ctx["staff"], body).status_code == 201
    return lambda rows: len(rows) == 2


def _move(ctx):
    moved = at(4, 9)
    path = f"/api/v1/sessions/{ctx['session'].pk}"
    body = {"start": moved.isoformat(), "end": (moved + timedelta(hours=1)).isoformat()}
    assert send(ctx["client"], "PATCH", path, ctx["staff"], body).status_code == 200
    return lambda rows: parse_datetime(rows[0]["start"]) == moved


def _cancel(ctx):
    path = f"/api/v1/sessions/{ctx['session'].pk}/cancel"
    assert send(ctx["client"], "POST", path, ctx["staff"], {"reason": "Ill"}).status_code == 200
    return lambda rows: rows[0]["status"] == "cancelled"


def _log(ctx):
    # The tutor logs ahead that the student cancelled: a log, not a booking change.
    path = f"/api/v1/sessions/{ctx['session'].pk}/log"
    body = {"outcome": "cancelled", "cancelled_by": "student"}
    assert send(ctx["client"], "POST", path, ctx["own"], body).status_code == 200
    return lambda rows: rows[0]["status"] == "cancelled"


def _series(ctx):
    services.series_create(
        actor=ctx["moderator"], tutor=ctx["tutor"], students=[ctx["pupil"]],
        start=at(6, 8), end=at(6, 9), repeat={"freq": "weekly", "count": 3},
    )  # fmt: skip
    return lambda rows: len(rows) == 2


def _rename_student(ctx):
    student_update(actor=ctx["moderator"], student=ctx["pupil"], first_name="Zola")
    return lambda rows: rows[0]["students"][0]["name"].startswith("Zola")


def _rename_subject(ctx):
    lookup_update(user=ctx["admin"], instance=ctx["maths"], name="Algebra")
    return lambda rows: rows[0]["title"].startswith("Algebra")


def _rename_tutor(ctx):
    user_update(actor=ctx["admin"], user=ctx["tutor"], first_name="Thandi")
    return lambda rows: rows[0]["tutor"]["name"].startswith("Thandi")


def _erase_student(ctx):
    pupil = student_archive(actor=ctx["admin"], student=ctx["pupil"])
    student_erase(actor=ctx["admin"], student=pupil, confirmation=pupil.full_name)
    return lambda rows: "Palesa" not in json.dumps(rows)


CHANGES = {
    "book": _book, "move": _move, "cancel": _cancel, "log": _log, "series": _series,
    "rename-student": _rename_student, "rename-subject": _rename_subject,
    "rename-tutor": _rename_tutor, "erase-student": _erase_student,
}  # fmt: skip


@pytest.mark.parametrize("change", CHANGES)
def test_every_change_shows_on_the_next_read(
    change, mode, client, admin, moderator, tutor, pupil, maths, book, bearer, committed
):
    session = book(at(3, 16))
    own, staff = bearer(tutor), bearer(moderator)
    readers = [(own, {}), (staff, {}), (staff, {"tutor": tutor.pk})]
    for headers, params in readers:
        assert len(feed(client, headers, **params).json()) == 1  # now cached
    ctx = {
        "client": client, "admin": admin, "moderator": moderator, "tutor": tutor,
        "pupil": pupil, "maths": maths, "session": session, "own": own, "staff": staff,
    }  # fmt: skip
    shows = committed(CHANGES[change], ctx)
    for headers, params in readers:
        assert shows(feed(client, headers, **params).json()), (change, params)


def test_a_change_to_one_tutors_sessions_keeps_the_others_cached_feed(
    client, moderator, tutor, other_tutor, book, bearer, committed, settings,
    django_assert_max_num_queries,
):  # fmt: skip
    settings.REDIS_URL = "redis://stands-for-a-shared-cache"
    book(at(3, 16))
    mine, theirs = bearer(tutor), bearer(other_tutor)
    assert len(feed(client, mine).json()) == 1
    assert feed(client, theirs).json() == []
    committed(book, at(4, 10), tutor=other_tutor, students=[StudentFactory()])
    with django_assert_max_num_queries(4) as captured:
        assert len(feed(client, mine).json()) == 1
    assert len(reads(captured)) == 1  # the token's lookup: still cached
    assert len(feed(client, theirs).json()) == 1
    # Everyone's calendar holds the other tutor's sessions too: it was dropped.
    assert len(feed(client, bearer(moderator)).json()) == 2


def test_a_feed_built_before_a_commit_is_never_served_after_it(
    client, tutor, book, bearer, mode, committed
):
    """The reader takes the version, then builds; the writer commits meanwhile, and the
    reader stores what it built from before the commit. The next read must not see it."""
    headers = bearer(tutor)
    range_ = {name: parse_datetime(value) for name, value in WEEK.items()}
    key = selectors.feed_cache_key(user=tutor, **range_)
    before_the_commit = b"[]"
    session = committed(book, at(4, 10))
    cache.set(key, before_the_commit, api.FEED_TTL)
    assert [row["id"] for row in feed(client, headers).json()] == [session.pk]


def test_a_tutor_filter_for_someone_else_shows_a_tutor_nothing(
    client, tutor, other_tutor, book, bearer
):
    book(at(3, 16), tutor=other_tutor, students=[StudentFactory()])
    assert feed(client, bearer(tutor), tutor=other_tutor.pk).json() == []
    helper = UserFactory(username="helper", role=Role.TUTOR)
    assert feed(client, bearer(helper), tutor=other_tutor.pk).json() == []
