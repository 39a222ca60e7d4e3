"""API tokens: short-lived access tokens and rotating refresh tokens with reuse detection.

Written here rather than taken from a JWT package because the rules we need are stateful:
a deactivated account's tokens must stop working at once, and a refresh token presented a
second time must revoke every token of that sign-in. Opaque random tokens looked up by
digest give both with one indexed query per request.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from tracker.accounts.models import ApiToken, TokenFamily, User
from tracker.audit.services import record
from tracker.core import cache as versions
from tracker.core import request_context
from tracker.core.errors import NotAuthenticated

ACCESS_PREFIX = "sta_"
REFRESH_PREFIX = "str_"


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    token_type: str = "bearer"  # noqa: S105 - the OAuth token type, not a secret


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _new_pair(family: TokenFamily) -> TokenPair:
    now = timezone.now()
    access = ACCESS_PREFIX + secrets.token_urlsafe(32)
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.bulk_create(
        [
            ApiToken(
                family=family,
                kind=ApiToken.Kind.ACCESS,
                digest=_digest(access),
                expires_at=now + settings.ACCESS_TOKEN_TTL,
            ),
            ApiToken(
                family=family,
                kind=ApiToken.Kind.REFRESH,
                digest=_digest(refresh),
                expires_at=now + settings.REFRESH_TOKEN_TTL,
            ),
        ]
    )
    return TokenPair(
        access_token=access,
        refresh_token=refresh,
        expires_in=int(settings.ACCESS_TOKEN_TTL.total_seconds()),
    )


@transaction.atomic
def token_issue(*, user: User) -> TokenPair:
    """A new sign-in through the API (the password was already checked)."""
    if not user.is_active:
        raise NotAuthenticated(_("This account is deactivated."))
    meta = request_context.current()
    family = TokenFamily.objects.create(user=user, user_agent=meta.user_agent, ip=meta.ip)
    record("accounts.signin.succeeded", actor=user, target=user, changes={"via": "api"})
    return _new_pair(family)


def token_refresh(*, refresh_token: str) -> TokenPair:
    """Rotate a refresh token. Presenting one that was already used revokes the family."""
    outcome = _rotate(refresh_token)
    if isinstance(outcome, TokenPair):
        return outcome
    raise NotAuthenticated(outcome)


@transaction.atomic
def _rotate(raw: str) -> TokenPair | str:
    token = (
        ApiToken.objects.select_for_update()
        .select_related("family__user")
        .filter(digest=_digest(raw), kind=ApiToken.Kind.REFRESH)
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        return _("The refresh token is not valid.")
    family = token.family
    if family.revoked_at is not None or not family.user.is_active:
        return _("The refresh token is not valid.")
    if token.used_at is not None:
        _revoke_family(family, reason="reuse")
        record(
            "accounts.token.reuse_detected",
            actor=family.user,
            target=family.user,
            changes={"family": family.pk},
        )
        return _("The refresh token was already used; every token of that sign-in is revoked.")
    token.used_at = timezone.now()
    token.save(update_fields=["used_at"])
    record("accounts.token.refreshed", actor=family.user, target=family.user)
    return _new_pair(family)


@transaction.atomic
def token_revoke(*, raw_token: str) -> None:
    """Revoke the sign-in a token belongs to. Unknown tokens are ignored (RFC 7009)."""
    token = (
        ApiToken.objects.select_related("family__user").filter(digest=_digest(raw_token)).first()
    )
    if token is None or token.family.revoked_at is not None:
        return
    _revoke_family(token.family, reason="revoked")
    record("accounts.token.revoked", actor=token.family.user, target=token.family.user)


def tokens_revoke_for_user(*, user: User, reason: str) -> int:
    """Revoke every API sign-in of a user (deactivation, password change)."""
    revoked = TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )
    # After the update: outside a transaction the renewal happens at once, and a reader
    # in between must not store the account as still signed in under the new version.
    forget([user.pk])
    return revoked


def _revoke_family(family: TokenFamily, *, reason: str) -> None:
    family.revoked_at = timezone.now()
    family.revoked_reason = reason
    family.save(update_fields=["revoked_at", "revoked_reason"])
    forget([family.user_id])


def forget(user_ids: Iterable[int]) -> None:
    """Every change to an account or to one of its sign-ins calls this (the account's save
    signal, each revocation), so that a token checked from the cache stops working on the
    request after the commit, in every process."""
    versions.renew(versions.auth_scope(user_id) for user_id in user_ids)


@receiver(post_save, sender=User, dispatch_uid="tokens_forget_saved_user")
@receiver(post_delete, sender=User, dispatch_uid="tokens_forget_deleted_user")
def _account_changed(sender: type[User], instance: User, **kwargs: object) -> None:
    # Role, branch, deactivation, password: whatever changed, the next request reads it.
    forget([instance.pk])


# Every API request checks its token. With a shared cache (Redis), what the database said
# of a token is kept in this process under the account's auth version, so a request costs
# one cache round trip instead of a query over three tables. The version is read before the
# database and renewed after every commit that changes the account or its sign-ins, so a
# value read before a revocation is stored under a version nobody asks for again.
@dataclass(frozen=True)
class _Seen:
    user_id: int
    expires_at: datetime
    version: str = ""
    stored: float = 0.0
    user: User | None = None


_SEEN: dict[str, _Seen] = {}
# Bounds: the memory this takes, and how long a value could outlive a process that died
# between its commit and the version renewal.
SEEN_MAX = 20_000
SEEN_SECONDS = 60


def _from_database(digest: str) -> tuple[User | None, ApiToken | None]:
    token = (
        ApiToken.objects.select_related("family__user")
        .filter(digest=digest, kind=ApiToken.Kind.ACCESS)
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        return None, token
    if token.family.revoked_at is not None or not token.family.user.is_active:
        return None, token
    return token.family.user, token


def user_for_access_token(raw: str) -> User | None:
    digest = _digest(raw)
    if not versions.shared_cache():
        return _from_database(digest)[0]
    seen = _SEEN.get(digest)
    if seen is None:
        # A token's owner and expiry never change: learn them, then check versions next time.
        user, token = _from_database(digest)
        if token is not None:
            _remember(digest, _Seen(token.family.user_id, token.expires_at))
        return user
    if seen.expires_at <= timezone.now():
        return None
    version = versions.current(versions.auth_scope(seen.user_id))
    if seen.version == version and time.monotonic() - seen.stored < SEEN_SECONDS:
        # A copy: a request may set attributes on its user (django-otp does).
        return copy.copy(seen.user) if seen.user is not None else None
    user, _token = _from_database(digest)
    _remember(digest, _Seen(seen.user_id, seen.expires_at, version, time.monotonic(), user))
    # The kept object is never the request's: what the request sets on it stays its own.
    return copy.copy(user) if user is not None else None


def remembered(raw: str) -> _Seen | None:
    """What this process last read of a live token's owner, for a caller that reads the
    owner's auth version itself (tracker/scheduling/middleware.py) and must check that it
    is still `seen.version` before trusting `seen.user`. None when there is nothing to use:
    no shared cache, an unknown, expired or refused token, or a value past its time."""
    if not versions.shared_cache():
        return None
    seen = _SEEN.get(_digest(raw))
    if seen is None or seen.user is None or not seen.version:
        return None
    if seen.expires_at <= timezone.now() or time.monotonic() - seen.stored >= SEEN_SECONDS:
        return None
    return seen


def _remember(digest: str, seen: _Seen) -> None:
    if len(_SEEN) >= SEEN_MAX:
        _SEEN.clear()
    _SEEN[digest] = seen


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_access_token(token)
        if user is not None:
            request.user = user
        return user
