"""Writing the schedule: sessions, recurring series, cancellations. No double booking.

Clashes are checked inside the writing transaction on every database; PostgreSQL also
refuses them itself (exclusion constraints, migration 0002), which is what makes two
concurrent bookings of one slot end with exactly one winner there.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from tracker.accounts.models import Role, User
from tracker.accounts.permissions import Cap, require
from tracker.attendance.models import CancelledBy, Outcome, Review, SessionLog
from tracker.audit.services import record
from tracker.core import cache as versions
from tracker.core.errors import Conflict
from tracker.messaging.models import NotificationKind
from tracker.messaging.notify import notify
from tracker.org.models import Subject
from tracker.scheduling import recurrence
from tracker.scheduling.models import (
    Closure,
    Series,
    Session,
    SessionStatus,
    SessionStudent,
)
from tracker.students.models import Student, StudentStatus

MAX_LENGTH = timedelta(hours=8)
HORIZON = timedelta(weeks=26)
# How far ahead a calendar can see sessions of open series (`series_extend_for_view`).
VIEW_AHEAD = timedelta(days=3 * 366)
Scope = Literal["this", "following", "all"]
OVERLAP_CONSTRAINTS = ("session_tutor_no_overlap", "seat_student_no_overlap")


@dataclass
class Booking:
    """What a session (or every occurrence of a series) is: who, what, where."""

    tutor: User
    students: list[Student]
    subject: Subject | None = None
    location: str = ""
    online_link: str = ""
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


# --- checks ------------------------------------------------------------------------------


def _tutor(value: Any) -> User:
    tutor = User.objects.filter(pk=getattr(value, "pk", value), role=Role.TUTOR, is_active=True)
    found = tutor.first()
    if found is None:
        raise ValidationError({"tutor": [_("Choose an active tutor.")]})
    return found


def _students(values: Iterable[Any]) -> list[Student]:
    wanted = {getattr(v, "pk", v) for v in values}
    found = list(Student.objects.filter(pk__in=wanted).exclude(status=StudentStatus.ARCHIVED))
    if len(found) != len(wanted):
        raise ValidationError({"students": [_("Choose students who are not archived.")]})
    return found


def _subject(value: Any) -> Subject | None:
    if value in (None, ""):
        return None
    found = Subject.objects.filter(pk=getattr(value, "pk", value), is_active=True).first()
    if found is None:
        raise ValidationError({"subject": [_("Choose an active subject.")]})
    return found


def _check_times(start: datetime, end: datetime) -> None:
    if timezone.is_naive(start) or timezone.is_naive(end):
        raise ValidationError({"start": [_("Give times with their time zone.")]})
    if end <= start:
        raise ValidationError({"end": [_("The session must end after it starts.")]})
    if end - start > MAX_LENGTH:
        raise ValidationError({"end": [_("A session lasts at most 8 hours.")]})


def _clash_payload(session: Session) -> dict[str, Any]:
    return {
        "clashing_session": {
            "id": session.pk,
            "start": session.start.isoformat(),
            "end": session.end.isoformat(),
            "tutor": {"id": session.tutor_id, "name": session.tutor.get_full_name()},
        }
    }


def find_clash(
    *,
    tutor_id: int,
    student_ids: Sequence[int],
    start: datetime,
    end: datetime,
    ignore: Iterable[int] = (),
) -> Session | None:
    ignore = list(ignore)
    busy = Session.objects.filter(start__lt=end, end__gt=start).exclude(
        status=SessionStatus.CANCELLED
    )
    clash = busy.filter(tutor_id=tutor_id).exclude(pk__in=ignore).select_related("tutor").first()
    if clash is None and student_ids:
        seat = (
            SessionStudent.objects.filter(
                student_id__in=student_ids, active=True, start__lt=end, end__gt=start
            )
            .exclude(session_id__in=ignore)
            .select_related("session__tutor")
            .first()
        )
        clash = seat.session if seat else None
    return clash


def _refuse_clash(booking: Booking, start: datetime, end: datetime, ignore=()) -> None:
    clash = find_clash(
        tutor_id=booking.tutor.pk,
        student_ids=[s.pk for s in booking.students],
        start=start,
        end=end,
        ignore=ignore,
    )
    if clash is not None:
        local = timezone.localtime(clash.start)
        raise Conflict(
            _("Already booked: %(who)s has a session on %(when)s.")
            % {
                "who": clash.tutor.get_full_name() or clash.tutor,
                "when": f"{local:%a %d %b %H:%M}",
            },
            extra=_clash_payload(clash),
        )


def _guarded(write):
    """Run a write; turn PostgreSQL's overlap refusal (a concurrent booking) into a 409."""
    try:
        with transaction.atomic():
            return write()
    except IntegrityError as exc:
        if not any(name in str(exc) for name in OVERLAP_CONSTRAINTS):
            raise
        raise Conflict(_("Someone booked this time a moment ago. Choose another.")) from None


