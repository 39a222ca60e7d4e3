"""The today screen and the verification list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.attendance.models import Attendance, Review, SessionLog
from tracker.attendance.services import session_log
from tracker.scheduling.models import SessionStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def this_morning(book):
    start = timezone.localtime().replace(hour=0, minute=5, second=0, microsecond=0)
    return book(start)


@pytest.mark.parametrize(
    ("role", "url", "status"),
    [
        (None, "/attendance/today/", 302),
        ("tutor", "/attendance/today/", 200),
        ("tutor", "/attendance/verify/", 403),
        ("moderator", "/attendance/verify/", 200),
        ("admin", "/attendance/verify/", 200),
    ],
)
def test_access(client, people, role, url, status):
    if role:
        client.force_login(people[role])
    assert client.get(url).status_code == status


def test_today_lists_the_tutors_sessions_with_a_quick_log(client, tutor, this_morning, pupil):
    client.force_login(tutor)
    html = client.get("/attendance/today/").content.decode()
    assert "Palesa Pupil" in html
    assert f'action="/attendance/sessions/{this_morning.pk}/log/"' in html


def test_two_taps_log_a_session_with_everyone_present(client, tutor, this_morning, pupil):
    client.force_login(tutor)
    response = client.post(
        f"/attendance/sessions/{this_morning.pk}/log/",
        {f"s{this_morning.pk}-outcome": "completed", f"s{this_morning.pk}-note": "Algebra"},
    )
    assert response.status_code == 302
    this_morning.refresh_from_db()
    assert this_morning.status == SessionStatus.COMPLETED
    assert Attendance.objects.get(session=this_morning).presence == "present"


def test_logging_someone_elses_session_from_the_page_is_404(client, book):
    other = UserFactory(username="other", role=Role.TUTOR)
    session = book(timezone.now() - timedelta(hours=1), tutor=other, students=[StudentFactory()])
    outsider = UserFactory(username="x", role=Role.TUTOR)
    client.force_login(outsider)
    response = client.post(
        f"/attendance/sessions/{session.pk}/log/", {f"s{session.pk}-outcome": "completed"}
    )
    assert response.status_code == 404


def test_a_cancellation_without_who_shows_an_error(client, tutor, this_morning):
    client.force_login(tutor)
    response = client.post(
        f"/attendance/sessions/{this_morning.pk}/log/",
        {f"s{this_morning.pk}-outcome": "cancelled"},
        follow=True,
    )
    assert "Say who cancelled." in response.content.decode()


def test_moderator_verifies_and_sends_back_from_the_page(client, tutor, moderator, book):
    sessions = [
        book(timezone.now() - timedelta(hours=h), students=[StudentFactory()]) for h in (5, 3)
    ]
    for session in sessions:
        session_log(actor=tutor, session=session, outcome="completed")
    client.force_login(moderator)
    client.post("/attendance/verify/selected/", {"session": [sessions[0].pk]})
    client.post(f"/attendance/sessions/{sessions[1].pk}/send-back/", {"comment": "Check names"})
    reviews = dict(SessionLog.objects.values_list("session_id", "review"))
    assert reviews == {sessions[0].pk: Review.VERIFIED, sessions[1].pk: Review.SENT_BACK}
    client.force_login(tutor)
    assert "Check names" in client.get("/attendance/today/").content.decode()


def test_the_verification_list_queries_do_not_grow(
    client, tutor, moderator, book, django_assert_max_num_queries
):
    for hours in range(2, 12, 2):
        session = book(timezone.now() - timedelta(hours=hours), students=[StudentFactory()])
        session_log(actor=tutor, session=session, outcome="completed")
    client.force_login(moderator)
    with django_assert_max_num_queries(14):
        response = client.get("/attendance/verify/")
    assert response.content.decode().count('name="session"') == 5


def test_the_student_page_shows_attendance(client, tutor, moderator, book, pupil):
    for hours, mark in ((30, "present"), (6, "absent")):
        session = book(timezone.now() - timedelta(hours=hours))
        session_log(actor=tutor, session=session, outcome="completed", attendance={pupil.pk: mark})
    client.force_login(moderator)
    html = client.get(f"/students/{pupil.pk}/").content.decode()
    assert "Attendance rate" in html
    assert "50%" in html
