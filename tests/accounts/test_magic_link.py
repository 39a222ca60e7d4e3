"""Signing in by an e-mailed link: one use, 15 minutes, no account enumeration."""

from __future__ import annotations

import re
import time
from types import SimpleNamespace

import pytest
import sesame.tokens_v2
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory
from tracker.accounts import magic_link
from tracker.accounts.models import SignInSession
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def ask(client, mailoutbox, django_capture_on_commit_callbacks):
    """Ask for a link; return the response and the link mailed (None when none was)."""

    def request_link(identifier: str, on: Client = client):
        before = len(mailoutbox)
        with django_capture_on_commit_callbacks(execute=True):
            response = on.post("/accounts/login/link/", {"identifier": identifier})
        if len(mailoutbox) == before:
            return response, None
        body = mailoutbox[-1].body
        link = re.search(r"http://\S+/accounts/login/link/use/\?sesame=\S+", body).group(0)
        return response, link.split("127.0.0.1:8000", 1)[1]

    return request_link


def is_signed_in(client: Client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


def test_the_sign_in_page_offers_a_link(client):
    page = client.get("/accounts/login/").content.decode()
    assert 'href="/accounts/login/link/"' in page
    assert "E-mail me a sign-in link" in page


@pytest.mark.parametrize("identifier", ["tutor", "tutor@example.com", "TUTOR"])
def test_a_link_is_mailed_to_the_account(ask, tutor, mailoutbox, identifier):
    response, link = ask(identifier)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/link/sent/"
    assert link is not None
    assert mailoutbox[0].to == [tutor.email]
    assert "15 minutes" in mailoutbox[0].body
    entry = AuditLog.objects.get(action="accounts.signin_link.requested")
    assert (entry.target_id, entry.changes) == (str(tutor.pk), {"sent": True})


def test_following_the_link_signs_in_once(ask, tutor):
    _response, link = ask("tutor")
    browser = Client()
    # Opening the link (a mail scanner might) signs nobody in and does not use it up.
    landing = browser.get(link)
    assert landing.status_code == 200
    assert not is_signed_in(browser)
    response = browser.post(link)
    assert response.status_code == 302
    assert response["Location"] == "/"
    assert is_signed_in(browser)
    assert SignInSession.objects.get(user=tutor).via == "link"
    assert AuditLog.objects.filter(action="accounts.signin_link.used", actor_ref=tutor.pk).exists()

    again = Client()
    refused = again.post(link)
    assert refused.status_code == 400
    assert "expired or was already used" in refused.content.decode()
    assert not is_signed_in(again)


@pytest.mark.parametrize(("seconds_later", "works"), [(14 * 60, True), (15 * 60 + 5, False)])
def test_the_link_expires_after_15_minutes(ask, tutor, monkeypatch, seconds_later, works):
    _response, link = ask("tutor")
    clock = SimpleNamespace(time=lambda: time.time() + seconds_later)
    monkeypatch.setattr(sesame.tokens_v2, "time", clock)
    browser = Client()
    response = browser.post(link)
    assert (response.status_code == 302) is works
    assert is_signed_in(browser) is works


def test_a_new_sign_in_uses_up_older_links(ask, tutor, client):
    _response, link = ask("tutor")
    client.force_login(tutor)
    assert Client().post(link).status_code == 400


def test_an_account_with_two_step_sign_in_still_needs_its_code(ask, tutor):
    TOTPDevice.objects.create(user=tutor, name="Authenticator app", confirmed=True)
    _response, link = ask("tutor")
    browser = Client()
    response = browser.post(link)
    assert response["Location"] == "/accounts/login/verify/"
    assert not is_signed_in(browser)


def test_a_link_while_signed_in_replaces_that_sign_in(ask, tutor):
    browser = Client()
    browser.force_login(tutor)
    assert is_signed_in(browser)
    first = SignInSession.objects.get(user=tutor)
    _response, link = ask("tutor")
    browser.post(link)
    first.refresh_from_db()
    assert first.ended_reason == SignInSession.Ended.REPLACED
    assert SignInSession.objects.filter(user=tutor, ended_at=None).count() == 1


@pytest.mark.parametrize("identifier", ["nobody", "nobody@example.com", "gone", "nomail", "tutor"])
def test_the_answer_does_not_tell_whether_an_account_exists(ask, tutor, identifier):
    UserFactory(username="gone", is_active=False)
    UserFactory(username="nomail", email="")
    response, link = ask(identifier)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/link/sent/"
    assert (link is not None) is (identifier == "tutor")
    sent_page = Client().get(response["Location"])
    assert sent_page.status_code == 200
    assert "If an account matches what you entered" in sent_page.content.decode()


def test_an_unknown_account_is_audited_without_what_was_typed(ask):
    ask("someone@example.com")
    entry = AuditLog.objects.get(action="accounts.signin_link.requested")
    assert entry.changes == {"sent": False}
    assert "someone" not in str(entry.changes)


def test_an_account_gets_at_most_three_links_per_window(ask, tutor, mailoutbox):
    for n in range(magic_link.LIMIT_PER_ACCOUNT + 2):
        response, _link = ask("tutor", Client(REMOTE_ADDR=f"10.0.0.{n}"))
        assert response.status_code == 302
    assert len(mailoutbox) == magic_link.LIMIT_PER_ACCOUNT


def test_one_address_may_ask_only_so_often(ask, mailoutbox):
    for _ in range(magic_link.LIMIT_PER_ADDRESS):
        assert ask("nobody")[0].status_code == 302
    response, _link = ask("nobody")
    assert response.status_code == 429
    assert response["Retry-After"] == str(magic_link.WINDOW_SECONDS)
    assert "Too many links" in response.content.decode()


def test_a_made_up_link_is_refused(client, tutor):
    response = client.post("/accounts/login/link/use/?sesame=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")
    assert response.status_code == 400
    assert AuditLog.objects.filter(action="accounts.signin_link.refused").exists()
    assert not is_signed_in(client)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/accounts/login/link/", 200),
        ("put", "/accounts/login/link/", 405),
        ("put", "/accounts/login/link/use/", 405),
        ("get", "/accounts/login/link/sent/", 200),
    ],
)
def test_methods(client, method, url, status):
    assert getattr(client, method)(url).status_code == status
