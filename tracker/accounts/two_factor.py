"""Two-step sign-in: an authenticator app (TOTP, django-otp) plus one-time recovery codes.

A person with a confirmed authenticator is not signed in by their password (or an e-mailed
link) alone: the first step leaves a short-lived "pending" note in the session, and only a
right code signs them in (`login()` then django-otp's `login()`, so that
`request.user.is_verified()` holds for the rest of the session).

Wrong codes count against the device (django-otp's throttling: 1, 2, 4, 8 … seconds between
tries), and a pending sign-in allows a few tries before the password is asked again. Code
checks never run inside a transaction that a refusal rolls back, so failures stay counted.
"""

from __future__ import annotations

import time
from base64 import b32encode
from dataclasses import dataclass

import segno
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django_otp import login as otp_login
from django_otp import verify_token
from django_otp.models import Device
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, require
from tracker.accounts.security import signin_mark_second_factor
from tracker.audit.services import record
from tracker.core.errors import NotAuthenticated

RECOVERY_CODE_COUNT = 10
TOTP_NAME = "Authenticator app"
RECOVERY_NAME = "Recovery codes"
PENDING = "_signin_pending"
PENDING_SECONDS = 5 * 60
PENDING_TRIES = 5


def has_second_factor(user: User | int | str) -> bool:
    user_id = user.pk if isinstance(user, User) else user
    return TOTPDevice.objects.filter(user_id=user_id, confirmed=True).exists()


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def normalise_code(code: str) -> str:
    return "".join(code.split()).replace("-", "").lower()


def _is_totp_code(code: str) -> bool:
    return code.isdigit() and len(code) == 6


# --- checking a code ---------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCheck:
    device: Device | None
    wait_seconds: int = 0

    @property
    def ok(self) -> bool:
        return self.device is not None

    def error(self) -> str:
        if self.wait_seconds:
            return ngettext(
                "Too many wrong codes. Wait %(seconds)s second, then try again.",
                "Too many wrong codes. Wait %(seconds)s seconds, then try again.",
                self.wait_seconds,
            ) % {"seconds": self.wait_seconds}
        return _("That code is not right. Check the time on your phone, or use a recovery code.")


def _throttle_wait(device: Device) -> int:
    allowed, info = device.verify_is_allowed()
    if allowed or not info or "locked_until" not in info:
        return 0
    return max(1, int((info["locked_until"] - timezone.now()).total_seconds() + 0.999))


def code_check(*, user: User, code: str) -> CodeCheck:
    """Check a code from the app (6 digits) or a recovery code; recovery codes are used up."""
    code = normalise_code(code)
    model = TOTPDevice if _is_totp_code(code) else StaticDevice
    devices = list(model.objects.devices_for_user(user, confirmed=True))
    # Refused unseen while the throttle runs: say so rather than "wrong code".
    wait = max((_throttle_wait(device) for device in devices), default=0)
    if wait:
        return CodeCheck(device=None, wait_seconds=wait)
    for device in devices:
        # django-otp's verify_token locks the device row and counts failures.
        verified = verify_token(user, device.persistent_id, code)
        if verified is not None:
            if isinstance(verified, StaticDevice):
                record(
                    "accounts.2fa.recovery_code_used",
                    actor=user,
                    target=user,
                    changes={"left": recovery_codes_left(user)},
                )
            return CodeCheck(device=verified)
    record("accounts.2fa.code_failed", actor=user, target=user)
    return CodeCheck(device=None)


# --- setting up, turning off, new recovery codes -----------------------------------------


def totp_setup_device(*, user: User) -> TOTPDevice:
    """The not-yet-confirmed authenticator being set up (the same one on a page reload)."""
    require(user, Cap.PROFILE_EDIT_OWN)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TOTP_NAME, confirmed=False)


def totp_secret(device: TOTPDevice) -> str:
    """The secret as authenticator apps take it typed in: base32, in groups of four."""
    secret = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_data_uri(device: TOTPDevice) -> str:
    # An SVG data URI: the page's CSP allows data: images, and nothing leaves the server.
    return segno.make(device.config_url, error="m").svg_data_uri(scale=5, border=2)


def totp_confirm(*, request: HttpRequest, user: User, code: str) -> list[str]:
    """Confirm the device with a first code; return the recovery codes to show once."""
    require(user, Cap.PROFILE_EDIT_OWN)
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("-pk").first()
    if device is None:
        raise ValidationError({"code": [_("Start the set-up again: it was not found.")]})
    wait = _throttle_wait(device)
    # Outside the writing transaction: a wrong code must stay counted by the throttle.
    if wait or not verify_token(user, device.persistent_id, normalise_code(code)):
        raise ValidationError({"code": [CodeCheck(device=None, wait_seconds=wait).error()]})
    codes = _totp_enable(user=user, device=device)
    device.refresh_from_db()
    otp_login(request, device)
    signin_mark_second_factor(request, enabled=True)
    return codes


