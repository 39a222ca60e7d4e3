"""Reading students: every query is scoped to what the acting user may see."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can
from tracker.students.models import (
    BASIC_FIELDS,
    CONTACT_FIELDS,
    MONEY_FIELDS,
    Student,
    StudentStatus,
)

SORTS = {
    "name": ("last_name", "first_name", "id"),
    "-name": ("-last_name", "-first_name", "-id"),
    "grade": ("grade", "last_name", "first_name", "id"),
    "-grade": ("-grade", "last_name", "first_name", "id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
}
MIN_SEARCH_LENGTH = 3


def student_fields_for(user: User) -> tuple[str, ...]:
    """The student fields this user may see; anything else is never rendered or sent."""
    fields: tuple[str, ...] = ("id", *BASIC_FIELDS)
    if can(user, Cap.STUDENT_VIEW_ALL):
        fields += ("tutors", "archived_at", "created_at", "updated_at")
    if can(user, Cap.STUDENT_VIEW_CONTACT):
        fields += CONTACT_FIELDS
    if can(user, Cap.STUDENT_VIEW_MONEY):
        fields += MONEY_FIELDS
    return fields


def _scope(user: User) -> QuerySet[Student]:
    if can(user, Cap.STUDENT_VIEW_ALL):
        students = Student.objects.all()
    elif can(user, Cap.STUDENT_VIEW_ASSIGNED):
        # A tutor's list never includes archived students, nor loads what they may not see.
        students = (
            Student.objects.filter(tutors=user)
            .exclude(status=StudentStatus.ARCHIVED)
            .defer(*CONTACT_FIELDS, *MONEY_FIELDS)
        )
    else:
        raise PermissionDenied
    students = students.select_related("school", "branch").prefetch_related("subjects")
    if can(user, Cap.STUDENT_VIEW_ALL):
        students = students.prefetch_related(
            Prefetch("tutors", queryset=User.objects.order_by("last_name", "first_name"))
        )
    return students


def student_list(
    *,
    user: User,
    search: str | None = None,
    school: int | None = None,
    branch: int | None = None,
    grade: str | None = None,
    tutor: int | None = None,
    subject: int | None = None,
    status: str | None = None,
    sort: str = "name",
) -> QuerySet[Student]:
    """Students the user may see, filtered. Archived ones only when asked for by status."""
    students = _scope(user)
    if status:
        students = students.filter(status=status)
    else:
        students = students.exclude(status=StudentStatus.ARCHIVED)
    if search:
        for word in search.split()[:4]:
            students = students.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word))
    filters: dict[str, Any] = {
        "school_id": school,
        "branch_id": branch,
        "grade__iexact": grade,
        "subjects": subject,
    }
    students = students.filter(**{key: value for key, value in filters.items() if value})
    if tutor:
        students = students.filter(tutors=tutor)
    if subject or (tutor and can(user, Cap.STUDENT_VIEW_ALL)):
        students = students.distinct()
    return students.order_by(*SORTS.get(sort, SORTS["name"]))


def get_student_for_user(*, user: User, student_id: int) -> Student:
    """404, not 403, for a student outside the user's scope: do not reveal they exist."""
    try:
        return _scope(user).get(pk=student_id)
    except Student.DoesNotExist:
        raise Http404 from None


def student_as_dict(student: Student, *, user: User) -> dict[str, Any]:
    """The student as this user may see it, for the API and exports."""
    visible = student_fields_for(user)
    data: dict[str, Any] = {}
    for field in visible:
        if field in {"school", "branch"}:
            related = getattr(student, field)
            data[field] = {"id": related.pk, "name": related.name} if related else None
        elif field == "subjects":
            data[field] = [{"id": s.pk, "name": s.name} for s in student.subjects.all()]
        elif field == "tutors":
            data[field] = [
                {"id": t.pk, "name": t.get_full_name() or t.username} for t in student.tutors.all()
            ]
        else:
            data[field] = getattr(student, field)
    return data
