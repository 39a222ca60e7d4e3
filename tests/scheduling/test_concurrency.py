"""Two people book the same slot at the same moment: exactly one wins.

Only PostgreSQL shows the race: SQLite runs one writer at a time (IMMEDIATE transactions),
so there a naive check-then-insert is already safe.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections

from tests.factories import UserFactory
from tests.scheduling.conftest import at
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.core.errors import Conflict
from tracker.scheduling import services
from tracker.scheduling.models import Session

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="PostgreSQL only: SQLite serialises writers, so the race cannot happen there",
    ),
]


@pytest.mark.parametrize("attempt", range(4))
def test_concurrent_bookings_of_one_slot_leave_exactly_one(attempt):
    moderator = UserFactory(username=f"mod{attempt}", role=Role.MODERATOR)
    tutor = UserFactory(username=f"tut{attempt}", role=Role.TUTOR)
    students = [StudentFactory(), StudentFactory()]
    start = at(3, 16) + timedelta(days=attempt)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(student):
        try:
            barrier.wait()
            services.session_create(
                actor=moderator, tutor=tutor, students=[student], start=start,
                end=start + timedelta(hours=1),
            )  # fmt: skip
            outcomes.append("created")
        except Conflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(s,)) for s in students]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["conflict", "created"]
    assert Session.objects.filter(tutor=tutor).count() == 1
