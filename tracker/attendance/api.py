"""Logging, correcting and verifying sessions; attendance statistics.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from datetime import date, datetime
from typing import Any, Literal

from django.http import Http404, HttpRequest, JsonResponse
from ninja import Field, Query, Router, Schema

from tracker.attendance import selectors, services
from tracker.attendance.models import Presence, SessionLog
from tracker.scheduling.models import Session

router = Router(tags=["attendance"])


class LogIn(Schema):
    outcome: Literal["completed", "cancelled"]
    attendance: dict[int, Presence] | None = Field(
        None, description="student id → present | late | absent; everyone present if left out"
    )
    note: str = Field("", max_length=2000)
    cancelled_by: Literal["student", "tutor", "other", ""] = ""
    expected_start: datetime | None = Field(
        None, description="The start the device saw; a different one now answers 409"
    )
    force: bool = Field(False, description="Log even though the session changed meanwhile")
    client_id: str = Field("", max_length=100, description="Or send an Idempotency-Key header")


class VerifyIn(Schema):
    session_ids: list[int] = Field(min_length=1, max_length=500)


class SendBackIn(Schema):
    comment: str = Field(min_length=1, max_length=500)


class PendingFilters(Schema):
    tutor: int | None = None
    branch: int | None = None
    week: date | None = Field(None, description="Any day of the week to show")


class StatsFilters(Schema):
    start: date
    end: date
    student: int | None = None
    tutor: int | None = None


class StatsOut(Schema):
    sessions: int
    attended: int
    late: int
    missed: int
    cancelled: int
    rate: float | None


def log_out(log: SessionLog) -> dict[str, Any]:
    session = log.session
    return {
        "session": {"id": session.pk, "status": session.status, "billable": session.billable},
        "log": {
            "outcome": log.outcome,
            "note": log.note,
            "cancelled_by": log.cancelled_by,
            "late_cancellation": log.late_cancellation,
            "review": log.review,
            "logged_at": log.logged_at.isoformat(),
            # Sorted here rather than by the database: `.all()` answers from rows already
            # at hand (prefetched for a list, or just written by the log).
            "attendance": {
                str(a.student_id): a.presence
                for a in sorted(session.attendance.all(), key=lambda a: a.student_id)
            },
        },
    }


@router.post("/sessions/{int:session_id}/log", summary="Log or correct a session (replay-safe)")
def session_log(request: HttpRequest, session_id: int, payload: LogIn) -> JsonResponse:
    session = Session.objects.filter(pk=session_id).first()
    if session is None or not services.may_log(request.auth, session):
        raise Http404
    fields = payload.dict(exclude={"client_id"})
    fields["attendance"] = payload.attendance and {
        k: v.value for k, v in payload.attendance.items()
    }

    def run() -> tuple[int, dict[str, Any]]:
        log = services.session_log(actor=request.auth, session=session, **fields)
        return 200, log_out(log)

    key = request.headers.get("Idempotency-Key", "") or payload.client_id
    status, body = services.replayable(key=key, user=request.auth, session=session, run=run)
    # Sorted keys: a replay read back from the database answers byte for byte the same.
    return JsonResponse(body, status=status, json_dumps_params={"sort_keys": True})


@router.post("/sessions/{int:session_id}/send-back", summary="Send a log back to its tutor")
def session_send_back(request: HttpRequest, session_id: int, payload: SendBackIn) -> JsonResponse:
    session = Session.objects.filter(pk=session_id).first()
    if session is None:
        raise Http404
    log = services.log_send_back(actor=request.auth, session=session, comment=payload.comment)
    return JsonResponse(log_out(log))


@router.post("/attendance/verify", summary="Verify logged sessions in bulk")
def attendance_verify(request: HttpRequest, payload: VerifyIn) -> dict[str, int]:
    return {"verified": services.logs_verify(actor=request.auth, session_ids=payload.session_ids)}


@router.get("/attendance/pending", summary="Logged sessions waiting for verification")
def attendance_pending(
    request: HttpRequest, filters: Query[PendingFilters]
) -> list[dict[str, Any]]:
    logs = selectors.logs_to_verify(user=request.auth, **filters.dict())
    return [log_out(log) | {"tutor": log.session.tutor.get_full_name()} for log in logs[:500]]


@router.get("/attendance/stats", response=StatsOut, summary="Attendance statistics")
def attendance_stats(request: HttpRequest, filters: Query[StatsFilters]) -> dict[str, Any]:
    return selectors.attendance_stats(user=request.auth, **filters.dict()).as_dict()
