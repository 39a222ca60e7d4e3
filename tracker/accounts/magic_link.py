"""Signing in by a link e-mailed to the account's address (django-sesame).

The link is valid for `SESAME_MAX_AGE` (15 minutes) and works once (`SESAME_ONE_TIME`: the
token is bound to the last sign-in time, which using it moves). Asking for a link always
gets the same answer, so the page does not tell whether an account exists. Following the
link shows a button rather than signing in on the GET: mail scanners that open links would
otherwise use the link up before the person does.
"""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from sesame.utils import get_query_string, get_user

from tracker.accounts.models import User
from tracker.accounts.services import resolve_username
from tracker.audit.services import record
from tracker.core import request_context

SCOPE = "signin-link"
WINDOW_SECONDS = 15 * 60
# Per address: a typo or two and some patience; beyond that, a script.
LIMIT_PER_ADDRESS = 10
# Per account: enough for a lost e-mail; not enough to flood someone's inbox.
LIMIT_PER_ACCOUNT = 3


def _over_limit(key: str, limit: int) -> bool:
    """Count one request against a fixed window; True once the limit is passed."""
    if cache.add(key, 1, WINDOW_SECONDS):
        return False
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, WINDOW_SECONDS)
        return False
    return count > limit


def signin_link_throttled() -> bool:
    """Too many link requests from this client address (checked before anything else)."""
    ip = request_context.current().ip or "unknown"
    return _over_limit(f"signin-link:ip:{ip}", LIMIT_PER_ADDRESS)


def _find_account(identifier: str) -> User | None:
    username = resolve_username(identifier)
    user = User.objects.filter(username__iexact=username, is_active=True).first()
    if user is None or not user.email:
        return None
    return user


@transaction.atomic
def signin_link_request(*, identifier: str) -> None:
    """E-mail a sign-in link to the account named, if there is one; say nothing either way."""
    user = _find_account(identifier)
    if user is None:
        changes = {"sent": False}
        record("accounts.signin_link.requested", target_type="accounts.user", changes=changes)
        return
    if _over_limit(f"signin-link:user:{user.pk}", LIMIT_PER_ACCOUNT):
        record(
            "accounts.signin_link.requested",
            target=user,
            changes={"sent": False, "reason": "rate_limited"},
        )
        return
    link = settings.SITE_URL + reverse("accounts:login-link") + get_query_string(user, SCOPE)
    record("accounts.signin_link.requested", target=user, changes={"sent": True})
    transaction.on_commit(lambda: _send(user, link))


def _send(user: User, link: str) -> None:
    context = {"user": user, "link": link, "minutes": settings.SESAME_MAX_AGE // 60}
    send_mail(
        subject=_("Your Students Tracker sign-in link"),
        message=render_to_string("accounts/email/signin_link.txt", context),
        from_email=None,
        recipient_list=[user.email],
    )


def signin_link_user(request: HttpRequest) -> User | None:
    """The account the link in this request signs in, using the link up; None if not valid."""
    user = get_user(request, scope=SCOPE)
    if user is None:
        record("accounts.signin_link.refused", target_type="accounts.user")
        return None
    record("accounts.signin_link.used", actor=user, target=user)
    return user
