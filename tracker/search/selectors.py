"""The global search: students, accounts, sessions and messages, each only as far as the
searching person may see them.

Every kind starts from the scope its own app defines (a tutor's assigned students, their
own sessions, the threads they are in), so search can never show more than the pages it
links to. Only plain, non-personal columns are searched: a student's PII is encrypted and
message bodies go through the messaging app's blind index.

On PostgreSQL the words are matched with full-text search (the "simple" configuration,
each word as a prefix, so "Tha" finds "Thandi"), backed by the GIN expression indexes of
this app's migration; the vectors below must stay the expressions those indexes were
built on. Elsewhere (SQLite) each word must appear somewhere in one of the fields. Both
need every word to match; they differ only where SQLite also finds a word's middle.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.postgres.search import SearchQuery, SearchVector, SearchVectorExact
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import Case, F, IntegerField, Q, QuerySet, Value, When
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from tracker.accounts import selectors as accounts
from tracker.accounts.models import User
from tracker.accounts.permissions import Cap, can, require
from tracker.messaging import selectors as messaging
from tracker.messaging.models import Thread
from tracker.org.models import Subject
from tracker.scheduling import selectors as scheduling
from tracker.scheduling.models import Session, SessionStudent
from tracker.students import selectors as students
from tracker.students.models import Student, StudentStatus

MIN_LENGTH = 2
MAX_LENGTH = 100
# More words than this only make the query slower, not the answer better.
MAX_WORDS = 5
CONFIG = "simple"
# Punctuation around a word ("Thandi," or "(maths)") is not part of it.
EDGES = re.compile(r"^[\W_]+|[\W_]+$")

STUDENT_FIELDS = ("first_name", "last_name")
ACCOUNT_FIELDS = ("username", "first_name", "last_name", "email")


@dataclass(frozen=True)
class Hit:
    kind: str
    id: int
    title: str
    subtitle: str
    url: str


@dataclass
class Group:
    kind: str
    label: str
    total: int
    hits: list[Hit] = field(default_factory=list)

    @property
    def more(self) -> int:
        return self.total - len(self.hits)


@dataclass
class Results:
    query: str
    groups: list[Group]

    @property
    def hits(self) -> list[Hit]:
        return [hit for group in self.groups for hit in group.hits]

    @property
    def total(self) -> int:
        return sum(group.total for group in self.groups)


def clean_query(query: str) -> str:
    """The query without control characters (PostgreSQL refuses NUL) or runs of spaces."""
    printable = "".join(ch for ch in query if not unicodedata.category(ch).startswith("C"))
    return " ".join(printable.split())


def query_words(query: str) -> list[str]:
    """The words of the query, each kept whole inside ("o'brien", an e-mail address)."""
    words = dict.fromkeys(EDGES.sub("", word).casefold() for word in query.split())
    return [word for word in words if word][:MAX_WORDS]


def _prefix_term(word: str) -> str:
    # Quoted, a word is a literal whatever it holds (& | ! : * ( ) cannot act as
    # operators); PostgreSQL's parser then splits it as it splits the indexed text.
    quoted = word.replace("\\", "\\\\").replace("'", "''")
    return f"'{quoted}':*"


def validate_query(query: str) -> str:
    """The cleaned query, or a field error on "q" when it is too short or too long."""
    cleaned = clean_query(query)
    if len(cleaned) < MIN_LENGTH:
        message = _("Type at least %(n)s characters.") % {"n": MIN_LENGTH}
        raise ValidationError({"q": [message]})
    if len(cleaned) > MAX_LENGTH:
        message = _("Keep it to %(n)s characters or fewer.") % {"n": MAX_LENGTH}
        raise ValidationError({"q": [message]})
    return cleaned


def words_match(fields: Sequence[str], words: Sequence[str]) -> Q:
    """Every word matches (the start of a word in) one of the fields."""
    if connection.vendor == "postgresql":
        terms = " & ".join(_prefix_term(word) for word in words)
        query = SearchQuery(terms, search_type="raw", config=CONFIG)
        return Q(SearchVectorExact(SearchVector(*fields, config=CONFIG), query))
    condition = Q()
    for word in words:
        condition &= reduce(or_, (Q(**{f"{name}__icontains": word}) for name in fields))
    return condition


def _local(moment: datetime) -> datetime:
    return timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE))


def _join(*parts: str) -> str:
    return " · ".join(part for part in parts if part)


# --- Students --------------------------------------------------------------------------


def _students(user: User, words: list[str]) -> QuerySet[Student]:
    # The students app's own scope; only the basic fields are loaded, never contact or money.
    return (
        students._scope(user)
        .prefetch_related(None)
        .select_related(None)
        .select_related("school")
        .only("id", "first_name", "last_name", "grade", "status", "school__name")
        .filter(words_match(STUDENT_FIELDS, words))
        .order_by(_archived_last(), "last_name", "first_name", "id")
    )


def _archived_last() -> Case:
    return Case(
        When(status=StudentStatus.ARCHIVED, then=Value(1)),
        default=Value(0),
        output_field=IntegerField(),
    )


def _student_hit(student: Student) -> Hit:
    status = "" if student.status == StudentStatus.ACTIVE else student.get_status_display()
    school = student.school.name if student.school else ""
    return Hit(
        kind="students",
        id=student.pk,
        title=student.full_name,
        subtitle=_join(student.grade, school, status),
        url=reverse("students:detail", args=[student.pk]),
    )


# --- Accounts: tutors and staff --------------------------------------------------------


def _accounts(user: User, words: list[str]) -> QuerySet[User]:
    # Moderators find the tutors they manage, admins everyone: the accounts pages' scope.
    return (
        accounts.user_list(user=user)
        .select_related(None)
        .select_related("branch")
        .filter(words_match(ACCOUNT_FIELDS, words))
        .order_by("-is_active", "last_name", "first_name", "id")
    )


def _account_hit(account: User) -> Hit:
    branch = account.branch.name if account.branch else ""
    inactive = "" if account.is_active else _("Inactive")
    return Hit(
        kind="tutors",
        id=account.pk,
        title=account.get_full_name() or account.username,
        subtitle=_join(account.get_role_display(), account.username, branch, inactive),
        url=reverse("accounts:user-edit", args=[account.pk]),
    )


# --- Sessions --------------------------------------------------------------------------


def _sessions(user: User, words: list[str]) -> QuerySet[Session]:
    """Each word names one of the session's students, its subject or its place; the
    coming ones first, soonest first, then the past ones, latest first."""
    sessions = scheduling._scope(user)
    for word in words:
        # A union of three index-backed lookups: OR-ing them would scan every session.
        named = Student.objects.filter(words_match(STUDENT_FIELDS, [word]))
        subjects = Subject.objects.filter(words_match(("name",), [word]))
        matching = (
            SessionStudent.objects.filter(student__in=named)
            .values("session_id")
            .union(
                Session.objects.filter(subject__in=subjects).order_by().values("pk"),
                Session.objects.filter(words_match(("location",), [word])).order_by().values("pk"),
            )
        )
        sessions = sessions.filter(pk__in=matching)
    now = timezone.now()
    upcoming = Q(end__gt=now)
    return sessions.order_by(
        Case(When(upcoming, then=Value(0)), default=Value(1), output_field=IntegerField()),
        Case(When(upcoming, then=F("start"))).asc(nulls_last=True),
        Case(When(~upcoming, then=F("start"))).desc(nulls_last=True),
        "id",
    )


def _session_hit(session: Session) -> Hit:
    start, end = _local(session.start), _local(session.end)
    names = ", ".join(student.full_name for student in session.students.all())
    subject = session.subject.name if session.subject else _("Session")
    tutor = session.tutor.get_full_name() or session.tutor.username
    when = f"{formats.date_format(start, 'D j M Y')}, {start:%H:%M}–{end:%H:%M}"
    return Hit(
        kind="sessions",
        id=session.pk,
        title=_join(subject, names),
        subtitle=_join(when, tutor, session.location, session.get_status_display()),
        url=reverse("calendar:index"),
    )


# --- Messages --------------------------------------------------------------------------


def _threads(user: User, words: list[str]) -> QuerySet[Thread]:
    # Only threads the person is in; bodies match whole words through the blind index.
    return messaging.thread_list(user=user, query=" ".join(words))


def _thread_hit(thread: Thread) -> Hit:
    last = formats.date_format(_local(thread.last_message_at), "j M Y")
    unread = (
        ngettext("%(n)s unread", "%(n)s unread", thread.unread) % {"n": thread.unread}
        if thread.unread
        else ""
    )
    return Hit(
        kind="messages",
        id=thread.pk,
        title=thread.subject,
        subtitle=_join(thread.get_kind_display(), last, unread),
        url=reverse("messaging:thread", args=[thread.pk]),
    )


# --- Putting it together ---------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    name: str
    label: str
    # Who may search this kind at all; the matching query narrows it to their scope.
    capability: Cap
    matching: Callable[[User, list[str]], QuerySet]
    hit: Callable[[Any], Hit]


KINDS = {
    kind.name: kind
    for kind in (
        Kind(
            "students", gettext_lazy("Students"), Cap.STUDENT_VIEW_ASSIGNED, _students, _student_hit
        ),
        Kind("tutors", gettext_lazy("Tutors and staff"), Cap.ACCOUNT_LIST, _accounts, _account_hit),
        Kind("sessions", gettext_lazy("Sessions"), Cap.CALENDAR_VIEW_OWN, _sessions, _session_hit),
        Kind("messages", gettext_lazy("Messages"), Cap.MESSAGE_REPLY, _threads, _thread_hit),
    )
}


def kinds_for(user: User) -> list[str]:
    """The kinds of thing this person may search, in the order results are shown."""
    return [kind.name for kind in KINDS.values() if can(user, kind.capability)]


def search(
    *, user: User, query: str, kind: str | None = None, limit: int = 8, offset: int = 0
) -> Results:
    """Up to `limit` hits of each kind the user may search (or of `kind` alone), from
    `offset`, with the total of each. A fixed number of queries, however many match."""
    require(user, Cap.SEARCH)
    if kind is not None and kind not in KINDS:
        raise ValidationError({"kind": [_("Choose one of: %s.") % ", ".join(KINDS)]})
    if kind is not None and not can(user, KINDS[kind].capability):
        raise PermissionDenied(_("Your role does not allow this."))
    cleaned = validate_query(query)
    words = query_words(cleaned)
    groups = []
    for name in [kind] if kind else kinds_for(user):
        groups.append(_group(KINDS[name], user, words, limit=limit, offset=offset))
    return Results(query=cleaned, groups=groups)


def _group(kind: Kind, user: User, words: list[str], *, limit: int, offset: int) -> Group:
    group = Group(kind=kind.name, label=str(kind.label), total=0)
    if not words:
        # Punctuation only: nothing to look for, and nothing to count.
        return group
    matching = kind.matching(user, words)
    group.total = matching.count()
    if group.total > offset:
        group.hits = [kind.hit(obj) for obj in matching[offset : offset + limit]]
    return group
