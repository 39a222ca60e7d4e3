"""Writing the audit trail: `record(...)` is the one call every service makes."""

from __future__ import annotations

import json
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from tracker.audit.chain import GENESIS, entry_hash
from tracker.audit.models import AuditLog
from tracker.core import request_context

MASK = "***"
REDACTED = "[redacted]"
SECRET_KEYS = frozenset(
    {"password", "password1", "password2", "token", "access_token", "refresh_token", "secret"}
)
# The trail is append-only and hash-chained, so an erased student's data could never be
# taken out of it again: names, contact details and free text written about a child never
# go in. ("name" alone is not here: it is how branches, schools and subjects are called.)
PII_KEYS = frozenset(
    {
        "first_name",
        "last_name",
        "full_name",
        "email",
        "phone",
        "date_of_birth",
        "address",
        "guardian_name",
        "guardian_phone",
        "guardian_email",
        "notes",
        "consent_given_by",
        # A session log's note says what a child did; an invoice line starts with their name;
        # a home lesson's location is where a child lives.
        "note",
        "location",
        "description",
        "payer_name",
        "payer_email",
        "payer_address",
    }
)
# Any constant works; it only has to be the same in every process.
_CHAIN_LOCK_KEY = 0x5EA7_A0D1


def mask(changes: dict[str, Any]) -> dict[str, Any]:
    """Keep which fields changed; hide the values of secrets and personal data."""
    masked: dict[str, Any] = {}
    for key, value in changes.items():
        if key in SECRET_KEYS:
            masked[key] = MASK
        elif key in PII_KEYS:
            masked[key] = REDACTED
        elif isinstance(value, dict):
            masked[key] = mask(value)
        else:
            masked[key] = value
    return masked


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the fields whose value changed."""
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(after.keys() | before.keys())
        if before.get(key) != after.get(key)
    }


# No savepoint: the entry stands or falls with its caller's transaction, and within one
# a savepoint would cost two round trips on every audited write.
@transaction.atomic(savepoint=False)
def record(
    action: str,
    *,
    actor: Any = None,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: str | int = "",
    changes: dict[str, Any] | None = None,
) -> AuditLog:
    """Append one entry to the chain. `action` is a dotted code: "accounts.user.created"."""
    _lock_chain()
    # Not folded into the lock's statement: a statement reads as of its start, before the
    # wait, and would miss the entry of the writer it waited for.
    previous = AuditLog.objects.order_by("-id").values_list("hash", flat=True).first()
    meta = request_context.current()
    if target is not None:
        target_type = target_type or target._meta.label_lower
        target_id = target_id or target.pk
    authenticated = actor is not None and getattr(actor, "is_authenticated", False)
    entry = AuditLog(
        created_at=timezone.now(),
        actor_ref=actor.pk if authenticated else None,
        actor_label=actor.get_username() if authenticated else "",
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id != "" else "",
        # Round-trip through JSON so that what is hashed is exactly what the database returns.
        changes=json.loads(json.dumps(mask(changes or {}), default=str)),
        ip=meta.ip,
        user_agent=meta.user_agent[:255],
        request_id=meta.request_id,
        prev_hash=previous or GENESIS,
    )
    entry.hash = entry_hash(entry)
    entry.save()
    return entry


def _lock_chain() -> None:
    """Serialise writers so that two entries never claim the same predecessor.

    SQLite already runs one writer at a time (IMMEDIATE transactions); PostgreSQL takes a
    transaction-scoped advisory lock, released at commit.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
