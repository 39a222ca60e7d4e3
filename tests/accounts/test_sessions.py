"""Browser sessions: idle timeout, absolute lifetime, where you're signed in, revoking."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.factories import TEST_PASSWORD
from tracker.accounts import security
from tracker.accounts.models import SignInSession, TokenFamily
from tracker.audit.models import AuditLog

pytestmark = pytest.mark.django_db

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/126.0 Safari/537.36"
)


def browser(user_agent: str = WINDOWS_CHROME) -> Client:
    return Client(HTTP_USER_AGENT=user_agent)


def sign_in(client: Client, username: str, password: str = TEST_PASSWORD) -> None:
    response = client.post("/accounts/login/", {"username": username, "password": password})
    assert response.status_code == 302, response.content
    assert response["Location"] == "/"


def api_sign_in(client: Client, username: str, user_agent: str = "python-requests/2.32") -> str:
    response = client.post(
        "/api/v1/auth/token",
        {"username": username, "password": TEST_PASSWORD},
        content_type="application/json",
        HTTP_USER_AGENT=user_agent,
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def shift_mark(client: Client, **seconds_back: float) -> None:
    """Move this browser's sign-in time or last activity into the past."""
    session = client.session
    mark = session[security.MARK]
    for field, seconds in seconds_back.items():
        mark[field] -= seconds
    session[security.MARK] = mark
    session.save()


@pytest.fixture
def later(monkeypatch):
    """Move the clock forward: later(minutes=31)."""
    real_now = timezone.now

    def advance(**delta: float) -> None:
        moved = real_now() + timedelta(**delta)
        monkeypatch.setattr(timezone, "now", lambda: moved)

    return advance


def is_signed_in(client: Client) -> bool:
    return client.get("/accounts/profile/").status_code == 200


# --- registering ---------------------------------------------------------------------------


def test_signing_in_records_the_browser_with_device_address_and_time(tutor):
    client = browser(IPHONE)
    sign_in(client, "tutor")
    row = SignInSession.objects.get(user=tutor)
    assert row.session_key == client.session.session_key
    assert (row.user_agent, row.ip, row.via, row.ended_at) == (
        IPHONE,
        "127.0.0.1",
        "password",
        None,
    )
    assert client.session[security.MARK]["id"] == row.pk


def test_signing_out_ends_the_row_and_it_leaves_the_list(tutor):
    client = browser()
    sign_in(client, "tutor")
    client.post("/accounts/logout/")
    row = SignInSession.objects.get(user=tutor)
    assert row.ended_reason == SignInSession.Ended.SIGNED_OUT
    assert security.browser_sessions_live(user=tutor) == []


# --- idle timeout and absolute lifetime ------------------------------------------------------


@pytest.mark.parametrize(("idle_minutes", "still_signed_in"), [(29, True), (31, False)])
def test_idle_timeout(tutor, later, idle_minutes, still_signed_in):
    client = browser()
    sign_in(client, "tutor")
    later(minutes=idle_minutes)
    assert is_signed_in(client) is still_signed_in
    row = SignInSession.objects.get(user=tutor)
    assert (row.ended_reason == SignInSession.Ended.IDLE) is not still_signed_in


def test_an_idle_page_request_goes_to_sign_in_and_says_why(tutor):
    client = browser()
    sign_in(client, "tutor")
    shift_mark(client, seen=31 * 60)
    response = client.get("/calendar/?view=week")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fcalendar%2F%3Fview%3Dweek"
    page = client.get(response["Location"]).content.decode()
    assert "signed out after a while without activity" in page
    entry = AuditLog.objects.get(action="accounts.session.ended")
    assert entry.changes["reason"] == "idle"
    assert entry.target_id == str(tutor.pk)


def test_an_idle_htmx_request_sends_the_whole_tab_to_sign_in(tutor):
    client = browser()
    sign_in(client, "tutor")
    shift_mark(client, seen=31 * 60)
    response = client.get("/accounts/users/", HTTP_HX_REQUEST="true")
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")


def test_idle_minutes_come_from_the_setting(tutor, later, settings):
    settings.SESSION_IDLE_MINUTES = 5
    client = browser()
    sign_in(client, "tutor")
    later(minutes=6)
    assert not is_signed_in(client)


