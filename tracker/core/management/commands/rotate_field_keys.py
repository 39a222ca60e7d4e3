"""Re-encrypt all personal data under the first key of FIELD_ENCRYPTION_KEYS.

Rotation: put a new key first in FIELD_ENCRYPTION_KEYS (keep the old ones after it), run
this command, then remove the old keys.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from tracker.audit.services import record
from tracker.lib.crypto import key_ring
from tracker.lib.rotation import rotate_all


class Command(BaseCommand):
    help = "Re-encrypt every encrypted value under the current (first) key."

    def handle(self, *args: Any, **options: Any) -> None:
        report = rotate_all()
        record(
            "security.field_keys.rotated",
            target_type="key",
            target_id=key_ring().current_id,
            changes={"checked": report.checked, "reencrypted": report.reencrypted},
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.reencrypted} of {report.checked} encrypted values re-encrypted "
                f"under key {key_ring().current_id}."
            )
        )
