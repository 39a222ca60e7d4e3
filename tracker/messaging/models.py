"""Threads of messages between staff and tutors, and system notifications.

Message bodies are encrypted at rest; search goes through a blind index of keyed word
hashes, so the database never holds a readable word of a message.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tracker.lib.fields import EncryptedTextField


class ThreadKind(models.TextChoices):
    DIRECT = "direct", _("Conversation")
    GROUP = "group", _("Branch group")
    BROADCAST = "broadcast", _("Announcement")


class Thread(models.Model):
    kind = models.CharField(max_length=10, choices=ThreadKind.choices)
    subject = models.CharField(_("subject"), max_length=200)
    # Who a group or broadcast went to, in words ("All tutors of Rosebank"); empty for direct.
    audience = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_message_at = models.DateTimeField(db_index=True)

    class Meta:
        ordering = ["-last_message_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ThreadKind.values), name="thread_kind_valid"
            )
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def replies_allowed(self) -> bool:
        # An announcement is one-way; questions about it start a conversation.
        return self.kind != ThreadKind.BROADCAST


class ThreadMember(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="thread_memberships"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["thread", "user"], name="thread_member_once")
        ]
        indexes = [models.Index(fields=["user", "thread"])]

    def __str__(self) -> str:
        return f"{self.user_id} in {self.thread_id}"


class Message(models.Model):
    thread = models.ForeignKey(Thread, on_delete=models.CASCADE, related_name="messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    body = EncryptedTextField(_("message"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["thread", "created_at"])]

    def __str__(self) -> str:
        return f"Message {self.pk} in {self.thread_id}"


class Receipt(models.Model):
    """One recipient's copy of a message: unread until `read_at`. The sender sees who has
    read it; a broadcast to 500 tutors is 500 rows written in one statement."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="receipts")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="receipts"
    )
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["message", "user"], name="receipt_once_per_user")
        ]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="receipt_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.message_id} → {self.user_id}"


class SearchToken(models.Model):
    """A keyed hash of one word of a message (a blind index): finds messages by whole
    words without storing the words."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="+")
    digest = models.CharField(max_length=32)

    class Meta:
        indexes = [models.Index(fields=["digest"])]

    def __str__(self) -> str:
        return self.digest


class NotificationKind(models.TextChoices):
    SESSION_CREATED = "session_created", _("A session was booked for you")
    SESSION_MOVED = "session_moved", _("One of your sessions was moved or changed")
    SESSION_CANCELLED = "session_cancelled", _("One of your sessions was cancelled")
    LOG_SENT_BACK = "log_sent_back", _("A log was sent back for correction")
    MESSAGE_RECEIVED = "message_received", _("You received a message")
    INVOICE_ISSUED = "invoice_issued", _("An invoice was issued")


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    title = models.CharField(max_length=200)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["user", "-created_at"]),
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notification_unread_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class NotificationPreference(models.Model):
    """Per person and kind: in-app only (no row, or email=False) or in-app and e-mail."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    kind = models.CharField(max_length=30, choices=NotificationKind.choices)
    email = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="notification_pref_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} email={self.email}"


class InboxVersion(models.Model):
    """A per-person change counter: open pages poll it (ETag, 304) and refresh the bell
    and the thread on screen when it moves."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.version}"


class ReminderSent(models.Model):
    """The daily reminder e-mail a tutor got for a day: `send_reminders` sends each once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="reminder_once_per_day")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.day}"
