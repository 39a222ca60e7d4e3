"""Logging a session costs a fixed number of queries, however many students it has."""

from __future__ import annotations

import json
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.students.conftest import StudentFactory
from tracker.attendance.models import Attendance

pytestmark = pytest.mark.django_db

# On PostgreSQL: the token, the session, the receipt, the locked session, its log, its
# seats, the session, log and marks written, the audit chain's lock, head and entry, the
# feed counter, the receipt's answer, and six savepoint statements. (SQLite takes no
# advisory lock: one fewer.) A correction also reads the marks it replaces.
MAX_QUERIES = 20
CORRECTION_MAX_QUERIES = MAX_QUERIES + 1


def _log(client, headers, session, **body):
    return client.post(
        f"/api/v1/sessions/{session.pk}/log",
        json.dumps({"outcome": "completed", **body}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4()),
        **headers,
    )


def _queries(client, headers, session, **body) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = _log(client, headers, session, **body)
    assert response.status_code == 200, response.content
    return len(queries)


def test_logging_a_session_of_three_students_takes_few_queries(
    client, tutor, book, earlier_today, bearer, pupil, django_assert_max_num_queries
):
    others = [StudentFactory(), StudentFactory()]
    session = book(earlier_today(2), students=[pupil, *others])
    headers = bearer(tutor)
    marks = {pupil.pk: "late", others[0].pk: "absent"}
    with django_assert_max_num_queries(MAX_QUERIES):
        response = _log(client, headers, session, attendance=marks)
    assert response.status_code == 200
    assert response.json()["log"]["attendance"] == {
        str(pupil.pk): "late",
        str(others[0].pk): "absent",
        str(others[1].pk): "present",
    }
    assert Attendance.objects.filter(session=session).count() == 3


def test_the_query_count_does_not_grow_with_the_students(
    client, tutor, book, earlier_today, bearer, pupil
):
    headers = bearer(tutor)
    _queries(client, headers, book(earlier_today(6)))  # warm the token and permission caches
    one = _queries(client, headers, book(earlier_today(4)))
    five = _queries(
        client, headers, book(earlier_today(2), students=[pupil, *StudentFactory.create_batch(4)])
    )
    assert five == one


def test_a_correction_of_three_students_takes_few_queries(
    client, tutor, moderator, book, earlier_today, bearer, pupil, django_assert_max_num_queries
):
    others = [StudentFactory(), StudentFactory()]
    session = book(earlier_today(2), students=[pupil, *others])
    _log(client, bearer(tutor), session)
    headers = bearer(moderator)
    with django_assert_max_num_queries(CORRECTION_MAX_QUERIES):
        response = _log(client, headers, session, attendance={pupil.pk: "absent"})
    assert response.status_code == 200
    assert response.json()["log"]["attendance"][str(pupil.pk)] == "absent"
