"""What happened at a session: the log, each student's attendance, and verification."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Presence(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    ABSENT = "absent", _("Absent")


class Outcome(models.TextChoices):
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class CancelledBy(models.TextChoices):
    STUDENT = "student", _("The student")
    TUTOR = "tutor", _("The tutor")
    OTHER = "other", _("Other")


class Review(models.TextChoices):
    PENDING = "pending", _("Waiting for verification")
    VERIFIED = "verified", _("Verified")
    SENT_BACK = "sent_back", _("Sent back")


class SessionLog(models.Model):
    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="log"
    )
    # The session's tutor, copied so that a tutor's logs sent back to them are counted from
    # one index instead of a join over every sent-back log (each dashboard does it). Only
    # scheduled sessions change tutor, and a logged one is never scheduled again, so the
    # copy never goes stale.
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        db_index=False,  # the (tutor, review) index serves
    )
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField(_("what was covered"), blank=True)
    cancelled_by = models.CharField(max_length=10, choices=CancelledBy.choices, blank=True)
    late_cancellation = models.BooleanField(default=False)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    logged_at = models.DateTimeField()
    review = models.CharField(max_length=10, choices=Review.choices, default=Review.PENDING)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.CharField(max_length=500, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["review", "logged_at"]),
            models.Index(fields=["tutor", "review"], name="sessionlog_tutor_review"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(outcome__in=Outcome.values), name="log_outcome_valid"
            ),
            models.CheckConstraint(condition=Q(review__in=Review.values), name="log_review_valid"),
        ]

    def __str__(self) -> str:
        return f"Log of session {self.session_id}: {self.outcome}"


class Attendance(models.Model):
    session = models.ForeignKey(
        "scheduling.Session", on_delete=models.CASCADE, related_name="attendance"
    )
    student = models.ForeignKey(
        "students.Student", on_delete=models.CASCADE, related_name="attendance"
    )
    presence = models.CharField(max_length=10, choices=Presence.choices)
    # The session's start, copied so that a month's attendance is read from one index
    # instead of a join over every row. Only logged (completed) sessions have attendance,
    # and only scheduled ones can move, so the copy never goes stale.
    session_start = models.DateTimeField(editable=False)
    logged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    logged_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["student", "presence"]),
            models.Index(fields=["session_start", "presence"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["session", "student"], name="attendance_once_per_student"
            ),
            models.CheckConstraint(
                condition=Q(presence__in=Presence.values), name="attendance_presence_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.student_id} {self.presence} at {self.session_id}"


class LogReceipt(models.Model):
    """A log request already applied, by its client-generated key: a replay (an offline
    device syncing twice, a retried request) gets the stored answer instead of a second
    log."""

    key = models.CharField(max_length=100, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    session = models.ForeignKey("scheduling.Session", on_delete=models.CASCADE, related_name="+")
    status = models.PositiveSmallIntegerField(default=0)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.key
