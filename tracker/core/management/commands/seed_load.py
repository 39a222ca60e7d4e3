"""Fill an empty database with a large, realistic business for benchmarks and load tests."""

from __future__ import annotations

import os
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.core.load_data import LoadRefused, Sizes, generate


class Command(BaseCommand):
    help = (
        "Generate tutors, students, two years of sessions with logs, attendance and money, "
        "and messages, in bulk. Refuses a database that has sessions unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tutors", type=int, default=500)
        parser.add_argument("--students", type=int, default=10_000)
        parser.add_argument("--sessions", type=int, default=1_000_000)
        parser.add_argument(
            "--moderators", type=int, help="Default: one per 25 tutors (at least one)."
        )
        parser.add_argument("--weeks-ahead", type=int, default=6)
        parser.add_argument(
            "--password",
            help="Password of every account (default: $DEMO_PASSWORD, else load-test-password).",
        )
        parser.add_argument(
            "--seed", type=int, default=1, help="Random seed (same seed, same data)."
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Load even though the database already has sessions (the new accounts must "
            "not exist yet).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = Sizes(
            tutors=options["tutors"],
            students=options["students"],
            sessions=options["sessions"],
            moderators=options["moderators"]
            if options["moderators"] is not None
            else max(1, options["tutors"] // 25),
            weeks_ahead=options["weeks_ahead"],
            seed=options["seed"],
        )
        if min(sizes.tutors, sizes.students, sizes.sessions, sizes.moderators) < 0:
            raise CommandError("Sizes cannot be negative.")
        password = options["password"] or os.environ.get("DEMO_PASSWORD") or "load-test-password"
        self.stdout.write(
            f"Loading {sizes.tutors} tutors, {sizes.students} students, {sizes.sessions} "
            f"sessions (seed {sizes.seed}):"
        )
        began = time.perf_counter()
        try:
            result = generate(
                sizes, password=password, force=options["force"], say=self.stdout.write
            )
        except LoadRefused as refused:
            raise CommandError(str(refused)) from None
        self.stdout.write(self.style.SUCCESS(f"Done in {time.perf_counter() - began:.1f} s."))
        self.stdout.write("Rows:")
        for label, count in result.counts.items():
            self.stdout.write(f"  {label:<32} {count:>10}")
        self.stdout.write(f"Accounts (password: {password}):")
        for role, names in result.usernames.items():
            shown = names[0] if len(names) == 1 else f"{names[0]} .. {names[-1]}" if names else "-"
            self.stdout.write(f"  {role:<10} {len(names):>5}  {shown}")
