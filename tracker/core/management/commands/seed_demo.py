"""Fill an empty database with demo data so that the app can be tried at once."""

from __future__ import annotations

import os
import secrets
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from tracker.accounts import demo as accounts_demo
from tracker.accounts.models import User
from tracker.finance import demo as finance_demo
from tracker.org import demo as org_demo
from tracker.scheduling import demo as scheduling_demo
from tracker.students import demo as students_demo


class Command(BaseCommand):
    help = "Create demo lookups, accounts (admin, moderator, tutor...) and students."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--password",
            help="Password for every demo account (default: $DEMO_PASSWORD, else generated).",
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Do nothing when the database already has accounts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write(
                "Demo data present. Sign in as admin, moderator or tutor with the demo "
                "password (DEMO_PASSWORD, or the one printed when the data was created)."
            )
            return
        password = options["password"] or os.environ.get("DEMO_PASSWORD") or ""
        generated = not password
        if generated:
            password = secrets.token_urlsafe(12)
        with transaction.atomic():
            lookups = org_demo.seed()
            users = accounts_demo.seed(
                password=password, branches=lookups["branches"], schools=lookups["schools"]
            )
            admin = next(user for user in users if user.username == "admin")
            students = students_demo.seed(actor=admin, **lookups)
            series = scheduling_demo.seed(actor=admin, students=students)
            money = finance_demo.seed(actor=admin, students=students)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data created: {len(students)} students, {series} weekly series, "
                f"{money['invoices']} invoices."
            )
        )
        self.stdout.write("Demo logins (username / password):")
        for user in users:
            self.stdout.write(f"  {user.username:<10} {user.role:<10} {password}")
        if generated:
            self.stdout.write("The password was generated; pass --password or set DEMO_PASSWORD.")
