"""/api/v1/sessions: the calendar feed, booking, rescheduling, cancelling, series.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

import json
from datetime import date, datetime
from typing import Any, Literal

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status
from ninja.responses import NinjaJSONEncoder
from pydantic import field_validator

from tracker.accounts.permissions import Cap, can
from tracker.scheduling import selectors, services
from tracker.scheduling.models import Session, SessionStatus

router = Router(tags=["sessions"])


class Ref(Schema):
    id: int
    name: str


class SessionOut(Schema):
    id: int
    title: str
    start: datetime
    end: datetime
    status: SessionStatus
    tutor: Ref
    students: list[Ref]
    subject: Ref | None
    location: str
    online_link: str
    series_id: int | None
    billable: bool
    cancellation_reason: str
    notes: str
    can_manage: bool


def session_out(session: Session, *, user: Any) -> dict[str, Any]:
    values = {column: getattr(session, column) for column in selectors.FEED_COLUMNS}
    values[selectors.SUBJECT_NAME] = session.subject.name if session.subject else None
    students = [(s.pk, s.first_name, s.last_name) for s in session.students.all()]
    return _row(
        values,
        tutor=session.tutor.get_full_name(),
        students=students,
        can_manage=can(user, Cap.SESSION_MANAGE),
    )


def _row(
    values: dict[str, Any], *, tutor: str, students: list[tuple[int, str, str]], can_manage: bool
) -> dict[str, Any]:
    """SessionOut's fields, types and order, from a session's columns and subject name
    (selectors.FEED_COLUMNS, SUBJECT_NAME) and its students (id, first name, last name)."""
    subject = values[selectors.SUBJECT_NAME] or ""
    names = ", ".join(first for _, first, _ in students)
    return {
        "id": values["id"],
        "title": " · ".join(part for part in (subject, names) if part) or "Session",
        "start": values["start"],
        "end": values["end"],
        "status": values["status"],
        "tutor": {"id": values["tutor_id"], "name": tutor},
        "students": [{"id": pk, "name": f"{first} {last}"} for pk, first, last in students],
        "subject": {"id": values["subject_id"], "name": subject} if values["subject_id"] else None,
        "location": values["location"],
        "online_link": values["online_link"],
        "series_id": values["series_id"],
        "billable": values["billable"],
        "cancellation_reason": values["cancellation_reason"],
        "notes": values["notes"],
        "can_manage": can_manage,
    }


def feed_rows(*, user: Any, **filters: Any) -> list[dict[str, Any]]:
    """The calendar feed's rows, as session_out writes them, from plain values: a week
    rebuilt after every log costs no model instances."""
    feed = selectors.session_feed_values(user=user, **filters)
    manage = can(user, Cap.SESSION_MANAGE)
    return [
        _row(
            values,
            # As User.get_full_name writes it (the feed test compares with session_out).
            tutor=" ".join(values[name] for name in selectors.TUTOR_NAME).strip(),
            students=feed.students.get(values["id"], []),
            can_manage=manage,
        )
        for values in feed.sessions
    ]


class FeedFilters(Schema):
    start: datetime
    end: datetime
    tutor: int | None = None
    student: int | None = None
    branch: int | None = None
    subject: int | None = None
    status: SessionStatus | None = None

    @field_validator("start", "end")
    @classmethod
    def _in_the_business_time_zone(cls, value: datetime) -> datetime:
        # A time without an offset is the business's local time, as everywhere in Django;
        # comparing it with one that has an offset would fail.
        return timezone.make_aware(value) if timezone.is_naive(value) else value


class Repeat(Schema):
    freq: Literal["weekly", "fortnightly", "monthly"]
    weekdays: list[int] = []
    until: date | None = None
    count: int | None = Field(None, ge=1, le=520)


class SessionIn(Schema):
    tutor: int
    students: list[int] = Field(default_factory=list, max_length=20)
    subject: int | None = None
    start: datetime
    end: datetime
    location: str = Field("", max_length=200)
    online_link: str = Field("", max_length=200)
    notes: str = Field("", max_length=5000)
    repeat: Repeat | None = None


class SessionPatch(Schema):
    tutor: int | None = None
    students: list[int] | None = Field(None, max_length=20)
    subject: int | None = None
    start: datetime | None = None
    end: datetime | None = None
    location: str | None = Field(None, max_length=200)
    online_link: str | None = Field(None, max_length=200)
    notes: str | None = Field(None, max_length=5000)
    scope: Literal["this", "following", "all"] = "this"


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=300)
    billable: bool = False
    scope: Literal["this", "following", "all"] = "this"


class VersionOut(Schema):
    version: int


JSON = "application/json; charset=utf-8"
# A safety net only: a change makes the cached feeds it affects unreachable at once.
FEED_TTL = 300


@router.get("", response=list[SessionOut], summary="Calendar feed")
def sessions_feed(request: HttpRequest, filters: Query[FeedFilters]) -> HttpResponse:
    # Cached as the finished JSON, per person, range and filters: a calendar asking again
    # costs a cache read until a session it can show changes.
    key = selectors.feed_cache_key(user=request.auth, **filters.dict())
    body = cache.get(key)
    if body is None:
        body = feed_body(user=request.auth, **filters.dict())
        cache.set(key, body, FEED_TTL)
    return HttpResponse(body, content_type=JSON)


def feed_body(*, user: Any, start: datetime, end: datetime, **filters: Any) -> bytes:
    """The feed's JSON, as this view answers it and as the cached-read middleware builds
    it (tracker/scheduling/cached.py)."""
    # Open series are stored a few months ahead; a calendar looking further asks for
    # more. Once that is done for this range, only a new version can need more.
    selectors.check_feed_range(start, end)
    services.series_extend_for_view(until=end.date())
    # The rows already have SessionOut's fields, types and order: validating them again
    # through ninja's schema cost a third of a rebuild, and gave the same bytes
    # (tests/scheduling/test_feed_cache.py checks it).
    rows = feed_rows(user=user, start=start, end=end, **filters)
    return json.dumps(rows, cls=NinjaJSONEncoder).encode()


@router.get("/version", response=VersionOut, summary="Changes counter for live calendars")
def sessions_version(request: HttpRequest) -> HttpResponse:
    version = selectors.feed_version()
    etag = f'"v{version}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    return JsonResponse({"version": version}, headers={"ETag": etag, "Cache-Control": "no-cache"})


@router.post("", response={201: SessionOut}, summary="Book a session or a series")
def sessions_create(request: HttpRequest, payload: SessionIn) -> Status:
    data = payload.dict(exclude={"repeat"})
    if payload.repeat is not None:
        series, _ = services.series_create(
            actor=request.auth, repeat=payload.repeat.dict(exclude_none=True), **data
        )
        session = series.sessions.order_by("start").first()
    else:
        session = services.session_create(actor=request.auth, **data)
    session = selectors.get_session_for_user(user=request.auth, session_id=session.pk)
    return Status(201, session_out(session, user=request.auth))


@router.get("/{int:session_id}", response=SessionOut)
def sessions_detail(request: HttpRequest, session_id: int) -> dict[str, Any]:
    session = selectors.get_session_for_user(user=request.auth, session_id=session_id)
    return session_out(session, user=request.auth)


@router.patch("/{int:session_id}", response=SessionOut, summary="Reschedule or edit")
def sessions_update(request: HttpRequest, session_id: int, payload: SessionPatch) -> dict[str, Any]:
    session = selectors.get_session_for_user(user=request.auth, session_id=session_id)
    changes = payload.dict(exclude_unset=True, exclude={"scope"})
    updated = services.session_update(
        actor=request.auth, session=session, scope=payload.scope, **changes
    )
    updated = selectors.get_session_for_user(user=request.auth, session_id=updated.pk)
    return session_out(updated, user=request.auth)


@router.post("/{int:session_id}/cancel", response=SessionOut, summary="Cancel")
def sessions_cancel(request: HttpRequest, session_id: int, payload: CancelIn) -> dict[str, Any]:
    session = selectors.get_session_for_user(user=request.auth, session_id=session_id)
    services.session_cancel(actor=request.auth, session=session, **payload.dict())
    session = selectors.get_session_for_user(user=request.auth, session_id=session_id)
    return session_out(session, user=request.auth)