def bump_feed_version(*, tutors: Iterable[int | None] | None = None) -> None:
    """Calendars and dashboards show the change on their next read. Name the tutors whose
    sessions alone changed to keep every other tutor's cached calendar; without them, every
    cached calendar and dashboard is dropped."""
    if tutors is None:
        versions.bump_all()
    else:
        versions.bump([versions.SESSIONS, *(versions.tutor_scope(t) for t in tutors if t)])


def _seat(session: Session, students: list[Student]) -> None:
    SessionStudent.objects.bulk_create(
        SessionStudent(
            session=session,
            student=student,
            start=session.start,
            end=session.end,
            active=session.status != SessionStatus.CANCELLED,
        )
        for student in students
    )


def _sync_seats(session: Session) -> None:
    session.seats.update(
        start=session.start, end=session.end, active=session.status != SessionStatus.CANCELLED
    )


def _lock_status(session: Session) -> None:
    """Lock the session's row and read its status again: a log committed since the caller
    read the session (a phone syncing while a coordinator edits) must be refused, not
    overwritten by the full save that follows. Logging takes the same lock."""
    session.status = (
        Session.objects.select_for_update().values_list("status", flat=True).get(pk=session.pk)
    )


def _snapshot(session: Session) -> dict[str, Any]:
    return {
        "tutor": session.tutor_id,
        "students": sorted(session.seats.values_list("student_id", flat=True)),
        "subject": session.subject_id,
        "start": session.start.isoformat(),
        "end": session.end.isoformat(),
        "location": session.location,
        "online_link": session.online_link,
        "status": session.status,
    }


def booking_from(
    *, tutor: Any, students: Iterable[Any], subject: Any = None, **details: Any
) -> Booking:
    return Booking(
        tutor=_tutor(tutor),
        students=_students(students),
        subject=_subject(subject),
        location=(details.get("location") or "").strip(),
        online_link=(details.get("online_link") or "").strip(),
        notes=(details.get("notes") or "").strip(),
    )


# --- one session -------------------------------------------------------------------------


@transaction.atomic
def session_create(*, actor: User, start: datetime, end: datetime, **details: Any) -> Session:
    require(actor, Cap.SESSION_MANAGE)
    booking = booking_from(**details)
    _check_times(start, end)
    _refuse_clash(booking, start, end)

    def write() -> Session:
        session = _new_session(booking, start, end, actor=actor)
        _seat(session, booking.students)
        return session

    session = _guarded(write)
    bump_feed_version(tutors=[session.tutor_id])
    record("scheduling.session.created", actor=actor, target=session, changes=_snapshot(session))
    _tell_tutors(actor, [session.tutor], NotificationKind.SESSION_CREATED,
                 _("New session booked"), session.start)  # fmt: skip
    return session


def _tell_tutors(
    actor: User, tutors: Iterable[User | None], kind: str, text: str, when: datetime
) -> None:
    """The tutor hears of a change to their schedule, unless they made it themselves."""
    local = timezone.localtime(when)
    title = f"{text}: {formats.date_format(local, 'D j M')} {local:%H:%M}"
    ids = {t.pk for t in tutors if t is not None} - {actor.pk}
    notify(ids, kind=kind, title=title, url=reverse("calendar:index"))


