"""Benchmark: each role's dashboard and each report over a year, on a large database.

    .venv/bin/python scripts/bench_reports.py [--runs 20]
        [--database-url postgres://postgres@127.0.0.1:5432/seedload_bench]
        [--seed --tutors 500 --students 10000 --sessions 1000000]

Needs PostgreSQL (--database-url, else BENCH_DATABASE_URL, else `seedload_bench` on the
local server). With --seed it creates that database afresh and fills it with
`manage.py seed_load` first (a few minutes for a million sessions); without, it uses the
data already there. Then it times, through the whole Django stack (test client, real
templates, real queries):

- GET /dashboard/ and GET /api/v1/reports/dashboard as a tutor, a moderator and an admin
  (acceptance: under 300 ms);
- every report for the last twelve months, in each of its groupings, as JSON and as XLSX
  (acceptance: under 1 s);

and prints the median and the 95th percentile of each. Not a test: figures depend on the
machine and on what else it is doing.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DASHBOARD_MS = 300
REPORT_MS = 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/seedload_bench"
        ),
    )
    parser.add_argument("--seed", action="store_true", help="recreate and fill the database")
    parser.add_argument("--tutors", type=int, default=500)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=1_000_000)
    args = parser.parse_args()
    if not args.database_url.startswith("postgres"):
        parser.error("the benchmark is for PostgreSQL")
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["TESTING"] = "1"  # plain static storage: no collectstatic needed
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # The benchmark times the reports, not the API's rate limit.
    os.environ["API_RATE_LIMIT_USER"] = "1000000/m"
    if args.seed:
        _fresh_database(args.database_url)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if args.seed:
        call_command("migrate", verbosity=0)
        call_command(
            "seed_load", tutors=args.tutors, students=args.students, sessions=args.sessions
        )

    settings.ALLOWED_HOSTS = ["testserver"]
    _describe()
    worst = {"dashboard": 0.0, "report": 0.0}
    for role, user in _people().items():
        for label, url in (("page", "/dashboard/"), ("API", "/api/v1/reports/dashboard")):
            p95 = _time(f"dashboard {role:<9} {label}", user, url, args.runs, api=label == "API")
            worst["dashboard"] = max(worst["dashboard"], p95)
    admin = _people()["admin"]
    for url in _report_urls():
        p95 = _time(url.split("?")[0].removeprefix("/api/v1"), admin, url, args.runs, api=True)
        worst["report"] = max(worst["report"], p95)
    for kind, limit in (("dashboard", DASHBOARD_MS), ("report", REPORT_MS)):
        verdict = "within" if worst[kind] < limit else "OVER"
        print(f"worst {kind} p95 {worst[kind]:.0f} ms: {verdict} the {limit} ms budget")


def _fresh_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    server = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(server, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _describe() -> None:
    from tracker.attendance.models import Attendance
    from tracker.finance.models import Charge, Invoice
    from tracker.scheduling.models import Session
    from tracker.students.models import Student

    counts = {
        model.__name__: model.objects.count()
        for model in (Session, Attendance, Charge, Invoice, Student)
    }
    print(", ".join(f"{count:,} {name.lower()}s" for name, count in counts.items()))


def _people() -> dict:
    from tracker.accounts.models import Role, User

    def busiest(role: str):
        return User.objects.filter(role=role, is_active=True).order_by("username").first()

    return {role: busiest(role) for role in (Role.TUTOR, Role.MODERATOR, Role.ADMIN)}


def _report_urls() -> list[str]:
    from django.utils import timezone

    from tracker.reports.selectors import REPORTS

    today = timezone.localdate()
    period = f"start={today - timedelta(days=364)}&end={today}"
    urls = []
    for slug, spec in REPORTS.items():
        for by in spec.groups or (None,):
            grouping = f"&by={by}" if by else ""
            urls.append(f"/api/v1/reports/{slug}?{period}{grouping}")
        urls.append(f"/api/v1/reports/{slug}/export?format=xlsx&{period}")
    return urls


def _time(label: str, user, url: str, runs: int, *, api: bool) -> float:
    from django.test import Client

    from tracker.accounts.tokens import token_issue

    client = Client()
    headers = {}
    if api:
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token_issue(user=user).access_token}"}
    else:
        client.force_login(user)
    times = []
    for _ in range(runs + 1):
        begin = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200, (url, response.status_code, response.content[:300])
    times = times[1:]  # the first run warms caches and imports
    median = statistics.median(times)
    p95 = sorted(times)[max(int(len(times) * 0.95) - 1, 0)]
    by = url.split("by=")[1] if "by=" in url else ("xlsx" if "export" in url else "")
    print(f"{label:<40} {by:<8} median {median:6.0f} ms   p95 {p95:6.0f} ms")
    return p95


if __name__ == "__main__":
    main()
