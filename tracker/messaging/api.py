"""/api/v1/threads, /api/v1/broadcasts and /api/v1/notifications.

No `from __future__ import annotations`: ninja reads these annotations at import time.
"""

from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404
from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import CursorPagination, paginate

from tracker.accounts.models import User
from tracker.messaging import realtime, selectors, services
from tracker.messaging.models import Message, NotificationKind, Thread
from tracker.org.models import Branch

threads_router = Router(tags=["messaging"])
broadcasts_router = Router(tags=["messaging"])
notifications_router = Router(tags=["notifications"])


class PersonOut(Schema):
    id: int
    name: str


def person(user: User | None) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": user.get_full_name() or user.username}


class ThreadOut(Schema):
    id: int
    kind: str
    subject: str
    audience: str
    last_message_at: datetime
    unread: int = 0
    replies_allowed: bool


class ThreadDetailOut(ThreadOut):
    members: list[PersonOut]


class ReadByOut(Schema):
    user: PersonOut
    read_at: datetime | None


class MessageOut(Schema):
    id: int
    sender: PersonOut | None
    body: str
    created_at: datetime
    read_by: list[ReadByOut] | None = Field(
        None, description="Only on your own messages: each recipient and when they read it"
    )

    @staticmethod
    def resolve_sender(obj: Message) -> dict[str, Any] | None:
        return person(obj.sender)

    @staticmethod
    def resolve_read_by(obj: Message, context: dict[str, Any]) -> list[dict[str, Any]] | None:
        if obj.sender_id != context["request"].auth.pk:
            return None
        return [{"user": person(r.user), "read_at": r.read_at} for r in obj.receipts.all()]


class ThreadIn(Schema):
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=services.MAX_BODY)
    recipients: list[int] | None = Field(None, description="People to write to", max_length=50)
    branch: int | None = Field(None, description="Or: every tutor of this branch")


class MessageIn(Schema):
    body: str = Field(min_length=1, max_length=services.MAX_BODY)


class BroadcastIn(Schema):
    audience: Literal["role", "branch", "everyone"]
    role: Literal["tutor", "moderator", "admin"] | None = None
    branch: int | None = None
    subject: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=services.MAX_BODY)


class ThreadFilters(Schema):
    q: str = Field("", max_length=200, description="Whole words of a message, or the subject")


class ReadOut(Schema):
    read: int


class NotificationOut(Schema):
    id: int
    kind: NotificationKind
    title: str
    url: str
    created_at: datetime
    read_at: datetime | None


class NotificationFilters(Schema):
    unread: bool = False


class MarkReadIn(Schema):
    ids: list[int] | None = Field(None, description="Leave out to mark every one read")


class UnreadOut(Schema):
    version: int
    messages: int
    notifications: int


class PreferencesOut(Schema):
    email: list[NotificationKind] = Field(description="Kinds also sent by e-mail")


def thread_out(thread: Thread, *, members: bool = False) -> dict[str, Any]:
    data = {
        "id": thread.pk,
        "kind": thread.kind,
        "subject": thread.subject,
        "audience": thread.audience,
        "last_message_at": thread.last_message_at,
        "unread": getattr(thread, "unread", 0),
        "replies_allowed": thread.replies_allowed,
    }
    if members:
        data["members"] = [person(u) for u in selectors.thread_members(thread)]
    return data


@threads_router.get("", response=list[ThreadOut], summary="Your threads, newest first")
@paginate(CursorPagination, ordering=("-last_message_at", "-id"))
def threads_list(request: HttpRequest, filters: Query[ThreadFilters]):
    return selectors.thread_list(user=request.auth, query=filters.q)


@threads_router.post("", response={201: ThreadDetailOut}, summary="Start a conversation")
def threads_start(request: HttpRequest, payload: ThreadIn) -> Status:
    if payload.branch is not None:
        branch = get_object_or_404(Branch, pk=payload.branch)
        thread = services.group_send(
            actor=request.auth, branch=branch, subject=payload.subject, body=payload.body
        )
    else:
        thread = services.thread_start(
            actor=request.auth,
            recipients=payload.recipients or [],
            subject=payload.subject,
            body=payload.body,
        )
    return Status(201, thread_out(thread, members=True))


