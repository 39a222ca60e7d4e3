"""Student writes: who may, what is validated, what is audited."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.factories import BranchFactory, SubjectFactory, UserFactory
from tracker.accounts.models import Role
from tracker.audit.models import AuditLog
from tracker.core.errors import Conflict
from tracker.students import privacy, services
from tracker.students.models import Student, StudentStatus

pytestmark = pytest.mark.django_db


def test_moderator_adds_a_student_with_subjects_tutors_and_consent(moderator, tutor):
    maths = SubjectFactory(name="Maths")
    student = services.student_create(
        actor=moderator,
        first_name=" Lindiwe ",
        last_name="Nkosi",
        subjects=[maths.pk],
        tutors=[tutor],
        phone="082 555 0000",
        consent_given=True,
        consent_given_by="Mother",
    )
    assert student.first_name == "Lindiwe"
    assert list(student.subjects.all()) == [maths]
    assert list(student.tutors.all()) == [tutor]
    assert student.consent_date is not None
    assert student.consent_recorded_by == moderator
    entry = AuditLog.objects.get(action="students.student.created")
    assert entry.changes["phone"] == "[redacted]"
    assert entry.changes["consent_given_by"] == "[redacted]"
    assert entry.target_id == str(student.pk)


def test_a_tutor_may_not_add_students(tutor):
    with pytest.raises(PermissionDenied):
        services.student_create(actor=tutor, first_name="A", last_name="B")


def test_only_admins_set_rates(moderator, admin):
    with pytest.raises(PermissionDenied):
        services.student_create(actor=moderator, first_name="A", last_name="B", default_rate=100)
    student = services.student_create(
        actor=admin, first_name="A", last_name="B", default_rate=Decimal("100.50")
    )
    assert student.default_rate == Decimal("100.50")
    assert student.rate_currency == "ZAR"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"first_name": ""}, "first_name"),
        ({"email": "not-an-email"}, "email"),
        ({"default_rate": Decimal("-1")}, "default_rate"),
        ({"tutors": [999999]}, "tutors"),
        ({"subjects": [999999]}, "subjects"),
        ({"branch": 999999}, "branch"),
    ],
)
def test_invalid_input_names_the_field_and_writes_nothing(admin, fields, field):
    with pytest.raises(ValidationError) as excinfo:
        services.student_create(actor=admin, **{"first_name": "A", "last_name": "B", **fields})
    assert field in excinfo.value.message_dict
    assert not Student.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="students.").exists()


def test_a_moderator_cannot_assign_a_non_tutor(moderator):
    other = UserFactory(username="mod2", role=Role.MODERATOR)
    with pytest.raises(ValidationError) as excinfo:
        services.student_create(actor=moderator, first_name="A", last_name="B", tutors=[other])
    assert "tutors" in excinfo.value.message_dict


def test_update_audits_only_what_changed(moderator, assigned):
    services.student_update(actor=moderator, student=assigned, grade="Grade 11", phone="1")
    entry = AuditLog.objects.get(action="students.student.updated")
    assert entry.changes["grade"] == ["Grade 10", "Grade 11"]
    assert entry.changes["phone"] == "[redacted]"
    assert set(entry.changes) == {"grade", "phone"}


def test_withdrawing_consent_clears_its_details(moderator, assigned):
    services.student_update(actor=moderator, student=assigned, consent_given=True)
    services.student_update(actor=moderator, student=assigned, consent_given=False)
    assigned.refresh_from_db()
    assert (assigned.consent_date, assigned.consent_given_by, assigned.consent_recorded_by) == (
        None,
        "",
        None,
    )


def test_only_admins_archive_restore_and_erase(moderator, admin, assigned):
    with pytest.raises(PermissionDenied):
        services.student_archive(actor=moderator, student=assigned)
    with pytest.raises(Conflict):
        privacy.student_erase(actor=admin, student=assigned, confirmation="Amahle Assigned")
    services.student_archive(actor=admin, student=assigned)
    assert assigned.status == StudentStatus.ARCHIVED
    with pytest.raises(Conflict):
        services.student_update(actor=admin, student=assigned, grade="X")
    services.student_restore(actor=admin, student=assigned)
    assert assigned.status == StudentStatus.ACTIVE
    services.student_archive(actor=admin, student=assigned)
    pk = assigned.pk
    privacy.student_erase(actor=admin, student=assigned, confirmation="Amahle Assigned")
    assert not Student.objects.filter(pk=pk).exists()
    actions = list(AuditLog.objects.values_list("action", flat=True))
    for action in ("archived", "restored", "erased"):
        assert f"students.student.{action}" in actions
    erased = AuditLog.objects.get(action="students.student.erased")
    assert erased.changes["deleted"] is True


def test_pause_and_resume(moderator, assigned):
    services.student_set_status(actor=moderator, student=assigned, status=StudentStatus.PAUSED)
    assert assigned.status == StudentStatus.PAUSED
    services.student_set_status(actor=moderator, student=assigned, status=StudentStatus.ACTIVE)
    assert list(
        AuditLog.objects.filter(action__startswith="students.student.")
        .order_by("id")
        .values_list("action", flat=True)
    )[-2:] == ["students.student.paused", "students.student.resumed"]


def test_inactive_branch_is_refused(moderator):
    closed = BranchFactory(name="Closed", is_active=False)
    with pytest.raises(ValidationError):
        services.student_create(actor=moderator, first_name="A", last_name="B", branch=closed)
