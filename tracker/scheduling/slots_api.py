"""/api/v1/slots (free times for a new session) and /api/v1/availability/background (the
weekly windows the calendar draws behind sessions). Mounted at the API root, so the paths
here are complete.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from datetime import date, datetime, timedelta
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema

from tracker.accounts.permissions import Cap, require
from tracker.scheduling import slots
from tracker.students.availability import get_tutor_for_user
from tracker.students.selectors import get_student_for_user

router = Router(tags=["scheduling"])


class SlotQuery(Schema):
    tutor: int
    student: int
    duration: int = Field(60, ge=15, le=480, description="Minutes")
    start: date = Field(description="First day to search, in the business's time zone")
    end: date = Field(description=f"Last day to search; at most {slots.MAX_DAYS} days in all")


class SlotOut(Schema):
    start: datetime
    end: datetime


class BackgroundQuery(Schema):
    tutor: int | None = None
    student: int | None = None
    start: datetime = Field(description="Without an offset: the business's time zone")
    end: datetime = Field(description=f"Later than start, at most {slots.MAX_DAYS} days on")


class BackgroundOut(Schema):
    start: datetime
    end: datetime
    owner: Literal["tutor", "student"]


def _aware(moment: datetime) -> datetime:
    # Calendars in a named time zone send wall-clock times without an offset.
    return timezone.make_aware(moment) if timezone.is_naive(moment) else moment


@router.get("/slots", response=list[SlotOut], summary="Times when a tutor and a student are free")
def slot_list(request: HttpRequest, query: Query[SlotQuery]) -> list[dict[str, datetime]]:
    # Capability first: a tutor learns nothing about which people exist.
    require(request.auth, Cap.SESSION_MANAGE)
    found = slots.find_slots(
        user=request.auth,
        tutor=get_tutor_for_user(user=request.auth, user_id=query.tutor),
        student=get_student_for_user(user=request.auth, student_id=query.student),
        duration=timedelta(minutes=query.duration),
        start=query.start,
        end=query.end,
    )
    return [{"start": start, "end": end} for start, end in found]


@router.get(
    "/availability/background",
    response=list[BackgroundOut],
    summary="Weekly availability as concrete times, to draw behind the calendar",
)
def availability_background(
    request: HttpRequest, query: Query[BackgroundQuery]
) -> list[slots.Background]:
    user = request.auth
    return slots.availability_background(
        user=user,
        start=_aware(query.start),
        end=_aware(query.end),
        tutor=get_tutor_for_user(user=user, user_id=query.tutor) if query.tutor else None,
        student=get_student_for_user(user=user, student_id=query.student)
        if query.student
        else None,
    )
