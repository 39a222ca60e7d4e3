"""Account pages: sign-in, profile, password, and managing accounts."""

from __future__ import annotations

import re

import pytest

from tests.factories import TEST_PASSWORD, UserFactory
from tracker.accounts.models import Role, User
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("identifier", ["tutor", "tutor@example.com", "TUTOR"])
def test_sign_in_with_username_or_email(client, tutor, identifier):
    response = client.post("/accounts/login/", {"username": identifier, "password": TEST_PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert AuditLog.objects.filter(action="accounts.signin.succeeded", actor_ref=tutor.pk).exists()


def test_wrong_password_shows_the_form_again_with_an_error(client, tutor):
    response = client.post("/accounts/login/", {"username": "tutor", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct" in response.content.decode()
    assert AuditLog.objects.filter(action="accounts.signin.failed").exists()


def test_a_deactivated_account_cannot_sign_in(client):
    UserFactory(username="gone", is_active=False)
    response = client.post("/accounts/login/", {"username": "gone", "password": TEST_PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_a_deactivated_account_is_signed_out_of_pages_at_once(client, tutor):
    client.force_login(tutor)
    User.objects.filter(pk=tutor.pk).update(is_active=False)
    response = client.get("/accounts/profile/")
    assert response.status_code == 302


def test_sign_out_is_a_post_and_is_audited(client, tutor):
    client.force_login(tutor)
    assert client.get("/accounts/logout/").status_code == 405
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert AuditLog.objects.filter(action="accounts.signout", actor_ref=tutor.pk).exists()


def test_profile_shows_own_details_and_edits_only_contact_details(client, tutor):
    client.force_login(tutor)
    page = client.get("/accounts/profile/").content.decode()
    assert tutor.branch.name in page
    response = client.post(
        "/accounts/profile/",
        {"email": "new-me@example.com", "phone": "012 345", "time_zone": "", "role": "admin"},
    )
    assert response.status_code == 302
    tutor.refresh_from_db()
    assert (tutor.email, tutor.phone, tutor.role) == ("new-me@example.com", "012 345", Role.TUTOR)
    assert AuditLog.objects.filter(action="accounts.profile.updated").exists()


def test_profile_rejects_an_email_someone_else_uses(client, tutor, other_tutor):
    client.force_login(tutor)
    response = client.post(
        "/accounts/profile/", {"email": other_tutor.email, "phone": "", "time_zone": ""}
    )
    assert response.status_code == 200
    assert "Another account uses that e-mail address." in response.content.decode()
    assert 'aria-invalid="true"' in response.content.decode()


def test_password_change_page(client, tutor):
    client.force_login(tutor)
    response = client.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "winter-is-coming-42",
            "new_password2": "winter-is-coming-42",
        },
    )
    assert response.status_code == 302
    tutor.refresh_from_db()
    assert tutor.check_password("winter-is-coming-42")
    # Still signed in on this browser after the change.
    assert client.get("/accounts/profile/").status_code == 200


def test_password_reset_by_emailed_link(client, tutor, mailoutbox):
    response = client.post("/accounts/password/reset/", {"email": tutor.email})
    assert response.status_code == 302
    assert len(mailoutbox) == 1
    link = re.search(r"http://\S+/accounts/password/reset/\S+/\S+/", mailoutbox[0].body).group(0)
    path = link.split("testserver", 1)[1]
    form_page = client.get(path, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = client.post(
        set_url, {"new_password1": "a-fresh-start-77", "new_password2": "a-fresh-start-77"}
    )
    assert done.status_code == 302
    tutor.refresh_from_db()
    assert tutor.check_password("a-fresh-start-77")
    assert AuditLog.objects.filter(action="accounts.password.reset", actor_ref=tutor.pk).exists()


# (role, url) → status for the account-management pages. None = anonymous.
PAGE_ACCESS = [
    (None, "/accounts/users/", 302),
    ("tutor", "/accounts/users/", 403),
    ("moderator", "/accounts/users/", 200),
    ("admin", "/accounts/users/", 200),
    ("tutor", "/accounts/users/new/", 403),
    ("moderator", "/accounts/users/new/", 200),
    ("admin", "/accounts/users/new/", 200),
    ("tutor", "/accounts/users/{other}/", 403),
    ("moderator", "/accounts/users/{other}/", 200),
    ("moderator", "/accounts/users/{admin}/", 404),
    ("moderator", "/accounts/users/{other}/delete/", 403),
    ("admin", "/accounts/users/{other}/delete/", 200),
    (None, "/accounts/profile/", 302),
    ("tutor", "/accounts/profile/", 200),
]


@pytest.mark.parametrize(("role", "url", "status"), PAGE_ACCESS)
def test_account_pages_by_role(client, people, other_tutor, role, url, status):
    if role:
        client.force_login(people[role])
    response = client.get(url.format(other=other_tutor.pk, admin=people["admin"].pk))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_moderator_creates_a_tutor_from_the_page(
    client, moderator, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/accounts/users/new/",
            {"username": "sipho", "email": "sipho@example.com", "role": "tutor", "first_name": "S"},
        )
    assert response.status_code == 302
    assert User.objects.get(username="sipho").role == Role.TUTOR
    assert len(mailoutbox) == 1


def test_a_moderator_is_not_offered_other_roles(client, moderator):
    client.force_login(moderator)
    page = client.get("/accounts/users/new/").content.decode()
    assert 'value="tutor"' in page
    assert 'value="admin"' not in page
    response = client.post(
        "/accounts/users/new/", {"username": "boss", "email": "b@example.com", "role": "admin"}
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="boss").exists()


@pytest.mark.parametrize(
    ("username", "email", "message"),
    [
        ("tutor", "fresh@example.com", "That username is taken."),
        ("fresh", "not-an-email", "Enter a valid email address."),
        ("", "fresh@example.com", "This field is required."),
    ],
)
def test_the_create_form_shows_field_errors(client, admin, tutor, username, email, message):
    client.force_login(admin)
    response = client.post(
        "/accounts/users/new/", {"username": username, "email": email, "role": "tutor"}
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert User.objects.count() == 2


def test_admin_edits_role_and_deactivates_from_the_page(client, admin, other_tutor):
    client.force_login(admin)
    response = client.post(
        f"/accounts/users/{other_tutor.pk}/",
        {"username": "outsider", "email": other_tutor.email, "role": "moderator"},
    )
    assert response.status_code == 302
    other_tutor.refresh_from_db()
    assert other_tutor.role == Role.MODERATOR
    assert other_tutor.is_active is False


def test_a_moderator_edit_form_has_no_role_or_active_fields(client, moderator, other_tutor):
    client.force_login(moderator)
    html = client.get(f"/accounts/users/{other_tutor.pk}/").content.decode()
    assert 'name="role"' not in html
    assert 'name="is_active"' not in html


def test_admin_deletes_an_account_after_confirming(client, admin, other_tutor):
    client.force_login(admin)
    response = client.post(f"/accounts/users/{other_tutor.pk}/delete/")
    assert response.status_code == 302
    assert not User.objects.filter(pk=other_tutor.pk).exists()


def test_deleting_your_own_account_explains_why_not(client, admin):
    client.force_login(admin)
    response = client.post(f"/accounts/users/{admin.pk}/delete/")
    assert response.status_code == 200
    assert "You cannot delete your own account." in response.content.decode()
    assert User.objects.filter(pk=admin.pk).exists()


def test_account_list_filters_and_answers_htmx_with_the_results_only(client, admin):
    for number in range(3):
        UserFactory(username=f"zanele{number}")
    client.force_login(admin)
    response = client.get("/accounts/users/?search=zanele1", HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<html" not in html
    assert "zanele1" in html
    assert "zanele2" not in html


def test_account_list_pages_do_not_query_per_row(client, admin, django_assert_max_num_queries):
    for number in range(30):
        UserFactory(username=f"many{number}")
    client.force_login(admin)
    with django_assert_max_num_queries(10):
        response = client.get("/accounts/users/")
    assert response.status_code == 200


@pytest.mark.parametrize(
    ("role", "visible", "hidden"),
    [
        (
            "tutor",
            ["Calendar", "Dashboard", "Students", "Messages", "My profile"],
            ["Money", "Reports", "Accounts", "Settings", "Audit trail"],
        ),
        (
            "moderator",
            ["Calendar", "Dashboard", "Students", "Money", "Reports", "Accounts"],
            ["Settings", "Audit trail"],
        ),
        (
            "admin",
            ["Calendar", "Dashboard", "Money", "Reports", "Accounts", "Settings", "Audit trail"],
            [],
        ),
    ],
)
def test_navigation_shows_each_role_only_its_own_pages(client, people, role, visible, hidden):
    client.force_login(people[role])
    nav = (
        client.get("/students/")
        .content.decode()
        .split('<nav class="site-nav"')[1]
        .split("</nav>")[0]
    )
    for label in visible:
        assert f">{label}</a>" in nav
    for label in hidden:
        assert f">{label}</a>" not in nav


def test_the_profile_links_to_the_calendar_subscription(client, tutor):
    client.force_login(tutor)
    assert 'href="/calendar/subscribe/"' in client.get("/accounts/profile/").content.decode()
