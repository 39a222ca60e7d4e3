"""Logging what happened at a session, correcting it, and verifying it.

A tutor logs their own sessions; moderators and admins log or correct any. Logs may come
from an offline phone long after they were made, so each carries a client-generated key
and `replayable()` applies it at most once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can, require
from tracker.attendance.models import (
    Attendance,
    CancelledBy,
    LogReceipt,
    Outcome,
    Presence,
    Review,
    SessionLog,
)
from tracker.audit.services import record
from tracker.core import metrics
from tracker.core.errors import Conflict
from tracker.finance import pricing
from tracker.messaging.models import NotificationKind
from tracker.messaging.notify import notify
from tracker.scheduling.models import Session, SessionStatus
from tracker.scheduling.services import bump_feed_version

EARLY_LOGGING = timedelta(hours=1)


def may_log(user: User, session: Session) -> bool:
    if can(user, Cap.SESSION_LOG_ANY):
        return True
    return can(user, Cap.SESSION_LOG_OWN) and session.tutor_id == user.pk


def _require_log(user: User, session: Session) -> None:
    # Another tutor's session answers 404: it is not theirs to know about.
    if not may_log(user, session):
        raise Http404


def _state(session: Session, log: SessionLog | None, attendance: dict[int, str]) -> dict[str, Any]:
    return {
        "status": session.status,
        "start": session.start.isoformat(),
        "attendance": {str(student): attendance[student] for student in sorted(attendance)},
        "note": log.note if log else "",
        "cancelled_by": log.cancelled_by if log else "",
        "review": log.review if log else "",
    }


def _session_payload(session: Session) -> dict[str, Any]:
    return {
        "session": {
            "id": session.pk,
            "status": session.status,
            "start": session.start.isoformat(),
            "end": session.end.isoformat(),
            "cancellation_reason": session.cancellation_reason,
        }
    }


def _check_still_as_seen(session: Session, expected_start: datetime | None, outcome: str) -> None:
    """A log made offline meets the schedule as it is now: say so, do not drop it."""
    if session.status == SessionStatus.CANCELLED and outcome == Outcome.COMPLETED:
        raise Conflict(
            _("This session was cancelled meanwhile (%(reason)s). Log it anyway?")
            % {"reason": session.cancellation_reason or _("no reason given")},
            extra=_session_payload(session),
        )
    if expected_start is not None and expected_start != session.start:
        raise Conflict(
            _("This session was moved meanwhile. Log it anyway?"), extra=_session_payload(session)
        )


def _attendance(seated: Iterable[int], given: dict[Any, str] | None) -> dict[int, str]:
    given = {int(k): v for k, v in (given or {}).items()}
    unknown = set(given).difference(seated)
    if unknown:
        raise ValidationError({"attendance": [_("Only the session's students can be marked.")]})
    if any(value not in Presence.values for value in given.values()):
        raise ValidationError({"attendance": [_("Mark each student present, late or absent.")]})
    # Two taps: "completed" with nobody marked means everyone came.
    return {student: given.get(student, Presence.PRESENT) for student in seated}


@transaction.atomic
def session_log(
    *,
    actor: User,
    session: Session,
    outcome: str,
    attendance: dict[Any, str] | None = None,
    note: str = "",
    cancelled_by: str = "",
    expected_start: datetime | None = None,
    force: bool = False,
) -> SessionLog:
    """Log or correct a session. The returned log's session carries its attendance, so a
    caller reads it without asking the database again."""
    _require_log(actor, session)
    session = Session.objects.select_for_update().get(pk=session.pk)
    # Its own statement, not a join in the locking one: under READ COMMITTED a join there
    # would miss a log committed by whoever held the lock before us.
    log = SessionLog.objects.filter(session=session).first()
    correcting = log is not None and log.review != Review.SENT_BACK
    if correcting and not can(actor, Cap.SESSION_LOG_ANY):
        raise Conflict(
            _("This session is already logged; ask a coordinator to correct it."),
            extra=_session_payload(session),
        )
    if outcome not in Outcome.values:
        raise ValidationError({"outcome": [_("Choose completed or cancelled.")]})
    now = timezone.now()
    # A cancellation can be logged ahead of time; a completion only once it has begun.
    if outcome == Outcome.COMPLETED and session.start - now > EARLY_LOGGING:
        raise ValidationError({"outcome": [_("A session can be logged once it has started.")]})
    if not force:
        _check_still_as_seen(session, expected_start, outcome)
    # Read once under the session's lock: the audit's "before", and which rows go stale.
    # Marks are only ever written with a log, and logs are never deleted: a first log
    # has none to read.
    marked = dict(session.attendance.values_list("student_id", "presence")) if log else {}
    before = _state(session, log, marked)
    if log is not None and log.review == Review.VERIFIED:
        # Reopening a verified session takes back its price (409 when already invoiced).
        pricing.withdraw(session)

    seats = dict(session.seats.values_list("student_id", "active"))
    changed = ["status", "updated_at"]
    if outcome == Outcome.COMPLETED:
        marks = _attendance(seats.keys(), attendance)
        session.status = SessionStatus.COMPLETED
        cancelled_by, late = "", False
    else:
        if cancelled_by not in CancelledBy.values:
            raise ValidationError({"cancelled_by": [_("Say who cancelled.")]})
        marks = {}
        late = session.start - now < timedelta(hours=settings.LATE_CANCELLATION_HOURS)
        session.status = SessionStatus.CANCELLED
        session.cancellation_reason = note.strip() or CancelledBy(cancelled_by).label
        session.cancelled_by = actor
        session.cancelled_at = now
        # A late cancellation by the student is billed; one by the tutor never is.
        session.billable = late and cancelled_by == CancelledBy.STUDENT
        changed += ["cancellation_reason", "cancelled_by", "cancelled_at", "billable"]
    session.save(update_fields=changed)
    active = session.status != SessionStatus.CANCELLED
    if any(seat_active != active for seat_active in seats.values()):
        session.seats.update(active=active)

    log = _write_log(
        log,
        session=session,
        outcome=outcome,
        note=note.strip(),
        cancelled_by=cancelled_by,
        late_cancellation=late,
        logged_by=actor,
        logged_at=now,
    )
    rows = _write_attendance(session, marks, stale=marked.keys() - marks.keys(), by=actor, at=now)
    record(
        "attendance.session.corrected" if correcting else "attendance.session.logged",
        actor=actor,
        target=session,
        changes={"before": before, "after": _state(session, log, marks)},
    )
    # Last: the feed counter is one row every session write updates, locked until commit.
    bump_feed_version(tutors=[session.tutor_id])
    _prime_attendance(session, rows)
    log.session = session
    return log


def _write_log(log: SessionLog | None, *, session: Session, **fields: Any) -> SessionLog:
    # The session's lock is held, so the log read under it is still the one to write.
    fields |= {"review": Review.PENDING, "reviewed_by": None, "reviewed_at": None}
    if log is None:
        return SessionLog.objects.create(session=session, tutor_id=session.tutor_id, **fields)
    for name, value in fields.items():
        setattr(log, name, value)
    log.save(update_fields=list(fields))
    return log


def _write_attendance(
    session: Session, marks: dict[int, str], *, stale: set[int], by: User, at: datetime
) -> list[Attendance]:
    if stale:
        session.attendance.filter(student_id__in=stale).delete()
    rows = [
        Attendance(
            session=session,
            session_start=session.start,
            student_id=student,
            presence=presence,
            logged_by=by,
            logged_at=at,
        )
        for student, presence in marks.items()
    ]
    if rows:
        # One statement for the whole class; a student marked before keeps their row.
        Attendance.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["session", "student"],
            update_fields=["presence", "session_start", "logged_by", "logged_at"],
        )
    return rows


def _prime_attendance(session: Session, rows: list[Attendance]) -> None:
    """Let `session.attendance.all()` answer from the rows just written, the way
    prefetch_related fills it."""
    cached = session.attendance.all()
    cached._result_cache = rows
    cached._prefetch_done = True
    session._prefetched_objects_cache = {"attendance": cached}


def replayable(
    *, key: str, user: User, session: Session, run: Callable[[], tuple[int, dict[str, Any]]]
) -> tuple[int, dict[str, Any]]:
    """Apply `run` once per client key. A replay, however often and however concurrent,
    answers what the first one answered. Failures are not stored: a retry tries again."""
    key = key.strip()[:100]
    if not key:
        return run()
    try:
        with transaction.atomic():
            receipt = LogReceipt.objects.create(key=key, user=user, session=session)
    except IntegrityError:
        receipt = LogReceipt.objects.get(key=key)
        if receipt.user_id != user.pk or receipt.session_id != session.pk:
            raise Conflict(_("This idempotency key was used for another request.")) from None
        metrics.offline_log_replayed()
        return receipt.status, receipt.response
    status, body = run()
    receipt.status, receipt.response = status, body
    receipt.save(update_fields=["status", "response"])
    return status, body


@transaction.atomic
def logs_verify(*, actor: User, session_ids: Iterable[int]) -> int:
    """Verify logged sessions in bulk; only verified completed sessions count for invoicing."""
    require(actor, Cap.SESSION_VERIFY)
    logs = list(
        SessionLog.objects.select_for_update()
        .filter(session_id__in=list(session_ids))
        .exclude(review=Review.VERIFIED)
        .select_related("session")
    )
    now = timezone.now()
    for log in logs:
        log.review, log.reviewed_by, log.reviewed_at, log.review_comment = (
            Review.VERIFIED, actor, now, ""
        )  # fmt: skip
        log.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_comment"])
        pricing.price_verified(log.session)
        record("attendance.session.verified", actor=actor, target=log.session)
    if logs:
        bump_feed_version(tutors={log.session.tutor_id for log in logs})
    return len(logs)


@transaction.atomic
def log_send_back(*, actor: User, session: Session, comment: str) -> SessionLog:
    require(actor, Cap.SESSION_VERIFY)
    comment = comment.strip()
    if not comment:
        raise ValidationError({"comment": [_("Tell the tutor what to fix.")]})
    log = SessionLog.objects.select_for_update().filter(session=session).first()
    if log is None:
        raise Conflict(_("This session has not been logged yet."))
    if log.review == Review.VERIFIED:
        raise Conflict(_("A verified session cannot be sent back."))
    log.review, log.reviewed_by, log.reviewed_at, log.review_comment = (
        Review.SENT_BACK, actor, timezone.now(), comment
    )  # fmt: skip
    log.save(update_fields=["review", "reviewed_by", "reviewed_at", "review_comment"])
    # Not in the calendar, but in the tutor's and the staff's dashboards.
    bump_feed_version(tutors=[session.tutor_id])
    record(
        "attendance.session.sent_back", actor=actor, target=session, changes={"comment": comment}
    )
    local = timezone.localtime(session.start)
    notify(
        {session.tutor_id} - {actor.pk},
        kind=NotificationKind.LOG_SENT_BACK,
        title=_("Log sent back for correction: %(when)s") % {"when": f"{local:%Y-%m-%d %H:%M}"},
        url=reverse("attendance:today"),
    )
    return log
