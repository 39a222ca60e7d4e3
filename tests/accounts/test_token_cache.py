"""With a shared cache, an access token is checked without the database once it is known,
and every change to the account or its sign-ins is seen on the next request after the
commit (tracker/accounts/tokens.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tracker.accounts import security, tokens
from tracker.accounts.models import ApiToken, Role, TokenFamily
from tracker.accounts.services import password_set, user_delete, user_update

pytestmark = pytest.mark.django_db


@pytest.fixture
def shared(settings):
    settings.REDIS_URL = "redis://stands-for-a-shared-cache"


@pytest.fixture
def known(tutor):
    """A tutor's access token, checked twice: its owner is now kept in this process."""
    raw = tokens.token_issue(user=tutor).access_token
    for _ in range(2):
        assert tokens.user_for_access_token(raw) == tutor
    return raw


def test_a_known_token_is_checked_without_the_database(
    shared, tutor, known, django_assert_num_queries
):
    with django_assert_num_queries(0):
        user = tokens.user_for_access_token(known)
    assert user == tutor
    # Each request gets its own copy: what one sets on its user, no other sees.
    user.otp_device = "set by one request"
    assert not hasattr(tokens.user_for_access_token(known), "otp_device")


def test_the_account_kept_in_memory_is_never_a_requests_own(shared, tutor):
    raw = tokens.token_issue(user=tutor).access_token
    tokens.user_for_access_token(raw)
    checked = tokens.user_for_access_token(raw)  # read and kept under the version
    checked.email = "set-by-a-request-that-failed@example.org"
    assert tokens._SEEN[tokens._digest(raw)].user is not checked
    assert tokens.user_for_access_token(raw).email == tutor.email


def test_without_a_shared_cache_every_check_asks_the_database(tutor, django_assert_num_queries):
    raw = tokens.token_issue(user=tutor).access_token
    for _ in range(3):
        with django_assert_num_queries(1):
            assert tokens.user_for_access_token(raw) == tutor
    assert tokens._digest(raw) not in tokens._SEEN


def test_an_expired_token_is_refused_without_the_database(
    shared, tutor, known, django_assert_num_queries
):
    ApiToken.objects.filter(digest=tokens._digest(known)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    tokens._SEEN[tokens._digest(known)] = tokens._SEEN[tokens._digest(known)].__class__(
        tutor.pk, timezone.now() - timedelta(seconds=1)
    )
    with django_assert_num_queries(0):
        assert tokens.user_for_access_token(known) is None


def _revoke(tutor, admin, raw):
    tokens.token_revoke(raw_token=raw)


def _revoke_all(tutor, admin, raw):
    tokens.tokens_revoke_for_user(user=tutor, reason="password")


def _deactivate(tutor, admin, raw):
    user_update(actor=admin, user=tutor, is_active=False)


def _new_password(tutor, admin, raw):
    password_set(user=tutor, new_password="An0ther-long-passphrase", action="reset")


def _end_this_signin(tutor, admin, raw):
    family = ApiToken.objects.get(digest=tokens._digest(raw)).family_id
    security.api_signin_revoke(user=tutor, family_id=family)


def _end_the_others(tutor, admin, raw):
    security.signins_revoke_others(user=tutor, keep_session_id=None)


def _delete(tutor, admin, raw):
    user_delete(actor=admin, user_id=tutor.pk)


ENDS = {
    "revoke": _revoke, "revoke-all": _revoke_all, "deactivate": _deactivate,
    "new-password": _new_password, "end-this-signin": _end_this_signin,
    "end-the-others": _end_the_others, "delete": _delete,
}  # fmt: skip


@pytest.mark.parametrize("end", ENDS)
def test_a_token_stops_working_on_the_next_request_after_the_commit(
    end, shared, admin, tutor, known, committed
):
    committed(ENDS[end], tutor, admin, known)
    assert tokens.user_for_access_token(known) is None


def test_a_change_of_role_is_seen_on_the_next_request(shared, admin, tutor, known, committed):
    committed(user_update, actor=admin, user=tutor, role=Role.MODERATOR)
    assert tokens.user_for_access_token(known).role == Role.MODERATOR


def test_an_account_read_before_a_revocation_is_not_kept_past_its_commit(
    shared, tutor, known, committed, monkeypatch
):
    """The check reads the account's version, then the database; a revocation commits in
    between, so the check stores the account as it was. The next check must not use it."""
    tokens._SEEN[tokens._digest(known)] = tokens._Seen(tutor.pk, timezone.now() + timedelta(1))
    read = tokens._from_database

    def revoked_meanwhile(digest):
        found = read(digest)
        committed(tokens.tokens_revoke_for_user, user=tutor, reason="password")
        return found

    monkeypatch.setattr(tokens, "_from_database", revoked_meanwhile)
    assert tokens.user_for_access_token(known) == tutor  # as it was when read
    monkeypatch.setattr(tokens, "_from_database", read)
    assert tokens.user_for_access_token(known) is None
    assert TokenFamily.objects.get(user=tutor).revoked_at is not None


def test_what_is_kept_in_memory_is_bounded(shared, tutor, monkeypatch):
    monkeypatch.setattr(tokens, "SEEN_MAX", 3)
    monkeypatch.setattr(tokens, "_SEEN", {})
    for _ in range(5):
        tokens.user_for_access_token(tokens.token_issue(user=tutor).access_token)
    assert 1 <= len(tokens._SEEN) <= 3


def test_a_value_is_kept_no_longer_than_a_minute(
    shared, tutor, known, monkeypatch, django_assert_num_queries
):
    later = tokens.time.monotonic() + tokens.SEEN_SECONDS + 1
    monkeypatch.setattr(tokens.time, "monotonic", lambda: later)
    with django_assert_num_queries(1):
        assert tokens.user_for_access_token(known) == tutor


def test_another_tutors_token_gives_that_tutor(shared, tutor, known):
    other = UserFactory(username="second-tutor", role=Role.TUTOR)
    raw = tokens.token_issue(user=other).access_token
    for _ in range(3):
        assert tokens.user_for_access_token(raw) == other
    assert tokens.user_for_access_token(known) == tutor
