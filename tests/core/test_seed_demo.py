from __future__ import annotations

import pytest
from django.core.management import call_command

from tracker.accounts.models import Role, User
from tracker.org.models import Branch, School, Subject

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts_only(monkeypatch):
    """Seed lookups and accounts only: the password tests need nothing more, and the full
    demo (sessions, three months of money) costs seconds per run."""
    from tracker.core.management.commands import seed_demo

    monkeypatch.setattr(seed_demo.students_demo, "seed", lambda **kwargs: [])
    monkeypatch.setattr(seed_demo.scheduling_demo, "seed", lambda **kwargs: 0)
    monkeypatch.setattr(seed_demo.finance_demo, "seed", lambda **kwargs: {"invoices": 0})


def test_seed_demo_fills_a_working_business_and_a_second_run_adds_nothing(capsys):
    # One run for every check of what the demo holds, and one more that must not duplicate
    # it: the full demo takes several seconds a run.
    from tracker.finance.models import Charge, Invoice, Payment, Rate

    def counts():
        return [m.objects.count() for m in (Branch, User, Rate, Charge, Invoice, Payment)]

    call_command("seed_demo", password="demo-pass-123")
    out = capsys.readouterr().out
    _lookups_and_one_account_per_role(out)
    _students_with_tutors_and_availability()
    _four_weeks_around_today()
    _every_student_priced_and_every_tutor_paid()
    issued = _three_months_verified_and_invoiced()
    assert f"{issued} invoices" in out
    _payers_paid_in_arrears_and_in_credit()
    _marks_carry_their_session_start_and_logs_their_tutor()

    first = counts()
    call_command("seed_demo", password="demo-pass-123")
    assert counts() == first


def _marks_carry_their_session_start_and_logs_their_tutor():
    from django.db.models import F

    from tracker.attendance.models import Attendance, SessionLog

    assert Attendance.objects.exists()
    assert not Attendance.objects.exclude(session_start=F("session__start")).exists()
    assert SessionLog.objects.exists()
    assert not SessionLog.objects.exclude(tutor=F("session__tutor")).exists()


def _lookups_and_one_account_per_role(out):
    assert Branch.objects.count() >= 2
    assert School.objects.exists()
    assert Subject.objects.exists()
    for username, role in [("admin", Role.ADMIN), ("moderator", Role.MODERATOR)]:
        assert User.objects.get(username=username).role == role
    tutors = User.objects.filter(role=Role.TUTOR)
    assert tutors.count() >= 5
    assert tutors.values("branch").distinct().count() == 2
    assert User.objects.get(username="tutor").check_password("demo-pass-123")
    assert "demo-pass-123" in out


def test_seed_demo_takes_the_password_from_the_environment(monkeypatch, accounts_only):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-42")
    call_command("seed_demo")
    assert User.objects.get(username="moderator").check_password("from-the-env-42")


def test_seed_demo_generates_and_prints_a_password_when_none_is_given(
    monkeypatch, capsys, accounts_only
):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    out = capsys.readouterr().out
    admin = User.objects.get(username="admin")
    printed = [line.split()[-1] for line in out.splitlines() if line.strip().startswith("admin")]
    assert printed
    assert admin.check_password(printed[0])
    assert "generated" in out


def test_seed_demo_if_empty_leaves_an_existing_database_alone(capsys, accounts_only):
    call_command("seed_demo", password="first-pass-123")
    call_command("seed_demo", "--if-empty", password="second-pass-456")
    assert User.objects.get(username="admin").check_password("first-pass-123")
    assert "Demo data present" in capsys.readouterr().out


def _students_with_tutors_and_availability():
    from tracker.students.models import AvailabilityWindow, Student

    assert 50 <= Student.objects.count() <= 70
    assert Student.objects.values("branch").distinct().count() == 2
    assert Student.objects.filter(tutors__isnull=True).count() == 0
    tutor = User.objects.get(username="tutor")
    assert tutor.assigned_students.exists()
    assert AvailabilityWindow.objects.filter(student__isnull=False).exists()
    assert AvailabilityWindow.objects.filter(tutor=tutor).exists()


def _four_weeks_around_today():
    from datetime import timedelta

    from django.utils import timezone

    from tracker.scheduling.models import Series, Session

    assert Series.objects.count() >= 40
    now = timezone.now()
    for week in range(-2, 2):
        start = now + timedelta(weeks=week)
        assert (
            Session.objects.filter(start__gte=start, start__lt=start + timedelta(weeks=1)).count()
            >= 40
        )
    assert Session.objects.filter(end__lt=now, status="completed").exists()
    tutor = User.objects.get(username="tutor")
    assert Session.objects.filter(tutor=tutor).exists()


