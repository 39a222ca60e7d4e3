"""A whole tutoring business in bulk, for benchmarks and load tests (`manage.py seed_load`).

Two years of history and a few weeks ahead: tutors teaching weekly lessons on a timetable
grid, students who join, pause and leave, logs and attendance, verified sessions priced
as `tracker.finance.pricing.price_verified` prices them, monthly invoices with payments,
and some messages.

The services are not called: through them a session costs about 20 ms, hours for a
million. The rules they keep are kept here instead, and tests/core/test_seed_load.py
checks them on the result: a session's seats copy its times and state, no tutor or
student is in two sessions at once, one charge per seat of a verified session at the
price `pricing` computes, invoice totals are the sums of their lines, invoice numbers are
gap-free and continue in `NumberSeries`. Ids are chosen here so that rows can refer to
each other before they are written. PostgreSQL gets the rows by binary COPY, with the big
tables' indexes and constraints dropped for the load and built again after it (which
also checks every foreign key, uniqueness and no-overlap rule once, in bulk); other
databases get batched INSERTs.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from tracker.accounts.models import Role, User
from tracker.attendance.models import Attendance, CancelledBy, Presence, Review, SessionLog
from tracker.audit.services import record
from tracker.core import cache as versions
from tracker.finance.models import (
    Allocation,
    Charge,
    ChargeKind,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    LineKind,
    NumberSeries,
    PayBasis,
    Payer,
    PayerStudent,
    Payment,
    PaymentMethod,
    Rate,
    TutorEarning,
    TutorPayRate,
)
from tracker.finance.pricing import percent, price, rebuild_income_days, to_cents
from tracker.finance.services import SERIES_PREFIX
from tracker.lib.fields import EncryptedTextField
from tracker.messaging.models import (
    InboxVersion,
    Message,
    Notification,
    NotificationKind,
    Receipt,
    SearchToken,
    Thread,
    ThreadKind,
    ThreadMember,
)
from tracker.messaging.services import word_digest, words
from tracker.org.models import Branch, School, Subject
from tracker.scheduling.models import Closure, FeedVersion, Session, SessionStatus, SessionStudent
from tracker.students.models import AvailabilityWindow, Student, StudentStatus

# --- Names and words (made up: no real person's data) --------------------------------------

FIRST = ["Amahle", "Bongani", "Chloe", "Daniel", "Elena", "Farah", "Gift", "Hannah", "Imran",
         "Jabu", "Keabetswe", "Liam", "Mia", "Nandi", "Owen", "Palesa", "Quinn", "Riya",
         "Sizwe", "Tumi", "Unathi", "Vusi", "Wandile", "Xolani", "Yusuf", "Zara", "Aisha",
         "Bheki", "Carla", "Dineo", "Ethan", "Fikile", "Grace", "Hlengiwe", "Isaac", "Johan",
         "Kamo", "Lindiwe", "Mandla", "Naledi", "Olwethu", "Priya", "Refilwe", "Sibusiso",
         "Thabo", "Uma", "Vuyo", "Willem", "Yolanda", "Zinhle", "Ayanda", "Busisiwe", "Connor",
         "Dumisani", "Eva", "Faith", "Gugu", "Hamza", "Itumeleng", "Jessica"]  # fmt: skip
LAST = ["Adams", "Botha", "Cele", "Dlamini", "Erasmus", "Fourie", "Govender", "Hendricks",
        "Jacobs", "Khumalo", "Louw", "Mahlangu", "Naidoo", "Olivier", "Pillay", "Radebe",
        "Smit", "Tshabalala", "Van Wyk", "Zulu", "Abrahams", "Bester", "Chetty", "Du Plessis",
        "Ebrahim", "Ferreira", "Gumede", "Hadebe", "Isaacs", "Joubert", "Kruger", "Lekota",
        "Mokoena", "Ndlovu", "Nkosi", "Pretorius", "Reddy", "Sithole", "Steyn", "Thompson",
        "Venter", "Williams", "Xaba", "Zwane", "Moodley", "Mthembu", "Nel", "Petersen",
        "Sibiya", "Van der Merwe"]  # fmt: skip
BRANCHES = [
    ("Rosebank", "12 Tyrwhitt Ave, Rosebank"),
    ("Sandton", "5 Rivonia Rd, Sandton"),
    ("Pretoria East", "88 Lois Ave, Menlyn"),
    ("Cape Town", "21 Bree St, Cape Town"),
    ("Durban North", "3 Kensington Dr, Durban North"),
]
SUBURBS = ["Parktown", "Rosebank", "Sandton", "Greenside", "Melville", "Randburg", "Fourways",
           "Bryanston", "Northcliff", "Houghton", "Killarney", "Linden", "Emmarentia",
           "Westdene", "Auckland Park", "Norwood", "Orange Grove", "Kensington", "Bedfordview",
           "Edenvale", "Midrand", "Centurion", "Menlyn", "Hatfield", "Brooklyn", "Waterkloof",
           "Rondebosch", "Claremont", "Sea Point", "Constantia", "Umhlanga", "Morningside",
           "Berea", "Westville", "Brandwag", "Langenhoven Park", "Walmer", "Summerstrand",
           "Bendor", "Fauna Park"]  # fmt: skip
SCHOOL_KINDS = ["High School", "Primary School", "College", "Academy"]
# (subject, popularity): Mathematics is what most parents pay for.
SUBJECTS = [
    ("Mathematics", 30),
    ("Physical Sciences", 14),
    ("English Home Language", 12),
    ("Mathematical Literacy", 6),
    ("Life Sciences", 7),
    ("Accounting", 6),
    ("Afrikaans First Additional Language", 6),
    ("isiZulu", 3),
    ("Geography", 3),
    ("Information Technology", 4),
    ("Piano", 3),
    ("Coding", 4),
]
GRADES = [f"Grade {n}" for n in range(4, 13)]
STREETS = ["Jan Smuts Ave", "Oxford Rd", "Main Rd", "Church St", "Long St", "Beyers Naude Dr",
           "Louis Botha Ave", "Rivonia Rd", "William Nicol Dr", "Kloof St"]  # fmt: skip
REASONS = {
    CancelledBy.STUDENT: [
        "Student ill",
        "Family emergency",
        "School exam the next day",
        "School trip",
        "Sports match",
        "Forgot about the lesson",
        "Transport fell through",
        "Doctor's appointment",
        "No electricity at home for the online lesson",
    ],
    CancelledBy.TUTOR: [
        "Tutor ill",
        "Tutor's family emergency",
        "Tutor stuck in traffic",
        "Tutor at a training day",
    ],
    CancelledBy.OTHER: [
        "Branch closed: power outage",
        "Water outage at the branch",
        "Taxi strike",
        "Storm warning",
    ],
}
AHEAD_REASONS = ["Family holiday", "School camp", "Exam week at school", "Moved to another day"]
NOTES = [
    "Worked through past paper questions",
    "Revised fractions and decimals",
    "Essay structure and paragraphing",
    "Balanced chemical equations",
    "Trigonometric identities",
    "Exam preparation",
    "Homework check and corrections",
    "Scales and sight-reading",
    "Functions and graphs",
    "Comprehension practice",
    "Financial statements",
    "Loops and lists in Python",
]
SEND_BACK = [
    "Please add what was covered.",
    "Attendance looks wrong; please check it.",
    "The parent says this lesson was moved; please check the date.",
]
DIRECT = [
    (
        "Timetable for next term",
        "Please check your timetable for next term and tell me "
        "about any clashes with your other commitments.",
    ),
    (
        "Logs waiting",
        "A few of your sessions from last week are not logged yet. Please "
        "log them today so that invoices can go out.",
    ),
    (
        "New student",
        "A new student in your subject asked for a weekly afternoon slot. "
        "Do you have space on Tuesday or Thursday?",
    ),
    (
        "Room change",
        "The branch classroom is being painted on Thursday; please use the "
        "library room for your afternoon lessons.",
    ),
    (
        "Exam preparation",
        "Parents asked for extra exam preparation sessions before the "
        "finals. Would you take two more lessons a week?",
    ),
    (
        "Parent feedback",
        "A parent wrote to thank you for the progress in mathematics this term. Well done!",
    ),
]
REPLIES = [
    "Thanks, that works for me.",
    "Noted, I will sort it out today.",
    "Yes, Thursday afternoon is fine.",
    "Could we talk about it tomorrow morning?",
    "Done, all logged now.",
    "Thank you for letting me know.",
]
GROUP = [
    (
        "This week at the branch",
        "Reminder: the branch closes at 20:00 this week and "
        "parking at the back is closed for repairs.",
    ),
    (
        "Exam season",
        "Exams start soon: please focus lessons on past papers and send "
        "me names of students who need extra sessions.",
    ),
    (
        "Holiday timetable",
        "During the school holidays lessons run in the mornings. Please update your availability.",
    ),
]
BROADCASTS = [
    (
        "Public holiday",
        "The office is closed on the public holiday; lessons that "
        "day are cancelled and not billed.",
    ),
    ("New invoicing dates", "From next month invoices go out on the tenth."),
    (
        "Year-end function",
        "You are all invited to the year-end function on the first Saturday of December.",
    ),
    ("Safeguarding policy", "Please read the updated safeguarding policy before your next lesson."),
    (
        "Online lessons during power cuts",
        "If the power is off, move the lesson online and log it as completed.",
    ),
]

# --- Shape of the business ----------------------------------------------------------------

# The timetable grid, wall-clock in the business's time zone: weekday afternoons and
# Saturday mornings, one-hour cells. A lesson keeps its cell every week.
WEEKDAY_HOURS = range(14, 20)
SATURDAY_HOURS = range(8, 13)
CELLS = [(day, hour) for day in range(5) for hour in WEEKDAY_HOURS] + [
    (5, hour) for hour in SATURDAY_HOURS
]
DAY_CELLS = {day: [i for i, (d, _h) in enumerate(CELLS) if d == day] for day in range(6)}
MINUTES = [60] * 7 + [45] * 2 + [30]
BUSIEST = 0.8  # a tutor's cells at most this full over the weeks
OVERBOOK = 1.12  # lesson-weeks planned per session kept: the rest are skipped weeks
# Students: share by status, and of those with a second tutor, a group lesson, personal data.
ARCHIVED, PAUSED = 0.12, 0.06
SECOND_TUTOR, SIBLING, WITH_CONTACT = 0.25, 0.07, 0.25
# Sessions.
FUTURE_CANCELLED, CANCELLED_SHARE = 0.025, 0.105
WHO_CANCELS = [(CancelledBy.STUDENT, 0.65), (CancelledBy.TUTOR, 0.22), (CancelledBy.OTHER, 0.13)]
LATE_BY = {CancelledBy.STUDENT: 0.35, CancelledBy.TUTOR: 0.25, CancelledBy.OTHER: 0.5}
ABSENT_SHARE, LATE_SHARE = 0.04, 0.06
# Unlogged past sessions by days since they ended: tutors log late, not never.
UNLOGGED = [(2, 0.6), (7, 0.25), (14, 0.08)]
PENDING_DAYS, RECENT_VERIFIED = 10, 0.25
SENT_BACK_DAYS, SENT_BACK_SHARE = 21, 0.02
# Money.
INVOICE_DAY = 10  # a month is invoiced on the tenth of the next, once its logs are verified
CREDITED, VOIDED = 0.003, 0.002
HABITS = [
    ("prompt", 0.78),
    ("late", 0.10),
    ("partial", 0.04),
    ("stopped", 0.05),
    ("overpays", 0.03),
]
HUNDRED, SIXTY = Decimal(100), Decimal(60)
# Plain values for the loop that runs a million times (a log's outcome is spelled as the
# session's status).
SCHEDULED, COMPLETED, CANCELLED = (s.value for s in SessionStatus)
PRESENT, LATE, ABSENT = (p.value for p in Presence)
PENDING, VERIFIED, SENT_BACK = (r.value for r in Review)
BY_STUDENT = CancelledBy.STUDENT.value
SESSION_CHARGE, NO_SHOW, LATE_CANCELLATION = (k.value for k in ChargeKind)

FLUSH_ROWS = 250_000  # rows buffered in memory between writes
BIG_TABLES = (
    Session,
    SessionStudent,
    SessionLog,
    Attendance,
    Charge,
    TutorEarning,
    Invoice,
    InvoiceLine,
    Payment,
    Allocation,
)


class LoadRefused(Exception):
    """The database is not one to load into (it has sessions, or the accounts exist)."""


@dataclass(frozen=True)
class Sizes:
    tutors: int
    students: int
    sessions: int
    moderators: int
    admins: int = 2
    weeks_back: int = 104
    weeks_ahead: int = 6
    seed: int = 1

    @property
    def weeks(self) -> int:
        return self.weeks_back + 1 + self.weeks_ahead


# --- Writing rows --------------------------------------------------------------------------


def _qn(name: str) -> str:
    return connection.ops.quote_name(name)


class Writer:
    """Buffers rows per table and writes them: binary COPY on PostgreSQL, batched INSERTs
    elsewhere. Rows are tuples in the order of the columns registered for the table; the
    other columns get their field's default, so a column added to a model later does not
    break the load. Encrypted fields are encrypted here, by the field itself."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.postgres = connection.vendor == "postgresql"
        self.columns: dict[type[models.Model], tuple[str, ...]] = {}
        self.buffers: dict[type[models.Model], list[tuple]] = {}
        self.written: Counter[type[models.Model]] = Counter()
        self._ids: dict[type[models.Model], Iterator[int]] = {}

    def table(self, model: type[models.Model], columns: str) -> None:
        """Rows for `model` will hold these columns (names separated by spaces), in order."""
        self.columns[model] = tuple(columns.split())
        self.buffers.setdefault(model, [])

    def ids(self, model: type[models.Model]) -> Iterator[int]:
        """The table's free ids, in order: rows are written with ids chosen here."""
        if model not in self._ids:
            top = model._default_manager.aggregate(top=Max("pk"))["top"] or 0
            self._ids[model] = itertools.count(top + 1)
        return self._ids[model]

    def take(self, model: type[models.Model]) -> int:
        return next(self.ids(model))

    def add(self, model: type[models.Model], row: tuple) -> None:
        self.buffers[model].append(row)

    def rows(self, model: type[models.Model]) -> list[tuple]:
        """The table's buffer itself, for loops that append millions of rows."""
        return self.buffers[model]

    def pending(self) -> int:
        return sum(map(len, self.buffers.values()))

    def flush(self) -> None:
        for model, rows in self.buffers.items():
            if rows:
                self._write(model, rows)
                self.written[model] += len(rows)
                rows.clear()

    def _write(self, model: type[models.Model], rows: list[tuple]) -> None:
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        given = [by_attname[name] for name in self.columns[model]]
        rest = [
            f
            for f in model._meta.concrete_fields
            if f.attname not in self.columns[model] and not getattr(f, "generated", False)
        ]
        defaults = tuple(self._default(model, f) for f in rest)
        fields = given + rest
        if self.postgres:
            secret = [i for i, f in enumerate(given) if isinstance(f, EncryptedTextField)]
            self._copy(model, fields, rows, defaults, secret)
        else:
            self._insert(model, fields, rows, defaults)

    def _default(self, model: type[models.Model], f: models.Field) -> Any:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return self.now
        value = f.get_default()
        if value is None and not f.null:
            raise ValueError(f"seed_load gives no value for {model.__name__}.{f.name}")
        return f.get_prep_value(value) if isinstance(f, EncryptedTextField) else value

    def _copy(self, model, fields, rows, defaults, secret) -> None:
        table = model._meta.db_table
        names = [f.column for f in fields]
        sql = f"COPY {_qn(table)} ({', '.join(map(_qn, names))}) FROM STDIN (FORMAT BINARY)"
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                "AND attnum > 0 AND NOT attisdropped",
                [table],
            )
            types = dict(cursor.fetchall())
            with cursor.cursor.copy(sql) as copy:
                copy.set_types([types[name] for name in names])
                if secret:
                    for row in rows:
                        values = list(row)
                        for i in secret:
                            values[i] = fields[i].get_prep_value(values[i])
                        copy.write_row((*values, *defaults))
                elif defaults:
                    for row in rows:
                        copy.write_row(row + defaults)
                else:
                    for row in rows:
                        copy.write_row(row)

    def _insert(self, model, fields, rows, defaults) -> None:
        table = model._meta.db_table
        columns = ", ".join(_qn(f.column) for f in fields)
        marks = ", ".join(["%s"] * len(fields))
        sql = f"INSERT INTO {_qn(table)} ({columns}) VALUES ({marks})"  # noqa: S608 - quoted model metadata
        with connection.cursor() as cursor:
            for first in range(0, len(rows), 2000):
                cursor.executemany(
                    sql,
                    [
                        tuple(
                            f.get_db_prep_save(value, connection)
                            for f, value in zip(fields, row + defaults, strict=True)
                        )
                        for row in rows[first : first + 2000]
                    ],
                )

    def drop_for_load(self, tables: Iterable[type[models.Model]]) -> list[tuple[str, str]]:
        """On PostgreSQL, drop these tables' indexes and constraints (not primary keys and
        checks) for the load; `restore` builds them again after it: one sort per index
        instead of a million index insertions, one query per foreign key instead of a
        trigger per row. In the load's transaction, so a failure brings them back too."""
        if not self.postgres:
            return []
        dropped: list[tuple[str, str]] = []  # (kind, the statement that restores it)
        with connection.cursor() as cursor:
            # A table with deferred foreign-key checks still pending cannot be altered:
            # run the checks of the rows written so far now.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for model in tables:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT contype, conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype IN ('f', 'u', 'x')",
                    [table],
                )
                for kind, name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {_qn(table)} DROP CONSTRAINT {_qn(name)}")
                    add = f"ALTER TABLE {_qn(table)} ADD CONSTRAINT {_qn(name)} {definition}"
                    dropped.append((kind, add))
                cursor.execute(
                    "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
                    "JOIN pg_class c ON c.oid = x.indexrelid "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {_qn(name)}")
                    dropped.append(("i", definition))
        return dropped

    def restore(self, dropped: list[tuple[str, str]]) -> None:
        if not self.postgres:
            return
        # Plain indexes, then unique and exclusion constraints, then foreign keys.
        order = {"i": 0, "u": 1, "x": 1, "f": 2}
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for _kind, statement in sorted(dropped, key=lambda d: order[d[0]]):
                cursor.execute(statement)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), list(self.written))
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


