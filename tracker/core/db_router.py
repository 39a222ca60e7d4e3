"""Reads that may lag go to the read replica (`DATABASE_REPLICA_URL`), all else to the primary.

Only code that says so, inside `with reads_can_lag():` (reports, the staff dashboards, the
data export), reads from the replica: a replica replays the primary's changes a moment
late, and most pages must show what was just saved. Writes, reads outside that block and
migrations stay on the primary, and without a replica everything does.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections

REPLICA = "replica"

# Per thread and per task, so one request's block never reroutes another's reads.
_lagging: ContextVar[bool] = ContextVar("reads_can_lag", default=False)


@contextmanager
def reads_can_lag() -> Iterator[None]:
    token = _lagging.set(True)
    try:
        yield
    finally:
        _lagging.reset(token)


class ReplicaRouter:
    def db_for_read(self, model: type, **hints: Any) -> str | None:
        if not _lagging.get() or REPLICA not in connections.settings:
            return None
        instance = hints.get("instance")
        if instance is not None and instance._state.db:
            # Related rows come from where their object came from.
            return instance._state.db
        return REPLICA

    def db_for_write(self, model: type, **hints: Any) -> str:
        # Even an object read from the replica is saved to the primary.
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the primary's rows: an object read from either may point at one
        # read from the other.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA}:
            return True
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        # The replica gets its tables by replication from the primary.
        return db == DEFAULT_DB_ALIAS
