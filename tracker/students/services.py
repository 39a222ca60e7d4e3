"""Writing students: add, edit, archive, restore, erase. Moderators edit; admins remove."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can, require
from tracker.audit.services import diff, record
from tracker.core import cache as versions
from tracker.core.errors import Conflict
from tracker.org.models import Branch, School, Subject
from tracker.students.models import (
    BASIC_FIELDS,
    CONTACT_FIELDS,
    MONEY_FIELDS,
    Student,
    StudentStatus,
)

EDITABLE = (
    *(f for f in BASIC_FIELDS + CONTACT_FIELDS + MONEY_FIELDS if f != "status"),
    "tutors",
)


def _check_may_write(actor: User, fields: dict[str, Any]) -> None:
    require(actor, Cap.STUDENT_EDIT)
    if set(fields) & set(MONEY_FIELDS) and not can(actor, Cap.STUDENT_VIEW_MONEY):
        raise PermissionDenied(_("Only administrators set rates."))
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})


def _active(model: type, value: Any, field: str) -> Any:
    if value is None:
        return None
    found = model.objects.filter(pk=getattr(value, "pk", value), is_active=True).first()
    if found is None:
        raise ValidationError({field: [_("Choose one of the active options.")]})
    return found


def _many(queryset: Any, ids: list[Any], field: str, message: str) -> list[Any]:
    wanted = {getattr(i, "pk", i) for i in ids}
    found = list(queryset.filter(pk__in=wanted))
    if len(found) != len(wanted):
        raise ValidationError({field: [message]})
    return found


def _apply(student: Student, fields: dict[str, Any]) -> tuple[list[Subject] | None, list | None]:
    subjects = tutors = None
    for name, value in fields.items():
        if name == "subjects":
            subjects = _many(
                Subject.objects.filter(is_active=True), value or [], name,
                _("Choose active subjects."),
            )  # fmt: skip
        elif name == "tutors":
            tutors = _many(
                User.objects.filter(role=Role.TUTOR, is_active=True), value or [], name,
                _("Choose active tutors."),
            )  # fmt: skip
        elif name == "school":
            student.school = _active(School, value, name)
        elif name == "branch":
            student.branch = _active(Branch, value, name)
        else:
            setattr(student, name, value.strip() if isinstance(value, str) else value)
    return subjects, tutors


def _validate(student: Student) -> None:
    try:
        student.full_clean(exclude=["subjects", "tutors"], validate_constraints=True)
    except ValidationError as exc:
        raise ValidationError(exc.message_dict) from None


def _snapshot(student: Student) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in EDITABLE:
        if name in {"subjects", "tutors"}:
            if student.pk is None:
                values[name] = []
            else:
                values[name] = sorted(getattr(student, name).values_list("pk", flat=True))
        elif name in {"school", "branch"}:
            values[name] = getattr(student, f"{name}_id")
        else:
            values[name] = getattr(student, name)
    values["status"] = student.status
    return values


def _record_consent(student: Student, actor: User, fields: dict[str, Any]) -> None:
    if "consent_given" not in fields:
        return
    if student.consent_given:
        student.consent_date = student.consent_date or timezone.localdate()
        student.consent_recorded_by = actor
    else:
        student.consent_date = None
        student.consent_given_by = ""
        student.consent_recorded_by = None


@transaction.atomic
def student_create(*, actor: User, **fields: Any) -> Student:
    _check_may_write(actor, fields)
    student = Student(rate_currency=settings.CURRENCY)
    subjects, tutors = _apply(student, fields)
    _record_consent(student, actor, fields)
    _validate(student)
    student.save()
    if subjects:
        student.subjects.set(subjects)
    if tutors:
        student.tutors.set(tutors)
    versions.bump_all()
    record(
        "students.student.created",
        actor=actor,
        target=student,
        changes={k: v for k, v in _snapshot(student).items() if v not in (None, "", [])},
    )
    return student


@transaction.atomic
def student_update(*, actor: User, student: Student, **fields: Any) -> Student:
    _check_may_write(actor, fields)
    if student.status == StudentStatus.ARCHIVED:
        raise Conflict(_("Restore the student before editing."))
    before = _snapshot(student)
    subjects, tutors = _apply(student, fields)
    _record_consent(student, actor, fields)
    _validate(student)
    student.save()
    if subjects is not None:
        student.subjects.set(subjects)
    if tutors is not None:
        student.tutors.set(tutors)
    # Names show in calendars, status and branch in dashboards.
    versions.bump_all()
    changes = diff(before, _snapshot(student))
    if changes:
        record("students.student.updated", actor=actor, target=student, changes=changes)
    return student


@transaction.atomic
def student_set_status(*, actor: User, student: Student, status: str) -> Student:
    """Pause or resume; archiving and restoring are the admins' (student_archive/restore)."""
    if status == StudentStatus.ARCHIVED:
        return student_archive(actor=actor, student=student)
    require(actor, Cap.STUDENT_EDIT)
    if student.status == StudentStatus.ARCHIVED:
        raise Conflict(_("Restore the student first."))
    if student.status != status:
        paused = status == StudentStatus.PAUSED
        record(
            "students.student.paused" if paused else "students.student.resumed",
            actor=actor,
            target=student,
            changes={"status": [student.status, status]},
        )
        student.status = status
        student.save(update_fields=["status", "updated_at"])
        versions.bump_all()
    return student


@transaction.atomic
def student_archive(*, actor: User, student: Student) -> Student:
    require(actor, Cap.STUDENT_REMOVE)
    if student.status != StudentStatus.ARCHIVED:
        record(
            "students.student.archived",
            actor=actor,
            target=student,
            changes={"status": [student.status, StudentStatus.ARCHIVED]},
        )
        student.status = StudentStatus.ARCHIVED
        student.archived_at = timezone.now()
        student.save(update_fields=["status", "archived_at", "updated_at"])
        versions.bump_all()
    return student


@transaction.atomic
def student_restore(*, actor: User, student: Student) -> Student:
    require(actor, Cap.STUDENT_REMOVE)
    from tracker.students.privacy import is_erased  # privacy builds on these services

    if is_erased(student):
        raise Conflict(_("An erased student cannot be restored."))
    if student.status == StudentStatus.ARCHIVED:
        student.status = StudentStatus.ACTIVE
        student.archived_at = None
        student.save(update_fields=["status", "archived_at", "updated_at"])
        versions.bump_all()
        record(
            "students.student.restored",
            actor=actor,
            target=student,
            changes={"status": [StudentStatus.ARCHIVED, StudentStatus.ACTIVE]},
        )
    return student
