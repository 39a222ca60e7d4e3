"""`seed_load`: a business generated in bulk must look, and add up, like one run through the
services: same invariants, same prices, working pages."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal
from itertools import pairwise

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import Count, Sum
from django.utils import timezone

from tracker.accounts.models import Role, User
from tracker.attendance.models import Attendance, Review, SessionLog
from tracker.audit.models import AuditLog
from tracker.audit.selectors import audit_chain_verify
from tracker.core.load_data import BIG_TABLES
from tracker.finance import pricing
from tracker.finance import selectors as finance_selectors
from tracker.finance import services as finance
from tracker.finance.models import (
    Allocation,
    Charge,
    IncomeDay,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    NumberSeries,
    Payment,
    TutorEarning,
)
from tracker.messaging.models import Message, SearchToken, Thread
from tracker.messaging.selectors import thread_list
from tracker.messaging.services import search_filter
from tracker.scheduling.models import Session, SessionStatus, SessionStudent
from tracker.scheduling.selectors import session_feed
from tracker.students.models import AvailabilityWindow, Student, StudentStatus
from tracker.students.selectors import student_list

pytestmark = pytest.mark.django_db

PASSWORD = "load-pass-2468"
SIZES = {"tutors": 5, "students": 30, "sessions": 600}


def _load(**extra) -> str:
    from io import StringIO

    out = StringIO()
    call_command("seed_load", password=PASSWORD, stdout=out, **{**SIZES, **extra})
    return out.getvalue()


@pytest.fixture
def loaded() -> str:
    return _load()


def test_it_makes_what_was_asked_and_says_so(loaded):
    assert Session.objects.count() == 600
    assert Student.objects.count() == 30
    assert User.objects.filter(role=Role.TUTOR).count() == 5
    assert User.objects.filter(role=Role.MODERATOR).count() == 1
    assert User.objects.filter(role=Role.ADMIN).count() == 2
    active = Student.objects.filter(status=StudentStatus.ACTIVE).count()
    assert active > 30 // 2
    assert not Student.objects.filter(tutors=None).exists()
    tutor = User.objects.get(username="tutor0001")
    assert AvailabilityWindow.objects.filter(tutor=tutor).exists()
    assert "tutor0001 .. tutor0005" in loaded
    assert "moderator001" in loaded
    assert "scheduling.Session" in loaded
    assert PASSWORD in loaded


def test_every_account_signs_in_with_the_one_password(loaded, client):
    hashes = set(User.objects.values_list("password", flat=True))
    assert len(hashes) == 1
    for username in ("admin1", "moderator001", "tutor0003"):
        response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
        assert response.status_code == 302, username
        assert "/accounts/login/" not in response["Location"]
        client.logout()


def test_nobody_is_in_two_sessions_at_once_and_seats_follow_their_session(loaded):
    sessions = {s.pk: s for s in Session.objects.all()}
    by_tutor = defaultdict(list)
    for session in sessions.values():
        if session.status != SessionStatus.CANCELLED:
            by_tutor[session.tutor_id].append((session.start, session.end))
    by_student = defaultdict(list)
    for seat in SessionStudent.objects.all():
        session = sessions[seat.session_id]
        assert (seat.start, seat.end) == (session.start, session.end)
        assert seat.active == (session.status != SessionStatus.CANCELLED)
        if seat.active:
            by_student[seat.student_id].append((seat.start, seat.end))
    for spans in [*by_tutor.values(), *by_student.values()]:
        spans.sort()
        for (_start, end), (next_start, _end) in pairwise(spans):
            assert end <= next_start
    # Marks carry their session's start, which the operations dashboard counts by.
    marks = Attendance.objects.values_list("session_id", "session_start")
    assert marks.exists()
    assert all(start == sessions[session_id].start for session_id, start in marks)
    # Logs carry their session's tutor, which a tutor's sent-back count reads.
    logs = SessionLog.objects.values_list("session_id", "tutor_id")
    assert logs.exists()
    assert all(tutor == sessions[session_id].tutor_id for session_id, tutor in logs)


def test_sessions_look_like_two_years_of_a_business(loaded):
    now = timezone.now()
    past = Session.objects.filter(start__lt=now)
    assert past.filter(start__lt=now - timedelta(days=600)).exists()
    assert Session.objects.filter(start__gt=now + timedelta(days=28)).exists()
    future = Session.objects.filter(start__gt=now)
    assert not future.filter(status=SessionStatus.COMPLETED).exists()
    share = {
        row["status"]: row["n"] / past.count()
        for row in past.values("status").annotate(n=Count("id"))
    }
    assert 0.75 < share[SessionStatus.COMPLETED] < 0.95
    assert 0.04 < share[SessionStatus.CANCELLED] < 0.2
    stale = past.filter(status=SessionStatus.SCHEDULED, end__lt=now - timedelta(days=14))
    assert not stale.exists()
    logged = SessionLog.objects.values_list("session_id", flat=True)
    assert set(logged) == set(
        past.exclude(status=SessionStatus.SCHEDULED).values_list("id", flat=True)
    )
    assert SessionLog.objects.filter(review=Review.VERIFIED).count() > 300
    old = SessionLog.objects.filter(session__start__lt=now - timedelta(days=30))
    assert not old.exclude(review=Review.VERIFIED).exists()
    completed = Session.objects.filter(status=SessionStatus.COMPLETED)
    seats = SessionStudent.objects.filter(session__in=completed).count()
    assert Attendance.objects.filter(session__in=completed).count() == seats
    assert not Attendance.objects.exclude(session__in=completed).exists()
    cancelled = past.filter(status=SessionStatus.CANCELLED)
    assert not cancelled.filter(cancellation_reason="").exists()
    assert not cancelled.filter(cancelled_at=None).exists()


def test_verified_sessions_carry_exactly_what_pricing_writes(loaded):
    """Price every verified session again with the real `price_verified` (in a savepoint
    that is rolled back) and compare with what was generated."""
    verified = Session.objects.filter(log__review=Review.VERIFIED).order_by("id")
    assert verified.count() > 300
    fields = (
        "student_id",
        "tutor_id",
        "branch_id",
        "subject_id",
        "date",
        "minutes",
        "kind",
        "share_percent",
        "hourly_rate",
        "amount",
        "currency",
    )
    pay = ("tutor_id", "date", "minutes", "basis", "rate", "share_percent", "amount")
    for session in verified:
        charges = sorted(Charge.objects.filter(session=session).values_list(*fields))
        earning = list(TutorEarning.objects.filter(session=session).values_list(*pay))
        generated_price = session.price
        with transaction.atomic():
            InvoiceLine.objects.filter(charge__session=session).update(charge=None)
            Charge.objects.filter(session=session).delete()
            TutorEarning.objects.filter(session=session).delete()
            session.price = None
            pricing.price_verified(session)
            assert sorted(Charge.objects.filter(session=session).values_list(*fields)) == charges
            assert list(TutorEarning.objects.filter(session=session).values_list(*pay)) == earning
            assert Session.objects.get(pk=session.pk).price == generated_price
            transaction.set_rollback(True)
    unverified = Session.objects.exclude(log__review=Review.VERIFIED)
    assert not Charge.objects.filter(session__in=unverified).exists()
    assert not TutorEarning.objects.filter(session__in=unverified).exists()


def test_invoices_add_up_and_their_numbers_continue(loaded):
    invoices = Invoice.objects.annotate(lines_total=Sum("lines__amount"))
    assert invoices.filter(kind=InvoiceKind.INVOICE).count() > 50
    for invoice in invoices:
        assert invoice.total == invoice.lines_total
        assert invoice.number is not None
        if invoice.status == InvoiceStatus.VOID:
            assert not invoice.lines.exclude(charge=None).exists()
            continue
        allocated = invoice.allocations.aggregate(s=Sum("amount"))["s"] or Decimal(0)
        if invoice.kind == InvoiceKind.INVOICE:
            assert 0 <= allocated <= invoice.total
            left = pricing.outstanding(invoice)
            assert (invoice.status == InvoiceStatus.PAID) == (left <= 0), invoice
            assert invoice.due_date == invoice.issue_date + timedelta(days=14)
    for series in NumberSeries.objects.all():
        numbers = sorted(Invoice.objects.filter(series=series).values_list("number", flat=True))
        assert numbers == list(range(1, len(numbers) + 1))
        assert series.next_number == len(numbers) + 1
    for payment in Payment.objects.all():
        assert payment.allocations.aggregate(s=Sum("amount"))["s"] <= payment.amount
    # Every priced charge of an invoiced month is on a live invoice.
    last = Invoice.objects.exclude(period_end=None).order_by("-period_end").first().period_end
    billed = Charge.objects.filter(date__lte=last)
    assert not billed.filter(line=None).exists()
    assert not billed.filter(line__invoice__status=InvoiceStatus.VOID).exists()
    # The real services carry on from the generated numbers.
    admin = User.objects.get(username="admin1")
    old = (
        Invoice.objects.filter(kind=InvoiceKind.INVOICE, status=InvoiceStatus.ISSUED)
        .exclude(allocations__isnull=False)
        .first()
    )
    finance.invoice_void(actor=admin, invoice=old, reason="Test")
    (draft,) = finance.invoices_generate(
        actor=admin,
        start=old.period_start,
        end=old.period_end,
        students=list(old.lines.values_list("student_id", flat=True)),
    )
    issued = finance.invoice_issue(actor=admin, invoice=draft, send=False)
    top = Invoice.objects.filter(series=issued.series).exclude(pk=issued.pk)
    assert issued.number == max(top.values_list("number", flat=True)) + 1


def test_the_daily_income_the_dashboards_read_matches_the_charges(loaded):
    by_day = dict(Charge.objects.values("date").annotate(s=Sum("amount")).values_list("date", "s"))
    assert dict(IncomeDay.objects.values_list("date", "amount")) == by_day


def test_balances_are_not_all_paid_and_some_payers_hold_credit(loaded):
    admin = User.objects.get(username="admin1")
    rows = finance_selectors.balances(user=admin)
    assert rows
    assert sum(row.balance for row in rows) > 0
    assert Allocation.objects.count() <= Payment.objects.count()


def test_pages_read_the_data(loaded):
    admin = User.objects.get(username="admin1")
    moderator = User.objects.get(username="moderator001")
    tutor = User.objects.get(username="tutor0001")
    today = timezone.localdate()
    monday = today - timedelta(days=today.weekday())
    start = timezone.make_aware(timezone.datetime.combine(monday, timezone.datetime.min.time()))
    feed = list(session_feed(user=tutor, start=start, end=start + timedelta(days=28)))
    assert feed
    assert {s.tutor_id for s in feed} == {tutor.pk}
    assert list(session_feed(user=moderator, start=start, end=start + timedelta(days=7)))
    revenue = finance_selectors.revenue(user=admin, start=today - timedelta(days=730), end=today)
    assert revenue.total > 0
    assert len(revenue.rows) >= 20
    pay = finance_selectors.tutor_pay(user=admin, start=today - timedelta(days=365), end=today)
    assert len(pay) == 5
    assert all(row.amount > 0 for row in pay)
    assert list(student_list(user=tutor))
    assert list(thread_list(user=tutor))
    hits = Message.objects.filter(search_filter("timetable"))
    assert hits.exists()
    assert SearchToken.objects.count() > Message.objects.count()
    assert Thread.objects.filter(members__user=tutor).exists()


def test_the_audit_trail_holds_one_summary_and_still_verifies(loaded):
    entry = AuditLog.objects.get(action="core.seed_load")
    assert entry.changes["rows"]["scheduling.Session"] == 600
    checked, broken = audit_chain_verify()
    assert broken is None
    assert checked == AuditLog.objects.count()


def test_a_second_load_is_refused_without_force(loaded):
    with pytest.raises(CommandError, match="--force"):
        _load()
    with pytest.raises(CommandError, match="already exist"):
        _load(force=True)
    assert Session.objects.count() == 600


def test_the_same_seed_makes_the_same_timetable():
    def timetable():
        rows = Session.objects.order_by("start", "tutor__username").values_list(
            "tutor__username", "start", "end", "seats__student__first_name"
        )
        return list(rows)

    with transaction.atomic():
        _load(seed=7)
        first = timetable()
        transaction.set_rollback(True)
    _load(seed=7)
    assert timetable() == first


def test_impossible_sizes_are_refused():
    with pytest.raises(CommandError, match="more tutors"):
        _load(tutors=1, students=5, sessions=100_000)


@pytest.mark.postgres_only
def test_postgresql_gets_back_every_index_and_constraint():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")

    def schema():
        with connection.cursor() as cursor:
            tables = [m._meta.db_table for m in BIG_TABLES]
            cursor.execute(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
                "FROM pg_constraint WHERE conrelid::regclass::text = ANY(%s) "
                "UNION SELECT tablename, indexname, indexdef FROM pg_indexes "
                "WHERE tablename = ANY(%s) ORDER BY 1, 2, 3",
                [tables, tables],
            )
            return cursor.fetchall()

    before = schema()
    assert any(name == "session_tutor_no_overlap" for _t, name, _d in before)
    _load()
    assert schema() == before
