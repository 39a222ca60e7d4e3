from __future__ import annotations

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    MODERATOR = "moderator", _("Moderator")
    TUTOR = "tutor", _("Tutor")


def validate_time_zone(value: str) -> None:
    if value and value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class User(AbstractUser):
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.TUTOR)
    teaching_class = models.CharField(
        _("class"), max_length=120, blank=True, help_text=_("What this person teaches.")
    )
    school = models.ForeignKey(
        "org.School", verbose_name=_("school"), on_delete=models.PROTECT, null=True, blank=True
    )
    branch = models.ForeignKey(
        "org.Branch", verbose_name=_("branch"), on_delete=models.PROTECT, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        blank=True,
        validators=[validate_time_zone],
        help_text=_("Leave empty to use the business's time zone."),
    )

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["last_name", "first_name", "username"]
        indexes = [models.Index(fields=["role", "is_active"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="accounts_user_role_valid"
            ),
            # Sign-in accepts a username or an e-mail address, so neither may be ambiguous.
            models.UniqueConstraint(Lower("username"), name="accounts_user_username_ci"),
            models.UniqueConstraint(
                Lower("email"), condition=~models.Q(email=""), name="accounts_user_email_ci"
            ),
        ]


class TokenFamily(models.Model):
    """One API sign-in. Every access/refresh pair rotated from it belongs to it, so that a
    replayed refresh token can revoke the whole line at once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="token_families")
    created_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_reason = models.CharField(max_length=32, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"API sign-in {self.pk} of {self.user_id}"


class ApiToken(models.Model):
    class Kind(models.TextChoices):
        ACCESS = "access", _("access")
        REFRESH = "refresh", _("refresh")

    family = models.ForeignKey(TokenFamily, on_delete=models.CASCADE, related_name="tokens")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # Only a SHA-256 digest is stored: a leaked table does not leak usable tokens.
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["family", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} token {self.pk}"


class SignInSession(models.Model):
    """One browser sign-in, so that people can see where they are signed in and end it.

    `session_key` is the Django session's key (as the session table itself stores it):
    revoking deletes that session from the store, which signs the browser out on its next
    request whatever the session engine.
    """

    class Ended(models.TextChoices):
        SIGNED_OUT = "signed_out", _("signed out")
        REVOKED = "revoked", _("revoked")
        IDLE = "idle", _("idle timeout")
        EXPIRED = "expired", _("lifetime over")
        PASSWORD = "password", _("password changed")
        REPLACED = "replaced", _("signed in again")
        SECOND_FACTOR = "second_factor", _("second factor required")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="signin_sessions")
    session_key = models.CharField(max_length=40, db_index=True)
    user_agent = models.CharField(max_length=255, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    via = models.CharField(max_length=16, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    ended_reason = models.CharField(max_length=16, choices=Ended.choices, blank=True)

    class Meta:
        indexes = [models.Index(fields=["user", "ended_at"])]

    def __str__(self) -> str:
        return f"browser sign-in {self.pk} of {self.user_id}"