def _new_session(
    booking: Booking, start: datetime, end: datetime, *, actor: User, series: Series | None = None
) -> Session:
    session = Session(
        tutor=booking.tutor,
        subject=booking.subject,
        start=start,
        end=end,
        location=booking.location,
        online_link=booking.online_link,
        notes=booking.notes,
        series=series,
        original_start=start if series else None,
        currency=settings.CURRENCY,
        created_by=actor,
    )
    session.full_clean(exclude=["series", "created_by", "tutor", "subject"])
    session.save()
    return session


@transaction.atomic
def session_update(
    *, actor: User, session: Session, scope: Scope = "this", **changes: Any
) -> Session:
    """Reschedule or edit one occurrence, this and the following ones, or the whole series."""
    require(actor, Cap.SESSION_MANAGE)
    _lock_status(session)
    if session.status != SessionStatus.SCHEDULED:
        raise Conflict(_("Only scheduled sessions can be changed."))
    if scope != "this" and session.series_id:
        return series_update(actor=actor, session=session, scope=scope, **changes)
    before = _snapshot(session)
    booking = booking_from(
        tutor=changes.get("tutor", session.tutor),
        students=changes.get("students", [seat.student_id for seat in session.seats.all()]),
        subject=changes.get("subject", session.subject),
        location=changes.get("location", session.location),
        online_link=changes.get("online_link", session.online_link),
        notes=changes.get("notes", session.notes),
    )
    start, end = changes.get("start", session.start), changes.get("end", session.end)
    _check_times(start, end)
    _refuse_clash(booking, start, end, ignore=[session.pk])

    previous_tutor = session.tutor

    def write() -> None:
        session.tutor, session.subject = booking.tutor, booking.subject
        session.start, session.end = start, end
        session.location, session.online_link = booking.location, booking.online_link
        session.notes = booking.notes
        session.is_exception = session.series_id is not None
        session.save()
        session.seats.exclude(student__in=booking.students).delete()
        kept = set(session.seats.values_list("student_id", flat=True))
        _seat(session, [s for s in booking.students if s.pk not in kept])
        _sync_seats(session)

    _guarded(write)
    bump_feed_version(tutors=[previous_tutor.pk, session.tutor_id])
    record(
        "scheduling.session.updated",
        actor=actor,
        target=session,
        changes={k: [before[k], v] for k, v in _snapshot(session).items() if before[k] != v},
    )
    _tell_tutors(actor, {previous_tutor, session.tutor}, NotificationKind.SESSION_MOVED,
                 _("Session changed"), session.start)  # fmt: skip
    return session


@transaction.atomic
def session_cancel(
    *,
    actor: User,
    session: Session,
    reason: str,
    billable: bool = False,
    scope: Scope = "this",
) -> Session:
    require(actor, Cap.SESSION_MANAGE)
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": [_("Say why the session is cancelled.")]})
    _lock_status(session)
    if session.status == SessionStatus.COMPLETED:
        raise Conflict(_("A completed session cannot be cancelled."))
    if SessionLog.objects.filter(session=session, review=Review.VERIFIED).exists():
        raise Conflict(_("This cancellation is verified; correct it from its log instead."))
    targets = [session]
    if scope != "this" and session.series_id:
        series = session.series
        pivot = session.original_start or session.start
        if scope == "all":
            pivot = max(timezone.now(), series.sessions.order_by("start").first().start)
        _end_series(series, before=pivot if scope == "following" else None)
        targets = list(
            series.sessions.filter(
                start__gte=min(pivot, session.start), status=SessionStatus.SCHEDULED
            )
        )
    now = timezone.now()
    for target in targets:
        target.status = SessionStatus.CANCELLED
        target.cancellation_reason = reason
        target.cancelled_by = actor
        target.cancelled_at = now
        target.billable = billable
        target.save()
        _sync_seats(target)
        if billable:
            # A billed cancellation goes to verification like a tutor's log, and is priced
            # there: money only ever comes from verified sessions.
            SessionLog.objects.update_or_create(
                session=target,
                defaults={
                    "tutor_id": target.tutor_id,
                    "outcome": Outcome.CANCELLED, "cancelled_by": CancelledBy.STUDENT,
                    "late_cancellation": True, "note": reason, "logged_by": actor,
                    "logged_at": now, "review": Review.PENDING,
                },
            )  # fmt: skip
    bump_feed_version(tutors={target.tutor_id for target in targets})
    record(
        "scheduling.session.cancelled",
        actor=actor,
        target=session,
        changes={"scope": scope, "reason": reason, "billable": billable, "count": len(targets)},
    )
    text = _("Session cancelled") if len(targets) == 1 else _("Sessions cancelled from")
    _tell_tutors(actor, [session.tutor], NotificationKind.SESSION_CANCELLED, text, session.start)
    session.refresh_from_db()
    return session


