"""Availability and time off of students (/students/{id}/...), tutors (/users/{id}/...) and
the signed-in tutor (/me/...). Mounted at the API root, so the paths here are complete.

Reading follows the owner's scope (404 outside it); writing needs the right to edit that
owner (403), and only tutors keep availability (409 for other accounts).

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from datetime import date, datetime, time
from typing import Annotated

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import AfterValidator, AwareDatetime

from tracker.students import availability
from tracker.students.availability import Owner
from tracker.students.models import AvailabilityWindow, TimeOff
from tracker.students.selectors import get_student_for_user

router = Router(tags=["availability"])

WEEKDAY_HELP = "0 = Monday … 6 = Sunday"


def _wall_clock(value: time) -> time:
    # Windows repeat weekly in the business's zone; an offset would mean a different hour
    # on either side of a clock change, and the database stores naive times only.
    if value.tzinfo is not None:
        raise ValueError("Give a wall-clock time without a UTC offset, such as 09:00.")
    return value


WallTime = Annotated[time, AfterValidator(_wall_clock)]


class WindowOut(Schema):
    id: int
    weekday: int = Field(description=WEEKDAY_HELP)
    start: time
    end: time
    valid_from: date | None
    valid_to: date | None


class WindowIn(Schema):
    weekday: int = Field(ge=0, le=6, description=WEEKDAY_HELP)
    start: WallTime = Field(description="Wall-clock time in the business's time zone")
    end: WallTime = Field(description="Later than start, same day")
    valid_from: date | None = Field(None, description="Empty: from now on")
    valid_to: date | None = Field(None, description="Empty: until further notice")


class WindowPatch(Schema):
    weekday: int | None = Field(None, ge=0, le=6, description=WEEKDAY_HELP)
    start: WallTime | None = None
    end: WallTime | None = None
    valid_from: date | None = None
    valid_to: date | None = None


class TimeOffOut(Schema):
    id: int
    starts_at: datetime
    ends_at: datetime
    reason: str


class TimeOffIn(Schema):
    starts_at: AwareDatetime = Field(description="With its UTC offset")
    ends_at: AwareDatetime = Field(description="Later than starts_at, at most 366 days on")
    reason: str = Field("", max_length=200)


# --- Shared by the three owners -----------------------------------------------------------


def _student(request: HttpRequest, student_id: int) -> Owner:
    return get_student_for_user(user=request.auth, student_id=student_id)


def _tutor(request: HttpRequest, user_id: int) -> Owner:
    return availability.get_tutor_for_user(user=request.auth, user_id=user_id)


def _me(request: HttpRequest) -> Owner:
    return availability.get_tutor_for_user(user=request.auth, user_id=request.auth.pk)


def _windows(request: HttpRequest, owner: Owner) -> list[AvailabilityWindow]:
    return list(availability.window_list(user=request.auth, owner=owner))


def _window_add(request: HttpRequest, owner: Owner, payload: WindowIn) -> Status:
    window = availability.availability_add(actor=request.auth, owner=owner, **payload.dict())
    return Status(201, window)


def _window_update(
    request: HttpRequest, owner: Owner, window_id: int, payload: WindowPatch
) -> AvailabilityWindow:
    window = availability.get_window_for_user(user=request.auth, window_id=window_id, owner=owner)
    return availability.availability_update(
        actor=request.auth, window=window, **payload.dict(exclude_unset=True)
    )


def _window_remove(request: HttpRequest, owner: Owner, window_id: int) -> Status:
    window = availability.get_window_for_user(user=request.auth, window_id=window_id, owner=owner)
    availability.availability_remove(actor=request.auth, window=window)
    return Status(204, None)


def _time_off(request: HttpRequest, owner: Owner, include_past: bool) -> list[TimeOff]:
    return list(
        availability.time_off_list(user=request.auth, owner=owner, include_past=include_past)
    )


def _time_off_add(request: HttpRequest, owner: Owner, payload: TimeOffIn) -> Status:
    time_off = availability.time_off_add(actor=request.auth, owner=owner, **payload.dict())
    return Status(201, time_off)


def _time_off_remove(request: HttpRequest, owner: Owner, time_off_id: int) -> Status:
    time_off = availability.get_time_off_for_user(
        user=request.auth, time_off_id=time_off_id, owner=owner
    )
    availability.time_off_remove(actor=request.auth, time_off=time_off)
    return Status(204, None)


IncludePast = Query[bool, {"description": "Include time off that has ended"}]

# --- Students -----------------------------------------------------------------------------

STUDENT_WINDOWS = "/students/{int:student_id}/availability"
STUDENT_WINDOW = STUDENT_WINDOWS + "/{int:window_id}"
STUDENT_TIME_OFF = "/students/{int:student_id}/time-off"


@router.get(STUDENT_WINDOWS, response=list[WindowOut], summary="A student's weekly windows")
def student_windows(request: HttpRequest, student_id: int) -> list[AvailabilityWindow]:
    return _windows(request, _student(request, student_id))


@router.post(STUDENT_WINDOWS, response={201: WindowOut}, summary="Add a student's window")
def student_window_add(request: HttpRequest, student_id: int, payload: WindowIn) -> Status:
    return _window_add(request, _student(request, student_id), payload)


@router.patch(STUDENT_WINDOW, response=WindowOut, summary="Change a student's window")
def student_window_update(
    request: HttpRequest, student_id: int, window_id: int, payload: WindowPatch
) -> AvailabilityWindow:
    return _window_update(request, _student(request, student_id), window_id, payload)


@router.delete(STUDENT_WINDOW, response={204: None}, summary="Remove a student's window")
def student_window_remove(request: HttpRequest, student_id: int, window_id: int) -> Status:
    return _window_remove(request, _student(request, student_id), window_id)


@router.get(STUDENT_TIME_OFF, response=list[TimeOffOut], summary="A student's time off")
def student_time_off(
    request: HttpRequest, student_id: int, include_past: IncludePast = False
) -> list[TimeOff]:
    return _time_off(request, _student(request, student_id), include_past)


@router.post(STUDENT_TIME_OFF, response={201: TimeOffOut}, summary="Add a student's time off")
def student_time_off_add(request: HttpRequest, student_id: int, payload: TimeOffIn) -> Status:
    return _time_off_add(request, _student(request, student_id), payload)


@router.delete(STUDENT_TIME_OFF + "/{int:time_off_id}", response={204: None})
def student_time_off_remove(request: HttpRequest, student_id: int, time_off_id: int) -> Status:
    return _time_off_remove(request, _student(request, student_id), time_off_id)


# --- Tutors, as their managers see them -----------------------------------------------------

TUTOR_WINDOWS = "/users/{int:user_id}/availability"
TUTOR_WINDOW = TUTOR_WINDOWS + "/{int:window_id}"
TUTOR_TIME_OFF = "/users/{int:user_id}/time-off"


@router.get(TUTOR_WINDOWS, response=list[WindowOut], summary="A tutor's weekly windows")
def tutor_windows(request: HttpRequest, user_id: int) -> list[AvailabilityWindow]:
    return _windows(request, _tutor(request, user_id))


@router.post(TUTOR_WINDOWS, response={201: WindowOut}, summary="Add a tutor's window")
def tutor_window_add(request: HttpRequest, user_id: int, payload: WindowIn) -> Status:
    return _window_add(request, _tutor(request, user_id), payload)


@router.patch(TUTOR_WINDOW, response=WindowOut, summary="Change a tutor's window")
def tutor_window_update(
    request: HttpRequest, user_id: int, window_id: int, payload: WindowPatch
) -> AvailabilityWindow:
    return _window_update(request, _tutor(request, user_id), window_id, payload)


@router.delete(TUTOR_WINDOW, response={204: None}, summary="Remove a tutor's window")
def tutor_window_remove(request: HttpRequest, user_id: int, window_id: int) -> Status:
    return _window_remove(request, _tutor(request, user_id), window_id)


@router.get(TUTOR_TIME_OFF, response=list[TimeOffOut], summary="A tutor's time off")
def tutor_time_off(
    request: HttpRequest, user_id: int, include_past: IncludePast = False
) -> list[TimeOff]:
    return _time_off(request, _tutor(request, user_id), include_past)


@router.post(TUTOR_TIME_OFF, response={201: TimeOffOut}, summary="Add a tutor's time off")
def tutor_time_off_add(request: HttpRequest, user_id: int, payload: TimeOffIn) -> Status:
    return _time_off_add(request, _tutor(request, user_id), payload)


@router.delete(TUTOR_TIME_OFF + "/{int:time_off_id}", response={204: None})
def tutor_time_off_remove(request: HttpRequest, user_id: int, time_off_id: int) -> Status:
    return _time_off_remove(request, _tutor(request, user_id), time_off_id)


# --- The signed-in tutor ------------------------------------------------------------------


@router.get("/me/availability", response=list[WindowOut], summary="My weekly windows")
def my_windows(request: HttpRequest) -> list[AvailabilityWindow]:
    return _windows(request, _me(request))


@router.post("/me/availability", response={201: WindowOut}, summary="Add one of my windows")
def my_window_add(request: HttpRequest, payload: WindowIn) -> Status:
    return _window_add(request, _me(request), payload)


@router.patch("/me/availability/{int:window_id}", response=WindowOut)
def my_window_update(
    request: HttpRequest, window_id: int, payload: WindowPatch
) -> AvailabilityWindow:
    return _window_update(request, _me(request), window_id, payload)


@router.delete("/me/availability/{int:window_id}", response={204: None})
def my_window_remove(request: HttpRequest, window_id: int) -> Status:
    return _window_remove(request, _me(request), window_id)


@router.get("/me/time-off", response=list[TimeOffOut], summary="My time off")
def my_time_off(request: HttpRequest, include_past: IncludePast = False) -> list[TimeOff]:
    return _time_off(request, _me(request), include_past)


@router.post("/me/time-off", response={201: TimeOffOut}, summary="Add time off for me")
def my_time_off_add(request: HttpRequest, payload: TimeOffIn) -> Status:
    return _time_off_add(request, _me(request), payload)


@router.delete("/me/time-off/{int:time_off_id}", response={204: None})
def my_time_off_remove(request: HttpRequest, time_off_id: int) -> Status:
    return _time_off_remove(request, _me(request), time_off_id)
