"""Erase archived students whose retention period (STUDENT_RETENTION_MONTHS) has passed.

Run it daily from cron or a systemd timer; a second run finds nobody left to erase.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from tracker.students.privacy import retention_apply, retention_due


class Command(BaseCommand):
    help = "Erase the personal data of students archived longer than STUDENT_RETENTION_MONTHS."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count who would be erased."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        months = settings.STUDENT_RETENTION_MONTHS
        if months <= 0:
            self.stdout.write("Retention is off (STUDENT_RETENTION_MONTHS=0): nobody erased.")
            return
        if options["dry_run"]:
            due = len(retention_due(months=months))
            self.stdout.write(f"Would erase {due} archived student(s) older than {months} months.")
            return
        erased = retention_apply(months=months)
        self.stdout.write(
            self.style.SUCCESS(f"Erased {erased} archived student(s) older than {months} months.")
        )
