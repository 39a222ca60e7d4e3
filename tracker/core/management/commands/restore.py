"""Restore a backup into an empty database, then prove it: row counts and audit chain.

Exits non-zero, saying what is wrong, on a wrong key, an altered file, a non-empty target,
a missing field-encryption key, a row count that differs from the backup's manifest, or a
broken audit chain.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from tracker.core.backup import BackupError, RestoreReport, backup_restore


class Command(BaseCommand):
    help = "Restore a backup file made by `manage.py backup` into an empty database and verify it."
    # Recovery must not wait on an unrelated configuration check; the restore runs its own
    # checks on what it restored.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The .stbak file to restore.")
        parser.add_argument(
            "--check",
            action="store_true",
            help="Only decrypt and authenticate the file and show what it holds; change nothing.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        try:
            report = backup_restore(path, check_only=options["check"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        self._describe(path, report)
        for warning in report.warnings:
            self.stderr.write(self.style.WARNING(f"Warning: {warning}"))
        if report.problems:
            raise CommandError(
                "Restore check failed:\n" + "\n".join(f"- {p}" for p in report.problems)
            )
        if report.restored:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Restored: {len(report.manifest['tables'])} tables and "
                    f"{report.manifest['rows']:,} rows match the backup; audit chain intact "
                    f"({report.audit_entries} entries verified)."
                )
            )
        else:
            self.stdout.write(
                self.style.SUCCESS("The file is intact and this installation can open it.")
            )

    def _describe(self, path: Path, report: RestoreReport) -> None:
        manifest = report.manifest
        keys = manifest.get("field_keys", {})
        self.stdout.write(
            f"{path.name}: {manifest.get('vendor')} backup of {manifest.get('created_at')}, "
            f"{len(manifest.get('tables', {}))} tables, {manifest.get('rows', 0):,} rows, "
            f"{manifest.get('migrations', {}).get('applied', 0)} migrations; needs field "
            f"key(s) {', '.join(keys.get('used', {})) or 'none'}."
        )
