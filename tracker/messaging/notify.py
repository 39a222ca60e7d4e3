"""System notifications raised by what happens elsewhere (a session booked, a log sent
back, an invoice issued): one call from the service that made the change, written in its
transaction, e-mailed after commit to those who asked for e-mail."""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import transaction
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.messaging import realtime
from tracker.messaging.models import Notification, NotificationPreference


def notify(users: Iterable[User | int], *, kind: str, title: str, url: str = "") -> int:
    """Tell these people (the actor excluded by the caller); returns how many rows."""
    ids = sorted({u if isinstance(u, int) else u.pk for u in users})
    active = list(User.objects.filter(pk__in=ids, is_active=True).values_list("pk", flat=True))
    if not active:
        return 0
    Notification.objects.bulk_create(
        [Notification(user_id=uid, kind=kind, title=title[:200], url=url) for uid in active]
    )
    realtime.bump(active)
    wants_mail = set(
        NotificationPreference.objects.filter(
            user_id__in=active, kind=kind, email=True
        ).values_list("user_id", flat=True)
    )
    if wants_mail:
        transaction.on_commit(lambda: _email(wants_mail, title, url))
    return len(active)


def _email(user_ids: set[int], title: str, url: str) -> None:
    link = f"{settings.SITE_URL.rstrip('/')}{url}" if url else settings.SITE_URL
    body = _(
        "%(title)s\n\nOpen Students Tracker: %(link)s\n\nYou get this e-mail because you "
        "asked for it in your notification settings."
    ) % {"title": title, "link": link}
    recipients = (
        User.objects.filter(pk__in=user_ids).exclude(email="").values_list("email", flat=True)
    )
    send_mass_mail(
        [(title, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in recipients],
        fail_silently=False,
    )


def admins() -> list[int]:
    return list(User.objects.filter(role=Role.ADMIN, is_active=True).values_list("pk", flat=True))