def test_activity_keeps_the_session_alive_past_the_idle_limit(tutor, later):
    client = browser()
    sign_in(client, "tutor")
    for minutes in (20, 40, 60):
        later(minutes=minutes)
        assert is_signed_in(client)


@pytest.mark.parametrize(("hours", "still_signed_in"), [(11.9, True), (12.1, False)])
def test_absolute_lifetime_ends_even_an_active_session(tutor, hours, still_signed_in):
    client = browser()
    sign_in(client, "tutor")
    # Active a moment ago, signed in `hours` ago.
    shift_mark(client, start=hours * 3600)
    assert is_signed_in(client) is still_signed_in
    if not still_signed_in:
        assert SignInSession.objects.get(user=tutor).ended_reason == "expired"


def test_activity_is_written_at_most_once_a_minute(tutor, later):
    client = browser()
    sign_in(client, "tutor")
    signed_in_at = SignInSession.objects.get(user=tutor).last_seen_at
    later(seconds=30)
    assert is_signed_in(client)
    assert SignInSession.objects.get(user=tutor).last_seen_at == signed_in_at
    seen = client.session[security.MARK]["seen"]
    later(seconds=61)
    assert is_signed_in(client)
    assert SignInSession.objects.get(user=tutor).last_seen_at > signed_in_at
    assert client.session[security.MARK]["seen"] > seen


def test_background_api_polls_do_not_count_as_activity(tutor, later):
    client = browser()
    sign_in(client, "tutor")
    later(minutes=20)
    assert client.get("/api/v1/me").status_code == 200
    later(minutes=35)
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert not is_signed_in(client)


# --- where you're signed in ------------------------------------------------------------------


@pytest.fixture
def three_signins(tutor):
    """The tutor on a laptop (this device), on an iPhone, and in an app through the API."""
    laptop, phone = browser(WINDOWS_CHROME), browser(IPHONE)
    sign_in(laptop, "tutor")
    sign_in(phone, "tutor")
    token = api_sign_in(Client(), "tutor")
    return laptop, phone, token


def test_the_page_lists_browsers_and_api_logins(three_signins, tutor, other_tutor):
    laptop, _phone, _token = three_signins
    sign_in(browser(IPHONE), "outsider")
    response = laptop.get("/accounts/sessions/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Chrome on Windows" in page
    assert "Safari on iPhone" in page
    assert "python-requests" in page
    assert page.count("This device") == 1
    assert page.count("Revoke") == 2 * 2  # phone and app: a label and a button each
    assert len(response.context["browsers"]) == 2
    assert len(response.context["apis"]) == 1
    assert response.context["browsers"][0].current


def test_the_profile_links_to_the_page(tutor):
    client = browser()
    sign_in(client, "tutor")
    page = client.get("/accounts/profile/").content.decode()
    assert 'href="/accounts/sessions/"' in page
    assert 'href="/accounts/two-factor/"' in page


def test_revoking_a_browser_signs_it_out_on_its_next_request(three_signins, tutor):
    laptop, phone, _token = three_signins
    assert is_signed_in(phone)
    row = SignInSession.objects.get(user=tutor, user_agent=IPHONE)
    response = laptop.post(f"/accounts/sessions/browser-{row.pk}/revoke/")
    assert response.status_code == 302
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)
    row.refresh_from_db()
    assert row.ended_reason == SignInSession.Ended.REVOKED
    entry = AuditLog.objects.get(action="accounts.session.revoked")
    assert entry.changes == {"kind": "browser", "session": row.pk}
    assert entry.actor_ref == tutor.pk


@pytest.fixture
def cached_sessions(settings):
    """Sessions as production keeps them when REDIS_URL is set: read from the cache."""
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


def test_revoking_signs_out_when_sessions_are_read_from_the_cache(
    cached_sessions, three_signins, tutor
):
    laptop, phone, _token = three_signins
    assert is_signed_in(phone)
    row = SignInSession.objects.get(user=tutor, user_agent=IPHONE)
    laptop.post(f"/accounts/sessions/browser-{row.pk}/revoke/")
    assert not is_signed_in(phone)
    assert is_signed_in(laptop)


