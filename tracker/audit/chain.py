"""How an audit entry is hashed: one canonical form, used when writing and when verifying."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC
from typing import Any

GENESIS = "0" * 64


def canonical(entry: Any) -> bytes:
    payload = {
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "actor_ref": entry.actor_ref,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "changes": entry.changes,
        "ip": entry.ip,
        "user_agent": entry.user_agent,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: Any) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()
