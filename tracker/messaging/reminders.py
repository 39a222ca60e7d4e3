"""The daily e-mail to each tutor with tomorrow's sessions (`manage.py send_reminders`)."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.messaging.models import ReminderSent
from tracker.scheduling.models import Session, SessionStatus


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def _body(tutor: User, day: date, sessions: list[Session]) -> str:
    zone = ZoneInfo(tutor.time_zone or settings.TIME_ZONE)
    lines = [_("Hello %(name)s,") % {"name": tutor.first_name or tutor.username}, "",
             _("Your sessions on %(day)s:") % {"day": day.strftime("%A %d %B %Y")}, ""]  # fmt: skip
    for session in sessions:
        start, end = session.start.astimezone(zone), session.end.astimezone(zone)
        who = ", ".join(s.full_name for s in session.students.all())
        where = session.location or session.online_link or ""
        subject = session.subject.name if session.subject else _("Session")
        lines.append(
            f"- {start:%H:%M}–{end:%H:%M} {subject}: {who}" + (f" ({where})" if where else "")
        )
    lines += ["", f"{settings.SITE_URL}/calendar/"]
    return "\n".join(lines)


def reminders_send(*, day: date | None = None) -> int:
    """E-mail every active tutor with sessions on `day` (default tomorrow) once: a second
    run the same day finds the ReminderSent row and sends nothing."""
    day = day or timezone.localdate() + timedelta(days=1)
    start, end = _day_bounds(day)
    sessions = (
        Session.objects.filter(
            start__gte=start,
            start__lt=end,
            status=SessionStatus.SCHEDULED,
            tutor__is_active=True,
            tutor__role=Role.TUTOR,
        )
        .exclude(tutor__email="")
        .select_related("tutor", "subject")
        .prefetch_related("students")
        .order_by("tutor_id", "start")
    )
    by_tutor: dict[User, list[Session]] = defaultdict(list)
    for session in sessions:
        by_tutor[session.tutor].append(session)
    sent = 0
    for tutor, theirs in by_tutor.items():
        try:
            with transaction.atomic():
                ReminderSent.objects.create(user=tutor, day=day)
                subject = _("Your sessions tomorrow (%(n)s)") % {"n": len(theirs)}
                EmailMessage(subject, _body(tutor, day, theirs), to=[tutor.email]).send()
        except IntegrityError:
            continue  # already reminded for this day
        sent += 1
    return sent
