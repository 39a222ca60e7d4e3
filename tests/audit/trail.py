"""A small, known audit trail for the browse tests, written at chosen instants.

The business time zone is pinned to Africa/Johannesburg (UTC+2, no DST): each pair of
entries sits either side of a local midnight, so inclusive day ranges are tested at their
edges.
"""

from __future__ import annotations

from datetime import UTC, datetime
from unittest import mock

from tracker.audit.models import AuditLog
from tracker.audit.services import record

BUSINESS_TIME_ZONE = "Africa/Johannesburg"

# name: (when, in UTC; action; actor username; target type; target id)
TRAIL = {
    "created": (
        datetime(2025, 3, 9, 21, 59, tzinfo=UTC),
        "students.student.created",
        "ann",
        "students.student",
        "5",
    ),
    "changed": (
        datetime(2025, 3, 9, 22, 0, tzinfo=UTC),
        "students.student.changed",
        "ben",
        "students.student",
        "6",
    ),
    "cancelled": (
        datetime(2025, 3, 10, 21, 59, tzinfo=UTC),
        "scheduling.session.cancelled",
        "ben",
        "scheduling.session",
        "5",
    ),
    "voided": (
        datetime(2025, 3, 10, 22, 0, tzinfo=UTC),
        "finance.invoice.voided",
        "ann",
        "finance.invoice",
        "9",
    ),
}

# (query, names of the entries it must return): each filter narrows on its own.
FILTER_CASES = [
    ({"actor": "ben"}, {"changed", "cancelled"}),
    ({"action": "students."}, {"created", "changed"}),
    ({"action": "students.student.created"}, {"created"}),
    ({"action": "student."}, set()),
    ({"target_type": "students.student"}, {"created", "changed"}),
    ({"target_id": "5"}, {"created", "cancelled"}),
    ({"target_type": "students.student", "target_id": "5"}, {"created"}),
    ({"date_from": "2025-03-10", "date_to": "2025-03-10"}, {"changed", "cancelled"}),
    ({"date_from": "2025-03-11", "date_to": "2025-03-11"}, {"voided"}),
    ({"date_to": "2025-03-09"}, {"created"}),
    ({"actor": "ann", "date_from": "2025-03-09", "date_to": "2025-03-10"}, {"created"}),
]
FILTER_IDS = ["&".join(f"{k}={v}" for k, v in query.items()) for query, _ in FILTER_CASES]


def record_at(when: datetime, action: str, **kwargs) -> AuditLog:
    with mock.patch("django.utils.timezone.now", return_value=when):
        return record(action, **kwargs)


def write_trail(actors: dict[str, object]) -> dict[str, AuditLog]:
    return {
        name: record_at(
            when, action, actor=actors[actor], target_type=target_type, target_id=target_id
        )
        for name, (when, action, actor, target_type, target_id) in TRAIL.items()
    }


def write_many(count: int, actor: object) -> list[AuditLog]:
    return [
        record(
            "tests.bulk.changed",
            actor=actor,
            target_type="tests.thing",
            target_id=n,
            changes={"n": [n, n + 1]},
        )
        for n in range(count)
    ]
