"""Sessions (stored occurrences), recurring series, and closures."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class SessionStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


class Closure(models.Model):
    """Days without sessions: public holidays (no branch) or one branch's closure."""

    branch = models.ForeignKey(
        "org.Branch", on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("branch")
    )
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    reason = models.CharField(_("reason"), max_length=200)

    class Meta:
        ordering = ["start_date"]
        indexes = [models.Index(fields=["start_date", "end_date"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(start_date__lte=F("end_date")), name="closure_range_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.reason} ({self.start_date}–{self.end_date})"


class Series(models.Model):
    """A recurring session. The rule is kept in wall-clock time in `time_zone`, so a weekly
    16:00 session stays at 16:00 when the clocks change; occurrences are stored Session rows
    generated up to `generated_until` and extended as the horizon moves."""

    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="series"
    )
    students = models.ManyToManyField("students.Student", related_name="series")
    subject = models.ForeignKey("org.Subject", on_delete=models.PROTECT, null=True, blank=True)
    branch = models.ForeignKey("org.Branch", on_delete=models.SET_NULL, null=True, blank=True)
    rrule = models.CharField(_("repeat rule"), max_length=300)
    first_start = models.DateTimeField(help_text=_("Local wall-clock start of the first one."))
    duration_minutes = models.PositiveIntegerField()
    time_zone = models.CharField(max_length=64)
    location = models.CharField(_("location"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    notes = models.TextField(_("notes"), blank=True)
    skip_dates = models.JSONField(default=list, blank=True)
    generated_until = models.DateField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = _("series")
        indexes = [models.Index(fields=["ended_at", "generated_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(duration_minutes__gt=0), name="series_duration_positive"
            )
        ]

    def __str__(self) -> str:
        return f"Series {self.pk} ({self.rrule})"


class Session(models.Model):
    tutor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="sessions"
    )
    students = models.ManyToManyField(
        "students.Student", through="SessionStudent", related_name="sessions"
    )
    subject = models.ForeignKey("org.Subject", on_delete=models.PROTECT, null=True, blank=True)
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    location = models.CharField(_("location"), max_length=200, blank=True)
    online_link = models.URLField(_("online link"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=SessionStatus.choices, default=SessionStatus.SCHEDULED
    )
    cancellation_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    billable = models.BooleanField(_("billable"), default=True)
    price = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    currency = models.CharField(max_length=3, default="ZAR")
    notes = models.TextField(_("notes"), blank=True)
    series = models.ForeignKey(
        Series, on_delete=models.SET_NULL, null=True, blank=True, related_name="sessions"
    )
    # Where the series put it; a moved or edited occurrence is an exception the series
    # leaves alone when it regenerates.
    original_start = models.DateTimeField(null=True, blank=True)
    is_exception = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            # The calendar feed: one tutor's week (see MACHINE-FACTS: 16x faster than start).
            models.Index(fields=["tutor", "start"]),
            models.Index(fields=["start"]),
            models.Index(fields=["series", "start"]),
            # A tutor's sessions still to log: over before now and still scheduled.
            models.Index(
                fields=["tutor", "end"],
                condition=Q(status=SessionStatus.SCHEDULED),
                name="session_scheduled_tutor_end",
            ),
            # The operations dashboard's cancellations this month and last.
            models.Index(
                fields=["start"],
                condition=Q(status=SessionStatus.CANCELLED),
                name="session_cancelled_start",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__lt=F("end")), name="session_start_before_end"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SessionStatus.values), name="session_status_valid"
            ),
            models.UniqueConstraint(
                fields=["series", "original_start"],
                condition=Q(series__isnull=False),
                name="session_one_occurrence_per_series_start",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.pk} {self.start:%Y-%m-%d %H:%M}"


class SessionStudent(models.Model):
    """A student in a session. Times and state are copied here (kept in step by the
    services) so that PostgreSQL can refuse a student's overlapping sessions itself."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="seats")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="seats")
    start = models.DateTimeField()
    end = models.DateTimeField()
    active = models.BooleanField(default=True)

    class Meta:
        indexes = [
            models.Index(fields=["student", "start"]),
            # Who had a session lately (the dashboard's idle students): a range of days.
            models.Index(
                fields=["start", "student"], condition=Q(active=True), name="seat_active_start"
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["session", "student"], name="seat_once_per_session")
        ]

    def __str__(self) -> str:
        return f"Student {self.student_id} in session {self.session_id}"


class FeedVersion(models.Model):
    """One row whose number goes up with every change to any session: calendars poll it
    (cheaply, with ETags) to know when to refetch."""

    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.version)


def new_feed_secret() -> str:
    return secrets.token_urlsafe(32)


class CalendarFeed(models.Model):
    """A person's private ICS subscription URL; revoking deletes the row."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="calendar_feed"
    )
    secret = models.CharField(max_length=64, unique=True, default=new_feed_secret)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"ICS feed of {self.user_id}"