# --- series ------------------------------------------------------------------------------


def _closed_days(branch_id: int | None, start: date, end: date) -> set[date]:
    closures = Closure.objects.filter(start_date__lte=end, end_date__gte=start).filter(
        Q(branch__isnull=True) | Q(branch_id=branch_id)
    )
    days: set[date] = set()
    for closure in closures:
        days.update(recurrence.day_span(max(closure.start_date, start), min(closure.end_date, end)))
    return days


def _planned_starts(series: Series, *, after: datetime, until: date) -> list[datetime]:
    """Aware UTC starts the rule gives between `after` and the end of `until`, without
    closures and skipped dates."""
    zone = series.time_zone
    first_local = recurrence.to_local(series.first_start, zone)
    after_local = recurrence.to_local(after, zone)
    before_local = datetime.combine(until + timedelta(days=1), datetime.min.time())
    locals_ = recurrence.local_occurrences(
        series.rrule, first_local, after=after_local, before=before_local
    )
    if not locals_:
        return []
    skipped = {date.fromisoformat(d) for d in series.skip_dates}
    skipped |= _closed_days(series.branch_id, locals_[0].date(), locals_[-1].date())
    return [recurrence.to_utc(start, zone) for start in locals_ if start.date() not in skipped]


def _generate(
    series: Series, booking: Booking, *, actor: User, after: datetime, until: date, strict: bool
) -> int:
    """Store the occurrences from `after` up to `until`. Strict: a clash refuses the whole
    series (creating, editing); otherwise the clashing occurrence is skipped and noted
    (extending the horizon later must not fail for a session booked meanwhile).

    Clashes are checked against everything booked in the period at once, in memory, so a
    series of fifty costs a handful of queries, not fifty times as many.
    """
    length = timedelta(minutes=series.duration_minutes)
    existing = set(series.sessions.values_list("original_start", flat=True))
    planned = [
        start
        for start in _planned_starts(series, after=after, until=until)
        if start not in existing
    ]
    series.generated_until = until
    series.save(update_fields=["generated_until"])
    if not planned:
        return 0
    busy = _busy(booking, planned[0], planned[-1] + length)
    keep = []
    for start in planned:
        clash = next((s for s in busy if s.start < start + length and start < s.end), None)
        if clash is None:
            keep.append(start)
            continue
        if strict:
            _refuse_clash(booking, clash.start, clash.end)
        record(
            "scheduling.series.occurrence_skipped",
            actor=actor,
            target=series,
            changes={"start": start.isoformat(), "why": "clash", "with": clash.pk},
        )
    sessions = Session.objects.bulk_create(
        Session(
            tutor=booking.tutor, subject=booking.subject, start=start, end=start + length,
            location=booking.location, online_link=booking.online_link, notes=booking.notes,
            series=series, original_start=start, currency=settings.CURRENCY, created_by=actor,
        )
        for start in keep
    )  # fmt: skip
    SessionStudent.objects.bulk_create(
        SessionStudent(session=session, student=student, start=session.start, end=session.end)
        for session in sessions
        for student in booking.students
    )
    return len(sessions)


