"""Sign in the benchmark's tutors and moderators and pick the sessions they will log.

Needs Django set up (bench/load.py does it; the tests have pytest-django). Tokens come from
`tokens.token_issue`, the function POST /api/v1/auth/token calls once the password is
checked: signing in 500 accounts over HTTP would spend half a minute on Argon2 and on the
anonymous rate limit, neither of which the benchmark measures.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from itertools import zip_longest
from urllib.parse import urlencode

from django.utils import timezone

from bench.plan import Identity, Write
from tracker.accounts.models import Role, User
from tracker.accounts.tokens import token_issue
from tracker.scheduling.models import Session, SessionStatus


def week_of(now: datetime) -> tuple[datetime, datetime]:
    """Monday 00:00 to the next Monday in the business's time zone: the calendar's week
    view, as FullCalendar asks for it."""
    local = timezone.localtime(now)
    monday = (local - timedelta(days=local.weekday())).replace(
        hour=0, minute=0, second=0, microsecond=0
    )
    return monday, monday + timedelta(days=7)


def feed_path(start: datetime, end: datetime, *, tutor_id: int | None = None) -> str:
    query = {"start": start.isoformat(), "end": end.isoformat()}
    if tutor_id is not None:
        query["tutor"] = str(tutor_id)
    return "/api/v1/sessions?" + urlencode(query)


def sign_in(*, tutors: int | None, moderators: int | None, now: datetime) -> list[Identity]:
    """Tokens for the first `tutors` tutors and `moderators` moderators (all when None).

    A tutor's feed is their own week. A moderator's is one tutor's week (the calendar's
    tutor filter), taken in turn: the unfiltered week of a whole business (12,000 sessions
    in the load data) is not the request a coordinator repeats all day.
    """
    start, end = week_of(now)
    active = User.objects.filter(is_active=True).order_by("username")
    tutor_users = list(active.filter(role=Role.TUTOR)[:tutors])
    moderator_users = list(active.filter(role=Role.MODERATOR)[:moderators])
    if not tutor_users:
        raise ValueError("The database has no active tutor: run `manage.py seed_load` first.")
    identities = [
        Identity(
            user_id=user.pk,
            role=Role.TUTOR,
            token=token_issue(user=user).access_token,
            feed_path=feed_path(start, end),
        )
        for user in tutor_users
    ]
    for index, user in enumerate(moderator_users):
        watched = tutor_users[index % len(tutor_users)]
        identities.append(
            Identity(
                user_id=user.pk,
                role=Role.MODERATOR,
                token=token_issue(user=user).access_token,
                feed_path=feed_path(start, end, tutor_id=watched.pk),
            )
        )
    return identities


def sessions_to_log(
    *, identities: list[Identity], now: datetime, limit: int | None = None
) -> list[Write]:
    """Past sessions nobody has logged yet, each paired with its tutor's token, taking
    the tutors in turn so that consecutive writes belong to different tutors. Each gets a
    fresh idempotency key: a write is a new log, never a replay of an earlier run's."""
    tokens = {i.user_id: i.token for i in identities if i.role == Role.TUTOR}
    rows = (
        Session.objects.filter(
            tutor_id__in=tokens, status=SessionStatus.SCHEDULED, end__lte=now, log__isnull=True
        )
        .order_by("tutor_id", "-start")
        .values_list("tutor_id", "pk")
    )
    per_tutor: dict[int, list[int]] = {}
    for tutor_id, session_id in rows:
        per_tutor.setdefault(tutor_id, []).append(session_id)
    run = secrets.token_hex(4)
    writes = [
        Write(session_id=pk, tutor_id=tutor_id, token=tokens[tutor_id], key=f"bench-{run}-{pk}")
        for turn in zip_longest(*([(t, pk) for pk in pks] for t, pks in per_tutor.items()))
        for tutor_id, pk in filter(None, turn)
    ]
    return writes[:limit] if limit is not None else writes
