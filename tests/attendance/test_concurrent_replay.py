"""Twenty copies of one offline log arriving at once create one attendance record.

PostgreSQL only: SQLite runs one writing transaction at a time, so the requests cannot
overlap there.
"""

from __future__ import annotations

import json
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test import Client
from django.utils import timezone

from tests.factories import UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.accounts.tokens import token_issue
from tracker.attendance.models import Attendance, LogReceipt
from tracker.audit.models import AuditLog
from tracker.scheduling.services import session_create

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: SQLite serialises writers, so requests cannot overlap there",
    ),
]


def test_twenty_concurrent_replays_create_one_record():
    moderator = UserFactory(username="mod", role=Role.MODERATOR)
    tutor = UserFactory(username="tut", role=Role.TUTOR)
    student = StudentFactory()
    start = timezone.now() - timedelta(hours=2)
    session = session_create(
        actor=moderator,
        tutor=tutor,
        students=[student],
        start=start,
        end=start + timedelta(hours=1),
    )
    token = token_issue(user=tutor).access_token
    barrier = threading.Barrier(20)
    statuses: list[int] = []
    bodies: list[bytes] = []

    def send():
        try:
            client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
            barrier.wait()
            response = client.post(
                f"/api/v1/sessions/{session.pk}/log",
                json.dumps({"outcome": "completed", "note": "Fractions"}),
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="phone-1:session-log-1",
            )
            statuses.append(response.status_code)
            bodies.append(response.content)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert statuses == [200] * 20
    assert len(set(bodies)) == 1
    assert Attendance.objects.filter(session=session).count() == 1
    assert LogReceipt.objects.count() == 1
    assert AuditLog.objects.filter(action="attendance.session.logged").count() == 1
