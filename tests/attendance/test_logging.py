"""Logging sessions: who may, attendance, conflicts, corrections, replays, verification."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.attendance.models import Attendance, LogReceipt, Review, SessionLog
from tracker.audit.models import AuditLog
from tracker.scheduling.models import SessionStatus
from tracker.scheduling.services import session_cancel, session_update

pytestmark = pytest.mark.django_db


def log(client, headers, session, key="", **body):
    body = {"outcome": "completed", **body}
    extra = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(
        f"/api/v1/sessions/{session.pk}/log",
        json.dumps(body, default=str),
        content_type="application/json",
        **headers,
        **extra,
    )


def test_a_tutor_logs_their_session_with_everyone_present_in_one_go(
    client, tutor, book, earlier_today, bearer, pupil
):
    session = book(earlier_today(2))
    response = log(client, bearer(tutor), session, note="Quadratic equations")
    assert response.status_code == 200
    body = response.json()
    assert body["session"]["status"] == "completed"
    assert body["log"]["attendance"] == {str(pupil.pk): "present"}
    assert body["log"]["review"] == "pending"
    assert AuditLog.objects.filter(action="attendance.session.logged").count() == 1


def test_per_student_attendance(client, tutor, book, earlier_today, bearer, pupil):
    other = StudentFactory()
    session = book(earlier_today(2), students=[pupil, other])
    response = log(
        client, bearer(tutor), session, attendance={pupil.pk: "late", other.pk: "absent"}
    )
    assert response.json()["log"]["attendance"] == {str(pupil.pk): "late", str(other.pk): "absent"}


def test_a_tutor_cannot_log_another_tutors_session(client, tutor, book, earlier_today, bearer):
    other = UserFactory(username="other-tutor", role=Role.TUTOR)
    theirs = book(earlier_today(2), tutor=other, students=[StudentFactory()])
    assert log(client, bearer(tutor), theirs).status_code == 404


def test_a_moderator_corrects_and_the_correction_is_audited_with_before_and_after(
    client, tutor, moderator, book, earlier_today, bearer, pupil
):
    session = book(earlier_today(2))
    log(client, bearer(tutor), session)
    again = log(client, bearer(tutor), session, attendance={pupil.pk: "absent"})
    assert again.status_code == 409
    corrected = log(client, bearer(moderator), session, attendance={pupil.pk: "absent"})
    assert corrected.status_code == 200
    entry = AuditLog.objects.get(action="attendance.session.corrected")
    assert entry.changes["before"]["attendance"] == {str(pupil.pk): "present"}
    assert entry.changes["after"]["attendance"] == {str(pupil.pk): "absent"}


def test_future_sessions_cannot_be_logged(client, tutor, book, bearer):
    session = book(timezone.now() + timedelta(days=2))
    response = log(client, bearer(tutor), session)
    assert response.status_code == 422


def test_cancelling_late_by_the_student_is_billable_by_the_tutor_is_not(
    client, tutor, book, bearer
):
    soon = timezone.now() + timedelta(minutes=30)
    by_student = book(soon)
    body = log(client, bearer(tutor), by_student, outcome="cancelled", cancelled_by="student")
    assert body.json()["log"]["late_cancellation"] is True
    assert body.json()["session"]["billable"] is True
    by_tutor = book(soon + timedelta(hours=2), students=[StudentFactory()])
    body = log(client, bearer(tutor), by_tutor, outcome="cancelled", cancelled_by="tutor")
    assert body.json()["session"]["billable"] is False
    missing = log(
        client,
        bearer(tutor),
        book(soon + timedelta(hours=4), students=[StudentFactory()]),
        outcome="cancelled",
    )
    assert missing.status_code == 422


def test_a_log_for_a_session_cancelled_meanwhile_is_a_conflict_the_tutor_decides(
    client, tutor, moderator, book, earlier_today, bearer
):
    session = book(earlier_today(2))
    session_cancel(actor=moderator, session=session, reason="Exams")
    refused = log(client, bearer(tutor), session, key="offline-1")
    assert refused.status_code == 409
    assert refused.json()["session"]["status"] == "cancelled"
    assert not LogReceipt.objects.filter(key="offline-1").exists()
    forced = log(client, bearer(tutor), session, key="offline-1", force=True)
    assert forced.status_code == 200
    assert forced.json()["session"]["status"] == "completed"


def test_a_log_for_a_moved_session_is_a_conflict(
    client, tutor, moderator, book, earlier_today, bearer
):
    session = book(earlier_today(3))
    seen = session.start
    session_update(
        actor=moderator,
        session=session,
        start=seen + timedelta(hours=1),
        end=seen + timedelta(hours=2),
    )
    refused = log(client, bearer(tutor), session, expected_start=seen.isoformat())
    assert refused.status_code == 409


def test_the_same_log_replayed_twenty_times_applies_once(
    client, tutor, book, earlier_today, bearer, pupil
):
    session = book(earlier_today(2))
    headers = bearer(tutor)
    answers = [log(client, headers, session, key="device-42:7", note="x") for _ in range(20)]
    assert {a.status_code for a in answers} == {200}
    assert len({a.content for a in answers}) == 1
    assert Attendance.objects.filter(session=session).count() == 1
    assert AuditLog.objects.filter(action="attendance.session.logged").count() == 1


def test_a_key_cannot_be_reused_for_another_session(client, tutor, book, earlier_today, bearer):
    first = book(earlier_today(4))
    second = book(earlier_today(2), students=[StudentFactory()])
    log(client, bearer(tutor), first, key="same-key")
    assert log(client, bearer(tutor), second, key="same-key").status_code == 409


def test_verification_in_bulk_and_sending_back(
    client, tutor, moderator, book, earlier_today, bearer
):
    sessions = [book(earlier_today(h), students=[StudentFactory()]) for h in (6, 4, 2)]
    for session in sessions:
        log(client, bearer(tutor), session)
    headers = bearer(moderator)
    pending = client.get("/api/v1/attendance/pending", **headers).json()
    assert len(pending) == 3
    assert client.get("/api/v1/attendance/pending", **bearer(tutor)).status_code == 403
    verified = client.post(
        "/api/v1/attendance/verify",
        {"session_ids": [sessions[0].pk, sessions[1].pk]},
        content_type="application/json",
        **headers,
    )
    assert verified.json() == {"verified": 2}
    back = client.post(
        f"/api/v1/sessions/{sessions[2].pk}/send-back",
        {"comment": "Who was there?"},
        content_type="application/json",
        **headers,
    )
    assert back.json()["log"]["review"] == "sent_back"
    # The tutor fixes it: a sent-back log may be logged again.
    again = log(client, bearer(tutor), sessions[2], note="Both came")
    assert again.json()["log"]["review"] == "pending"
    assert SessionLog.objects.filter(review=Review.VERIFIED).count() == 2


def test_tutors_cannot_verify(client, tutor, book, earlier_today, bearer):
    session = book(earlier_today(2))
    log(client, bearer(tutor), session)
    response = client.post(
        "/api/v1/attendance/verify",
        {"session_ids": [session.pk]},
        content_type="application/json",
        **bearer(tutor),
    )
    assert response.status_code == 403


def test_statistics_match_a_hand_count(client, tutor, moderator, book, bearer, pupil):
    from tracker.attendance.services import session_log

    base = timezone.now().replace(second=0, microsecond=0) - timedelta(days=10)
    plan = ["present", "late", "absent", "present", "cancelled", "present"]
    for day, mark in enumerate(plan):
        session = book(base + timedelta(days=day))
        if mark == "cancelled":
            session_cancel(actor=moderator, session=session, reason="Holiday")
        else:
            session_log(
                actor=tutor, session=session, outcome="completed", attendance={pupil.pk: mark}
            )
    book(base + timedelta(days=8))  # scheduled, not logged yet
    today = timezone.localdate()
    stats = client.get(
        "/api/v1/attendance/stats",
        {"student": pupil.pk, "start": str(today - timedelta(days=30)), "end": str(today)},
        **bearer(moderator),
    ).json()
    # Hand count: 7 sessions; 4 attended (3 present + 1 late), 1 missed, 1 cancelled.
    assert stats == {
        "sessions": 7, "attended": 4, "late": 1, "missed": 1, "cancelled": 1, "rate": 0.8,
    }  # fmt: skip
    mine = client.get(
        "/api/v1/attendance/stats",
        {"tutor": tutor.pk, "start": str(date(2000, 1, 1)), "end": str(today)},
        **bearer(tutor),
    )
    assert mine.json()["attended"] == 4
    other = UserFactory(username="someone", role=Role.TUTOR)
    assert (
        client.get(
            "/api/v1/attendance/stats",
            {"tutor": other.pk, "start": str(today), "end": str(today)},
            **bearer(tutor),
        ).status_code
        == 404
    )


def test_logging_changes_the_calendar_colour_at_once(client, tutor, book, earlier_today, bearer):
    from tracker.scheduling.selectors import feed_version

    session = book(earlier_today(2))
    before = feed_version()
    log(client, bearer(tutor), session)
    assert feed_version() == before + 1
    session.refresh_from_db()
    assert session.status == SessionStatus.COMPLETED
