"""Benchmark: the student list with 5,000 students, through the full Django stack.

    .venv/bin/python scripts/bench_students.py [--students 5000] [--runs 40]

Builds a throw-away SQLite database (or uses BENCH_DATABASE_URL), fills it, then times the
first page of GET /api/v1/students and of the /students/ page as an admin and a tutor, and
prints the median and 95th percentile. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--students", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-students-")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"  # plain static storage: no collectstatic needed
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    admin, tutor = fill(args.students)
    for label, user in (("admin", admin), ("tutor", tutor)):
        for path in ("/api/v1/students?page_size=50", "/students/"):
            times = measure(user, path, args.runs)
            median = statistics.median(times)
            p95 = sorted(times)[int(len(times) * 0.95) - 1]
            print(f"{label:<6} {path:<32} median {median:6.1f} ms   p95 {p95:6.1f} ms")


def fill(count: int):
    import random

    from tracker.accounts.models import Role, User
    from tracker.org.models import Branch, School, Subject
    from tracker.students.models import Student

    rng = random.Random(7)  # noqa: S311
    branches = [Branch.objects.create(name=f"Branch {n}") for n in range(3)]
    schools = [School.objects.create(name=f"School {n}") for n in range(20)]
    subjects = [Subject.objects.create(name=f"Subject {n}") for n in range(8)]
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    tutors = [User.objects.create(username=f"bench-tutor{n}", role=Role.TUTOR) for n in range(40)]
    Student.objects.bulk_create(
        Student(
            first_name=f"First{n}",
            last_name=f"Last{n % 997}",
            grade=f"Grade {n % 12 + 1}",
            school=rng.choice(schools),
            branch=rng.choice(branches),
            phone=f"+27 82 {n:07d}",
            email=f"student{n}@example.com",
            guardian_name=f"Guardian {n}",
            default_rate=300,
        )
        for n in range(count)
    )
    links = Student.subjects.through
    tutor_links = Student.tutors.through
    ids = list(Student.objects.values_list("id", flat=True))
    links.objects.bulk_create(links(student_id=i, subject_id=rng.choice(subjects).pk) for i in ids)
    tutor_links.objects.bulk_create(
        tutor_links(student_id=i, user_id=tutors[n % len(tutors)].pk) for n, i in enumerate(ids)
    )
    return admin, tutors[0]


def measure(user, path: str, runs: int) -> list[float]:
    from django.test import Client

    client = Client()
    client.force_login(user)
    assert client.get(path).status_code == 200  # warm-up, and a sanity check
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(path)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200
    return times


if __name__ == "__main__":
    main()