@transaction.atomic
def _totp_enable(*, user: User, device: TOTPDevice) -> list[str]:
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    TOTPDevice.objects.filter(pk=device.pk).update(confirmed=True)
    codes = _replace_recovery_codes(user)
    record("accounts.2fa.enabled", actor=user, target=user, changes={"device": "totp"})
    return codes


def _replace_recovery_codes(user: User) -> list[str]:
    StaticDevice.objects.filter(user=user).delete()
    device = StaticDevice.objects.create(user=user, name=RECOVERY_NAME, confirmed=True)
    codes = [StaticToken.random_token() for _ in range(RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def recovery_codes_regenerate(*, user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    require(user, Cap.PROFILE_EDIT_OWN)
    if not has_second_factor(user):
        raise ValidationError(_("Set up two-step sign-in first."))
    codes = _replace_recovery_codes(user)
    record("accounts.2fa.recovery_codes_regenerated", actor=user, target=user)
    return codes


def two_factor_disable(
    *, request: HttpRequest | None, user: User, password: str = "", code: str = ""
) -> None:
    """Turn two-step sign-in off, proven by the password or a current code."""
    require(user, Cap.PROFILE_EDIT_OWN)
    if password:
        if not user.check_password(password):
            raise ValidationError({"password": [_("Your password is not right.")]})
        via = "password"
    elif code:
        check = code_check(user=user, code=code)
        if not check.ok:
            raise ValidationError({"code": [check.error()]})
        via = "code"
    else:
        raise ValidationError(_("Enter your password or a current code."))
    _two_factor_remove(user=user, via=via)
    if request is not None:
        signin_mark_second_factor(request, enabled=False)


@transaction.atomic
def _two_factor_remove(*, user: User, via: str) -> None:
    TOTPDevice.objects.filter(user=user).delete()
    StaticDevice.objects.filter(user=user).delete()
    record("accounts.2fa.disabled", actor=user, target=user, changes={"via": via})


# --- the second step of signing in ---------------------------------------------------------


def signin_pending_start(request: HttpRequest, user: User, *, via: str, next_url: str) -> None:
    """Password (or link) accepted; the code is still to come."""
    request.session[PENDING] = {
        "user": user.pk,
        "backend": user.backend,
        "via": via,
        "next": next_url,
        "at": time.time(),
        "tries": 0,
    }


def signin_pending_user(request: HttpRequest) -> User | None:
    pending = request.session.get(PENDING)
    if not pending or time.time() - pending["at"] > PENDING_SECONDS:
        request.session.pop(PENDING, None)
        return None
    return User.objects.filter(pk=pending["user"], is_active=True).first()


def signin_pending_next(request: HttpRequest) -> str:
    return (request.session.get(PENDING) or {}).get("next", "")


def signin_pending_finish(request: HttpRequest, *, code: str) -> CodeCheck | None:
    """Check the code of a pending sign-in; sign in when right. None: start again."""
    user = signin_pending_user(request)
    if user is None:
        return None
    pending = request.session[PENDING]
    check = code_check(user=user, code=code)
    if not check.ok:
        pending["tries"] += 1
        if pending["tries"] >= PENDING_TRIES:
            del request.session[PENDING]
            return None
        request.session[PENDING] = pending
        return check
    del request.session[PENDING]
    request.signin_via = pending["via"]
    login(request, user, backend=pending["backend"])
    otp_login(request, check.device)
    return check


# --- the API -----------------------------------------------------------------------------


def api_signin_second_factor(*, user: User, code: str | None) -> None:
    """The API's token endpoint asks for the same second factor as the sign-in page."""
    from django.conf import settings
    from django.core.exceptions import PermissionDenied

    if not has_second_factor(user):
        if getattr(settings, "REQUIRE_ADMIN_2FA", False) and user.role == Role.ADMIN:
            raise PermissionDenied(
                _("Set up two-step sign-in in the browser first: your role requires it.")
            )
        return
    if not code:
        raise NotAuthenticated(
            _("This account uses two-step sign-in: send the code as `otp`."),
            extra={"otp_required": True},
        )
    check = code_check(user=user, code=code)
    if not check.ok:
        raise NotAuthenticated(check.error(), extra={"otp_required": True})