# --- The business in memory ----------------------------------------------------------------


@dataclass(slots=True)
class Tutor:
    id: int
    username: str
    name: str
    branch: int
    subjects: list[int]
    quota: int
    moderator: int = 0
    days: list[int] = field(default_factory=list)
    busy: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    roster: list[Pupil] = field(default_factory=list)
    # The weeks [first, last) in which each student of the roster comes to this tutor.
    spans: dict[int, tuple[int, int]] = field(default_factory=dict)
    lessons: list[Lesson] = field(default_factory=list)
    # (effective_from, id, basis, amount), newest first, as `pricing.pay_rate_for` reads them.
    pay: list[tuple[date, int, str, Decimal]] = field(default_factory=list)

    @property
    def cells(self) -> list[int]:
        return [cell for day in sorted(self.days) for cell in DAY_CELLS[day]]


@dataclass(slots=True)
class Pupil:
    id: int
    first: str
    last: str
    branch: int
    subjects: list[int]
    status: str
    first_week: int
    last_week: int  # exclusive
    grade: int = 0
    payer: int = 0
    hourly: Decimal = Decimal(0)  # when they joined
    tutors: list[Tutor] = field(default_factory=list)
    busy: dict[int, list[tuple[int, int]]] = field(default_factory=lambda: defaultdict(list))
    # (effective_from, id, subject, tutor, hourly_rate), newest first then highest id.
    rates: list[tuple[date, int, int | None, int | None, Decimal]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first} {self.last}"