def _busy(booking: Booking, start: datetime, end: datetime) -> list[Session]:
    """Sessions of the tutor or the students between start and end that are not cancelled."""
    active = Session.objects.filter(start__lt=end, end__gt=start).exclude(
        status=SessionStatus.CANCELLED
    )
    seats = SessionStudent.objects.filter(
        student__in=booking.students, active=True, start__lt=end, end__gt=start
    ).values("session_id")
    return list(active.filter(Q(tutor=booking.tutor) | Q(pk__in=seats)).select_related("tutor"))


def _horizon(series: Series) -> date:
    # A series booked to start months from now still gets its first months stored.
    return (max(timezone.now(), series.first_start) + HORIZON).date()


@transaction.atomic
def series_create(
    *,
    actor: User,
    start: datetime,
    end: datetime,
    repeat: dict[str, Any],
    **details: Any,
) -> tuple[Series, int]:
    """A recurring session; its occurrences are stored for the coming months at once."""
    require(actor, Cap.SESSION_MANAGE)
    booking = booking_from(**details)
    _check_times(start, end)
    zone = settings.TIME_ZONE
    first_local = recurrence.to_local(start, zone)
    try:
        rule = recurrence.build_rule(first=first_local, **repeat)
    except (recurrence.RuleError, TypeError) as exc:
        raise ValidationError({"repeat": [str(exc)]}) from None
    series = Series.objects.create(
        tutor=booking.tutor,
        subject=booking.subject,
        branch=booking.students[0].branch if booking.students else booking.tutor.branch,
        rrule=rule,
        first_start=start,
        duration_minutes=int((end - start).total_seconds() // 60),
        time_zone=zone,
        location=booking.location,
        online_link=booking.online_link,
        notes=booking.notes,
        created_by=actor,
    )
    series.students.set(booking.students)
    cache.delete(EXTENDED_KEY)
    created = _guarded(
        lambda: _generate(
            series, booking, actor=actor, after=start, until=_horizon(series), strict=True
        )
    )
    if created == 0:
        raise ValidationError({"repeat": [_("This rule gives no sessions.")]})
    bump_feed_version(tutors=[series.tutor_id])
    record(
        "scheduling.series.created",
        actor=actor,
        target=series,
        changes={"rule": rule, "first_start": start.isoformat(), "sessions": created},
    )
    _tell_tutors(actor, [series.tutor], NotificationKind.SESSION_CREATED,
                 _("New repeating sessions from"), start)  # fmt: skip
    return series, created


def _series_booking(series: Series) -> Booking:
    return Booking(
        tutor=series.tutor,
        students=list(series.students.all()),
        subject=series.subject,
        location=series.location,
        online_link=series.online_link,
        notes=series.notes,
    )


def _end_series(series: Series, *, before: datetime | None) -> None:
    """Stop the rule before `before` (or now, for good) and drop later planned sessions."""
    cut = before or timezone.now()
    last_local = recurrence.to_local(cut, series.time_zone) - timedelta(seconds=1)
    series.rrule = recurrence.with_end(series.rrule, until=last_local)
    series.ended_at = timezone.now() if before is None else None
    series.save(update_fields=["rrule", "ended_at"])


def _drop_planned(series: Series, *, from_start: datetime, keep: Iterable[int] = ()) -> int:
    doomed = series.sessions.filter(
        start__gte=from_start, status=SessionStatus.SCHEDULED, is_exception=False
    ).exclude(pk__in=list(keep))
    count = doomed.count()
    doomed.delete()
    return count


@transaction.atomic
def series_update(*, actor: User, session: Session, scope: Scope, **changes: Any) -> Session:
    """Change this occurrence and the following ones (the series splits in two), or every
    occurrence from now on. Occurrences already logged or moved one by one stay as they are."""
    require(actor, Cap.SESSION_MANAGE)
    old = session.series
    pivot = session.original_start or session.start
    if scope == "all":
        # Every occurrence still to come; what already happened stays as it was.
        upcoming = (
            old.sessions.filter(start__gte=timezone.now(), status=SessionStatus.SCHEDULED)
            .order_by("original_start")
            .values_list("original_start", flat=True)
            .first()
        )
        if upcoming is not None and upcoming < pivot:
            pivot = upcoming
    new_start = changes.pop("start", session.start)
    new_end = changes.pop("end", session.end)
    _check_times(new_start, new_end)
    shift = new_start - session.start
    base = _series_booking(old)
    booking = booking_from(
        tutor=changes.get("tutor", base.tutor),
        students=changes.get("students", base.students),
        subject=changes.get("subject", base.subject),
        location=changes.get("location", base.location),
        online_link=changes.get("online_link", base.online_link),
        notes=changes.get("notes", base.notes),
    )
    zone = old.time_zone
    day_shift = (
        recurrence.to_local(new_start, zone).date()
        - recurrence.to_local(session.start, zone).date()
    ).days
    remaining = recurrence.rule_count(old.rrule)
    if remaining is not None:
        done = len(
            recurrence.local_occurrences(
                old.rrule,
                recurrence.to_local(old.first_start, zone),
                after=recurrence.to_local(old.first_start, zone),
                before=recurrence.to_local(pivot, zone),
            )
        )
        remaining = max(remaining - done, 1)
    rule = recurrence.shift_weekdays(old.rrule, day_shift)
    if remaining is not None:
        rule = recurrence.with_end(rule, count=remaining)
    _drop_planned(old, from_start=pivot)
    if session.pk and Session.objects.filter(pk=session.pk).exists():
        session.delete()
    _end_series(old, before=pivot)
    new = Series.objects.create(
        tutor=booking.tutor,
        subject=booking.subject,
        branch=old.branch,
        rrule=rule,
        first_start=pivot + shift,
        duration_minutes=int((new_end - new_start).total_seconds() // 60),
        time_zone=zone,
        location=booking.location,
        online_link=booking.online_link,
        notes=booking.notes,
        skip_dates=old.skip_dates,
        created_by=actor,
    )
    new.students.set(booking.students)
    cache.delete(EXTENDED_KEY)
    created = _guarded(
        lambda: _generate(
            new, booking, actor=actor, after=pivot + shift, until=_horizon(new), strict=True
        )
    )
    bump_feed_version(tutors=[old.tutor_id, new.tutor_id, session.tutor_id])
    record(
        "scheduling.series.split" if scope == "following" else "scheduling.series.updated",
        actor=actor,
        target=new,
        changes={
            "from_series": old.pk,
            "rule": rule,
            "from": pivot.isoformat(),
            "sessions": created,
        },
    )
    _tell_tutors(actor, {old.tutor, new.tutor}, NotificationKind.SESSION_MOVED,
                 _("Repeating sessions changed from"), pivot + shift)  # fmt: skip
    return new.sessions.order_by("start").first()


EXTENDED_KEY = "scheduling:series-extended-until"


def series_extend_for_view(*, until: date) -> None:
    """What a calendar looking at `until` needs stored; the cache spares the feed a query
    on every request once the series reach that far."""
    # However far a calendar scrolls, series are stored at most this far ahead: a request
    # for the year 9999 must not generate eight thousand years of sessions.
    until = min(until, (timezone.now() + VIEW_AHEAD).date())
    known = cache.get(EXTENDED_KEY)
    if known is not None and until <= known:
        return
    series_extend(until=until)
    cache.set(EXTENDED_KEY, until, timeout=600)


def series_extend(*, until: date | None = None, actor: User | None = None) -> int:
    """Generate occurrences of every open series up to the rolling horizon."""
    created = 0
    horizon = until or (timezone.now() + HORIZON).date()
    stale = Series.objects.filter(ended_at__isnull=True).filter(
        Q(generated_until__isnull=True) | Q(generated_until__lt=horizon)
    )
    for series in stale.select_related("tutor", "subject"):
        with transaction.atomic():
            after = datetime.combine(
                series.generated_until + timedelta(days=1), datetime.min.time(),
                tzinfo=ZoneInfo(series.time_zone),
            ) if series.generated_until else series.first_start  # fmt: skip
            created += _generate(
                series, _series_booking(series), actor=actor, after=after, until=horizon,
                strict=False,
            )  # fmt: skip
    if created:
        bump_feed_version()
    return created
