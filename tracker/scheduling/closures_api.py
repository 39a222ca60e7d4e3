"""/api/v1/closures. No `from __future__ import annotations`: ninja reads the annotations."""

from datetime import date

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from tracker.scheduling import closures

router = Router(tags=["closures"])


class ClosureOut(Schema):
    id: int
    start_date: date
    end_date: date
    reason: str
    branch_id: int | None


class ClosureIn(Schema):
    start_date: date
    end_date: date
    reason: str = Field(min_length=1, max_length=200)
    branch: int | None = None


class ClosureFilters(Schema):
    since: date | None = None


@router.get("", response=list[ClosureOut], summary="Closure days (holidays, branch closures)")
def closures_list(request: HttpRequest, filters: Query[ClosureFilters]):
    return list(closures.closure_list(user=request.auth, since=filters.since)[:500])


@router.post("", response={201: ClosureOut}, summary="Add a closure (admins)")
def closures_add(request: HttpRequest, payload: ClosureIn) -> Status:
    return Status(201, closures.closure_add(actor=request.auth, **payload.dict()))


@router.delete("/{int:closure_id}", response={204: None}, summary="Remove a closure (admins)")
def closures_remove(request: HttpRequest, closure_id: int) -> Status:
    closures.closure_remove(actor=request.auth, closure_id=closure_id)
    return Status(204, None)
