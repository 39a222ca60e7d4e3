"""Benchmark: the revenue report for a year over 100,000 verified sessions.

    .venv/bin/python scripts/bench_revenue.py [--charges 100000] [--runs 30]
        [--database-url postgres://postgres@127.0.0.1:5432/bench_revenue]

Needs PostgreSQL (--database-url, else BENCH_DATABASE_URL, else a fresh `bench_revenue`
database on the local server; it is dropped and created again). 300 students in five
branches, 40 tutors and eight subjects; one session and one charge per seat over a year,
generated in SQL (the services would take an hour). Then it times the revenue selector
and GET /api/v1/finance/revenue (whole Django stack, admin bearer token) grouped by
month, branch, student, tutor and subject, and prints the median and the 95th
percentile. The acceptance is under 300 ms. Not a test: figures depend on the machine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
YEAR = 2029
BRANCHES, TUTORS, STUDENTS, SUBJECTS = 5, 40, 300, 8
GROUPS = ("month", "branch", "student", "tutor", "subject")
LIMIT_MS = 300

# Tutor k's j-th session is on day j // 7 of the year at hour j % 7 (local 08:00-14:00),
# so no tutor is double-booked; the 40 sessions of one hour seat 40 different students
# ((7k + j) mod 300 is distinct for k < 40), so no student is either. 90% happen, 5% are
# no-shows and 5% late cancellations, all billed in full.
FILL = """
WITH tutors AS (
    SELECT id, row_number() OVER (ORDER BY id) - 1 AS k
    FROM accounts_user WHERE username LIKE 'bench-tutor-%%'
), students AS (
    SELECT id, branch_id, default_rate, row_number() OVER (ORDER BY id) - 1 AS k
    FROM students_student
), subjects AS (
    SELECT array_agg(id ORDER BY id) AS ids FROM org_subject
), plan AS (
    SELECT n, t.id AS tutor_id, s.id AS student_id, s.branch_id, s.default_rate AS rate,
           subjects.ids[1 + s.k %% array_length(subjects.ids, 1)] AS subject_id,
           CAST(%(year_start)s AS timestamptz) + ((n / %(tutors)s) / 7) * INTERVAL '1 day'
               + ((n / %(tutors)s) %% 7) * INTERVAL '1 hour' AS start,
           CASE WHEN n %% 5 = 0 THEN 45 ELSE 60 END AS minutes,
           CASE n %% 20 WHEN 3 THEN 'no_show' WHEN 11 THEN 'late_cancellation'
                ELSE 'session' END AS kind
    FROM generate_series(0, %(count)s - 1) AS n, subjects, tutors t, students s
    WHERE t.k = n %% %(tutors)s
      AND s.k = (7 * (n %% %(tutors)s) + n / %(tutors)s) %% %(students)s
), made AS (
    INSERT INTO scheduling_session
        (tutor_id, subject_id, start, "end", location, online_link, status,
         cancellation_reason, billable, price, currency, notes, is_exception, created_at,
         updated_at)
    SELECT tutor_id, subject_id, start, start + minutes * INTERVAL '1 minute', '', '',
           CASE kind WHEN 'late_cancellation' THEN 'cancelled' ELSE 'completed' END,
           '', true, round(rate * minutes / 60, 2), 'ZAR', '', false, now(), now()
    FROM plan
    RETURNING id, tutor_id, start, "end", status
), seats AS (
    INSERT INTO scheduling_sessionstudent (session_id, student_id, start, "end", active)
    SELECT made.id, plan.student_id, made.start, made."end", made.status <> 'cancelled'
    FROM made JOIN plan USING (tutor_id, start)
)
INSERT INTO finance_charge
    (session_id, student_id, tutor_id, branch_id, subject_id, date, minutes, kind,
     share_percent, hourly_rate, amount, currency, created_at)
SELECT made.id, plan.student_id, plan.tutor_id, plan.branch_id, plan.subject_id,
       (plan.start AT TIME ZONE %(zone)s)::date, plan.minutes, plan.kind, 100, plan.rate,
       round(plan.rate * plan.minutes / 60, 2), 'ZAR', now()
