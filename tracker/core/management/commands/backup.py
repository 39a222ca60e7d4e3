"""Write an encrypted, timestamped backup of the database and keep the newest BACKUP_KEEP.

Schedule it (cron or a systemd timer, see the README); it is safe while the app runs.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from tracker.core.backup import BackupError, backup_create


class Command(BaseCommand):
    help = "Back up the database into BACKUP_DIR, encrypted, keeping the newest BACKUP_KEEP."
    # A backup must run even when an unrelated configuration check fails, above all
    # during an incident.
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = backup_create()
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        manifest = result.manifest
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {result.path} ({result.size:,} bytes; {manifest['vendor']}, "
                f"{len(manifest['tables'])} tables, {manifest['rows']:,} rows; field keys "
                f"{', '.join(manifest['field_keys']['used']) or 'none used'})."
            )
        )
        for path in result.deleted:
            self.stdout.write(f"Deleted old backup {path.name}.")