def _three_months_before(today):
    """(first day, last day) of the three whole months before this one, oldest first."""
    from datetime import date, timedelta

    months = []
    first = today.replace(day=1)
    for _ in range(3):
        last = first - timedelta(days=1)
        first = date(last.year, last.month, 1)
        months.insert(0, (first, last))
    return months


def _every_student_priced_and_every_tutor_paid():
    from tracker.finance.models import PayBasis, Rate, TutorPayRate
    from tracker.students.models import Student

    defaults = Rate.objects.filter(subject__isnull=True, tutor__isnull=True)
    assert set(defaults.values_list("student", flat=True)) == set(
        Student.objects.values_list("pk", flat=True)
    )
    assert Rate.objects.filter(subject__isnull=False, tutor__isnull=True).count() >= 3
    pair = Rate.objects.get(tutor__isnull=False)
    assert pair.tutor.username == "tutor"
    assert pair.student.tutors.filter(pk=pair.tutor_id).exists()
    tutors = User.objects.filter(role=Role.TUTOR)
    assert set(TutorPayRate.objects.values_list("tutor", flat=True)) == set(
        tutors.values_list("pk", flat=True)
    )
    assert set(TutorPayRate.objects.values_list("basis", flat=True)) == set(PayBasis.values)


def _three_months_verified_and_invoiced() -> int:
    from django.utils import timezone

    from tracker.attendance.models import Review, SessionLog
    from tracker.finance.models import Charge, ChargeKind, Invoice, InvoiceKind, TutorEarning

    today = timezone.localdate()
    months = _three_months_before(today)
    billed = Charge.objects.filter(date__range=(months[0][0], months[-1][1]))
    for first, last in months:
        assert Charge.objects.filter(date__range=(first, last)).count() >= 30
    assert set(billed.values_list("kind", flat=True)) == set(ChargeKind.values)
    assert not billed.filter(hourly_rate__isnull=True).exists()
    # Priced by verification, not invented: each charge belongs to a verified log.
    verified = SessionLog.objects.filter(review=Review.VERIFIED).values_list("session", flat=True)
    assert set(billed.values_list("session", flat=True)) <= set(verified)
    assert TutorEarning.objects.filter(amount__gt=0).count() >= 90
    # Everything in the three months is on exactly one live invoice.
    assert not billed.filter(line__isnull=True).exists()
    invoices = Invoice.objects.filter(kind=InvoiceKind.INVOICE).exclude(status="draft")
    assert set(invoices.values_list("period_start", "period_end")) == set(months)
    for invoice in invoices.exclude(status="void"):
        assert invoice.total == sum(invoice.lines.values_list("amount", flat=True))
        assert invoice.period_end < invoice.issue_date <= today
        assert invoice.due_date > invoice.issue_date
    numbers = sorted(invoices.values_list("number", flat=True))
    assert numbers == list(range(1, len(numbers) + 1))
    assert invoices.filter(status="void").exclude(void_reason="").count() == 1
    assert Invoice.objects.filter(kind=InvoiceKind.CREDIT_NOTE, status="issued").count() == 1
    assert invoices.filter(lines__kind="discount").exists()
    assert invoices.filter(lines__kind="item").exists()
    return len(numbers)


def _payers_paid_in_arrears_and_in_credit():
    from decimal import Decimal

    from tracker.finance.models import Invoice, Payer, PayerStudent
    from tracker.finance.selectors import BUCKETS, balances

    families = [p for p in Payer.objects.all() if PayerStudent.objects.filter(payer=p).count() == 2]
    assert families
    assert Invoice.objects.filter(payer__in=families, status__in=["issued", "paid"]).exists()
    rows = balances(user=User.objects.get(username="admin"))
    assert len(rows) >= 20
    assert any(row.balance == 0 and row.paid > 0 for row in rows)
    assert any(row.credit > 0 and row.balance < 0 for row in rows)
    assert Invoice.objects.filter(status="issued", allocations__isnull=False).exists()
    overdue = {name for row in rows for name in BUCKETS[1:] if getattr(row, name) > 0}
    assert len(overdue) >= 2
    for row in rows:
        aged = sum((getattr(row, name) for name in BUCKETS), Decimal(0))
        assert aged - row.credit == row.balance
