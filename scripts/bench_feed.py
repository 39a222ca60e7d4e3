"""Benchmark: the calendar feed for one tutor-week at 10,000 and at 1,000,000 sessions.

    .venv/bin/python scripts/bench_feed.py [--runs 200] [--sizes 10000,1000000]

Needs PostgreSQL (BENCH_DATABASE_URL, default a fresh `bench_feed` database on the local
server). Rows are generated in SQL so that a million take about a minute. Each size times
the same request — GET /api/v1/sessions for one tutor's week, through the whole Django
stack, with a bearer token — and prints the median and the 95th percentile.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TUTORS = 1000

FILL = """
INSERT INTO scheduling_session
    (tutor_id, start, "end", location, online_link, status, cancellation_reason, billable,
     currency, notes, is_exception, created_at, updated_at)
SELECT t.id,
       TIMESTAMPTZ '2030-01-07 06:00+00' + (n * INTERVAL '1 day') + ((n %% 5) * INTERVAL '1 hour'),
       TIMESTAMPTZ '2030-01-07 07:00+00' + (n * INTERVAL '1 day') + ((n %% 5) * INTERVAL '1 hour'),
       '', '', 'scheduled', '', true, 'ZAR', '', false, now(), now()
FROM (SELECT id FROM accounts_user WHERE username LIKE 'bench-tutor-%%') AS t,
     generate_series(%(first)s, %(last)s) AS n
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--sizes", default="10000,1000000")
    args = parser.parse_args()
    url = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench_feed")
    _fresh_database(url)
    os.environ["DATABASE_URL"] = url
    os.environ["TESTING"] = "1"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    token = _people()
    filled = 0
    results = {}
    for size in sorted(int(s) for s in args.sizes.split(",")):
        per_tutor = size // TUTORS
        _fill(filled, per_tutor)
        filled = per_tutor
        times = _measure(token, args.runs)
        results[size] = times
        median = statistics.median(times)
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        print(f"{size:>9,} sessions: median {median:5.2f} ms   p95 {p95:5.2f} ms")
    sizes = sorted(results)
    p95s = [sorted(results[s])[int(len(results[s]) * 0.95) - 1] for s in sizes]
    print(f"p95 grows {(p95s[-1] / p95s[0] - 1) * 100:+.0f}% from {sizes[0]:,} to {sizes[-1]:,}")


def _fresh_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    name = url.rsplit("/", 1)[1]
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def _people():
    from tracker.accounts.models import Role, User
    from tracker.accounts.tokens import token_issue

    User.objects.bulk_create(
        User(username=f"bench-tutor-{n:04d}", role=Role.TUTOR) for n in range(TUTORS)
    )
    tutor = User.objects.get(username="bench-tutor-0500")
    return token_issue(user=tutor).access_token


def _fill(first: int, last: int) -> None:
    from django.db import connection

    start = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(FILL, {"first": first, "last": last - 1})
        cursor.execute("ANALYZE scheduling_session")
    print(f"  filled to {last * TUTORS:,} in {time.perf_counter() - start:.0f} s")


def _measure(token: str, runs: int) -> list[float]:
    from django.test import Client

    from tracker.scheduling.services import bump_feed_version

    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    # A week in the middle of what both sizes hold (day 3 to day 10).
    params = {"start": "2030-01-10T00:00:00+00:00", "end": "2030-01-17T00:00:00+00:00"}
    expected = client.get("/api/v1/sessions", params)
    assert expected.status_code == 200, expected.content
    assert len(expected.json()) == 7
    times = []
    for _ in range(runs):
        # Each run reads the database: this times the query, not the feed cache.
        bump_feed_version()
        begin = time.perf_counter()
        response = client.get("/api/v1/sessions", params)
        times.append((time.perf_counter() - begin) * 1000)
        assert response.status_code == 200
    return times


if __name__ == "__main__":
    main()
