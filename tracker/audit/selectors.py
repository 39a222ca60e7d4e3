"""Reading the audit trail: browsing (admins only) and verifying the chain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.db.models import QuerySet
from django.utils import timezone

from tracker.accounts.permissions import Cap, require
from tracker.audit.chain import GENESIS, entry_hash
from tracker.audit.models import AuditLog


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    reason: str


def audit_log_list(
    *,
    user,
    actor: str | None = None,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[AuditLog]:
    """Entries newest first, narrowed by every filter given; empty filters are ignored.

    `action` matches a prefix so that "accounts." finds every accounts event; the dates are
    whole days in the business's time zone, both ends included.
    """
    require(user, Cap.AUDIT_VIEW)
    entries = AuditLog.objects.order_by("-id")
    if actor:
        entries = entries.filter(actor_label=actor)
    if action:
        entries = entries.filter(action__startswith=action)
    if target_type:
        entries = entries.filter(target_type=target_type)
    if target_id:
        entries = entries.filter(target_id=target_id)
    if date_from:
        entries = entries.filter(created_at__gte=_start_of_business_day(date_from))
    if date_to:
        entries = entries.filter(created_at__lt=_start_of_business_day(date_to + timedelta(days=1)))
    return entries


def _start_of_business_day(day: date) -> datetime:
    # The default time zone is settings.TIME_ZONE: the business's, whoever is looking.
    return datetime.combine(day, time.min, tzinfo=timezone.get_default_timezone())


def audit_chain_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order; return how many entries were checked and the first break."""
    expected_prev = GENESIS
    checked = 0
    for entry in AuditLog.objects.order_by("id").iterator(chunk_size=batch_size):
        if entry.prev_hash != expected_prev:
            return checked, ChainBreak(entry.id, "does not follow the entry before it")
        if entry_hash(entry) != entry.hash:
            return checked, ChainBreak(entry.id, "was changed after it was written")
        expected_prev = entry.hash
        checked += 1
    return checked, None