@dataclass(slots=True)
class Lesson:
    """A weekly appointment: the same cell every week from `first` until `last`
    (exclusive), bar the weeks in `skipped`."""

    tutor: Tutor
    pupils: list[Pupil]
    cell: int
    subject: int
    minutes: int
    first: int
    last: int
    location: str
    link: str
    created_at: datetime
    skipped: set[int] = field(default_factory=set)


def _free(intervals: list[tuple[int, int]], first: int, last: int) -> bool:
    return all(last <= start or first >= end for start, end in intervals)


def _pick(rng: random.Random, weighted: Sequence[tuple[Any, float]]) -> Any:
    roll = rng.random() * sum(weight for _value, weight in weighted)
    for value, weight in weighted:
        roll -= weight
        if roll < 0:
            return value
    return weighted[-1][0]


def _month_after(year: int, month: int) -> tuple[int, int]:
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _holiday_season(day: date) -> bool:
    """School holidays, when families skip lessons most."""
    md = (day.month, day.day)
    return (
        md >= (12, 5)
        or md <= (1, 14)
        or (6, 25) <= md <= (7, 15)
        or (3, 25) <= md <= (4, 5)
        or (9, 25) <= md <= (10, 5)
    )


# Fixed-date public holidays (South Africa); the business also closes over New Year.
PUBLIC_HOLIDAYS = [
    ((1, 1), "New Year's Day"),
    ((3, 21), "Human Rights Day"),
    ((4, 27), "Freedom Day"),
    ((5, 1), "Workers' Day"),
    ((6, 16), "Youth Day"),
    ((8, 9), "National Women's Day"),
    ((9, 24), "Heritage Day"),
    ((12, 16), "Day of Reconciliation"),
    ((12, 25), "Christmas Day"),
    ((12, 26), "Day of Goodwill"),
]


