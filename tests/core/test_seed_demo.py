from __future__ import annotations

import pytest
from django.core.management import call_command

from tracker.accounts.models import Role, User
from tracker.org.models import Branch, School, Subject

pytestmark = pytest.mark.django_db


def test_seed_demo_creates_lookups_and_one_account_per_role(capsys):
    call_command("seed_demo", password="demo-pass-123")
    assert Branch.objects.count() >= 2
    assert School.objects.exists()
    assert Subject.objects.exists()
    for username, role in [("admin", Role.ADMIN), ("moderator", Role.MODERATOR)]:
        assert User.objects.get(username=username).role == role
    tutors = User.objects.filter(role=Role.TUTOR)
    assert tutors.count() >= 5
    assert tutors.values("branch").distinct().count() == 2
    assert User.objects.get(username="tutor").check_password("demo-pass-123")
    assert "demo-pass-123" in capsys.readouterr().out


def test_seed_demo_takes_the_password_from_the_environment(monkeypatch):
    monkeypatch.setenv("DEMO_PASSWORD", "from-the-env-42")
    call_command("seed_demo")
    assert User.objects.get(username="moderator").check_password("from-the-env-42")


def test_seed_demo_generates_and_prints_a_password_when_none_is_given(monkeypatch, capsys):
    monkeypatch.delenv("DEMO_PASSWORD", raising=False)
    call_command("seed_demo")
    out = capsys.readouterr().out
    admin = User.objects.get(username="admin")
    printed = [line.split()[-1] for line in out.splitlines() if line.strip().startswith("admin")]
    assert printed
    assert admin.check_password(printed[0])
    assert "generated" in out


def test_seed_demo_if_empty_leaves_an_existing_database_alone(capsys):
    call_command("seed_demo", password="first-pass-123")
    call_command("seed_demo", "--if-empty", password="second-pass-456")
    assert User.objects.get(username="admin").check_password("first-pass-123")
    assert "Demo data present" in capsys.readouterr().out


def test_seed_demo_can_run_twice_without_duplicates():
    call_command("seed_demo", password="demo-pass-123")
    counts = (Branch.objects.count(), User.objects.count())
    call_command("seed_demo", password="demo-pass-123")
    assert (Branch.objects.count(), User.objects.count()) == counts


def test_seed_demo_adds_students_with_tutors_and_availability():
    from tracker.students.models import AvailabilityWindow, Student

    call_command("seed_demo", password="demo-pass-123")
    assert 50 <= Student.objects.count() <= 70
    assert Student.objects.values("branch").distinct().count() == 2
    assert Student.objects.filter(tutors__isnull=True).count() == 0
    tutor = User.objects.get(username="tutor")
    assert tutor.assigned_students.exists()
    assert AvailabilityWindow.objects.filter(student__isnull=False).exists()
    assert AvailabilityWindow.objects.filter(tutor=tutor).exists()


def test_seed_demo_fills_four_weeks_around_today():
    from datetime import timedelta

    from django.utils import timezone

    from tracker.scheduling.models import Series, Session

    call_command("seed_demo", password="demo-pass-123")
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
