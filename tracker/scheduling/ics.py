"""A person's private ICS subscription: the link (services) and the calendar behind it.

The secret in the URL is the only credential a calendar app can send, so the feed is
personal: everyone, moderators and admins included, gets only the sessions they teach.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, require
from tracker.audit.services import record
from tracker.scheduling.models import CalendarFeed, Session, SessionStatus
from tracker.students.models import Student

FEED_PAST = timedelta(weeks=4)
FEED_AHEAD = relativedelta(months=6)
PRODID = "-//Students Tracker//Calendar feed//EN"
UID_DOMAIN = "students-tracker"


# --- Services -----------------------------------------------------------------------------


@transaction.atomic
def feed_for(*, user: User) -> CalendarFeed:
    """The user's feed, made on first use."""
    require(user, Cap.EXPORT_OWN_CALENDAR)
    feed, created = CalendarFeed.objects.get_or_create(user=user)
    if created:
        # The secret is the credential: the trail records that a link exists, never the link.
        record("scheduling.ics_feed.created", actor=user, target=feed, changes={"user": user.pk})
    return feed


@transaction.atomic
def feed_revoke(*, user: User) -> None:
    """Delete the user's feed, so the old link stops working; a new one gets a new secret."""
    require(user, Cap.EXPORT_OWN_CALENDAR)
    feed = CalendarFeed.objects.filter(user=user).first()
    if feed is None:
        return
    feed_id = feed.pk
    feed.delete()
    record(
        "scheduling.ics_feed.revoked",
        actor=user,
        target_type=CalendarFeed._meta.label_lower,
        target_id=feed_id,
        changes={"user": user.pk},
    )


# --- Selectors ----------------------------------------------------------------------------


def existing_feed(*, user: User) -> CalendarFeed | None:
    """The user's feed if they have made one; pages show it without making one."""
    return CalendarFeed.objects.filter(user=user).first()


def feed_url(*, request: HttpRequest, feed: CalendarFeed) -> str:
    return request.build_absolute_uri(reverse("ics:feed", args=[feed.secret]))


def as_webcal(url: str) -> str:
    """The same address with the scheme that phones hand straight to their calendar app."""
    return "webcal://" + url.split("://", 1)[1]


def get_feed_owner(*, secret: str) -> User:
    """The active user behind a secret; 404 otherwise, so a guess learns nothing."""
    feed = CalendarFeed.objects.select_related("user").filter(secret=secret).first()
    if feed is None or not feed.user.is_active:
        raise Http404
    return feed.user


def feed_sessions(*, user: User, now: datetime | None = None) -> list[Session]:
    """The sessions `user` teaches from four weeks ago to six months ahead, cancelled ones
    too (so that subscribers drop them), with the students' first names in one query."""
    now = now or timezone.now()
    first_names = Student.objects.only("id", "first_name").order_by("first_name", "id")
    return list(
        Session.objects.filter(tutor=user, end__gt=now - FEED_PAST, start__lt=now + FEED_AHEAD)
        .select_related("subject")
        .prefetch_related(Prefetch("students", queryset=first_names))
        .order_by("start", "id")
    )


# --- Rendering ----------------------------------------------------------------------------


def _summary(session: Session, names: list[str]) -> str:
    subject = session.subject.name if session.subject else _("Session")
    summary = f"{subject}: {', '.join(names)}" if names else subject
    if session.status == SessionStatus.CANCELLED:
        # Several calendar apps ignore STATUS, so say it where every app shows it.
        return _("Cancelled: %(summary)s") % {"summary": summary}
    return summary


def _description(session: Session, names: list[str]) -> str:
    # Only what the tutor needs at a glance: names, status and the link. Notes and
    # cancellation reasons stay in the app, since a calendar app may sync them anywhere.
    lines = [_("Status: %(status)s") % {"status": session.get_status_display()}]
    if names:
        lines.append(_("Students: %(names)s") % {"names": ", ".join(names)})
    if session.online_link:
        lines.append(_("Join online: %(link)s") % {"link": session.online_link})
    return "\n".join(lines)


def _event(session: Session) -> Event:
    names = [student.first_name for student in session.students.all()]
    event = Event()
    event.add("uid", f"session-{session.pk}@{UID_DOMAIN}")
    event.add("dtstart", session.start.astimezone(UTC))
    event.add("dtend", session.end.astimezone(UTC))
    event.add("summary", _summary(session, names))
    event.add("description", _description(session, names))
    location = session.location or (_("Online") if session.online_link else "")
    if location:
        event.add("location", location)
    if session.online_link:
        event.add("url", session.online_link)
    cancelled = session.status == SessionStatus.CANCELLED
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    # Seconds since creation grow with every change, which is all SEQUENCE has to do; they
    # stay far smaller than a timestamp for clients that keep it in 32 bits.
    event.add("sequence", int((session.updated_at - session.created_at).total_seconds()))
    # Without METHOD, RFC 5545 makes DTSTAMP the time the event last changed; using it keeps
    # the feed byte-identical between fetches until something changes.
    event.add("dtstamp", session.updated_at.astimezone(UTC))
    event.add("last-modified", session.updated_at.astimezone(UTC))
    return event


def calendar_for(*, user: User, sessions: Iterable[Session]) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    name = user.get_full_name() or user.get_username()
    calendar.add("x-wr-calname", _("Tutoring sessions of %(name)s") % {"name": name})
    calendar.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    for session in sessions:
        calendar.add_component(_event(session))
    return calendar.to_ical()
