"""Demo students: about sixty across both branches, with tutors and weekly availability."""

from __future__ import annotations

import random
from datetime import date, time
from decimal import Decimal

from tracker.accounts.models import Role, User
from tracker.org.models import Branch, School, Subject
from tracker.students.models import AvailabilityWindow, Student
from tracker.students.services import student_create

FIRST = ["Amahle", "Bongani", "Chloe", "Daniel", "Elena", "Farah", "Gift", "Hannah", "Imran",
         "Jabu", "Keabetswe", "Liam", "Mia", "Nandi", "Owen", "Palesa", "Quinn", "Riya",
         "Sizwe", "Tumi", "Unathi", "Vusi", "Wandile", "Xolani", "Yusuf", "Zara"]  # fmt: skip
LAST = ["Adams", "Botha", "Cele", "Dlamini", "Erasmus", "Fourie", "Govender", "Hendricks",
        "Jacobs", "Khumalo", "Louw", "Mahlangu", "Naidoo", "Olivier", "Pillay", "Radebe",
        "Smit", "Tshabalala", "Van Wyk", "Zulu"]  # fmt: skip
GRADES = [f"Grade {n}" for n in range(6, 13)]
COUNT = 60


def seed(*, actor: User, branches: list[Branch], schools: list[School], subjects: list[Subject]):
    if Student.objects.exists():
        return list(Student.objects.all())
    rng = random.Random(20261125)  # noqa: S311 - demo data, not security
    tutors = list(User.objects.filter(role=Role.TUTOR, is_active=True))
    students = []
    for number in range(COUNT):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        branch = branches[number % len(branches)]
        near = [t for t in tutors if t.branch_id == branch.pk] or tutors
        students.append(
            student_create(
                actor=actor,
                first_name=first,
                last_name=last,
                grade=rng.choice(GRADES),
                school=rng.choice(schools),
                branch=branch,
                subjects=rng.sample(subjects, k=rng.randint(1, 2)),
                tutors=rng.sample(near, k=1 if number % 4 else 2) if near else [],
                date_of_birth=date(
                    2008 + rng.randint(0, 8), rng.randint(1, 12), rng.randint(1, 28)
                ),
                phone=_phone(rng, "8"),
                email=f"{first.lower()}.{last.lower().replace(' ', '')}{number}@example.com",
                guardian_name=f"{rng.choice(FIRST)} {last}",
                guardian_phone=_phone(rng, "7"),
                consent_given=number % 7 != 0,
                consent_given_by="Parent",
                default_rate=Decimal(rng.choice([250, 300, 350, 400, 450])),
            )
        )
    _availability(rng, students, tutors)
    return students


def _phone(rng: random.Random, prefix: str) -> str:
    return f"+27 {prefix}{rng.randint(1, 4)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"


def _availability(rng: random.Random, students: list[Student], tutors: list[User]) -> None:
    windows = []
    for student in students:
        for weekday in rng.sample(range(5), k=2):
            start = rng.choice([14, 15, 16])
            windows.append(
                AvailabilityWindow(
                    student=student, weekday=weekday, start=time(start), end=time(start + 3)
                )
            )
        if rng.random() < 0.5:
            windows.append(
                AvailabilityWindow(student=student, weekday=5, start=time(9), end=time(12))
            )
    for tutor in tutors:
        for weekday in range(5):
            windows.append(
                AvailabilityWindow(tutor=tutor, weekday=weekday, start=time(13), end=time(19))
            )
        windows.append(AvailabilityWindow(tutor=tutor, weekday=5, start=time(8), end=time(13)))
    AvailabilityWindow.objects.bulk_create(windows)