def test_revoking_an_api_login_stops_its_tokens(three_signins, tutor):
    laptop, _phone, token = three_signins
    family = TokenFamily.objects.get(user=tutor)
    laptop.post(f"/accounts/sessions/api-{family.pk}/revoke/")
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert AuditLog.objects.filter(action="accounts.session.revoked").count() == 1


def test_sign_out_everywhere_else(three_signins, tutor):
    laptop, phone, token = three_signins
    response = laptop.post("/accounts/sessions/revoke-others/")
    assert response.status_code == 302
    assert not is_signed_in(phone)
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    assert is_signed_in(laptop)
    entry = AuditLog.objects.get(action="accounts.session.revoked_others")
    assert entry.changes == {"browser": 1, "api": 1}


# (whose sign-in, kind) → status of the revoke. Another person's rows are not found.
REVOKE_ACCESS = [
    ("own", "browser", 302),
    ("own", "api", 302),
    ("other", "browser", 404),
    ("other", "api", 404),
]


@pytest.mark.parametrize(("whose", "kind", "status"), REVOKE_ACCESS)
def test_revoke_access(tutor, other_tutor, whose, kind, status):
    owner = tutor if whose == "own" else other_tutor
    theirs = browser(IPHONE)
    sign_in(theirs, owner.username)
    token = api_sign_in(Client(), owner.username)
    me = browser()
    sign_in(me, "tutor")
    if kind == "browser":
        target = SignInSession.objects.get(user=owner, user_agent=IPHONE).pk
    else:
        target = TokenFamily.objects.get(user=owner).pk
    response = me.post(f"/accounts/sessions/{kind}-{target}/revoke/")
    assert response.status_code == status
    token_works = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code
    still_there = is_signed_in(theirs) if kind == "browser" else token_works == 200
    assert still_there is (status == 404)


@pytest.mark.parametrize(
    ("method", "url", "status"),
    [
        ("get", "/accounts/sessions/revoke-others/", 405),
        ("get", "/accounts/sessions/browser-1/revoke/", 405),
        ("post", "/accounts/sessions/nonsense/revoke/", 404),
    ],
)
def test_revoke_pages_take_only_a_post_with_a_known_id(tutor, method, url, status):
    client = browser()
    sign_in(client, "tutor")
    assert getattr(client, method)(url).status_code == status


def test_anonymous_people_are_sent_to_sign_in(client):
    assert client.get("/accounts/sessions/")["Location"].startswith("/accounts/login/")
    assert client.post("/accounts/sessions/revoke-others/").status_code == 302


# --- a new password ends the others ------------------------------------------------------------


def test_password_change_on_the_page_signs_out_the_others(three_signins, tutor):
    laptop, phone, token = three_signins
    response = laptop.post(
        "/accounts/password/",
        {
            "old_password": TEST_PASSWORD,
            "new_password1": "winter-is-coming-42",
            "new_password2": "winter-is-coming-42",
        },
    )
    assert response.status_code == 302
    assert is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 401
    live = security.browser_sessions_live(user=tutor)
    assert [row.session_key for row in live] == [laptop.session.session_key]
    assert SignInSession.objects.get(user_agent=IPHONE).ended_reason == "password"


