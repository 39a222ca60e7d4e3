"""A small world to search: two tutors with their own students, sessions and threads.

Names are chosen so that one short query ("tha") reaches across both tutors' things and
the staff's: only the scope decides who finds what. Every name is set here (the factories
would invent some), so that no generated name matches a query by chance.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.factories import SubjectFactory, UserFactory
from tests.students.conftest import StudentFactory
from tracker.accounts.models import Role
from tracker.messaging.services import thread_start
from tracker.scheduling.services import session_create
from tracker.students.models import StudentStatus

SAST = ZoneInfo("Africa/Johannesburg")


@pytest.fixture
def named(admin, moderator, tutor, other_tutor):
    """The people of the conftest fixtures, with names this module's queries rely on."""
    names = {
        admin: ("Ayanda", "Admin"),
        moderator: ("Mandla", "Moderator"),
        tutor: ("Lerato", "Molefe"),
        other_tutor: ("Sipho", "Outsider"),
    }
    for person, (first, last) in names.items():
        person.first_name, person.last_name = first, last
        person.save()
    return names


@pytest.fixture
def world(named, admin, moderator, tutor, other_tutor):
    maths = SubjectFactory(name="Mathematics")
    physics = SubjectFactory(name="Physics")
    mine = StudentFactory(
        first_name="Thandi", last_name="Mokoena", tutors=[tutor],
        phone="+27 82 555 0101", guardian_name="Grace Nkosi", email="grace.nkosi@example.com",
    )  # fmt: skip
    gone = StudentFactory(first_name="Thato", last_name="Mokoena", tutors=[tutor])
    gone.status = StudentStatus.ARCHIVED
    gone.save()
    theirs = StudentFactory(first_name="Thabo", last_name="Dlamini", tutors=[other_tutor])
    colleague = UserFactory(
        username="thabang", first_name="Thabang", last_name="Mentor", role=Role.MODERATOR
    )

    def book(start, who, pupil, subject, location=""):
        return session_create(
            actor=moderator, start=start, end=start + timedelta(hours=1), tutor=who,
            students=[pupil], subject=subject, location=location,
        )  # fmt: skip

    soon = book(datetime(2031, 3, 10, 15, tzinfo=SAST), tutor, mine, maths, "Rosebank library")
    later = book(datetime(2031, 3, 17, 15, tzinfo=SAST), tutor, mine, maths)
    past = book(datetime(2025, 3, 3, 15, tzinfo=SAST), tutor, mine, maths)
    theirs_session = book(datetime(2031, 3, 11, 15, tzinfo=SAST), other_tutor, theirs, physics)
    to_tutor = thread_start(
        actor=moderator, recipients=[tutor], subject="Thursday lesson",
        body="Can you take Thandi at 16:00?",
    )  # fmt: skip
    to_other = thread_start(
        actor=moderator, recipients=[other_tutor], subject="Thabo's timetable",
        body="Thabo needs extra physics before exams",
    )  # fmt: skip
    return {
        "Thandi": mine.pk, "Thato": gone.pk, "Thabo": theirs.pk,
        "tutor": tutor.pk, "outsider": other_tutor.pk, "moderator": moderator.pk,
        "admin": admin.pk, "thabang": colleague.pk,
        "soon": soon.pk, "later": later.pk, "past": past.pk, "theirs": theirs_session.pk,
        "to_tutor": to_tutor.pk, "to_other": to_other.pk,
    }  # fmt: skip


@pytest.fixture
def everyone(admin, moderator, tutor, other_tutor):
    return {"admin": admin, "moderator": moderator, "tutor": tutor, "outsider": other_tutor}
