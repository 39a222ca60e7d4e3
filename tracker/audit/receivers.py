"""Django's sign-in events, forwarded to the audit trail."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from tracker.audit.services import record


@receiver(user_logged_in, dispatch_uid="audit_signin")
def on_signed_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record("accounts.signin.succeeded", actor=user, target=user, changes={"via": "page"})


@receiver(user_logged_out, dispatch_uid="audit_signout")
def on_signed_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record("accounts.signout", actor=user, target=user, changes={"via": "page"})


@receiver(user_login_failed, dispatch_uid="audit_signin_failed")
def on_signin_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    record(
        "accounts.signin.failed",
        target_type="accounts.user",
        changes={"username": str(credentials.get("username", ""))[:150]},
    )


@receiver(user_locked_out, dispatch_uid="audit_locked_out")
def on_locked_out(sender: Any, request: Any, username: str | None, ip_address: str, **kwargs: Any):
    record(
        "accounts.signin.locked_out",
        target_type="accounts.user",
        changes={"username": (username or "")[:150], "ip": ip_address},
    )
