"""The messaging pages: the same rules as the API, and what a person sees."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tracker.messaging import services
from tracker.messaging.models import Message, Notification, Thread

pytestmark = pytest.mark.django_db


@pytest.fixture
def conversation(moderator, tutor):
    return services.thread_start(
        actor=moderator, recipients=[tutor], subject="Rota",
        body='Look <script>alert(1)</script> at https://example.org/rota',
    )  # fmt: skip


def signed_in(client, user):
    client.force_login(user)
    return client


# (role, method, url name, args) → status; "t" is the moderator–tutor thread.
ACCESS = [
    ("anonymous", "get", "messaging:inbox", (), 302),
    ("anonymous", "get", "messaging:notifications", (), 302),
    ("tutor", "get", "messaging:inbox", (), 200),
    ("tutor", "get", "messaging:thread", ("t",), 200),
    ("tutor", "get", "messaging:compose", (), 403),
    ("tutor", "post", "messaging:compose", (), 403),
    ("tutor", "get", "messaging:broadcast", (), 403),
    ("tutor", "post", "messaging:broadcast", (), 403),
    ("tutor", "get", "messaging:notifications", (), 200),
    ("tutor", "post", "messaging:notifications-read", (), 302),
    ("outsider", "get", "messaging:thread", ("t",), 404),
    ("outsider", "post", "messaging:thread", ("t",), 404),
    ("moderator", "get", "messaging:compose", (), 200),
    ("moderator", "get", "messaging:broadcast", (), 403),
    ("admin", "get", "messaging:broadcast", (), 200),
    ("admin", "get", "messaging:thread", ("t",), 404),
]


@pytest.mark.parametrize(("role", "method", "name", "args", "status"), ACCESS)
def test_messaging_pages_by_role(
    client, people, other_tutor, conversation, role, method, name, args, status
):
    who = {**people, "outsider": other_tutor}[role]
    if who:
        client.force_login(who)
    url = reverse(name, args=[conversation.pk if a == "t" else a for a in args])
    assert getattr(client, method)(url).status_code == status


def test_the_tutor_reads_and_replies_and_links_are_safe(client, tutor, moderator, conversation):
    page = signed_in(client, tutor).get(reverse("messaging:thread", args=[conversation.pk]))
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html
    assert '<a href="https://example.org/rota" rel="nofollow">' in html
    response = client.post(reverse("messaging:thread", args=[conversation.pk]),
                           {"body": "On my way"})  # fmt: skip
    assert response.status_code == 302
    assert [m.body for m in Message.objects.filter(sender=tutor)] == ["On my way"]
    assert Notification.objects.filter(user=moderator, read_at__isnull=True).count() == 1


def test_an_empty_reply_is_a_field_error(client, tutor, conversation):
    response = signed_in(client, tutor).post(
        reverse("messaging:thread", args=[conversation.pk]), {"body": "  "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    assert Message.objects.count() == 1


def test_the_sender_sees_who_read_it(client, moderator, tutor, conversation):
    signed_in(client, tutor).get(reverse("messaging:thread", args=[conversation.pk]))
    html = (
        signed_in(client, moderator)
        .get(reverse("messaging:thread", args=[conversation.pk]))
        .content.decode()
    )
    assert "Sent to 1 person" in html
    assert "read" in html
    assert "not read yet" not in html


def test_a_moderator_writes_to_a_branch_or_to_people(client, moderator, branch, branch_tutors):
    signed_in(client, moderator)
    response = client.post(reverse("messaging:compose"),
                           {"branch": branch.pk, "subject": "Exams", "body": "Dates"})  # fmt: skip
    thread = Thread.objects.get(subject="Exams")
    assert response.url == reverse("messaging:thread", args=[thread.pk])
    assert thread.members.count() == 3
    missing = client.post(reverse("messaging:compose"), {"subject": "S", "body": "B"})
    assert "Choose who to write to." in missing.content.decode()


def test_an_admin_announces_to_a_role(client, admin, tutor, other_tutor, moderator):
    signed_in(client, admin)
    announcement = {"audience": "role", "role": "tutor", "subject": "Closed", "body": "Monday"}
    client.post(reverse("messaging:broadcast"), announcement)
    thread = Thread.objects.get(subject="Closed")
    assert set(thread.members.values_list("user__username", flat=True)) == {
        "admin", "tutor", "outsider",
    }  # fmt: skip
    no_role = client.post(reverse("messaging:broadcast"),
                          {"audience": "role", "subject": "S", "body": "B"})  # fmt: skip
    assert "Choose a role." in no_role.content.decode()


def test_the_bell_shows_the_unread_count(client, tutor, conversation):
    html = signed_in(client, tutor).get(reverse("messaging:inbox")).content.decode()
    assert "Notifications: 1 unread" in html
    assert "1 new" in html


def test_search_on_the_inbox(client, moderator, tutor, conversation):
    services.thread_start(actor=moderator, recipients=[tutor], subject="Other", body="Geometry")
    html = signed_in(client, tutor).get(reverse("messaging:inbox"), {"q": "geometry"}).content
    assert b"Other" in html
    assert b"Rota" not in html


def test_notification_settings_choose_e_mail(client, tutor):
    signed_in(client, tutor)
    client.post(reverse("messaging:notifications"), {"email_kinds": ["session_cancelled"]})
    html = client.get(reverse("messaging:notifications")).content.decode()
    assert 'value="session_cancelled" checked' in html or (
        "checked" in html and "session_cancelled" in html
    )
    assert list(tutor.notification_prefs.filter(email=True).values_list("kind", flat=True)) == [
        "session_cancelled"
    ]


def test_the_inbox_lists_cost_the_same_queries_for_more_threads(
    client, moderator, tutor, django_assert_max_num_queries
):
    services.thread_start(actor=moderator, recipients=[tutor], subject="S", body="B")
    signed_in(client, tutor)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("messaging:inbox"))
    for n in range(10):
        services.thread_start(actor=moderator, recipients=[tutor], subject=f"S{n}", body="B")
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("messaging:inbox"))
