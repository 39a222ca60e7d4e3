"""Benchmark: an admin's announcement to 500 tutors, written in one transaction.

    .venv/bin/python scripts/bench_broadcast.py [--tutors 500] [--runs 10]

Builds a throw-away SQLite database (or uses BENCH_DATABASE_URL, e.g. a PostgreSQL
database), creates the tutors, then times broadcast_send (message, 500 receipts, 500
notifications, thread members, search tokens, inbox counters and the audit entry) and
checks that every tutor got it exactly once. Prints the median and the slowest run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BODY = "The centre is closed on Monday for the public holiday."
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tutors", type=int, default=500)
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="bench-broadcast-")
    os.environ["DATABASE_URL"] = os.environ.get(
        "BENCH_DATABASE_URL", f"sqlite:///{workdir}/bench.sqlite3"
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from tracker.accounts.models import Role, User
    from tracker.messaging.models import Receipt
    from tracker.messaging.services import broadcast_send

    User.objects.filter(username__startswith="bench-").delete()
    admin = User.objects.create(username="bench-admin", role=Role.ADMIN)
    User.objects.bulk_create(
        User(username=f"bench-tutor{n}", role=Role.TUTOR) for n in range(args.tutors)
    )
    times = []
    for run in range(args.runs):
        started = time.perf_counter()
        thread = broadcast_send(
            actor=admin, audience="role", role=Role.TUTOR, subject=f"Run {run}", body=BODY
        )
        times.append((time.perf_counter() - started) * 1000)
        receipts = Receipt.objects.filter(message__thread=thread)
        assert receipts.count() == args.tutors, receipts.count()
        assert receipts.values("user").distinct().count() == args.tutors
    print(f"{connection.vendor}: broadcast to {args.tutors} tutors, {args.runs} runs")
    print(f"median {statistics.median(times):7.1f} ms   slowest {max(times):7.1f} ms")


if __name__ == "__main__":
    main()
