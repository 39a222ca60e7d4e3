"""The private ICS feed: its content, its secret link, the page and the API that manage it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from tests.factories import SubjectFactory, UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog
from tracker.scheduling import ics
from tracker.scheduling.models import CalendarFeed, Session, SessionStatus, SessionStudent

pytestmark = pytest.mark.django_db

API = "/api/v1/calendar/feed"
ROLES = ("admin", "moderator", "tutor", "anonymous")


@pytest.fixture
def assigned(tutor):
    return StudentFactory(first_name="Amahle", last_name="Assigned", tutors=[tutor])


def hour_from_now(days: float) -> datetime:
    """A whole hour `days` from now, so that sessions of one test never overlap."""
    return timezone.now().replace(minute=0, second=0, microsecond=0) + timedelta(days=days)


def session_at(tutor, start: datetime, *, students=(), **fields) -> Session:
    session = Session.objects.create(
        tutor=tutor, start=start, end=start + timedelta(hours=1), **fields
    )
    for student in students:
        SessionStudent.objects.create(
            session=session,
            student=student,
            start=session.start,
            end=session.end,
            active=session.status != SessionStatus.CANCELLED,
        )
    return session


def fetch(client, feed: CalendarFeed):
    return client.get(reverse("ics:feed", args=[feed.secret]))


def events(response) -> dict[str, object]:
    calendar = Calendar.from_ical(response.content)
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def uid(session: Session) -> str:
    return f"session-{session.pk}@students-tracker"


# --- The feed -----------------------------------------------------------------------------


def test_feed_holds_exactly_the_tutors_sessions_in_range(client, tutor, other_tutor, assigned):
    mine = [
        session_at(tutor, hour_from_now(-27), students=[assigned]),
        session_at(tutor, hour_from_now(1), students=[assigned]),
        session_at(tutor, hour_from_now(2), status=SessionStatus.COMPLETED),
        session_at(tutor, hour_from_now(3), status=SessionStatus.CANCELLED),
        session_at(tutor, hour_from_now(175)),
    ]
    session_at(tutor, hour_from_now(-30))  # more than four weeks ago
    session_at(tutor, hour_from_now(200))  # more than six months ahead
    session_at(other_tutor, hour_from_now(1))

    response = fetch(client, ics.feed_for(user=tutor))

    assert response.status_code == 200
    assert set(events(response)) == {uid(session) for session in mine}


def test_feed_event_fields_and_headers(client, tutor, assigned):
    other = StudentFactory(first_name="Bongani", last_name="Secretsurname", tutors=[tutor])
    session = session_at(
        tutor,
        hour_from_now(2),
        students=[other, assigned],
        subject=SubjectFactory(name="Mathematics"),
        location="Room 4",
        online_link="https://meet.example.com/abc",
    )

    response = fetch(client, ics.feed_for(user=tutor))

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Cache-Control"] == "private, max-age=300"
    calendar = Calendar.from_ical(response.content)
    assert str(calendar["VERSION"]) == "2.0"
    assert "X-WR-CALNAME" in calendar
    assert b"REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content
    event = events(response)[uid(session)]
    assert event.decoded("DTSTART") == session.start
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert event.decoded("DTEND") == session.end
    assert str(event["SUMMARY"]) == "Mathematics: Amahle, Bongani"
    assert str(event["LOCATION"]) == "Room 4"
    assert str(event["URL"]) == "https://meet.example.com/abc"
    assert str(event["STATUS"]) == "CONFIRMED"
    assert "https://meet.example.com/abc" in str(event["DESCRIPTION"])
    assert isinstance(event.decoded("SEQUENCE"), int)
    # iCalendar times have whole seconds.
    changed = session.updated_at.replace(microsecond=0)
    assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP") == changed
    # Names only: nothing else about a student leaves the app.
    assert b"Secretsurname" not in response.content
    assert b"Assigned" not in response.content
    assert b"example.com>" not in response.content


def test_cancelled_sessions_stay_in_the_feed_marked_cancelled(client, tutor, assigned):
    session = session_at(
        tutor,
        hour_from_now(1),
        students=[assigned],
        status=SessionStatus.CANCELLED,
        cancellation_reason="Family emergency",
    )

    event = events(fetch(client, ics.feed_for(user=tutor)))[uid(session)]

    assert str(event["STATUS"]) == "CANCELLED"
    assert str(event["SUMMARY"]).startswith("Cancelled:")
    assert "Family emergency" not in str(event["DESCRIPTION"])


def test_uids_are_stable_and_sequence_grows_when_a_session_changes(client, tutor):
    session = session_at(tutor, hour_from_now(1))
    feed = ics.feed_for(user=tutor)

    first, second = fetch(client, feed), fetch(client, feed)
    assert first.content == second.content
    assert set(events(first)) == set(events(second)) == {uid(session)}

    Session.objects.filter(pk=session.pk).update(
        location="Library", updated_at=session.created_at + timedelta(minutes=5)
    )
    event = events(fetch(client, feed))[uid(session)]
    assert event.decoded("SEQUENCE") == 300
    assert str(event["LOCATION"]) == "Library"


@pytest.mark.parametrize("role", [Role.MODERATOR, Role.ADMIN])
def test_managers_feed_only_the_sessions_they_teach(client, tutor, role):
    manager = UserFactory(username=f"feed-{role}", role=role)
    taught = session_at(manager, hour_from_now(1))
    session_at(tutor, hour_from_now(1))

    response = fetch(client, ics.feed_for(user=manager))

    assert set(events(response)) == {uid(taught)}


def test_unknown_secret_inactive_owner_and_revoked_link_answer_404(client, tutor, other_tutor):
    assert client.get(reverse("ics:feed", args=["not-a-secret"])).status_code == 404

    inactive = ics.feed_for(user=other_tutor)
    other_tutor.is_active = False
    other_tutor.save(update_fields=["is_active"])
    assert fetch(client, inactive).status_code == 404

    old = ics.feed_for(user=tutor)
    ics.feed_revoke(user=tutor)
    assert fetch(client, old).status_code == 404
    new = ics.feed_for(user=tutor)
    assert new.secret != old.secret
    assert fetch(client, new).status_code == 200


def test_feed_answers_only_get_and_head(client, tutor):
    url = reverse("ics:feed", args=[ics.feed_for(user=tutor).secret])
    assert client.head(url).status_code == 200
    assert client.post(url).status_code == 405


def test_feed_query_count_does_not_grow_with_sessions(client, tutor):
    feed = ics.feed_for(user=tutor)

    def queries_for_feed(days: range) -> int:
        for day in days:
            students = StudentFactory.create_batch(2, tutors=[tutor])
            session_at(tutor, hour_from_now(day), students=students)
        with CaptureQueriesContext(connection) as captured:
            assert fetch(client, feed).status_code == 200
        return len(captured)

    few = queries_for_feed(range(1, 2))
    many = queries_for_feed(range(2, 12))
    assert few == many
    # The feed's owner, the sessions, the students; the rest is the request's savepoint.
    assert many <= 5


# --- The link: services and audit ---------------------------------------------------------


def test_feed_for_makes_one_link_and_audits_it_without_the_secret(tutor):
    first = ics.feed_for(user=tutor)
    again = ics.feed_for(user=tutor)

    assert first == again
    entries = AuditLog.objects.filter(action="scheduling.ics_feed.created")
    assert [entry.target_id for entry in entries] == [str(first.pk)]
    assert first.secret not in json.dumps([entry.changes for entry in AuditLog.objects.all()])


def test_revoke_is_audited_once_and_harmless_without_a_link(tutor):
    feed = ics.feed_for(user=tutor)
    ics.feed_revoke(user=tutor)
    ics.feed_revoke(user=tutor)

    assert not CalendarFeed.objects.filter(user=tutor).exists()
    entries = AuditLog.objects.filter(action="scheduling.ics_feed.revoked")
    assert [entry.target_id for entry in entries] == [str(feed.pk)]
    assert feed.secret not in json.dumps([entry.changes for entry in AuditLog.objects.all()])


# --- The page -----------------------------------------------------------------------------

PAGE_EXPECTED = {
    ("manage", "get"): (200, 200, 200, 302),
    ("create", "post"): (302, 302, 302, 302),
    ("renew", "post"): (302, 302, 302, 302),
    ("revoke", "post"): (302, 302, 302, 302),
    ("create", "get"): (405, 405, 405, 302),
    ("renew", "get"): (405, 405, 405, 302),
    ("revoke", "get"): (405, 405, 405, 302),
}
PAGE_ACCESS = [
    (name, method, role, status)
    for (name, method), statuses in PAGE_EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("name", "method", "role", "status"), PAGE_ACCESS)
def test_page_access(client, people, name, method, role, status):
    if people[role] is not None:
        client.force_login(people[role])
    response = getattr(client, method)(reverse(f"ics:{name}"))
    assert response.status_code == status
    if people[role] is None:
        assert response["Location"].startswith(reverse("accounts:login"))


def test_page_offers_to_create_a_link_when_there_is_none(client, tutor):
    client.force_login(tutor)
    response = client.get(reverse("ics:manage"))
    assert b"Create link" in response.content
    assert b"Revoke and make a new link" not in response.content


def test_page_creates_shows_renews_and_revokes_the_link(client, tutor):
    client.force_login(tutor)

    response = client.post(reverse("ics:create"), follow=True)
    feed = CalendarFeed.objects.get(user=tutor)
    absolute = f"http://testserver/calendar/ics/{feed.secret}.ics"
    assert f'value="{absolute}"'.encode() in response.content
    assert f"webcal://testserver/calendar/ics/{feed.secret}.ics".encode() in response.content
    assert b"Revoke and make a new link" in response.content

    response = client.post(reverse("ics:renew"), follow=True)
    renewed = CalendarFeed.objects.get(user=tutor)
    assert renewed.secret != feed.secret
    assert renewed.secret.encode() in response.content
    assert feed.secret.encode() not in response.content

    client.post(reverse("ics:revoke"))
    assert not CalendarFeed.objects.filter(user=tutor).exists()


def test_page_forms_need_the_csrf_token(tutor):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(tutor)
    assert strict.post(reverse("ics:create")).status_code == 403
    assert not CalendarFeed.objects.filter(user=tutor).exists()


# --- The API ------------------------------------------------------------------------------

API_EXPECTED = {
    "get": (200, 200, 200, 401),
    "delete": (204, 204, 204, 401),
    "post": (405, 405, 405, 405),
}
API_ACCESS = [
    (method, role, status)
    for method, statuses in API_EXPECTED.items()
    for role, status in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("method", "role", "status"), API_ACCESS)
def test_api_access(client, people, bearer, method, role, status):
    headers = bearer(people[role]) if people[role] is not None else {}
    response = getattr(client, method)(API, **headers)
    assert response.status_code == status


def test_api_gives_a_working_link_and_revokes_it(client, tutor, bearer):
    session = session_at(tutor, hour_from_now(1))

    first = client.get(API, **bearer(tutor)).json()["url"]
    again = client.get(API, **bearer(tutor)).json()["url"]
    assert first == again
    assert first.startswith("http://testserver/calendar/ics/")
    assert set(events(client.get(first))) == {uid(session)}

    assert client.delete(API, **bearer(tutor)).status_code == 204
    assert client.get(first).status_code == 404
    assert client.get(API, **bearer(tutor)).json()["url"] != first


def test_feed_times_are_utc_whatever_the_business_zone(client, tutor, settings):
    settings.TIME_ZONE = "Europe/London"
    start = hour_from_now(1)
    session = session_at(tutor, start)

    event = events(fetch(client, ics.feed_for(user=tutor)))[uid(session)]

    assert event.decoded("DTSTART") == start.astimezone(UTC)
    assert event["DTSTART"].to_ical().endswith(b"Z")
