"""The audit trail over JSON: browse and verify, for administrators only.

No `from __future__ import annotations` here: ninja's @paginate wraps the view, and string
annotations would then be resolved in ninja's module instead of this one.
"""

from datetime import date, datetime
from typing import Any, Self

from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import CursorPagination, paginate
from pydantic import model_validator

from tracker.accounts.permissions import Cap, require
from tracker.audit.models import AuditLog
from tracker.audit.selectors import audit_chain_verify, audit_log_list

router = Router(tags=["audit"])


class AuditFilters(Schema):
    actor: str | None = Field(None, description="Username of who acted, exactly.")
    action: str | None = Field(None, description='Dotted code or its start: "accounts.".')
    target_type: str | None = Field(None, description='For example "accounts.user".')
    target_id: str | None = None
    date_from: date | None = Field(None, description="First day, in the business time zone.")
    date_to: date | None = Field(None, description="Last day (included).")

    @model_validator(mode="after")
    def _range_runs_forward(self) -> Self:
        if self.date_from and self.date_to and self.date_to < self.date_from:
            raise ValueError(_("date_to must be on or after date_from."))
        return self


class AuditEntryOut(Schema):
    id: int
    created_at: datetime
    # Aliases read the model's columns; the API keeps the names clients expect.
    actor_id: int | None = Field(alias="actor_ref")
    actor: str = Field(alias="actor_label")
    action: str
    target_type: str
    target_id: str
    changes: dict[str, Any]
    ip: str | None
    user_agent: str
    request_id: str
    hash: str
    prev_hash: str


class ChainStatusOut(Schema):
    intact: bool
    checked: int
    broken_entry_id: int | None
    reason: str | None


@router.get("", response=list[AuditEntryOut], summary="Browse the audit trail")
@paginate(CursorPagination, ordering=("-id",), page_size=50)
def audit_log(request: HttpRequest, filters: Query[AuditFilters]) -> QuerySet[AuditLog]:
    return audit_log_list(user=request.auth, **filters.dict())


@router.get("/verify", response=ChainStatusOut, summary="Verify the audit hash chain")
def audit_verify(request: HttpRequest) -> dict[str, Any]:
    require(request.auth, Cap.AUDIT_VIEW)
    checked, broken = audit_chain_verify()
    return {
        "intact": broken is None,
        "checked": checked,
        "broken_entry_id": broken.entry_id if broken else None,
        "reason": broken.reason if broken else None,
    }
