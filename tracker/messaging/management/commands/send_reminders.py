"""E-mail each tutor tomorrow's sessions. Run daily from cron or any scheduler; a second
run on the same day sends nothing again."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from tracker.messaging.reminders import reminders_send


class Command(BaseCommand):
    help = "E-mail each tutor their sessions of tomorrow (idempotent per day)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--day", type=date.fromisoformat, help="YYYY-MM-DD (default tomorrow)")

    def handle(self, *args: Any, **options: Any) -> None:
        sent = reminders_send(day=options["day"])
        self.stdout.write(f"Reminders sent: {sent}")
