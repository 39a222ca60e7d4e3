"""Sending and reading messages.

Moderators and admins start conversations with tutors and write to all tutors of a
branch; admins broadcast to a role, a branch or everyone; tutors reply in threads they are
part of. Every send is audited without its body; bodies are encrypted at rest.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, can, require
from tracker.audit.services import record
from tracker.core import cache as versions
from tracker.messaging import realtime
from tracker.messaging.models import (
    Message,
    Notification,
    NotificationKind,
    NotificationPreference,
    Receipt,
    SearchToken,
    Thread,
    ThreadKind,
    ThreadMember,
)
from tracker.messaging.notify import notify
from tracker.org.models import Branch

MAX_BODY = 5000
MAX_RECIPIENTS = 50
WORD = re.compile(r"\w{2,}", re.UNICODE)
AUDIENCES = ("role", "branch", "everyone")


def word_digest(word: str) -> str:
    key = hashlib.sha256(("messaging-search:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, word.casefold().encode(), hashlib.sha256).hexdigest()[:32]


def words(text: str) -> set[str]:
    return {w.casefold() for w in WORD.findall(text)}


def _clean(subject: str | None, body: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    body = body.strip()
    if not body:
        errors["body"] = [_("Write a message.")]
    elif len(body) > MAX_BODY:
        errors["body"] = [_("Keep a message under %(n)s characters.") % {"n": MAX_BODY}]
    if subject is not None:
        subject = subject.strip()
        if not subject:
            errors["subject"] = [_("Give the conversation a subject.")]
        elif len(subject) > 200:
            errors["subject"] = [_("Keep the subject under 200 characters.")]
    if errors:
        raise ValidationError(errors)
    return subject or "", body


def _thread_url(thread: Thread) -> str:
    return reverse("messaging:thread", args=[thread.pk])


def _post(thread: Thread, sender: User, body: str, recipients: Sequence[int]) -> Message:
    """Write the message, one receipt and one notification per recipient, and the search
    tokens, in bulk: a broadcast to hundreds costs a handful of statements."""
    message = Message.objects.create(thread=thread, sender=sender, body=body)
    Receipt.objects.bulk_create([Receipt(message=message, user_id=uid) for uid in recipients])
    SearchToken.objects.bulk_create(
        [SearchToken(message=message, digest=word_digest(w)) for w in words(body)]
    )
    Thread.objects.filter(pk=thread.pk).update(last_message_at=message.created_at)
    # The sender's own list moves the thread up; the recipients' are renewed by `notify`.
    versions.renew([versions.inbox_scope(sender.pk)])
    title = _("%(sender)s: %(subject)s") % {
        "sender": sender.get_full_name() or sender.username,
        "subject": thread.subject,
    }
    notify(recipients, kind=NotificationKind.MESSAGE_RECEIVED, title=title,
           url=_thread_url(thread))  # fmt: skip
    return message


def _open(actor: User, kind: str, subject: str, audience: str, member_ids: Iterable[int]) -> Thread:
    thread = Thread.objects.create(
        kind=kind, subject=subject, audience=audience, created_by=actor,
        last_message_at=timezone.now(),
    )  # fmt: skip
    ids = sorted(set(member_ids) | {actor.pk})
    ThreadMember.objects.bulk_create([ThreadMember(thread=thread, user_id=uid) for uid in ids])
    return thread


def _audit(action: str, actor: User, thread: Thread, recipients: Sequence[int], **extra) -> None:
    # Who and how many, never what was said.
    record(action, actor=actor, target=thread,
           changes={"kind": thread.kind, "recipients": len(recipients), **extra})  # fmt: skip


@transaction.atomic
def thread_start(
    *, actor: User, recipients: Iterable[User | int], subject: str, body: str
) -> Thread:
    """A conversation between a moderator or admin and one or more people. Tutors may not
    start one (they reply)."""
    require(actor, Cap.MESSAGE_SEND_TUTORS)
    subject, body = _clean(subject, body)
    ids = {r if isinstance(r, int) else r.pk for r in recipients} - {actor.pk}
    people = list(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if not people or len(people) != len(ids):
        raise ValidationError({"recipients": [_("Choose one or more active people.")]})
    if len(people) > MAX_RECIPIENTS:
        raise ValidationError(
            {"recipients": [_("At most %(n)s people; write to a branch instead.")
                            % {"n": MAX_RECIPIENTS}]}
        )  # fmt: skip
    thread = _open(actor, ThreadKind.DIRECT, subject, "", people)
    _post(thread, actor, body, people)
    _audit("messaging.thread.started", actor, thread, people)
    return thread


@transaction.atomic
def group_send(*, actor: User, branch: Branch, subject: str, body: str) -> Thread:
    """A message to every active tutor of a branch; they can all reply in the thread."""
    require(actor, Cap.MESSAGE_SEND_TUTORS)
    subject, body = _clean(subject, body)
    tutors = list(
        User.objects.filter(role=Role.TUTOR, is_active=True, branch=branch)
        .exclude(pk=actor.pk)
        .values_list("pk", flat=True)
    )
    if not tutors:
        raise ValidationError({"branch": [_("No active tutor works at this branch.")]})
    audience = _("All tutors of %(branch)s") % {"branch": branch.name}
    thread = _open(actor, ThreadKind.GROUP, subject, audience, tutors)
    _post(thread, actor, body, tutors)
    _audit("messaging.group.sent", actor, thread, tutors, branch=branch.pk)
    return thread


@transaction.atomic
def broadcast_send(
    *,
    actor: User,
    audience: str,
    subject: str,
    body: str,
    role: str | None = None,
    branch: Branch | None = None,
) -> Thread:
    """An announcement from an admin to a role, a branch or everyone. Written in one
    transaction; every recipient gets it once."""
    require(actor, Cap.MESSAGE_BROADCAST)
    subject, body = _clean(subject, body)
    people = User.objects.filter(is_active=True).exclude(pk=actor.pk)
    if audience == "role":
        if role not in Role.values:
            raise ValidationError({"role": [_("Choose a role.")]})
        people, label = people.filter(role=role), _("Every %(role)s") % {"role": Role(role).label}
    elif audience == "branch":
        if branch is None:
            raise ValidationError({"branch": [_("Choose a branch.")]})
        people = people.filter(branch=branch)
        label = _("Everyone at %(branch)s") % {"branch": branch.name}
    elif audience == "everyone":
        label = _("Everyone")
    else:
        raise ValidationError({"audience": [_("Send to a role, a branch or everyone.")]})
    ids = list(people.values_list("pk", flat=True))
    if not ids:
        raise ValidationError({"audience": [_("Nobody is in that audience.")]})
    thread = _open(actor, ThreadKind.BROADCAST, subject, label, ids)
    _post(thread, actor, body, ids)
    _audit("messaging.broadcast.sent", actor, thread, ids, audience=audience, role=role or "",
           branch=branch.pk if branch else None)  # fmt: skip
    return thread


def get_thread_for_user(*, user: User, thread_id: int) -> Thread:
    """A thread the person is part of; any other answers 404 (its existence is private)."""
    require(user, Cap.MESSAGE_REPLY)
    thread = Thread.objects.filter(pk=thread_id, members__user=user).first()
    if thread is None:
        raise Http404
    return thread


@transaction.atomic
def message_reply(*, actor: User, thread: Thread, body: str) -> Message:
    thread = get_thread_for_user(user=actor, thread_id=thread.pk)
    if not thread.replies_allowed and not can(actor, Cap.MESSAGE_BROADCAST):
        raise PermissionDenied(_("Announcements take no replies; start a conversation instead."))
    _subject, body = _clean(None, body)
    others = list(
        thread.members.exclude(user=actor)
        .filter(user__is_active=True)
        .values_list("user_id", flat=True)
    )
    message = _post(thread, actor, body, others)
    _audit("messaging.message.sent", actor, thread, others)
    return message


@transaction.atomic
def thread_mark_read(*, actor: User, thread: Thread) -> int:
    """Everything in the thread is read, and so are the notifications that point to it."""
    now = timezone.now()
    count = Receipt.objects.filter(user=actor, message__thread=thread, read_at__isnull=True).update(
        read_at=now
    )
    Notification.objects.filter(user=actor, read_at__isnull=True, url=_thread_url(thread)).update(
        read_at=now
    )
    if count:
        # The sender's "read by" list changes too.
        senders = set(
            Message.objects.filter(thread=thread)
            .exclude(sender=actor)
            .values_list("sender_id", flat=True)
        )
        realtime.bump({actor.pk, *(s for s in senders if s)})
    return count


@transaction.atomic
def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    require(actor, Cap.PROFILE_VIEW_OWN)
    unread = Notification.objects.filter(user=actor, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    count = unread.update(read_at=timezone.now())
    if count:
        realtime.bump([actor.pk])
    return count


@transaction.atomic
def preferences_set(*, actor: User, email_kinds: Iterable[str]) -> None:
    """Choose, per kind, in-app only or in-app and e-mail."""
    require(actor, Cap.PROFILE_EDIT_OWN)
    chosen = set(email_kinds)
    unknown = chosen - set(NotificationKind.values)
    if unknown:
        raise ValidationError({"email_kinds": [_("Unknown kind of notification.")]})
    for kind in NotificationKind.values:
        NotificationPreference.objects.update_or_create(
            user=actor, kind=kind, defaults={"email": kind in chosen}
        )
    record("messaging.preferences.updated", actor=actor, target=actor,
           changes={"email": sorted(chosen)})  # fmt: skip


def search_filter(query: str) -> Q | None:
    """Messages holding every whole word of the query (through the blind index)."""
    terms = words(query)
    if not terms:
        return None
    condition = Q()
    for term in terms:
        condition &= Q(
            pk__in=SearchToken.objects.filter(digest=word_digest(term)).values("message_id")
        )
    return condition
