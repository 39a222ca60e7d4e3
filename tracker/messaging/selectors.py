"""What a person may read: only threads they are part of, only their own notifications."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.messaging import realtime
from tracker.messaging.models import (
    Message,
    Notification,
    NotificationPreference,
    Receipt,
    Thread,
)
from tracker.messaging.services import get_thread_for_user, search_filter


def thread_list(*, user: User, query: str = "") -> QuerySet[Thread]:
    """The person's threads, newest activity first, each with its unread count; a query
    keeps the threads with a message holding all its words (or a matching subject)."""
    require(user, Cap.MESSAGE_REPLY)
    threads = Thread.objects.filter(members__user=user).annotate(
        unread=Count(
            "messages__receipts",
            filter=Q(messages__receipts__user=user, messages__receipts__read_at__isnull=True),
        )
    )
    if query.strip():
        matching = search_filter(query)
        condition = Q(subject__icontains=query.strip())
        if matching is not None:
            condition |= Exists(Message.objects.filter(matching, thread=OuterRef("pk")))
        threads = threads.filter(condition)
    return threads.select_related("created_by").order_by("-last_message_at", "-id")


def thread_messages(*, user: User, thread_id: int) -> tuple[Thread, list[Message]]:
    """A thread's messages with, on the person's own messages, who has read them."""
    thread = get_thread_for_user(user=user, thread_id=thread_id)
    receipts = Receipt.objects.select_related("user").order_by("user__first_name", "user_id")
    messages = list(
        thread.messages.select_related("sender")
        .prefetch_related(Prefetch("receipts", queryset=receipts))
        .order_by("created_at", "id")
    )
    return thread, messages


def thread_members(thread: Thread) -> list[User]:
    return [m.user for m in thread.members.select_related("user").order_by("user__first_name")]


@dataclass
class Unread:
    version: int
    messages: int
    notifications: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": self.version,
            "messages": self.messages,
            "notifications": self.notifications,
        }


def unread(*, user: User) -> Unread:
    return Unread(
        version=realtime.version(user.pk),
        messages=Receipt.objects.filter(user=user, read_at__isnull=True).count(),
        notifications=Notification.objects.filter(user=user, read_at__isnull=True).count(),
    )


def unread_notifications(*, user: User) -> int:
    """The bell's number: one indexed count (a partial index on unread rows)."""
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


def notification_list(*, user: User, unread_only: bool = False) -> QuerySet[Notification]:
    require(user, Cap.PROFILE_VIEW_OWN)
    notes = Notification.objects.filter(user=user)
    if unread_only:
        notes = notes.filter(read_at__isnull=True)
    return notes.order_by("-created_at", "-id")


def email_kinds(*, user: User) -> list[str]:
    require(user, Cap.PROFILE_VIEW_OWN)
    return sorted(
        NotificationPreference.objects.filter(user=user, email=True).values_list("kind", flat=True)
    )
