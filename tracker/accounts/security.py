"""Browser sessions: idle timeout, absolute lifetime, where a person is signed in, revoking;
and the second factor's enforcement on every request.

Each signed-in browser session carries a small mark (`_signin`: row id, session key, sign-in
time, last activity, whether the account has a second factor) and has a `SignInSession`
row. The middleware reads the mark on every request and writes it at most once a minute,
so an idle timeout costs no database write per request. Revoking deletes the session from
the session store, so the revoked browser is anonymous on its very next request.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.dispatch import receiver
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import ApiToken, Role, SignInSession, TokenFamily, User
from tracker.accounts.permissions import Cap, require
from tracker.accounts.tokens import forget, user_for_access_token
from tracker.audit.services import record
from tracker.core import request_context
from tracker.core.problems import problem_response

MARK = "_signin"
# Why the last session of this browser ended; the sign-in page explains it once.
NOTICE = "_signin_notice"
# Activity is written to the session and the database at most this often.
TOUCH_SECONDS = 60
# Ended rows are kept this long for the person's own history, then pruned at a sign-in.
KEEP_ENDED = timedelta(days=90)
# An admin's API token is re-checked for a second factor this often (when it is required).
TOKEN_CHECK_SECONDS = 60
# Served without touching the database, signed in or not (probes, the offline app shell, which
# carries nothing personal): the session is not even read.
_SESSIONLESS_PREFIXES = ("/static/", "/healthz", "/readyz", "/sw.js", "/offline/")
# Pages an admin without a second factor may still open while it is required.
_SET_UP_EXEMPT_PREFIXES = (*_SESSIONLESS_PREFIXES, "/i18n/")
_SET_UP_EXEMPT_NAMES = ("accounts:two-factor", "accounts:logout", "accounts:login")


def idle_limit() -> timedelta:
    return timedelta(minutes=getattr(settings, "SESSION_IDLE_MINUTES", 30))


def absolute_limit() -> timedelta:
    return timedelta(hours=getattr(settings, "SESSION_ABSOLUTE_HOURS", 12))


def _session_store(session_key: str):
    return import_module(settings.SESSION_ENGINE).SessionStore(session_key=session_key)


# --- registering sign-ins ---------------------------------------------------------------


def signin_register(*, request: HttpRequest, user: User, via: str = "") -> SignInSession:
    """Record a new browser sign-in and mark its session (called at every `login()`)."""
    from tracker.accounts.two_factor import has_second_factor

    session = request.session
    if session.session_key is None:
        session.save()
    previous = session.get(MARK)
    if previous:
        _end_rows(SignInSession.objects.filter(pk=previous["id"]), SignInSession.Ended.REPLACED)
    now = timezone.now()
    SignInSession.objects.filter(user=user, ended_at__lt=now - KEEP_ENDED).delete()
    row = SignInSession.objects.create(
        user=user,
        session_key=session.session_key,
        user_agent=request.META.get("HTTP_USER_AGENT", "")[:255],
        ip=request_context.client_ip(request),
        via=via or getattr(request, "signin_via", "") or "password",
        created_at=now,
        last_seen_at=now,
    )
    session[MARK] = {
        "id": row.pk,
        "key": session.session_key,
        "start": now.timestamp(),
        "seen": now.timestamp(),
        "otp": has_second_factor(user),
    }
    return row


@receiver(user_logged_in, dispatch_uid="security_signin_session")
def _on_signed_in(sender: Any, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    if request is not None and hasattr(request, "session"):
        signin_register(request=request, user=user)


@receiver(user_logged_out, dispatch_uid="security_signout_session")
def _on_signed_out(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    mark = request.session.get(MARK) if request is not None else None
    if mark:
        _end_rows(SignInSession.objects.filter(pk=mark["id"]), SignInSession.Ended.SIGNED_OUT)


def current_signin_id(request: HttpRequest) -> int | None:
    mark = request.session.get(MARK) if hasattr(request, "session") else None
    return mark["id"] if mark else None


def current_token_family_id(request: HttpRequest) -> int | None:
    """The API sign-in whose access token authorised this request, if any."""
    raw = _bearer(request)
    if not raw:
        return None
    digest = hashlib.sha256(raw.encode()).hexdigest()
    return ApiToken.objects.filter(digest=digest).values_list("family_id", flat=True).first()


def signin_mark_second_factor(request: HttpRequest, *, enabled: bool) -> None:
    """The person just set up or removed their second factor in this browser."""
    mark = request.session.get(MARK)
    if mark:
        mark["otp"] = enabled
        request.session[MARK] = mark


# --- reading: where a person is signed in ------------------------------------------------


@dataclass(frozen=True)
class SignIn:
    id: str
    kind: str  # "browser" or "api"
    pk: int
    device: str
    user_agent: str
    ip: str | None
    created_at: datetime
    last_seen_at: datetime | None
    current: bool


def signins_for_user(
    *, user: User, current_session_id: int | None = None, current_family_id: int | None = None
) -> list[SignIn]:
    """The person's live browser sessions (this one first), then their API sign-ins."""
    require(user, Cap.PROFILE_VIEW_OWN)
    rows = [
        SignIn(
            id=f"browser-{row.pk}",
            kind="browser",
            pk=row.pk,
            device=device_label(row.user_agent),
            user_agent=row.user_agent,
            ip=row.ip,
            created_at=row.created_at,
            last_seen_at=row.last_seen_at,
            current=row.pk == current_session_id,
        )
        for row in browser_sessions_live(user=user)
    ]
    rows.sort(key=lambda row: (not row.current, -row.last_seen_at.timestamp()))
    rows += [
        SignIn(
            id=f"api-{family.pk}",
            kind="api",
            pk=family.pk,
            device=device_label(family.user_agent),
            user_agent=family.user_agent,
            ip=family.ip,
            created_at=family.created_at,
            last_seen_at=family.last_seen_at,
            current=family.pk == current_family_id,
        )
        for family in api_signins_live(user=user)
    ]
    return rows


