"""Students, and when students and tutors are available."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator, validate_email
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from tracker.lib.fields import EncryptedDateField, EncryptedTextField

# Fields every role that may see a student sees (DESIGN.md §1: "basic fields").
BASIC_FIELDS = ("first_name", "last_name", "grade", "school", "branch", "subjects", "status")
# Personal data: moderators and admins only, encrypted at rest.
CONTACT_FIELDS = (
    "date_of_birth",
    "phone",
    "email",
    "address",
    "guardian_name",
    "guardian_phone",
    "guardian_email",
    "notes",
    "consent_given",
    "consent_date",
    "consent_given_by",
)
MONEY_FIELDS = ("default_rate", "rate_currency")


class StudentStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    PAUSED = "paused", _("Paused")
    ARCHIVED = "archived", _("Archived")


class Student(models.Model):
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    grade = models.CharField(_("class / grade"), max_length=50, blank=True)
    school = models.ForeignKey(
        "org.School", verbose_name=_("school"), on_delete=models.PROTECT, null=True, blank=True
    )
    branch = models.ForeignKey(
        "org.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True
    )
    subjects = models.ManyToManyField("org.Subject", verbose_name=_("subjects"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=StudentStatus.choices, default=StudentStatus.ACTIVE
    )
    tutors = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned tutors"),
        related_name="assigned_students",
        blank=True,
    )
    default_rate = models.DecimalField(
        _("default hourly rate"),
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    rate_currency = models.CharField(_("currency"), max_length=3, default="ZAR")

    date_of_birth = EncryptedDateField(_("date of birth"))
    phone = EncryptedTextField(_("phone"))
    email = EncryptedTextField(_("e-mail"), validators=[validate_email])
    address = EncryptedTextField(_("address"))
    guardian_name = EncryptedTextField(_("guardian's name"))
    guardian_phone = EncryptedTextField(_("guardian's phone"))
    guardian_email = EncryptedTextField(_("guardian's e-mail"), validators=[validate_email])
    notes = EncryptedTextField(_("notes"))

    consent_given = models.BooleanField(_("guardian consent given"), default=False)
    consent_date = models.DateField(_("consent date"), null=True, blank=True)
    consent_given_by = EncryptedTextField(_("consent given by"))
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("student")
        verbose_name_plural = _("students")
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["status", "last_name", "first_name"]),
            models.Index(fields=["branch", "status"]),
            models.Index(fields=["school", "status"]),
            models.Index(fields=["first_name"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=StudentStatus.values), name="students_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(default_rate__isnull=True) | Q(default_rate__gte=0),
                name="students_rate_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


def _one_owner() -> Q:
    return Q(student__isnull=False, tutor__isnull=True) | Q(
        student__isnull=True, tutor__isnull=False
    )


class AvailabilityWindow(models.Model):
    """A weekly window when a student or a tutor can have sessions (wall-clock time in the
    business's time zone, so it follows daylight-saving changes)."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, null=True, blank=True, related_name="availability"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="availability",
    )
    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"))
    end = models.TimeField(_("until"))
    valid_from = models.DateField(_("valid from"), null=True, blank=True)
    valid_to = models.DateField(_("valid until"), null=True, blank=True)

    class Meta:
        ordering = ["weekday", "start"]
        indexes = [
            models.Index(fields=["student", "weekday"]),
            models.Index(fields=["tutor", "weekday"]),
        ]
        constraints = [
            models.CheckConstraint(condition=_one_owner(), name="availability_one_owner"),
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="availability_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_from__lte=F("valid_to")),
                name="availability_valid_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}-{self.end:%H:%M}"


class TimeOff(models.Model):
    """A one-off stretch when a student or a tutor is not available."""

    student = models.ForeignKey(
        Student, on_delete=models.CASCADE, null=True, blank=True, related_name="time_off"
    )
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="time_off",
    )
    starts_at = models.DateTimeField(_("from"))
    ends_at = models.DateTimeField(_("until"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["student", "starts_at"]),
            models.Index(fields=["tutor", "starts_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=_one_owner(), name="time_off_one_owner"),
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="time_off_start_before_end"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} – {self.ends_at:%Y-%m-%d %H:%M}"
