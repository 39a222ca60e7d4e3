"""The daily income totals the dashboards read stay equal to the charges they sum,
through verification, reopening, late pricing and concurrent verification."""

from __future__ import annotations

import io
import threading
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.db.models import Count, Sum

from tests.reports.conftest import past
from tracker.attendance.services import logs_verify, session_log
from tracker.finance import services as money
from tracker.finance.models import Charge, IncomeDay
from tracker.finance.pricing import rebuild_income_days


def by_charges() -> dict[date, tuple]:
    return {
        row["date"]: (row["amount"], row["minutes"], row["n"])
        for row in Charge.objects.values("date").annotate(
            amount=Sum("amount"), minutes=Sum("minutes"), n=Count("id")
        )
    }


def by_days() -> dict[date, tuple]:
    # A day whose charges were all taken back stays, at zero.
    return {
        d.date: (d.amount, d.minutes, d.charges)
        for d in IncomeDay.objects.all()
        if d.charges or d.amount
    }


@pytest.mark.django_db
def test_verifying_reopening_and_late_pricing_keep_the_days_equal_to_the_charges(
    world, moderator, admin, book, pupil
):
    assert by_days() == by_charges()
    assert by_days()[date(2026, 3, 2)] == (Decimal("600.00"), 120, 1)

    # Reopening a verified session takes its price back from its day.
    session_log(actor=moderator, session=world["sessions"]["early_march"], outcome="completed",
                attendance={pupil.pk: "present"}, force=True)  # fmt: skip
    assert date(2026, 3, 2) not in by_days()
    assert by_days() == by_charges()

    # A student with no rate is charged nothing until a rate is set, then priced.
    pupil.default_rate = None
    pupil.save(update_fields=["default_rate"])
    late = book(past(date(2026, 3, 3)), minutes=30)
    session_log(actor=moderator, session=late, outcome="completed", force=True)
    logs_verify(actor=moderator, session_ids=[late.pk])
    assert by_days()[date(2026, 3, 3)] == (Decimal("0.00"), 30, 1)
    money.rate_set(actor=admin, student=pupil, hourly_rate="500.00",
                   effective_from=date(2026, 1, 1))  # fmt: skip
    assert by_days()[date(2026, 3, 3)] == (Decimal("250.00"), 30, 1)
    assert by_days() == by_charges()

    # The repair command recounts the same figures from scratch.
    IncomeDay.objects.update(amount=0)
    out = io.StringIO()
    call_command("rebuild_income", stdout=out)
    assert out.getvalue() == f"Recounted the income of {len(by_charges())} days.\n"
    assert by_days() == by_charges()
    assert rebuild_income_days() == len(by_charges())


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="PostgreSQL only: SQLite serialises writers, so the race cannot happen there",
)
def test_sessions_of_one_day_verified_at_the_same_moment_all_count(moderator, book, pupil):
    pupil.default_rate = Decimal("300.00")
    pupil.save(update_fields=["default_rate"])
    day = date(2026, 5, 4)
    sessions = [book(past(day, hour=8 + n)) for n in range(6)]
    for session in sessions:
        session_log(actor=moderator, session=session, outcome="completed", force=True)
    barrier = threading.Barrier(len(sessions), timeout=20)
    errors = []

    def verify(session):
        try:
            barrier.wait()
            logs_verify(actor=moderator, session_ids=[session.pk])
        except Exception as exc:
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=verify, args=(s,)) for s in sessions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert by_days() == by_charges() == {day: (Decimal("1800.00"), 360, 6)}