def test_password_change_through_the_api_signs_out_browsers(three_signins, tutor):
    laptop, phone, token = three_signins
    response = Client().post(
        "/api/v1/me/password",
        {"current_password": TEST_PASSWORD, "new_password": "winter-is-coming-42"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code == 204
    reasons = list(SignInSession.objects.filter(user=tutor).values_list("ended_reason", flat=True))
    assert reasons == [SignInSession.Ended.PASSWORD] * 2
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)


def test_a_password_reset_signs_out_every_browser(three_signins, tutor, mailoutbox):
    laptop, phone, _token = three_signins
    anonymous = Client()
    anonymous.post("/accounts/password/reset/", {"email": tutor.email})
    link = re.search(r"/accounts/password/reset/\S+/\S+/", mailoutbox[0].body).group(0)
    form_page = anonymous.get(link, follow=True)
    set_url = form_page.redirect_chain[-1][0]
    anonymous.post(
        set_url, {"new_password1": "a-fresh-start-77", "new_password2": "a-fresh-start-77"}
    )
    assert not is_signed_in(laptop)
    assert not is_signed_in(phone)
    assert security.browser_sessions_live(user=tutor) == []


# --- the API ---------------------------------------------------------------------------------


def test_api_lists_both_kinds_and_marks_the_calling_token(three_signins, tutor):
    _laptop, _phone, token = three_signins
    response = Client().get("/api/v1/me/sessions", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    rows = response.json()
    assert [row["kind"] for row in rows] == ["browser", "browser", "api"]
    assert {row["device"] for row in rows} == {
        "Chrome on Windows",
        "Safari on iPhone",
        "python-requests",
    }
    assert [row["current"] for row in rows] == [False, False, True]
    assert all(row["ip"] == "127.0.0.1" for row in rows)


def test_api_marks_the_calling_browser(three_signins):
    laptop, _phone, _token = three_signins
    rows = laptop.get("/api/v1/me/sessions").json()
    current = [row["device"] for row in rows if row["current"]]
    assert current == ["Chrome on Windows"]


def test_api_revokes_a_browser(three_signins, tutor):
    _laptop, phone, token = three_signins
    row = SignInSession.objects.get(user=tutor, user_agent=IPHONE)
    response = Client().delete(
        f"/api/v1/me/sessions/browser-{row.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert response.status_code == 204
    assert not is_signed_in(phone)
    assert AuditLog.objects.filter(action="accounts.session.revoked").exists()


@pytest.mark.parametrize("session_id", ["browser-{other}", "api-{other_api}", "bogus", "api-x"])
def test_api_answers_404_for_ids_not_yours(tutor, other_tutor, bearer, session_id):
    theirs = browser()
    sign_in(theirs, "outsider")
    api_sign_in(Client(), "outsider")
    ids = {
        "other": SignInSession.objects.get(user=other_tutor).pk,
        "other_api": TokenFamily.objects.get(user=other_tutor).pk,
    }
    response = Client().delete(f"/api/v1/me/sessions/{session_id.format(**ids)}", **bearer(tutor))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert is_signed_in(theirs)


def test_api_needs_a_sign_in(client):
    assert client.get("/api/v1/me/sessions").status_code == 401
    assert client.delete("/api/v1/me/sessions/browser-1").status_code == 401


# --- device names ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "label"),
    [
        (IPHONE, "Safari on iPhone"),
        (WINDOWS_CHROME, "Chrome on Windows"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
            "Chrome/126.0 Mobile Safari/537.36",
            "Chrome on Android",
        ),
        (
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:127.0) Gecko/20100101 Firefox/127.0",
            "Firefox on macOS",
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/126 Safari/537 Edg/126",
            "Edge on Windows",
        ),
        ("curl/8.5.0", "curl"),
        ("", "Unknown device"),
    ],
)
def test_device_label(user_agent, label):
    assert security.device_label(user_agent) == label


def test_a_deleted_session_is_not_listed(tutor):
    laptop, phone = browser(), browser(IPHONE)
    sign_in(laptop, "tutor")
    sign_in(phone, "tutor")
    # The phone's cookie store was cleared and its session expired from the store.
    phone.session.delete()
    assert [row.user_agent for row in security.browser_sessions_live(user=tutor)] == [
        WINDOWS_CHROME
    ]


def test_ended_rows_are_pruned_after_ninety_days(tutor):
    old = SignInSession.objects.create(
        user=tutor, session_key="x" * 32, ended_at=timezone.now() - timedelta(days=91)
    )
    sign_in(browser(), "tutor")
    assert not SignInSession.objects.filter(pk=old.pk).exists()


def test_a_session_from_before_tracking_is_registered_on_its_next_request(tutor):
    client = browser()
    sign_in(client, "tutor")
    SignInSession.objects.all().delete()
    session = client.session
    del session[security.MARK]
    session.save()
    assert is_signed_in(client)
    assert SignInSession.objects.filter(user=tutor, ended_at=None).count() == 1