@threads_router.get("/{int:thread_id}", response=ThreadDetailOut, summary="One thread")
def threads_get(request: HttpRequest, thread_id: int) -> dict[str, Any]:
    thread = services.get_thread_for_user(user=request.auth, thread_id=thread_id)
    return thread_out(thread, members=True)


@threads_router.get(
    "/{int:thread_id}/messages", response=list[MessageOut], summary="A thread's messages"
)
@paginate(CursorPagination, ordering=("created_at", "id"))
def messages_list(request: HttpRequest, thread_id: int):
    thread = services.get_thread_for_user(user=request.auth, thread_id=thread_id)
    return thread.messages.select_related("sender").prefetch_related("receipts__user")


@threads_router.post(
    "/{int:thread_id}/messages", response={201: MessageOut}, summary="Reply in a thread"
)
def messages_send(request: HttpRequest, thread_id: int, payload: MessageIn) -> Status:
    thread = services.get_thread_for_user(user=request.auth, thread_id=thread_id)
    message = services.message_reply(actor=request.auth, thread=thread, body=payload.body)
    return Status(201, message)


@threads_router.post("/{int:thread_id}/read", response=ReadOut, summary="Mark a thread read")
def threads_read(request: HttpRequest, thread_id: int) -> dict[str, int]:
    thread = services.get_thread_for_user(user=request.auth, thread_id=thread_id)
    return {"read": services.thread_mark_read(actor=request.auth, thread=thread)}


@broadcasts_router.post("", response={201: ThreadDetailOut}, summary="Announce (admins)")
def broadcasts_send(request: HttpRequest, payload: BroadcastIn) -> Status:
    branch = get_object_or_404(Branch, pk=payload.branch) if payload.branch else None
    thread = services.broadcast_send(
        actor=request.auth, audience=payload.audience, role=payload.role, branch=branch,
        subject=payload.subject, body=payload.body,
    )  # fmt: skip
    return Status(201, thread_out(thread, members=True))


@notifications_router.get("", response=list[NotificationOut], summary="Your notifications")
@paginate(CursorPagination, ordering=("-created_at", "-id"))
def notifications_list(request: HttpRequest, filters: Query[NotificationFilters]):
    return selectors.notification_list(user=request.auth, unread_only=filters.unread)


@notifications_router.post("/read", response=ReadOut, summary="Mark notifications read")
def notifications_read(request: HttpRequest, payload: MarkReadIn) -> dict[str, int]:
    return {"read": services.notifications_mark_read(actor=request.auth, ids=payload.ids)}


@notifications_router.get(
    "/unread",
    response=UnreadOut,
    summary="Unread counts, with an ETag: poll it with If-None-Match for a cheap 304",
)
def notifications_unread(request: HttpRequest) -> HttpResponse:
    etag = f'"i{realtime.version(request.auth.pk)}"'
    if request.headers.get("If-None-Match") == etag:
        return HttpResponse(status=304, headers={"ETag": etag})
    counts = selectors.unread(user=request.auth)
    return JsonResponse(counts.as_dict(), headers={"ETag": etag, "Cache-Control": "no-cache"})


@notifications_router.get("/preferences", response=PreferencesOut, summary="E-mail choices")
def preferences_get(request: HttpRequest) -> dict[str, list[str]]:
    return {"email": selectors.email_kinds(user=request.auth)}


@notifications_router.put("/preferences", response=PreferencesOut, summary="Choose e-mails")
def preferences_put(request: HttpRequest, payload: PreferencesOut) -> dict[str, list[str]]:
    services.preferences_set(actor=request.auth, email_kinds=payload.email)
    return {"email": selectors.email_kinds(user=request.auth)}