class Business:
    def __init__(self, sizes: Sizes, *, now: datetime, writer: Writer, password_hash: str):
        self.sizes = sizes
        self.now = now
        self.today = timezone.localdate(now)
        self.zone = timezone.get_current_timezone()
        self.rng = random.Random(sizes.seed)  # noqa: S311 - test data, not security
        self.out = writer
        self.password_hash = password_hash
        self.current_week = sizes.weeks_back
        self.monday0 = self.today - timedelta(days=self.today.weekday(), weeks=sizes.weeks_back)
        self.admins: list[int] = []
        self.moderators: list[int] = []
        self.tutors: list[Tutor] = []
        self.pupils: list[Pupil] = []
        self.branches: list[int] = []
        self.subject_names: dict[int, str] = {}
        self.closed: set[date] = set()
        self.payers: dict[int, tuple[str, str, str]] = {}
        self.user_names: dict[int, str] = {}
        self.branch_names: dict[int, str] = {}
        self.notified: Counter[int] = Counter()
        self.currency = settings.CURRENCY
        self.latest = now - timedelta(minutes=1)
        self.calendar_url = reverse("calendar:index")
        self.today_url = reverse("attendance:today")
        self._slots = [
            [(self.at(self.week_day(week, d), hour), self.week_day(week, d)) for d, hour in CELLS]
            for week in range(sizes.weeks)
        ]

    # --- helpers --------------------------------------------------------------------------

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, clock(hour, minute), tzinfo=self.zone)

    def week_day(self, week: int, weekday: int) -> date:
        return self.monday0 + timedelta(days=7 * week + weekday)

    def slot(self, week: int, cell: int) -> tuple[datetime, date]:
        return self._slots[week][cell]

    def _past(self, moment: datetime) -> datetime:
        return moment if moment < self.latest else self.latest

    # --- lookups and people ----------------------------------------------------------------

    def lookups(self) -> None:
        sizes = self.sizes
        # About twenty tutors or more per branch, so that students can have two tutors.
        count = max(1, min(len(BRANCHES), sizes.tutors // 4))
        self.branches = self._named(Branch, BRANCHES[:count])
        self.branch_names = {
            pk: name for pk, (name, _a) in zip(self.branches, BRANCHES[:count], strict=True)
        }
        schools = [(f"{suburb} {kind}", "") for suburb in SUBURBS for kind in SCHOOL_KINDS[:2]]
        self.schools = self._named(School, schools[: max(4, min(60, sizes.students // 150))])
        ids = self._named(Subject, [(name, "") for name, _weight in SUBJECTS])
        self.subject_names = {i: name for i, (name, _w) in zip(ids, SUBJECTS, strict=True)}
        self.subject_weights = [(i, weight) for i, (_n, weight) in zip(ids, SUBJECTS, strict=True)]
        self._closures()

    def _named(self, model: type[models.Model], items: list[tuple[str, str]]) -> list[int]:
        """Ids of these lookups by name, reusing the ones the database already has."""
        existing = {name.lower(): pk for pk, name in model.objects.values_list("pk", "name")}
        columns = "id name is_active created_at updated_at"
        self.out.table(model, f"{columns} address" if model is Branch else columns)
        ids = []
        for name, address in items:
            pk = existing.get(name.lower())
            if pk is None:
                pk = self.out.take(model)
                row = (pk, name, True, self.now, self.now)
                self.out.add(model, (*row, address) if model is Branch else row)
            ids.append(pk)
        return ids

    def _closures(self) -> None:
        first, last = self.week_day(0, 0), self.week_day(self.sizes.weeks, 0)
        known = set(Closure.objects.filter(branch=None).values_list("start_date", flat=True))
        self.out.table(Closure, "id branch_id start_date end_date reason")
        for year in range(first.year, last.year + 1):
            spans = [(date(year, m, d), date(year, m, d), why) for (m, d), why in PUBLIC_HOLIDAYS]
            spans.append((date(year, 12, 27), date(year, 12, 31), "Closed over New Year"))
            for start, end, why in spans:
                self.closed.update(start + timedelta(days=n) for n in range((end - start).days + 1))
                if start not in known and first <= start <= last:
                    self.out.add(Closure, (self.out.take(Closure), None, start, end, why))

    def people(self) -> None:
        sizes, rng = self.sizes, self.rng
        self.out.table(
            User,
            (
                "id password username first_name last_name email role branch_id "
                "teaching_class time_zone is_active date_joined"
            ),
        )
        joined = self.at(self.monday0 - timedelta(days=60), 9)
        for n in range(1, sizes.admins + 1):
            self.admins.append(self._user(f"admin{n}", Role.ADMIN, self.branches[0], "", joined))
        for n in range(1, sizes.moderators + 1):
            branch = self.branches[(n - 1) % len(self.branches)]
            self.moderators.append(
                self._user(f"moderator{n:03d}", Role.MODERATOR, branch, "", joined)
            )
        by_branch: dict[int, list[int]] = defaultdict(list)
        for n, moderator in enumerate(self.moderators):
            by_branch[self.branches[n % len(self.branches)]].append(moderator)
        width = max(4, len(str(sizes.tutors)))
        weights = [rng.uniform(0.6, 1.4) for _ in range(sizes.tutors)]
        quotas = _share(sizes.sessions, weights)
        for n in range(sizes.tutors):
            branch = self.branches[n % len(self.branches)]
            subjects = self._subjects(rng.choice([1, 2, 2, 3]))
            teaches = ", ".join(self.subject_names[s] for s in subjects)
            username = f"tutor{n + 1:0{width}d}"
            pk = self._user(username, Role.TUTOR, branch, teaches, joined)
            nearby = by_branch.get(branch) or self.moderators or self.admins
            tutor = Tutor(
                id=pk,
                username=username,
                name=self.user_names[pk],
                branch=branch,
                subjects=subjects,
                quota=quotas[n],
                moderator=nearby[n % len(nearby)],
            )
            self.tutors.append(tutor)

    def _subjects(self, count: int) -> list[int]:
        chosen: list[int] = []
        while len(chosen) < min(count, len(self.subject_weights)):
            pick = _pick(self.rng, self.subject_weights)
            if pick not in chosen:
                chosen.append(pick)
        return chosen

    def _user(self, username: str, role: str, branch: int, teaches: str, joined) -> int:
        first, last = self.rng.choice(FIRST), self.rng.choice(LAST)
        zone = ""
        if role == Role.TUTOR:
            zone = _pick(
                self.rng, [("", 0.87), ("Africa/Johannesburg", 0.1), ("Europe/London", 0.03)]
            )
        pk = self.out.take(User)
        self.out.add(
            User,
            (
                pk,
                self.password_hash,
                username,
                first,
                last,
                f"{username}@example.com",
                role,
                branch,
                teaches,
                zone,
                True,
                joined,
            ),
        )
        self.user_names[pk] = f"{first} {last}"
        return pk

    # --- students ---------------------------------------------------------------------------

    def students(self) -> None:
        sizes, rng = self.sizes, self.rng
        branch_weights = [(b, rng.uniform(0.7, 1.3)) for b in self.branches]
        tutors_in: dict[int, list[Tutor]] = defaultdict(list)
        for tutor in self.tutors:
            tutors_in[tutor.branch].append(tutor)
        families: dict[int, list[Pupil]] = defaultdict(list)
        self.out.table(Payer, "id name email address created_at")
        self.out.table(PayerStudent, "id payer_id student_id")
        for _n in range(sizes.students):
            branch = _pick(rng, branch_weights)
            status = _pick(
                rng,
                [
                    (StudentStatus.ARCHIVED, ARCHIVED),
                    (StudentStatus.PAUSED, PAUSED),
                    (StudentStatus.ACTIVE, 1 - ARCHIVED - PAUSED),
                ],
            )
            first_week, last_week = self._enrolment(status)
            pupil = Pupil(
                id=self.out.take(Student),
                first=rng.choice(FIRST),
                last=rng.choice(LAST),
                branch=branch,
                subjects=self._subjects(rng.choice([1, 1, 2, 2, 3])),
                status=status,
                first_week=first_week,
                last_week=last_week,
                grade=rng.randint(4, 12),
            )
            pupil.hourly = Decimal(250 + 25 * (pupil.grade // 2) + 25 * rng.randint(0, 3))
            sibling = families[branch] and rng.random() < SIBLING
            if sibling:
                older = rng.choice(families[branch])
                pupil.last, pupil.payer = older.last, older.payer
            else:
                pupil.payer = self._payer(pupil)
                families[branch].append(pupil)
            self.out.add(PayerStudent, (self.out.take(PayerStudent), pupil.payer, pupil.id))
            self._assign(pupil, tutors_in.get(branch) or self.tutors)
            self.pupils.append(pupil)
        self._rates()
        self._write_students()

    def _enrolment(self, status: str) -> tuple[int, int]:
        """Weeks [first, last) in which a student has lessons."""
        rng, now_week, end = self.rng, self.current_week, self.sizes.weeks
        if status == StudentStatus.ARCHIVED:
            last = rng.randint(min(8, now_week), max(8, now_week - 3))
        elif status == StudentStatus.PAUSED:
            last = rng.randint(max(1, now_week - 5), now_week)
        else:
            last = end
        # Four in ten have been coming since before the period; the others joined during it.
        joined = rng.randint(0, max(0, min(last, now_week + 1) - 6))
        first = 0 if rng.random() < 0.4 else joined
        return first, max(last, first + 1)

    def _payer(self, pupil: Pupil) -> int:
        rng = self.rng
        pk = self.out.take(Payer)
        guardian = rng.choice(FIRST)
        name = f"{guardian} {pupil.last}"
        email = f"{guardian}.{pupil.last}{pk}@example.com".lower().replace(" ", "")
        address = f"{rng.randint(1, 200)} {rng.choice(STREETS)}, {rng.choice(SUBURBS)}"
        self.payers[pk] = (name, email, address)
        self.out.add(Payer, (pk, name, email, address, self.at(self.monday0, 9)))
        return pk

    def _assign(self, pupil: Pupil, tutors: list[Tutor]) -> None:
        """The least-loaded tutor (for their share of the sessions) who teaches the
        student's first subject; a quarter of students have a second tutor."""
        for number in range(2 if self.rng.random() < SECOND_TUTOR else 1):
            options = [t for t in tutors if t not in pupil.tutors]
            if not options:
                return
            wanted = pupil.subjects[min(number, len(pupil.subjects) - 1)]
            teaching = [t for t in options if wanted in t.subjects] or options
            best = min(teaching, key=lambda t: (len(t.roster) + 1) / max(t.quota, 1))
            best.roster.append(pupil)
            pupil.tutors.append(best)
            if not set(best.subjects) & set(pupil.subjects):
                pupil.subjects.append(best.subjects[0])

    def _write_students(self) -> None:
        rng = self.rng
        self.out.table(
            Student,
            (
                "id first_name last_name grade school_id branch_id status default_rate "
                "rate_currency date_of_birth phone email guardian_name guardian_phone "
                "consent_given consent_date consent_given_by created_at updated_at "
                "archived_at"
            ),
        )
        self.out.table(Student.subjects.through, "id student_id subject_id")
        self.out.table(Student.tutors.through, "id student_id user_id")
        for pupil in self.pupils:
            grade = pupil.grade
            joined = self._past(
                self.at(self.week_day(pupil.first_week, 0), 10)
                - timedelta(days=rng.randint(10, 14))
            )
            left = None
            if pupil.status == StudentStatus.ARCHIVED:
                left = self._past(self.at(self.week_day(pupil.last_week, 1), 11))
            contact = rng.random() < WITH_CONTACT
            born = date(self.today.year - grade - 6, rng.randint(1, 12), rng.randint(1, 28))
            phone = f"08{rng.randint(1, 4)} {rng.randint(100, 999)} {rng.randint(1000, 9999)}"
            email = f"{pupil.first}.{pupil.last}{pupil.id}@example.com".lower().replace(" ", "")
            guardian = f"{self.payers[pupil.payer][0]}"
            # The rate the student pays now, as the student's page shows it.
            hourly = next(r[4] for r in pupil.rates if r[2] is None and r[3] is None)
            self.out.add(
                Student,
                (
                    pupil.id,
                    pupil.first,
                    pupil.last,
                    f"Grade {grade}",
                    rng.choice(self.schools),
                    pupil.branch,
                    pupil.status,
                    hourly,
                    self.currency,
                    born if contact else None,
                    phone if contact else "",
                    email if contact else "",
                    guardian if contact else "",
                    phone.replace("08", "07", 1) if contact else "",
                    contact,
                    joined.date() if contact else None,
                    guardian if contact else "",
                    joined,
                    left or joined,
                    left,
                ),
            )
            for subject in pupil.subjects:
                through = Student.subjects.through
                self.out.add(through, (self.out.take(through), pupil.id, subject))
            for tutor in pupil.tutors:
                through = Student.tutors.through
                self.out.add(through, (self.out.take(through), pupil.id, tutor.id))

    def _rates(self) -> None:
        """Each student's rate from before their first lesson, a rise every January for
        most, a dearer main subject for some and a tutor's own rate for a few; each tutor's
        pay, with a rise this January for some."""
        rng, admin = self.rng, self.admins[0]
        self.out.table(
            Rate,
            (
                "id student_id subject_id tutor_id hourly_rate currency effective_from "
                "created_by_id created_at"
            ),
        )
        last_day = self.week_day(self.sizes.weeks, 0)
        for pupil in self.pupils:
            hourly = pupil.hourly
            start = min(self.week_day(pupil.first_week, 0), self.today) - timedelta(days=7)
            rates = [self._rate(pupil, start, hourly, None, None)]
            for year in range(start.year + 1, last_day.year + 1):
                january = date(year, 1, 1)
                if january <= self.today and rng.random() < 0.85:
                    hourly = (hourly * Decimal("1.06") / 5).quantize(Decimal(1)) * 5
                    rates.append(self._rate(pupil, january, hourly, None, None))
            if len(pupil.subjects) > 1 and rng.random() < 0.1:
                rates.append(self._rate(pupil, start, hourly + 50, pupil.subjects[1], None))
            if pupil.tutors and rng.random() < 0.02:
                rates.append(self._rate(pupil, start, hourly + 100, None, pupil.tutors[0].id))
            pupil.rates = sorted(rates, key=lambda r: (r[0], r[1]), reverse=True)
        self.out.table(
            TutorPayRate,
            ("id tutor_id basis amount currency effective_from created_by_id created_at"),
        )
        january = date(self.today.year, 1, 1)
        for tutor in self.tutors:
            basis = PayBasis.HOUR if rng.random() < 0.7 else PayBasis.SESSION
            amount = Decimal(rng.randrange(150, 261, 10))
            pay = [self._pay_rate(tutor, self.monday0 - timedelta(days=60), basis, amount, admin)]
            if rng.random() < 0.4 and january > pay[0][0]:
                pay.append(self._pay_rate(tutor, january, basis, amount + 10, admin))
            tutor.pay = sorted(pay, reverse=True)

    def _rate(self, pupil, day, hourly, subject, tutor) -> tuple:
        pk = self.out.take(Rate)
        self.out.add(
            Rate,
            (
                pk,
                pupil.id,
                subject,
                tutor,
                hourly,
                self.currency,
                day,
                self.admins[0],
                self._past(self.at(day, 8)),
            ),
        )
        return (day, pk, subject, tutor, hourly)

    def _pay_rate(self, tutor, day, basis, amount, admin) -> tuple:
        pk = self.out.take(TutorPayRate)
        self.out.add(
            TutorPayRate,
            (pk, tutor.id, basis, amount, self.currency, day, admin, self._past(self.at(day, 8))),
        )
        return (day, pk, basis, amount)

    # --- the timetable -----------------------------------------------------------------------

    def timetable(self) -> None:
        """Weekly lessons for every tutor, then exactly `sessions` lesson-weeks kept."""
        self._open = [self._open_prefix(cell) for cell in range(len(CELLS))]
        for tutor in self.tutors:
            tutor.days = self._working_days(tutor)
        for pupil in self.pupils:
            for number, tutor in enumerate(pupil.tutors):
                first, last = pupil.first_week, pupil.last_week
                if number:  # the second tutor came later, and some left earlier
                    first += self.rng.randint(0, (last - first) // 2)
                    if self.rng.random() < 0.3:
                        last = self.rng.randint(min(first + 4, last), last)
                tutor.spans[pupil.id] = (first, last)
                self._book(tutor, [pupil], first, last)
        for tutor in self.tutors:
            self._group(tutor)
            self._fill(tutor)
        planned = [sum(self._weeks(lesson) for lesson in t.lessons) for t in self.tutors]
        quotas = _capped(self.sizes.sessions, [t.quota for t in self.tutors], planned)
        for tutor, quota in zip(self.tutors, quotas, strict=True):
            self._thin(tutor, quota)

    def _open_prefix(self, cell: int) -> list[int]:
        """prefix[w]: weeks before w in which this cell's day is not a closure."""
        prefix = [0]
        for week in range(self.sizes.weeks):
            prefix.append(prefix[-1] + (self.slot(week, cell)[1] not in self.closed))
        return prefix

    def _weeks(self, lesson: Lesson) -> int:
        prefix = self._open[lesson.cell]
        return prefix[lesson.last] - prefix[lesson.first]

    def _working_days(self, tutor: Tutor) -> list[int]:
        per_week = tutor.quota * OVERBOOK / self.sizes.weeks
        cells = per_week / BUSIEST
        count = min(6, max(2, math.ceil(cells / len(WEEKDAY_HOURS))))
        days = self.rng.sample(range(5), min(count, 5))
        if count > 5 or (count >= 3 and self.rng.random() < 0.3):
            days = [*days[: count - 1], 5]
        return days

    def _book(self, tutor: Tutor, pupils: list[Pupil], first: int, last: int) -> Lesson | None:
        """A lesson in a cell free for the tutor and every student over the weeks; a tutor
        whose days are full takes on another day."""
        if last <= first:
            return None
        while True:
            cells = tutor.cells
            self.rng.shuffle(cells)
            for cell in cells:
                if _free(tutor.busy[cell], first, last) and all(
                    _free(p.busy[cell], first, last) for p in pupils
                ):
                    return self._lesson(tutor, pupils, cell, first, last)
            spare = [day for day in range(6) if day not in tutor.days]
            if not spare:
                return None
            tutor.days.append(self.rng.choice(spare))

    def _lesson(self, tutor, pupils, cell, first, last) -> Lesson:
        rng = self.rng
        common = [s for s in pupils[0].subjects if s in tutor.subjects]
        where = _pick(rng, [("branch", 0.65), ("online", 0.25), ("home", 0.1)])
        link = ""
        if where == "online":
            code = "".join(rng.choice("abcdefghijkmnopqrstuvwxyz") for _ in range(10))
            link = f"https://meet.example.com/{code[:3]}-{code[3:7]}-{code[7:]}"
        location = {
            "branch": f"{self.branch_names[tutor.branch]} branch",
            "online": "Online",
            "home": "Home visit",
        }[where]
        start = self.slot(first, cell)[0]
        lesson = Lesson(
            tutor=tutor,
            pupils=pupils,
            cell=cell,
            subject=rng.choice(common) if common else tutor.subjects[0],
            minutes=rng.choice(MINUTES),
            first=first,
            last=last,
            location=location,
            link=link,
            created_at=self._past(start - timedelta(days=rng.randint(2, 9))),
        )
        tutor.busy[cell].append((first, last))
        for pupil in pupils:
            pupil.busy[cell].append((first, last))
        tutor.lessons.append(lesson)
        return lesson

    def _group(self, tutor: Tutor) -> None:
        """A few tutors teach one small group (two or three students at once)."""
        if len(tutor.roster) < 3 or self.rng.random() > 0.3:
            return
        pupils = self.rng.sample(tutor.roster, self.rng.choice([2, 2, 3]))
        first = max(tutor.spans[p.id][0] for p in pupils)
        last = min(tutor.spans[p.id][1] for p in pupils)
        if last - first >= 8:
            self._book(tutor, pupils, first, last)

    def _fill(self, tutor: Tutor) -> None:
        """Enough lessons for the tutor's share of sessions: students with the longest
        enrolments take a second (or third) lesson a week."""
        wanted = tutor.quota * OVERBOOK
        have = sum(self._weeks(lesson) for lesson in tutor.lessons)
        keen = sorted(tutor.roster, key=lambda p: tutor.spans[p.id][0] - tutor.spans[p.id][1])
        for _round in range(3):
            for pupil in keen:
                if have >= wanted:
                    return
                lesson = self._book(tutor, [pupil], *tutor.spans[pupil.id])
                if lesson is not None:
                    have += self._weeks(lesson)

    def _thin(self, tutor: Tutor, quota: int) -> None:
        """Keep `quota` of the tutor's lesson-weeks: future ones first, then at random,
        skipping school holidays more often."""
        rng, candidates = self.rng, []
        for number, lesson in enumerate(tutor.lessons):
            for week in range(lesson.first, lesson.last):
                start, day = self.slot(week, lesson.cell)
                if day in self.closed:
                    continue
                if start > self.now:
                    key = 2 + rng.random()
                else:
                    key = rng.random() * (0.4 if _holiday_season(day) else 1)
                candidates.append((key, number, week))
        kept = {(number, week) for _k, number, week in heapq.nlargest(quota, candidates)}
        for _key, number, week in candidates:
            if (number, week) not in kept:
                tutor.lessons[number].skipped.add(week)

    # --- sessions, logs and money -------------------------------------------------------------

    def history(self) -> None:
        """Every session week by week, in time order with ids to match, as a real
        business's rows pile up (a tutor's week is not stored together, and a benchmark
        should not pretend it is); each month is invoiced once it is over."""
        self._tables()
        self.series = {kind: self._series(prefix) for kind, prefix in SERIES_PREFIX.items()}
        self.habits = {payer: _pick(self.rng, HABITS) for payer in self.payers}
        self.stopped = {
            payer: self.today - timedelta(days=self.rng.randint(60, 240)) for payer in self.payers
        }
        self.paid_until: dict[int, date] = {}
        self.behind: set[int] = set()
        self.numbers: dict[int, str] = {}
        self.invoices: dict[int, list] = {}
        # (year, month) → payer → the month's priced charges, until the month is invoiced.
        self.months: dict[tuple[int, int], dict[int, list[tuple]]] = defaultdict(
            lambda: defaultdict(list)
        )
        lessons = sorted((x for t in self.tutors for x in t.lessons), key=lambda x: x.first)
        self.no_show = Decimal(settings.NO_SHOW_SHARE)
        self.late_share = Decimal(settings.LATE_CANCELLATION_SHARE)
        self._prices: dict[tuple, Decimal] = {}
        self._hot = {
            model: (self.out.rows(model), self.out.ids(model))
            for model in (Session, SessionStudent, SessionLog, Attendance, Charge, TutorEarning)
        }
        active: list[Lesson] = []
        position = 0
        for week in range(self.sizes.weeks):
            monday = self.week_day(week, 0)
            self._invoice_months_before(monday)
            while position < len(lessons) and lessons[position].first <= week:
                active.append(lessons[position])
                position += 1
            active = [lesson for lesson in active if lesson.last > week]
            due = []
            for lesson in active:
                if week in lesson.skipped:
                    continue
                start, day = self.slot(week, lesson.cell)
                if day not in self.closed:
                    due.append((start, lesson.tutor.id, day, lesson))
            due.sort(key=lambda item: item[:2])
            for start, _tutor, day, lesson in due:
                self._session(lesson, start, day)
            if self.out.pending() > FLUSH_ROWS:
                self.out.flush()
        self._invoice_months_before(self.week_day(self.sizes.weeks + 5, 0))
        self.out.flush()

    def _tables(self) -> None:
        table = self.out.table
        table(
            Session,
            (
                "id tutor_id subject_id start end location online_link status "
                "cancellation_reason cancelled_by_id cancelled_at billable price "
                "currency created_by_id created_at updated_at"
            ),
        )
        table(SessionStudent, "id session_id student_id start end active")
        table(
            SessionLog,
            (
                "id session_id tutor_id outcome note cancelled_by late_cancellation "
                "logged_by_id logged_at review reviewed_by_id reviewed_at "
                "review_comment"
            ),
        )
        table(Attendance, "id session_id session_start student_id presence logged_by_id logged_at")
        table(
            Charge,
            (
                "id session_id student_id tutor_id branch_id subject_id date minutes "
                "kind share_percent hourly_rate amount currency created_at"
            ),
        )
        table(
            TutorEarning,
            (
                "id session_id tutor_id date minutes basis rate share_percent amount "
                "currency created_at"
            ),
        )
        table(
            Invoice,
            (
                "id kind status payer_id series_id number period_start period_end "
                "issue_date due_date currency total credited_invoice_id payer_name "
                "payer_email payer_address void_reason voided_at voided_by_id "
                "issued_at issued_by_id created_by_id created_at"
            ),
        )
        table(
            InvoiceLine,
            (
                "id invoice_id kind charge_id student_id date description quantity "
                "unit_price amount position"
            ),
        )
        table(
            Payment,
            (
                "id payer_id received_on amount currency method reference note "
                "recorded_by_id created_at"
            ),
        )
        table(Allocation, "id payment_id invoice_id amount created_at")
        table(Notification, "id user_id kind title url created_at read_at")

    def _session(self, lesson: Lesson, start: datetime, day: date) -> None:
        rng, now = self.rng.random, self.now
        tutor = lesson.tutor
        end = start + timedelta(minutes=lesson.minutes)
        rows, ids = self._hot[Session]
        sid = next(ids)
        status, reason, cancelled_by, cancelled_at = SCHEDULED, "", None, None
        billable, price_, changed = True, None, lesson.created_at
        if start > now:
            if rng() < FUTURE_CANCELLED:
                status, billable = CANCELLED, False
                reason = self.rng.choice(AHEAD_REASONS)
                cancelled_by = tutor.moderator
                cancelled_at = changed = max(
                    lesson.created_at, self._past(start - timedelta(days=1 + 6 * rng()))
                )
                self._notify(
                    tutor.id,
                    NotificationKind.SESSION_CANCELLED,
                    f"Session cancelled: {start.astimezone(self.zone):%a %d %b %H:%M}",
                    self.calendar_url,
                    cancelled_at,
                )
        elif not self._unlogged(end):
            status, reason, cancelled_by, cancelled_at, billable, price_, changed = self._log(
                sid, lesson, start, end, day
            )
        rows.append(
            (
                sid,
                tutor.id,
                lesson.subject,
                start,
                end,
                lesson.location,
                lesson.link,
                status,
                reason,
                cancelled_by,
                cancelled_at,
                billable,
                price_,
                self.currency,
                tutor.moderator,
                lesson.created_at,
                changed,
            )
        )
        active = status != CANCELLED
        rows, ids = self._hot[SessionStudent]
        for pupil in lesson.pupils:
            rows.append((next(ids), sid, pupil.id, start, end, active))

    def _unlogged(self, end: datetime) -> bool:
        if end > self.now:
            return True
        age = (self.now - end).days
        share = next((share for days, share in UNLOGGED if age < days), 0)
        return self.rng.random() < share

    def _log(self, sid: int, lesson: Lesson, start: datetime, end: datetime, day: date):
        """The log of a past session (completed or cancelled), its review, and its money
        once verified. Returns the session's resulting fields."""
        rng, tutor = self.rng.random, lesson.tutor
        actor = tutor.id if rng() >= 0.1 else tutor.moderator
        cancelled = rng() < CANCELLED_SHARE
        status = CANCELLED if cancelled else COMPLETED
        reason, who, late, billable, cancelled_at, cancelled_by = "", "", False, True, None, None
        marks: list[str] = []
        if cancelled:
            who = _pick(self.rng, WHO_CANCELS)
            wants_late = rng() < LATE_BY[who]
            hours = settings.LATE_CANCELLATION_HOURS
            ahead = rng() * (hours - 1) + 0.5 if wants_late else hours + 1 + rng() * 150
            logged_at = max(start - timedelta(hours=ahead), lesson.created_at)
            late = start - logged_at < timedelta(hours=hours)
            reason = self.rng.choice(REASONS[who])
            billable = late and who == BY_STUDENT
            cancelled_at, cancelled_by = logged_at, actor
        else:
            logged_at = self._past(end + timedelta(minutes=5 + rng() * 30 * 60))
            marks = [self._presence() for _ in lesson.pupils]
        note = reason or (self.rng.choice(NOTES) if rng() < 0.6 else "")
        review, reviewer, reviewed_at, comment = self._review(start, logged_at, tutor)
        rows, ids = self._hot[SessionLog]
        rows.append(
            (
                next(ids),
                sid,
                tutor.id,
                status,
                note,
                who,
                late,
                actor,
                logged_at,
                review,
                reviewer,
                reviewed_at,
                comment,
            )
        )
        rows, ids = self._hot[Attendance]
        for pupil, presence in zip(lesson.pupils, marks, strict=False):
            rows.append((next(ids), sid, start, pupil.id, presence, actor, logged_at))
        price_ = None
        if review == VERIFIED and (not cancelled or billable):
            price_ = self._price(sid, lesson, day, marks, cancelled, reviewed_at)
        changed = max(t for t in (logged_at, reviewed_at, lesson.created_at) if t is not None)
        return status, reason, cancelled_by, cancelled_at, billable, price_, changed

    def _presence(self) -> str:
        roll = self.rng.random()
        if roll < ABSENT_SHARE:
            return ABSENT
        return LATE if roll < ABSENT_SHARE + LATE_SHARE else PRESENT

    def _review(self, start: datetime, logged_at: datetime, tutor: Tutor):
        rng = self.rng.random
        age = (self.now - start).days
        reviewer = tutor.moderator if rng() >= 0.1 else self.admins[0]
        reviewed_at = self._past(logged_at + timedelta(hours=2 + rng() * 94))
        if age < SENT_BACK_DAYS and rng() < SENT_BACK_SHARE:
            self._notify(
                tutor.id,
                NotificationKind.LOG_SENT_BACK,
                f"Log sent back for correction: {start.astimezone(self.zone):%Y-%m-%d %H:%M}",
                self.today_url,
                reviewed_at,
            )
            return SENT_BACK, reviewer, reviewed_at, self.rng.choice(SEND_BACK)
        if age >= PENDING_DAYS or rng() < RECENT_VERIFIED:
            return VERIFIED, reviewer, reviewed_at, ""
        return PENDING, None, None, ""

    def _price(self, sid, lesson, day, marks, cancelled, verified_at) -> Decimal:
        """What `pricing.price_verified` writes: a charge per student, the tutor's earning,
        and the session's price."""
        tutor, minutes = lesson.tutor, lesson.minutes
        total, tutor_share = Decimal(0), HUNDRED
        charges = []
        if cancelled:
            tutor_share = self.late_share
            charges = [(p, LATE_CANCELLATION, self.late_share) for p in lesson.pupils]
        else:
            for pupil, presence in zip(lesson.pupils, marks, strict=True):
                absent = presence == ABSENT
                charges.append(
                    (
                        pupil,
                        NO_SHOW if absent else SESSION_CHARGE,
                        self.no_show if absent else HUNDRED,
                    )
                )
        month = self.months[(day.year, day.month)]
        rows, ids = self._hot[Charge]
        for pupil, kind, share in charges:
            hourly = _rate_for(pupil, day, lesson.subject, tutor.id)
            amount = self._cost(hourly, minutes, share) if hourly is not None else Decimal(0)
            total += amount
            if share <= 0:
                continue
            cid = next(ids)
            rows.append(
                (
                    cid,
                    sid,
                    pupil.id,
                    tutor.id,
                    pupil.branch,
                    lesson.subject,
                    day,
                    minutes,
                    kind,
                    share,
                    hourly,
                    amount,
                    self.currency,
                    verified_at,
                )
            )
            if hourly is not None:
                month[pupil.payer].append(
                    (
                        pupil.id,
                        day,
                        cid,
                        kind,
                        share,
                        minutes,
                        hourly,
                        amount,
                        lesson.subject,
                        tutor.id,
                        pupil.name,
                    )
                )
        pay = next((p for p in tutor.pay if p[0] <= day), None)
        earned = Decimal(0)
        if pay is not None:
            earned = self._earning(pay[2], pay[3], minutes, tutor_share)
        rows, ids = self._hot[TutorEarning]
        rows.append(
            (
                next(ids),
                sid,
                tutor.id,
                day,
                minutes,
                pay[2] if pay else "",
                pay[3] if pay else None,
                tutor_share,
                earned,
                self.currency,
                verified_at,
            )
        )
        return total

    def _cost(self, hourly: Decimal, minutes: int, share: Decimal) -> Decimal:
        key = (hourly, minutes, share)
        cached = self._prices.get(key)
        if cached is None:
            cached = self._prices[key] = price(hourly, minutes, share)
        return cached

    def _earning(self, basis: str, amount: Decimal, minutes: int, share: Decimal) -> Decimal:
        key = (basis, amount, minutes, share)
        cached = self._prices.get(key)
        if cached is None:
            base = amount if basis == PayBasis.SESSION else amount * minutes / SIXTY
            cached = self._prices[key] = to_cents(Decimal(base) * share / HUNDRED)
        return cached

    # --- invoices and payments ----------------------------------------------------------------

    def _series(self, prefix: str) -> list[int]:
        """[id, next number] of a number series, created when missing."""
        series, _created = NumberSeries.objects.get_or_create(prefix=prefix)
        return [series.pk, series.next_number]

    def _number(self, kind: str) -> tuple[int, int]:
        series = self.series[kind]
        series[1] += 1
        return series[0], series[1] - 1

    def finish_series(self) -> None:
        for pk, next_number in self.series.values():
            NumberSeries.objects.filter(pk=pk).update(next_number=next_number)

    def _invoice_months_before(self, monday: date) -> None:
        """Invoice every complete month before `monday` whose invoicing day has come: one
        invoice per payer, numbered in the order issued; a few are credited or voided and
        issued again two days later. Then the payers pay, each in their own way."""
        for key in sorted(k for k in self.months if k < (monday.year, monday.month)):
            by_payer = self.months.pop(key)
            issued = date(*_month_after(*key), INVOICE_DAY)
            if issued > self.today:
                continue  # left for the next invoice run
            newest = date(*_month_after(*_month_after(*key)), INVOICE_DAY) > self.today
            start, end = date(*key, 1), date(*_month_after(*key), 1) - timedelta(days=1)
            again = issued + timedelta(days=2)
            later = []
            for payer in sorted(by_payer):
                lines = sorted(by_payer[payer], key=lambda c: (c[0], c[1], c[2]))
                roll = self.rng.random()
                invoice, total = self._invoice(payer, lines, start, end, issued, void=roll < VOIDED)
                if roll < VOIDED:
                    later.append((payer, lines, None, 0))
                elif roll < VOIDED + CREDITED and total > 2:
                    later.append((payer, None, invoice, total))
                else:
                    self._pay(payer, invoice, total, issued, newest)
            for payer, lines, invoice, total in later:
                if lines is not None:
                    invoice, total = self._invoice(payer, lines, start, end, again)
                else:
                    total -= self._credit(payer, invoice, total, again)
                self._pay(payer, invoice, total, again, newest)
            for row in self.invoices.values():
                self.out.add(Invoice, tuple(row))
            self.invoices.clear()

    def _invoice(self, payer, lines, start, end, issued, *, void=False) -> tuple[int, Decimal]:
        out, admin = self.out, self.admins[0]
        pk = out.take(Invoice)
        total = to_cents(sum((line[7] for line in lines), Decimal(0)))
        series, number = self._number(InvoiceKind.INVOICE)
        self.numbers[pk] = f"{SERIES_PREFIX[InvoiceKind.INVOICE]}-{number:06d}"
        issued_at = self.at(issued, 9) + timedelta(seconds=pk % 3600)
        status = InvoiceStatus.ISSUED if total > 0 else InvoiceStatus.PAID
        voided_at = None
        if void:
            status, voided_at = InvoiceStatus.VOID, issued_at + timedelta(days=1)
        self.invoices[pk] = [
            pk,
            InvoiceKind.INVOICE,
            status,
            payer,
            series,
            number,
            start,
            end,
            issued,
            issued + timedelta(days=settings.INVOICE_PAYMENT_DAYS),
            self.currency,
            total,
            None,
            *self.payers[payer],
            "Sent to the wrong address" if void else "",
            voided_at,
            admin if void else None,
            issued_at,
            admin,
            admin,
            issued_at - timedelta(minutes=30),
        ]
        for position, line in enumerate(lines):
            student, day, charge, kind, share, minutes, hourly, amount, subject, tutor, who = line
            text = f"{self.subject_names[subject]} with {self.user_names[tutor]}, {minutes} min"
            if kind != SESSION_CHARGE:
                text += f" ({ChargeKind(kind).label.lower()}, {percent(share)}%)"
            # A void invoice keeps its lines' text but lets go of their charges.
            out.add(
                InvoiceLine,
                (
                    out.take(InvoiceLine),
                    pk,
                    LineKind.SESSION,
                    None if void else charge,
                    student,
                    day,
                    f"{who}: {text}"[:300],
                    to_cents(Decimal(minutes) / 60),
                    hourly,
                    amount,
                    position,
                ),
            )
        return pk, total

    def _credit(self, payer: int, invoice: int, total: Decimal, issued: date) -> Decimal:
        """A goodwill credit note against the invoice; returns the amount credited."""
        out, admin = self.out, self.admins[0]
        value = min(Decimal("100.00"), to_cents(total / 2))
        pk = out.take(Invoice)
        series, number = self._number(InvoiceKind.CREDIT_NOTE)
        issued_at = self.at(issued, 10)
        self.invoices[pk] = [
            pk,
            InvoiceKind.CREDIT_NOTE,
            InvoiceStatus.ISSUED,
            payer,
            series,
            number,
            None,
            None,
            issued,
            None,
            self.currency,
            -value,
            invoice,
            *self.payers[payer],
            "",
            None,
            None,
            issued_at,
            admin,
            admin,
            issued_at - timedelta(minutes=30),
        ]
        reason = f"Credit on {self.numbers[invoice]}: Goodwill: the tutor started 20 minutes late"
        out.add(
            InvoiceLine,
            (
                out.take(InvoiceLine),
                pk,
                LineKind.CREDIT,
                None,
                None,
                None,
                reason[:300],
                Decimal(1),
                -value,
                -value,
                0,
            ),
        )
        if value >= total:
            self.invoices[invoice][2] = InvoiceStatus.PAID
        return value

    def _pay(self, payer: int, invoice: int, owed: Decimal, issued: date, newest: bool) -> None:
        """The payer's habit decides when and how much. Payers pay their invoices in order,
        so each payment goes to the oldest open invoice, as `payment_record` sets it; a
        payer with an invoice still open pays nothing after it."""
        habit = self.habits[payer]
        if owed <= 0 or payer in self.behind:
            return
        rng = self.rng
        delay = rng.randint(20, 70) if habit == "late" else rng.randint(3, 14)
        received = max(issued + timedelta(days=delay), self.paid_until.get(payer, issued))
        if received > self.today or (habit == "stopped" and issued > self.stopped[payer]):
            self.behind.add(payer)
            return
        amount = owed
        if newest and habit == "partial":
            amount = to_cents(owed / 2)
        elif newest and habit == "overpays":
            amount = owed + Decimal("200.00")  # what is left over is the payer's credit
        self.paid_until[payer] = received
        out = self.out
        pk = out.take(Payment)
        method = _pick(
            rng, [(PaymentMethod.EFT, 0.7), (PaymentMethod.CARD, 0.2), (PaymentMethod.CASH, 0.1)]
        )
        moment = self._past(self.at(received, 15))
        out.add(
            Payment,
            (
                pk,
                payer,
                received,
                amount,
                self.currency,
                method,
                self.numbers[invoice],
                "",
                self.admins[-1],
                moment,
            ),
        )
        allocated = min(amount, owed)
        out.add(Allocation, (out.take(Allocation), pk, invoice, allocated, moment))
        if allocated >= owed:
            self.invoices[invoice][2] = InvoiceStatus.PAID
        else:
            self.behind.add(payer)

    # --- messages --------------------------------------------------------------------------

    def messages(self) -> None:
        out, rng = self.out, self.rng
        out.table(Thread, "id kind subject audience created_by_id created_at last_message_at")
        out.table(ThreadMember, "id thread_id user_id")
        out.table(Message, "id thread_id sender_id body created_at")
        out.table(Receipt, "id message_id user_id read_at")
        out.table(SearchToken, "id message_id digest")
        for tutor in self.tutors:
            for subject, body in rng.sample(DIRECT, k=min(len(DIRECT), rng.randint(1, 4))):
                started = self._past(self.now - timedelta(days=rng.uniform(0.2, 180)))
                posts = [(tutor.moderator, body)]
                for _n in range(rng.randint(0, 4)):
                    sender = tutor.id if len(posts) % 2 else tutor.moderator
                    posts.append((sender, rng.choice(REPLIES)))
                self._thread(
                    ThreadKind.DIRECT, subject, "", [tutor.moderator, tutor.id], posts, started
                )
        tutors_of: dict[int, list[int]] = defaultdict(list)
        for tutor in self.tutors:
            tutors_of[tutor.branch].append(tutor.id)
        for branch, members in tutors_of.items():
            sender = next(t.moderator for t in self.tutors if t.branch == branch)
            for month in range(min(24, self.sizes.weeks_back // 4)):
                subject, body = rng.choice(GROUP)
                when = self._past(self.now - timedelta(days=30 * month + rng.uniform(0, 25)))
                audience = f"All tutors of {self.branch_names.get(branch, 'the branch')}"
                self._thread(
                    ThreadKind.GROUP, subject, audience, [sender, *members], [(sender, body)], when
                )
        everyone = [*self.admins, *self.moderators, *(t.id for t in self.tutors)]
        for number, (subject, body) in enumerate(BROADCASTS):
            when = self._past(self.now - timedelta(days=60 * number + rng.uniform(1, 40)))
            self._thread(
                ThreadKind.BROADCAST, subject, "Everyone", everyone, [(self.admins[0], body)], when
            )
        self._inbox_versions()

    def _thread(self, kind, subject, audience, members, posts, started) -> None:
        out, rng = self.out, self.rng
        pk = out.take(Thread)
        url = reverse("messaging:thread", args=[pk])
        when, last = started, started
        rows = []
        for sender, body in posts:
            last = when
            rows.append((sender, body, when))
            when = self._past(when + timedelta(hours=rng.uniform(0.5, 30)))
        out.add(Thread, (pk, kind, subject, audience, posts[0][0], started, last))
        for user in sorted(set(members)):
            out.add(ThreadMember, (out.take(ThreadMember), pk, user))
        for sender, body, sent in rows:
            message = out.take(Message)
            out.add(Message, (message, pk, sender, body, sent))
            for word in sorted(words(body)):
                out.add(SearchToken, (out.take(SearchToken), message, word_digest(word)))
            recent = self.now - sent < timedelta(days=2)
            title = f"{self.user_names[sender]}: {subject}"
            for user in sorted(set(members) - {sender}):
                read = None
                if rng.random() < (0.4 if recent else 0.93):
                    read = self._past(sent + timedelta(hours=rng.uniform(0.1, 30)))
                out.add(Receipt, (out.take(Receipt), message, user, read))
                self._notify(user, NotificationKind.MESSAGE_RECEIVED, title, url, sent, read)

    def _notify(self, user, kind, title, url, when, read=None) -> None:
        if read is None and self.now - when > timedelta(days=14):
            read = when + timedelta(hours=6)
        self.out.add(
            Notification, (self.out.take(Notification), user, kind, title[:200], url, when, read)
        )
        self.notified[user] += 1

    def _inbox_versions(self) -> None:
        """Each person's change counter, as if bumped once per notification."""
        self.out.table(InboxVersion, "user_id version")
        for user, count in sorted(self.notified.items()):
            self.out.add(InboxVersion, (user, count))


def _rate_for(pupil: Pupil, day: date, subject: int, tutor: int) -> Decimal | None:
    """`pricing.rate_for` over the student's rates in memory: the most specific rate in
    force (tutor and subject, tutor, subject, default), the newest within a level."""
    best, best_level = None, -1
    for effective, _pk, rate_subject, rate_tutor, hourly in pupil.rates:
        if effective > day:
            continue
        if rate_subject is not None and rate_subject != subject:
            continue
        if rate_tutor is not None and rate_tutor != tutor:
            continue
        level = (rate_tutor is not None) * 2 + (rate_subject is not None)
        if level > best_level:
            best, best_level = hourly, level
    return best


def _share(total: int, weights: Sequence[float]) -> list[int]:
    """`total` split in proportion to `weights`, in whole numbers that add up to it."""
    if not weights:
        return []
    scale = total / sum(weights)
    parts = [int(w * scale) for w in weights]
    for i in sorted(range(len(weights)), key=lambda i: parts[i] - weights[i] * scale)[
        : total - sum(parts)
    ]:
        parts[i] += 1
    return parts


def _capped(total: int, wanted: Sequence[int], limits: Sequence[int]) -> list[int]:
    """Each tutor's share, but no more than they have lessons for; the rest goes to those
    with room to spare."""
    shares = [min(w, c) for w, c in zip(wanted, limits, strict=True)]
    missing = total - sum(shares)
    for i in sorted(range(len(shares)), key=lambda i: shares[i] - limits[i]):
        if missing <= 0:
            break
        extra = min(missing, limits[i] - shares[i])
        shares[i] += extra
        missing -= extra
    if missing > 0:
        raise LoadRefused(
            f"The students' lessons make at most {sum(limits)} sessions; ask for fewer "
            "sessions, or for more students or tutors."
        )
    return shares


# --- The whole load ----------------------------------------------------------------------


def check(sizes: Sizes, *, force: bool) -> None:
    """Refuse a load that would mix with a real business's data or cannot fit."""
    existing = Session.objects.count()
    if existing and not force:
        raise LoadRefused(
            f"The database already has {existing} sessions. seed_load is meant for an empty "
            "database; pass --force to add a generated business next to them."
        )
    if sizes.sessions and (sizes.tutors < 1 or sizes.students < 1):
        raise LoadRefused("Sessions need at least one tutor and one student.")
    most = int(sizes.tutors * sizes.weeks * len(CELLS) * BUSIEST / OVERBOOK)
    if sizes.sessions > most:
        raise LoadRefused(
            f"{sizes.tutors} tutors can teach at most about {most} sessions in "
            f"{sizes.weeks} weeks; ask for more tutors or fewer sessions."
        )
    width = max(4, len(str(sizes.tutors)))
    names = [f"admin{n}" for n in range(1, sizes.admins + 1)]
    names += [f"moderator{n:03d}" for n in range(1, sizes.moderators + 1)]
    names += [f"tutor{n:0{width}d}" for n in range(1, sizes.tutors + 1)]
    taken = list(User.objects.filter(username__in=names).values_list("username", flat=True)[:3])
    if taken:
        raise LoadRefused(
            f"Accounts {', '.join(taken)}... already exist: this database was loaded before. "
            "Load into a fresh database."
        )


@dataclass
class Result:
    usernames: dict[str, list[str]]
    counts: dict[str, int]
    timings: list[tuple[str, float]]


def generate(
    sizes: Sizes, *, password: str, say: Callable[[str], None], force: bool = False
) -> Result:
    """Load the business in one transaction; returns the usernames, the rows in each table
    and the seconds each stage took."""
    check(sizes, force=force)
    timings: list[tuple[str, float]] = []

    @contextmanager
    def stage(name: str) -> Iterator[None]:
        began = time.perf_counter()
        yield
        timings.append((name, time.perf_counter() - began))
        say(f"  {name:<32} {timings[-1][1]:7.1f} s")

    now = timezone.now()
    out = Writer(now)
    # VACUUM cannot run in a transaction: inside one (a test), only ANALYZE.
    outside = not connection.in_atomic_block
    with transaction.atomic():
        if out.postgres:
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        with stage("lookups and accounts"):
            business = Business(sizes, now=now, writer=out, password_hash=make_password(password))
            business.lookups()
            business.people()
            out.flush()
        with stage("students, payers, rates"):
            business.students()
            out.flush()
        with stage("timetable"):
            business.timetable()
            _availability(business)
            out.flush()
        with stage("drop indexes of big tables"):
            dropped = out.drop_for_load(BIG_TABLES)
        with stage("sessions, logs, money"):
            business.history()
        with stage("messages"):
            business.messages()
            out.flush()
        with stage("indexes and constraints"):
            out.restore(dropped)
        with stage("counters, daily income, audit"):
            business.finish_series()
            rebuild_income_days()
            out.reset_sequences()
            _bump_feed()
            tables = sorted(out.written, key=lambda model: model._meta.label)
            written = {model._meta.label: out.written[model] for model in tables}
            record(
                "core.seed_load",
                actor=None,
                target_type="core.seed_load",
                changes={"sizes": asdict(sizes), "rows": written},
            )
    if out.postgres:
        with stage("vacuum analyze" if outside else "analyze"):
            _analyze(out.written, vacuum=outside)
    counts = {model._meta.label: model._default_manager.count() for model in tables}
    return Result(usernames=_usernames(business), counts=counts, timings=timings)


def _availability(business: Business) -> None:
    """Tutors are available on their working days; some students say when they can come."""
    out, rng = business.out, business.rng
    out.table(AvailabilityWindow, "id student_id tutor_id weekday start end valid_from valid_to")
    for tutor in business.tutors:
        for day in sorted(tutor.days):
            hours = SATURDAY_HOURS if day == 5 else WEEKDAY_HOURS
            out.add(
                AvailabilityWindow,
                (
                    out.take(AvailabilityWindow),
                    None,
                    tutor.id,
                    day,
                    clock(hours[0]),
                    clock(hours[-1] + 1),
                    None,
                    None,
                ),
            )
    for pupil in business.pupils:
        if pupil.status != StudentStatus.ACTIVE or rng.random() > 0.3:
            continue
        days = sorted({CELLS[cell][0] for cell, spans in pupil.busy.items() if spans})
        for day in days or [rng.randrange(5)]:
            hours = SATURDAY_HOURS if day == 5 else WEEKDAY_HOURS
            out.add(
                AvailabilityWindow,
                (
                    out.take(AvailabilityWindow),
                    pupil.id,
                    None,
                    day,
                    clock(hours[0]),
                    clock(hours[-1] + 1),
                    None,
                    None,
                ),
            )


def _bump_feed() -> None:
    if not FeedVersion.objects.filter(pk=1).update(version=models.F("version") + 1):
        FeedVersion.objects.create(pk=1, version=1)
    # Feeds and dashboards cached in Redis before the load must not be read again.
    versions.bump([versions.SESSIONS, versions.SHARED, versions.MONEY])


def _analyze(written: Iterable[type[models.Model]], *, vacuum: bool) -> None:
    """Fresh statistics for the planner; outside a transaction also VACUUM, so that the
    visibility map lets index-only scans skip the heap, as on a database that has lived."""
    with connection.cursor() as cursor:
        for model in written:
            table = _qn(model._meta.db_table)
            cursor.execute(f"VACUUM (ANALYZE) {table}" if vacuum else f"ANALYZE {table}")


def _usernames(business: Business) -> dict[str, list[str]]:
    return {
        "admin": [f"admin{n}" for n in range(1, len(business.admins) + 1)],
        "moderator": [f"moderator{n:03d}" for n in range(1, len(business.moderators) + 1)],
        "tutor": [t.username for t in business.tutors],
    }
