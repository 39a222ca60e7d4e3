"""/api/v1/students: list, create, read, edit, archive, restore, export, erase.

What a student looks like depends on who asks: StudentOut is filled from
`student_as_dict(..., user=...)`, and fields the role may not see are left unset and so
never serialised (the routes use exclude_unset).

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate
from pydantic import ValidationInfo, model_validator

from tracker.accounts.permissions import Cap, require
from tracker.students import privacy, selectors, services
from tracker.students.models import Student, StudentStatus

router = Router(tags=["students"])


class Ref(Schema):
    id: int
    name: str


class StudentOut(Schema):
    id: int
    first_name: str
    last_name: str
    grade: str
    school: Ref | None
    branch: Ref | None
    subjects: list[Ref]
    status: StudentStatus
    # Moderators and admins:
    tutors: list[Ref] | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    archived_at: datetime | None = None
    date_of_birth: date | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    guardian_name: str | None = None
    guardian_phone: str | None = None
    guardian_email: str | None = None
    notes: str | None = None
    consent_given: bool | None = None
    consent_date: date | None = None
    consent_given_by: str | None = None
    # Admins:
    default_rate: Decimal | None = None
    rate_currency: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _only_what_the_reader_may_see(cls, data: Any, info: ValidationInfo) -> Any:
        student = getattr(data, "_obj", data)
        if isinstance(student, Student):
            return selectors.student_as_dict(student, user=info.context["request"].auth)
        return data


class StudentFilters(Schema):
    search: str | None = Field(None, max_length=100, description="Part of a first or last name")
    school: int | None = None
    branch: int | None = None
    grade: str | None = Field(None, max_length=50)
    tutor: int | None = None
    subject: int | None = None
    status: StudentStatus | None = Field(None, description="Archived only when asked for")


class StudentIn(Schema):
    first_name: str = Field(min_length=1, max_length=100)
    last_name: str = Field(min_length=1, max_length=100)
    grade: str = Field("", max_length=50)
    school: int | None = None
    branch: int | None = None
    subjects: list[int] = []
    tutors: list[int] = []
    date_of_birth: date | None = None
    phone: str = Field("", max_length=40)
    email: str = Field("", max_length=254)
    address: str = Field("", max_length=500)
    guardian_name: str = Field("", max_length=200)
    guardian_phone: str = Field("", max_length=40)
    guardian_email: str = Field("", max_length=254)
    notes: str = Field("", max_length=5000)
    consent_given: bool = False
    consent_date: date | None = None
    consent_given_by: str = Field("", max_length=200)
    default_rate: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)


class StudentPatch(Schema):
    first_name: str | None = Field(None, min_length=1, max_length=100)
    last_name: str | None = Field(None, min_length=1, max_length=100)
    grade: str | None = Field(None, max_length=50)
    school: int | None = None
    branch: int | None = None
    subjects: list[int] | None = None
    tutors: list[int] | None = None
    status: StudentStatus | None = Field(None, description="active or paused")
    date_of_birth: date | None = None
    phone: str | None = Field(None, max_length=40)
    email: str | None = Field(None, max_length=254)
    address: str | None = Field(None, max_length=500)
    guardian_name: str | None = Field(None, max_length=200)
    guardian_phone: str | None = Field(None, max_length=40)
    guardian_email: str | None = Field(None, max_length=254)
    notes: str | None = Field(None, max_length=5000)
    consent_given: bool | None = None
    consent_date: date | None = None
    consent_given_by: str | None = Field(None, max_length=200)
    default_rate: Decimal | None = Field(None, ge=0, max_digits=10, decimal_places=2)


@router.get("", response=list[StudentOut], exclude_unset=True, summary="Students you may see")
@paginate(CursorPagination, ordering=("last_name", "first_name", "id"))
def students_list(request: HttpRequest, filters: Query[StudentFilters]):
    return selectors.student_list(user=request.auth, **filters.dict())


@router.post("", response={201: StudentOut}, exclude_unset=True, summary="Add a student")
def students_create(request: HttpRequest, payload: StudentIn) -> Status:
    data = payload.dict(exclude_unset=True)
    return Status(201, services.student_create(actor=request.auth, **data))


@router.get("/{int:student_id}", response=StudentOut, exclude_unset=True)
def students_detail(request: HttpRequest, student_id: int) -> Student:
    return selectors.get_student_for_user(user=request.auth, student_id=student_id)


@router.patch("/{int:student_id}", response=StudentOut, exclude_unset=True)
def students_update(request: HttpRequest, student_id: int, payload: StudentPatch) -> Student:
    student = selectors.get_student_for_user(user=request.auth, student_id=student_id)
    fields = payload.dict(exclude_unset=True)
    status = fields.pop("status", None)
    if fields:
        student = services.student_update(actor=request.auth, student=student, **fields)
    if status is not None:
        student = services.student_set_status(actor=request.auth, student=student, status=status)
    return selectors.get_student_for_user(user=request.auth, student_id=student.pk)


@router.delete("/{int:student_id}", response=StudentOut, exclude_unset=True, summary="Archive")
def students_archive(request: HttpRequest, student_id: int) -> Student:
    student = selectors.get_student_for_user(user=request.auth, student_id=student_id)
    return services.student_archive(actor=request.auth, student=student)


@router.post("/{int:student_id}/restore", response=StudentOut, exclude_unset=True)
def students_restore(request: HttpRequest, student_id: int) -> Student:
    student = selectors.get_student_for_user(user=request.auth, student_id=student_id)
    return services.student_restore(actor=request.auth, student=student)


class EraseIn(Schema):
    confirmation: str = Field(
        min_length=1, max_length=300, description="The student's full name, typed to confirm"
    )


@router.get(
    "/{int:student_id}/export",
    summary="Everything held about the student (ZIP of JSON and CSV)",
    openapi_extra={
        "responses": {200: {"description": "The ZIP", "content": {"application/zip": {}}}}
    },
)
def students_export(request: HttpRequest, student_id: int) -> HttpResponse:
    # The capability first: a tutor learns nothing about which students exist.
    require(request.auth, Cap.EXPORT_ALL)
    student = selectors.get_student_for_user(user=request.auth, student_id=student_id)
    export = privacy.student_export(actor=request.auth, student=student)
    response = HttpResponse(export.content, content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response


@router.post("/{int:student_id}/erase", response={204: None}, summary="Erase for good")
def students_erase(request: HttpRequest, student_id: int, payload: EraseIn) -> Status:
    require(request.auth, Cap.STUDENT_REMOVE)
    student = selectors.get_student_for_user(user=request.auth, student_id=student_id)
    privacy.student_erase(actor=request.auth, student=student, confirmation=payload.confirmation)
    return Status(204, None)
