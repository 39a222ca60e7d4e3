"""The attendance endpoints in the permission table: role × endpoint → status."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tracker.attendance.services import session_log

pytestmark = pytest.mark.django_db

# (role, method, path, body) → status; {s} is a logged session of `tutor`.
ACCESS = [
    ("anonymous", "post", "/sessions/{s}/log", {"outcome": "completed"}, 401),
    ("anonymous", "get", "/attendance/pending", None, 401),
    ("anonymous", "get", "/attendance/stats?start=2026-01-01&end=2026-12-31", None, 401),
    ("tutor", "post", "/sessions/{s}/send-back", {"comment": "x"}, 403),
    ("tutor", "post", "/attendance/verify", {"session_ids": [0]}, 403),
    ("tutor", "get", "/attendance/pending", None, 403),
    ("tutor", "get", "/attendance/stats?start=2026-01-01&end=2026-12-31", None, 403),
    ("moderator", "post", "/sessions/{s}/send-back", {"comment": "Who came?"}, 200),
    ("moderator", "get", "/attendance/pending", None, 200),
    ("moderator", "get", "/attendance/stats?start=2026-01-01&end=2026-12-31", None, 200),
    ("admin", "post", "/attendance/verify", {"session_ids": [0]}, 200),
    ("admin", "post", "/sessions/999999/log", {"outcome": "completed"}, 404),
]


@pytest.mark.parametrize(("role", "method", "path", "body", "status"), ACCESS)
def test_attendance_endpoints_by_role(
    client, people, bearer, book, tutor, role, method, path, body, status
):
    session = book(timezone.now() - timedelta(hours=2))
    session_log(actor=tutor, session=session, outcome="completed")
    headers = bearer(people[role]) if people[role] else {}
    url = "/api/v1" + path.format(s=session.pk)
    kwargs = {"content_type": "application/json", "data": json.dumps(body)} if body else {}
    assert getattr(client, method)(url, **kwargs, **headers).status_code == status
