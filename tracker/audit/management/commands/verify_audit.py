"""Check the audit trail's hash chain; exit non-zero at the first entry that breaks it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.audit.selectors import audit_chain_verify


class Command(BaseCommand):
    help = "Verify that no audit entry was edited, deleted or reordered."

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken = audit_chain_verify()
        if broken is not None:
            raise CommandError(
                f"Audit chain broken at entry {broken.entry_id}: it {broken.reason} "
                f"({checked} entries before it are intact)."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit chain intact: {checked} entries verified."))
