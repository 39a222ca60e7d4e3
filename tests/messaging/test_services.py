"""Who may write to whom, what each recipient gets, and what is kept (never the body)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.http import Http404

from tests.factories import BranchFactory, UserFactory
from tracker.accounts.models import Role, User
from tracker.audit.models import AuditLog
from tracker.messaging import realtime, selectors, services
from tracker.messaging.models import Message, Notification, Receipt, ThreadKind

pytestmark = pytest.mark.django_db


def test_a_moderator_starts_a_conversation_and_the_tutor_gets_it(moderator, tutor):
    thread = services.thread_start(actor=moderator, recipients=[tutor], subject="Thursday",
                                   body="Can you take Palesa at 16:00?")  # fmt: skip
    assert thread.kind == ThreadKind.DIRECT
    assert selectors.unread(user=tutor).messages == 1
    assert selectors.unread(user=tutor).notifications == 1
    assert selectors.unread(user=moderator).messages == 0
    [note] = Notification.objects.filter(user=tutor)
    assert note.url == f"/messages/{thread.pk}/"
    assert "Thursday" in note.title


def test_tutors_reply_but_never_start_a_conversation(moderator, tutor, other_tutor):
    with pytest.raises(PermissionDenied):
        services.thread_start(actor=tutor, recipients=[other_tutor], subject="Hi", body="Hi")
    thread = services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    services.message_reply(actor=tutor, thread=thread, body="Yes, I can.")
    assert selectors.unread(user=moderator).messages == 1


def test_a_thread_is_invisible_to_people_outside_it(moderator, tutor, other_tutor):
    thread = services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    with pytest.raises(Http404):
        services.get_thread_for_user(user=other_tutor, thread_id=thread.pk)
    with pytest.raises(Http404):
        services.message_reply(actor=other_tutor, thread=thread, body="Let me in")
    assert list(selectors.thread_list(user=other_tutor)) == []


def test_a_branch_group_reaches_each_of_its_tutors_and_they_can_reply(
    moderator, branch, branch_tutors, other_tutor
):
    thread = services.group_send(actor=moderator, branch=branch, subject="Exams", body="Dates")
    assert thread.kind == ThreadKind.GROUP
    assert {r.user for r in Receipt.objects.all()} == set(branch_tutors)
    services.message_reply(actor=branch_tutors[0], thread=thread, body="Thanks")
    # The reply goes to the other tutor of the branch and to the moderator.
    assert selectors.unread(user=branch_tutors[1]).messages == 2
    assert selectors.unread(user=moderator).messages == 1
    assert selectors.unread(user=other_tutor).messages == 0


@pytest.mark.parametrize(
    ("audience", "extra", "expected"),
    [
        ("role", {"role": "tutor"}, {"tutor", "outsider"}),
        ("everyone", {}, {"tutor", "outsider", "moderator"}),
    ],
)
def test_admins_broadcast_to_a_role_or_everyone(
    admin, moderator, tutor, other_tutor, audience, extra, expected
):
    thread = services.broadcast_send(actor=admin, audience=audience, subject="Closed Monday",
                                     body="Public holiday", **extra)  # fmt: skip
    assert {r.user.username for r in Receipt.objects.filter(message__thread=thread)} == expected


def test_a_broadcast_to_a_branch(admin, branch, branch_tutors, other_tutor):
    services.broadcast_send(actor=admin, audience="branch", branch=branch, subject="S", body="B")
    assert set(Receipt.objects.values_list("user__username", flat=True)) == {"tutor", "tutor2"}


def test_only_admins_broadcast_and_nobody_replies_to_an_announcement(admin, moderator, tutor):
    with pytest.raises(PermissionDenied):
        services.broadcast_send(actor=moderator, audience="everyone", subject="S", body="B")
    with pytest.raises(PermissionDenied):
        services.broadcast_send(actor=tutor, audience="everyone", subject="S", body="B")
    thread = services.broadcast_send(actor=admin, audience="everyone", subject="S", body="B")
    with pytest.raises(PermissionDenied):
        services.message_reply(actor=tutor, thread=thread, body="Why?")


def test_a_broadcast_to_500_tutors_is_a_few_bulk_statements(admin, django_assert_max_num_queries):
    # In one statement: five hundred factory saves cost seconds and are not under test.
    branch = BranchFactory()
    User.objects.bulk_create(UserFactory.build_batch(500, role=Role.TUTOR, branch=branch))
    # Row by row it would be over 1,500 statements; in bulk it is about twenty (SQLite caps
    # the parameters of one statement, so large inserts come in a few batches).
    with django_assert_max_num_queries(30):
        thread = services.broadcast_send(
            actor=admin, audience="role", role="tutor", subject="S", body="B"
        )
    receipts = Receipt.objects.filter(message__thread=thread)
    assert receipts.count() == 500
    assert receipts.values("user").distinct().count() == 500
    assert Notification.objects.filter(url=f"/messages/{thread.pk}/").count() == 500


@pytest.mark.parametrize(
    ("subject", "body", "field"),
    [
        ("", "B", "subject"),
        ("S", "   ", "body"),
        ("S", "x" * 5001, "body"),
        ("x" * 201, "B", "subject"),
    ],
)
def test_empty_or_oversized_messages_get_field_errors(moderator, tutor, subject, body, field):
    with pytest.raises(ValidationError) as caught:
        services.thread_start(actor=moderator, recipients=[tutor], subject=subject, body=body)
    assert field in caught.value.message_dict
    assert not Message.objects.exists()


def test_recipients_must_be_active_people(moderator, tutor):
    tutor.is_active = False
    tutor.save()
    with pytest.raises(ValidationError) as caught:
        services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    assert "recipients" in caught.value.message_dict


def test_reading_a_thread_clears_its_unread_count_and_shows_the_sender_who_read_it(
    moderator, tutor
):
    thread = services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    before = realtime.version(moderator.pk)
    assert services.thread_mark_read(actor=tutor, thread=thread) == 1
    assert selectors.unread(user=tutor).messages == 0
    assert selectors.unread(user=tutor).notifications == 0  # the "new message" note too
    assert realtime.version(moderator.pk) > before  # the sender's page learns of the receipt
    _thread, messages = selectors.thread_messages(user=moderator, thread_id=thread.pk)
    [receipt] = messages[0].receipts.all()
    assert (receipt.user, receipt.read_at is not None) == (tutor, True)


def test_search_finds_whole_words_without_storing_them(moderator, tutor):
    wanted = services.thread_start(actor=moderator, recipients=[tutor], subject="Week",
                                   body="Bring the algebra worksheet")  # fmt: skip
    services.thread_start(actor=moderator, recipients=[tutor], subject="Other", body="Geometry")
    assert list(selectors.thread_list(user=tutor, query="ALGEBRA worksheet")) == [wanted]
    assert list(selectors.thread_list(user=tutor, query="algebra geometry")) == []
    assert list(selectors.thread_list(user=tutor, query="week")) == [wanted]  # the subject


def test_bodies_are_encrypted_and_the_audit_keeps_no_body(moderator, tutor):
    services.thread_start(actor=moderator, recipients=[tutor], subject="S",
                          body="Palesa's mother called about fees")  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT body FROM messaging_message")
        [(stored,)] = cursor.fetchall()
        cursor.execute("SELECT digest FROM messaging_searchtoken")
        digests = [row[0] for row in cursor.fetchall()]
    assert "fees" not in stored
    assert Message.objects.get().body == "Palesa's mother called about fees"
    assert "fees" not in digests
    assert len(digests) == 5
    entry = AuditLog.objects.get(action="messaging.thread.started")
    assert entry.changes == {"kind": "direct", "recipients": 1}


def test_notifications_are_marked_read_one_or_all(moderator, tutor):
    for n in range(3):
        services.thread_start(actor=moderator, recipients=[tutor], subject=f"S{n}", body="B")
    first = Notification.objects.filter(user=tutor).first()
    assert services.notifications_mark_read(actor=tutor, ids=[first.pk]) == 1
    assert services.notifications_mark_read(actor=tutor) == 2
    assert selectors.unread(user=tutor).notifications == 0


def test_e_mail_goes_only_to_those_who_asked(
    moderator, tutor, other_tutor, mailoutbox, django_capture_on_commit_callbacks
):
    services.preferences_set(actor=tutor, email_kinds=["message_received"])
    with django_capture_on_commit_callbacks(execute=True):
        services.thread_start(actor=moderator, recipients=[tutor, other_tutor], subject="Rota",
                              body="Secret details")  # fmt: skip
    [mail] = mailoutbox
    assert mail.to == [tutor.email]
    assert "Rota" in mail.subject
    assert "Secret details" not in mail.body


def test_unknown_preference_kinds_are_refused(tutor):
    with pytest.raises(ValidationError):
        services.preferences_set(actor=tutor, email_kinds=["everything"])


def test_a_count_read_just_before_a_change_commits_is_not_kept(
    settings, monkeypatch, moderator, tutor, committed
):
    """A poll reads the tutor's counter, a message to them commits, then the poll stores
    what it read: the next poll must still see the message, not the stored count."""
    settings.REDIS_URL = "redis://stands-for-a-shared-cache"
    shared = realtime.cache

    class ChangeBeforeTheStore:
        get = staticmethod(shared.get)

        @staticmethod
        def set(key, value, timeout):
            committed(realtime.bump, [tutor.pk])
            shared.set(key, value, timeout)

    monkeypatch.setattr(realtime, "cache", ChangeBeforeTheStore)
    read_before = realtime.version(tutor.pk)
    monkeypatch.setattr(realtime, "cache", shared)
    assert realtime.version(tutor.pk) == read_before + 1
