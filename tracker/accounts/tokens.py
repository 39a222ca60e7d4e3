"""API tokens: short-lived access tokens and rotating refresh tokens with reuse detection.

Written here rather than taken from a JWT package because the rules we need are stateful:
a deactivated account's tokens must stop working at once, and a refresh token presented a
second time must revoke every token of that sign-in. Opaque random tokens looked up by
digest give both with one indexed query per request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from tracker.accounts.models import ApiToken, TokenFamily, User
from tracker.audit.services import record
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
    return TokenFamily.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason=reason
    )


def _revoke_family(family: TokenFamily, *, reason: str) -> None:
    family.revoked_at = timezone.now()
    family.revoked_reason = reason
    family.save(update_fields=["revoked_at", "revoked_reason"])


def user_for_access_token(raw: str) -> User | None:
    token = (
        ApiToken.objects.select_related("family__user")
        .filter(digest=_digest(raw), kind=ApiToken.Kind.ACCESS)
        .first()
    )
    if token is None or token.expires_at <= timezone.now():
        return None
    if token.family.revoked_at is not None or not token.family.user.is_active:
        return None
    return token.family.user


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = user_for_access_token(token)
        if user is not None:
            request.user = user
        return user