def browser_sessions_live(*, user: User) -> list[SignInSession]:
    now = timezone.now()
    candidates = SignInSession.objects.filter(
        user=user,
        ended_at__isnull=True,
        last_seen_at__gte=now - idle_limit(),
        created_at__gte=now - absolute_limit(),
    ).order_by("-last_seen_at")
    # A session can also end without us (cleared cookies and expiry, Django's own sign-out
    # after a password change elsewhere): only those still in the store are real.
    return [row for row in candidates if _session_store(row.session_key).exists(row.session_key)]


def api_signins_live(*, user: User) -> QuerySet[TokenFamily]:
    now = timezone.now()
    live_refresh = ApiToken.objects.filter(
        family=OuterRef("pk"),
        kind=ApiToken.Kind.REFRESH,
        used_at__isnull=True,
        expires_at__gt=now,
    )
    latest = ApiToken.objects.filter(family=OuterRef("pk")).order_by("-created_at")
    return (
        TokenFamily.objects.filter(user=user, revoked_at__isnull=True)
        .filter(Exists(live_refresh))
        .annotate(last_seen_at=Subquery(latest.values("created_at")[:1]))
        .order_by("-last_seen_at")
    )


_BROWSERS = (
    ("Edg", "Edge"),
    ("OPR/", "Opera"),
    ("SamsungBrowser", "Samsung Internet"),
    ("FxiOS", "Firefox"),
    ("Firefox/", "Firefox"),
    ("CriOS", "Chrome"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("iPhone", "iPhone"),
    ("iPad", "iPad"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)
_PRODUCT = re.compile(r"^([A-Za-z][\w.-]{0,40})")


def device_label(user_agent: str) -> str:
    """A readable "Browser on system" from a User-Agent, good enough to recognise a device."""
    if not user_agent:
        return _("Unknown device")
    browser = next((name for token, name in _BROWSERS if token in user_agent), None)
    system = next((name for token, name in _SYSTEMS if token in user_agent), None)
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    if browser or system:
        return browser or system
    # Apps and scripts: their product token ("python-requests", "curl").
    match = _PRODUCT.match(user_agent)
    return match.group(1) if match else _("Unknown device")


# --- services: revoking ------------------------------------------------------------------


@transaction.atomic
def _end_rows(rows: QuerySet[SignInSession], reason: str) -> int:
    """End sign-ins and delete their sessions from the store."""
    ended = 0
    for row in rows.filter(ended_at__isnull=True).select_for_update():
        _session_store(row.session_key).delete(row.session_key)
        row.ended_at = timezone.now()
        row.ended_reason = reason
        row.save(update_fields=["ended_at", "ended_reason"])
        ended += 1
    return ended


@transaction.atomic
def browser_session_revoke(*, user: User, session_id: int) -> None:
    """Sign one of the person's browsers out; it finds out on its next request."""
    require(user, Cap.PROFILE_EDIT_OWN)
    rows = SignInSession.objects.filter(pk=session_id, user=user)
    if not _end_rows(rows, SignInSession.Ended.REVOKED):
        raise Http404
    record(
        "accounts.session.revoked",
        actor=user,
        target=user,
        changes={"kind": "browser", "session": session_id},
    )


@transaction.atomic
def api_signin_revoke(*, user: User, family_id: int) -> None:
    """End one of the person's API sign-ins: every token of it stops working."""
    require(user, Cap.PROFILE_EDIT_OWN)
    updated = TokenFamily.objects.filter(pk=family_id, user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoked_reason="revoked"
    )
    if not updated:
        raise Http404
    forget([user.pk])
    changes = {"kind": "api", "login": family_id}
    record("accounts.session.revoked", actor=user, target=user, changes=changes)


@transaction.atomic
def signin_revoke(*, user: User, signin_id: str) -> None:
    """Revoke by the public id of `signins_for_user` ("browser-12", "api-7")."""
    match = re.fullmatch(r"(browser|api)-(\d{1,18})", signin_id)
    if match is None:
        raise Http404
    kind, pk = match.group(1), int(match.group(2))
    if kind == "browser":
        browser_session_revoke(user=user, session_id=pk)
    else:
        api_signin_revoke(user=user, family_id=pk)


@transaction.atomic
def signins_revoke_others(
    *, user: User, keep_session_id: int | None, keep_family_id: int | None = None
) -> dict[str, int]:
    """ "Sign out everywhere else": every browser and API sign-in but the one in use."""
    require(user, Cap.PROFILE_EDIT_OWN)
    browsers = _end_rows(
        SignInSession.objects.filter(user=user).exclude(pk=keep_session_id),
        SignInSession.Ended.REVOKED,
    )
    apis = (
        TokenFamily.objects.filter(user=user, revoked_at__isnull=True)
        .exclude(pk=keep_family_id)
        .update(revoked_at=timezone.now(), revoked_reason="revoked")
    )
    forget([user.pk])
    counts = {"browser": browsers, "api": apis}
    record("accounts.session.revoked_others", actor=user, target=user, changes=counts)
    return counts


@transaction.atomic
def signins_end_after_password(*, user: User, keep_session_id: int | None) -> int:
    """A new password signs out every other browser (the service already ended API logins)."""
    ended = _end_rows(
        SignInSession.objects.filter(user=user).exclude(pk=keep_session_id),
        SignInSession.Ended.PASSWORD,
    )
    if ended:
        record(
            "accounts.session.revoked",
            actor=user,
            target=user,
            changes={"kind": "browser", "reason": "password", "count": ended},
        )
    return ended


# --- the middleware ----------------------------------------------------------------------


def _bearer(request: HttpRequest) -> str:
    header = request.headers.get("Authorization", "")
    scheme, _sep, raw = header.partition(" ")
    return raw.strip() if scheme.lower() == "bearer" else ""


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


def _is_activity(request: HttpRequest) -> bool:
    # Open pages poll the API in the background (calendar version, inbox counts); those
    # must not keep an unattended browser signed in. Pages and API writes are activity.
    return not _is_api(request) or request.method not in ("GET", "HEAD", "OPTIONS")


def _set_up_exempt(path: str) -> bool:
    if path.startswith(_SET_UP_EXEMPT_PREFIXES):
        return True
    return any(path.startswith(reverse(name)) for name in _SET_UP_EXEMPT_NAMES)


def admin_needs_second_factor(user: Any) -> bool:
    """An admin who must set up a second factor before doing anything else."""
    from tracker.accounts.two_factor import has_second_factor

    if not getattr(settings, "REQUIRE_ADMIN_2FA", False):
        return False
    if not getattr(user, "is_authenticated", False) or user.role != Role.ADMIN:
        return False
    verified = getattr(user, "is_verified", None)
    if verified is not None and verified():
        return False
    return not has_second_factor(user)


class SessionSecurityMiddleware:
    """Idle timeout, absolute lifetime, revocation and the second factor, per request.

    Sits after django-otp's middleware, which tells whether this session passed a second
    factor (`request.user.is_verified()`).
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith(_SESSIONLESS_PREFIXES):
            return self.get_response(request)
        refusal = self._refuse_unverified_admin_token(request) or self._check_session(request)
        if refusal is not None:
            return refusal
        response = self.get_response(request)
        self._follow_key_change(request)
        return response

    def _check_session(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        if SESSION_KEY not in session:
            return None
        mark = session.get(MARK)
        if mark is None:
            # Signed in before this was deployed, or by a path that skipped login().
            if not request.user.is_authenticated:
                return None
            signin_register(request=request, user=request.user)
            mark = session[MARK]
        now = timezone.now().timestamp()
        if now - mark["start"] > absolute_limit().total_seconds():
            return self._sign_out(request, SignInSession.Ended.EXPIRED)
        if now - mark["seen"] > idle_limit().total_seconds():
            return self._sign_out(request, SignInSession.Ended.IDLE)
        touch_due = now - mark["seen"] >= TOUCH_SECONDS and _is_activity(request)
        if touch_due and not self._touch(request, mark):
            return self._sign_out(request, SignInSession.Ended.REVOKED)
        user = request.user
        if mark.get("otp") and user.is_authenticated and not user.is_verified():
            # The account gained a second factor after this browser signed in.
            return self._sign_out(request, SignInSession.Ended.SECOND_FACTOR)
        if admin_needs_second_factor(user) and not _set_up_exempt(request.path):
            return self._to_set_up(request)
        return None

    def _touch(self, request: HttpRequest, mark: dict[str, Any]) -> bool:
        from tracker.accounts.two_factor import has_second_factor

        now = timezone.now()
        alive = SignInSession.objects.filter(pk=mark["id"], ended_at__isnull=True).update(
            last_seen_at=now
        )
        if not alive:
            return False
        mark["seen"] = now.timestamp()
        mark["otp"] = has_second_factor(request.session[SESSION_KEY])
        request.session[MARK] = mark
        return True

    def _sign_out(self, request: HttpRequest, reason: str) -> HttpResponse | None:
        mark = request.session.get(MARK) or {}
        user_id = request.session.get(SESSION_KEY)
        if reason != SignInSession.Ended.REVOKED:
            _end_rows(SignInSession.objects.filter(pk=mark.get("id")), reason)
            record(
                "accounts.session.ended",
                target_type="accounts.user",
                target_id=user_id or "",
                changes={"reason": reason, "session": mark.get("id")},
            )
        request.session.flush()
        request.session[NOTICE] = reason
        anonymous = AnonymousUser()
        anonymous.otp_device = None
        anonymous.is_verified = lambda: False
        request.user = anonymous
        if _is_api(request):
            # Carry on as anonymous: the endpoint answers 401 as for any signed-out call.
            return None
        login_url = reverse("accounts:login")
        if request.method == "GET":
            login_url += "?" + urlencode({"next": request.get_full_path()})
        # An htmx swap would put the sign-in page inside the page: send the whole tab there.
        if request.headers.get("HX-Request"):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = login_url
            return response
        return HttpResponseRedirect(login_url)

    def _to_set_up(self, request: HttpRequest) -> HttpResponse:
        detail = _("Set up two-step sign-in before using the app: your role requires it.")
        if _is_api(request):
            return problem_response(request, 403, detail=detail)
        return HttpResponseRedirect(reverse("accounts:two-factor-setup"))

    def _refuse_unverified_admin_token(self, request: HttpRequest) -> HttpResponse | None:
        if not getattr(settings, "REQUIRE_ADMIN_2FA", False) or not _is_api(request):
            return None
        raw = _bearer(request)
        if not raw:
            return None
        key = "signin:2fa-required:" + hashlib.sha256(raw.encode()).hexdigest()
        blocked = cache.get(key)
        if blocked is None:
            user = user_for_access_token(raw)
            blocked = user is not None and admin_needs_second_factor(user)
            cache.set(key, blocked, TOKEN_CHECK_SECONDS)
        if not blocked:
            return None
        detail = _("Set up two-step sign-in in the browser first: your role requires it.")
        return problem_response(request, 403, detail=detail)

    def _follow_key_change(self, request: HttpRequest) -> None:
        # Django gives the session a new key when the password changes in it
        # (update_session_auth_hash): keep the row pointing at the live session.
        session = getattr(request, "session", None)
        mark = session.get(MARK) if session is not None else None
        if mark and session.session_key and mark["key"] != session.session_key:
            SignInSession.objects.filter(pk=mark["id"]).update(session_key=session.session_key)
            mark["key"] = session.session_key
            session[MARK] = mark