FROM made JOIN plan USING (tutor_id, start)
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--charges", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_revenue"
        ),
    )
    args = parser.parse_args()
    if args.charges > TUTORS * 7 * 365:
        parser.error(f"at most {TUTORS * 7 * 365:,} charges fit in a year")
    _fresh_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["TESTING"] = "1"  # plain static storage: no collectstatic needed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    admin = _people()
    _fill(args.charges)
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    expected = _check(admin, start, end, args.charges)
    print(f"{args.charges:,} charges, {expected} for {YEAR}; {args.runs} runs each")
    worst = 0.0
    for by in GROUPS:
        for label, run in (("selector", _selector), ("GET /api/v1/finance/revenue", _api)):
            times = run(admin, start, end, by, args.runs)
            median = statistics.median(times)
            p95 = sorted(times)[max(int(len(times) * 0.95) - 1, 0)]
            worst = max(worst, p95)
            print(f"by {by:<8} {label:<28} median {median:6.1f} ms   p95 {p95:6.1f} ms")
    verdict = "within" if worst < LIMIT_MS else "OVER"
    print(f"worst p95 {worst:.1f} ms: {verdict} the {LIMIT_MS} ms budget")


def _fresh_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _people():
    from decimal import Decimal

    from tracker.accounts.models import Role, User
    from tracker.org.models import Branch, Subject
    from tracker.students.models import Student

    branches = Branch.objects.bulk_create(Branch(name=f"Branch {n}") for n in range(BRANCHES))
    Subject.objects.bulk_create(Subject(name=f"Subject {n}") for n in range(SUBJECTS))
    User.objects.bulk_create(
        User(username=f"bench-tutor-{n:02d}", role=Role.TUTOR, first_name="Tutor",
             last_name=f"{n:02d}", branch=branches[n % BRANCHES])
        for n in range(TUTORS)
    )  # fmt: skip
    Student.objects.bulk_create(
        Student(first_name=f"First{n}", last_name=f"Last{n}", branch=branches[n % BRANCHES],
                email=f"student{n}@example.com", default_rate=Decimal(250 + (n % 5) * 50))
        for n in range(STUDENTS)
    )  # fmt: skip
    return User.objects.create(username="bench-admin", role=Role.ADMIN)


def _fill(count: int) -> None:
    from django.conf import settings
    from django.db import connection

    begin = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(
            FILL,
            {"count": count, "tutors": TUTORS, "students": STUDENTS, "zone": settings.TIME_ZONE,
             "year_start": f"{YEAR}-01-01 08:00 {settings.TIME_ZONE}"},
        )  # fmt: skip
        for table in ("scheduling_session", "scheduling_sessionstudent", "finance_charge"):
            cursor.execute(f"ANALYZE {table}")
    print(f"  filled {count:,} sessions and charges in {time.perf_counter() - begin:.0f} s")


def _check(admin, start: date, end: date, count: int) -> str:
    """The report must add up before its speed means anything."""
    from django.db.models import Sum

    from tracker.finance.models import Charge
    from tracker.finance.selectors import revenue

    total = Charge.objects.aggregate(total=Sum("amount"))["total"]
    for by in GROUPS:
        report = revenue(user=admin, start=start, end=end, by=by)
        assert report.total == total, (by, report.total, total)
        assert report.sessions == count, (by, report.sessions)
    return f"{total:,.2f} ZAR"


def _selector(admin, start: date, end: date, by: str, runs: int) -> list[float]:
    from tracker.finance.selectors import revenue

    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        revenue(user=admin, start=start, end=end, by=by)
        times.append((time.perf_counter() - begin) * 1000)
    return times


def _api(admin, start: date, end: date, by: str, runs: int) -> list[float]:
    from django.test import Client

    from tracker.accounts.tokens import token_issue

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_issue(user=admin).access_token}")
    params = {"start": start.isoformat(), "end": end.isoformat(), "by": by}
    response = client.get("/api/v1/finance/revenue", params)  # warm-up, and a sanity check
    assert response.status_code == 200, response.content[:500]
    assert response.json()["rows"], response.content[:500]
    times = []
    for _ in range(runs):
        begin = time.perf_counter()
        response = client.get("/api/v1/finance/revenue", params)
        times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    return times


if __name__ == "__main__":
    main()
