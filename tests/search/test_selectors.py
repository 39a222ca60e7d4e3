"""Who finds what: the same file runs on SQLite (LIKE) and on PostgreSQL (full text), and
expects the same answers from both."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from tracker.search.selectors import (
    MAX_LENGTH,
    MIN_LENGTH,
    clean_query,
    kinds_for,
    query_words,
    search,
)

pytestmark = pytest.mark.django_db

ALL = ("students", "tutors", "sessions", "messages")


NAMES = {
    "students": ("Thandi", "Thato", "Thabo"),
    "tutors": ("tutor", "outsider", "moderator", "admin", "thabang"),
    "sessions": ("soon", "later", "past", "theirs"),
    "messages": ("to_tutor", "to_other"),
}


def found(user, query: str, kind: str | None = None, world=None) -> dict[str, list[str]]:
    """The names (keys of `world`) of each kind's hits, in the order they came."""
    names = {(group, world[name]): name for group, keys in NAMES.items() for name in keys}
    results = search(user=user, query=query, kind=kind, limit=50)
    return {
        group.kind: [names.get((group.kind, hit.id), hit.id) for hit in group.hits]
        for group in results.groups
    }


# (role, query) -> what each kind finds. A kind missing from the row is not searched at
# all for that role (a tutor never searches accounts).
TABLE = [
    ("tutor", "tha", {"students": ["Thandi"], "sessions": ["soon", "later", "past"],
                      "messages": []}),
    ("outsider", "tha", {"students": ["Thabo"], "sessions": ["theirs"], "messages": ["to_other"]}),
    ("moderator", "tha", {"students": ["Thabo", "Thandi", "Thato"], "tutors": [],
                          "sessions": ["soon", "theirs", "later", "past"],
                          "messages": ["to_other"]}),
    ("admin", "tha", {"students": ["Thabo", "Thandi", "Thato"], "tutors": ["thabang"],
                      "sessions": ["soon", "theirs", "later", "past"], "messages": []}),
    ("tutor", "Thandi", {"students": ["Thandi"], "sessions": ["soon", "later", "past"],
                         "messages": ["to_tutor"]}),
    ("outsider", "Thandi", {"students": [], "sessions": [], "messages": []}),
    ("outsider", "Mokoena", {"students": [], "sessions": [], "messages": []}),
    ("admin", "Thandi", {"students": ["Thandi"], "tutors": [],
                         "sessions": ["soon", "later", "past"], "messages": []}),
    ("tutor", "Math", {"students": [], "sessions": ["soon", "later", "past"], "messages": []}),
    ("outsider", "math", {"students": [], "sessions": [], "messages": []}),
    ("tutor", "rosebank lib", {"students": [], "sessions": ["soon"], "messages": []}),
    ("tutor", "thandi math", {"students": [], "sessions": ["soon", "later", "past"],
                               "messages": []}),
    ("moderator", "physics", {"students": [], "tutors": [], "sessions": ["theirs"],
                           "messages": ["to_other"]}),
    ("moderator", "Lerato", {"students": [], "tutors": ["tutor"], "sessions": [],
                             "messages": []}),
    ("moderator", "outsider", {"students": [], "tutors": ["outsider"], "sessions": [],
                               "messages": []}),
    ("moderator", "outsider@example.com", {"students": [], "tutors": ["outsider"],
                                           "sessions": [], "messages": []}),
    # Moderators manage tutors only: other staff are not theirs to find.
    ("moderator", "Mandla", {"students": [], "tutors": [], "sessions": [], "messages": []}),
    ("admin", "Mandla Moder", {"students": [], "tutors": ["moderator"], "sessions": [],
                               "messages": []}),
    ("tutor", "thursday", {"students": [], "sessions": [], "messages": ["to_tutor"]}),
    ("outsider", "thursday", {"students": [], "sessions": [], "messages": []}),
    ("admin", "thursday", {"students": [], "tutors": [], "sessions": [], "messages": []}),
]  # fmt: skip


@pytest.mark.parametrize(("role", "query", "expected"), TABLE)
def test_each_role_finds_only_what_it_may_see(everyone, world, role, query, expected):
    assert found(everyone[role], query, world=world) == expected


@pytest.mark.parametrize("role", ["tutor", "outsider"])
def test_a_tutor_searches_no_accounts_and_may_not_ask_for_them(everyone, world, role):
    assert kinds_for(everyone[role]) == ["students", "sessions", "messages"]
    with pytest.raises(PermissionDenied):
        search(user=everyone[role], query="Lerato", kind="tutors")


@pytest.mark.parametrize("role", ["moderator", "admin"])
def test_staff_search_every_kind(everyone, role):
    assert kinds_for(everyone[role]) == list(ALL)


def test_nobody_signed_in_searches_nothing(world):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        search(user=AnonymousUser(), query="Thandi")


@pytest.mark.parametrize(
    "query",
    ["Grace", "Nkosi", "Grace Nkosi", "555", "0101", "+27 82", "grace.nkosi@example.com"],
)
def test_personal_data_never_matches(everyone, world, query):
    """Phone, guardian and e-mail are encrypted, and never searched, even by an admin."""
    results = search(user=everyone["admin"], query=query, kind="students")
    assert results.total == 0


def test_a_tutor_never_finds_an_archived_student_of_theirs(everyone, world):
    assert found(everyone["tutor"], "Thato", "students", world) == {"students": []}
    assert found(everyone["moderator"], "Thato", "students", world) == {"students": ["Thato"]}


def test_hits_carry_only_basic_fields_and_the_page_to_open(everyone, world):
    [student] = search(user=everyone["tutor"], query="Thandi", kind="students").hits
    assert (student.title, student.url) == ("Thandi Mokoena", f"/students/{world['Thandi']}/")
    assert "555 0101" not in student.subtitle
    assert "5550101" not in student.subtitle
    assert "Grace" not in student.subtitle
    assert student.subtitle.startswith("Grade 10 · School")
    [archived] = search(user=everyone["admin"], query="Thato", kind="students").hits
    assert archived.subtitle.endswith("· Archived")


def test_a_session_shows_its_time_in_the_business_time_zone(everyone, world):
    hits = search(user=everyone["tutor"], query="rosebank", kind="sessions").hits
    assert [(hit.title, hit.subtitle, hit.url) for hit in hits] == [
        (
            "Mathematics · Thandi Mokoena",
            "Mon 10 Mar 2031, 15:00–16:00 · Lerato Molefe · Rosebank library · Scheduled",
            "/calendar/",
        )
    ]


def test_accounts_and_threads_link_to_their_pages(everyone, world):
    [account] = search(user=everyone["moderator"], query="Lerato", kind="tutors").hits
    assert account.url == f"/accounts/users/{world['tutor']}/"
    assert account.subtitle.startswith("Tutor · tutor")
    [thread] = search(user=everyone["tutor"], query="Thursday", kind="messages").hits
    assert (thread.title, thread.url) == ("Thursday lesson", f"/messages/{world['to_tutor']}/")
    assert thread.subtitle.startswith("Conversation · ")
    assert thread.subtitle.endswith("1 unread")


def test_totals_count_every_match_while_hits_stop_at_the_limit(everyone, world):
    results = search(user=everyone["moderator"], query="tha", kind="sessions", limit=2, offset=1)
    [group] = results.groups
    assert (group.total, len(group.hits), group.more) == (4, 2, 2)
    assert [hit.id for hit in group.hits] == [world["theirs"], world["later"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [("", "at least 2"), (" a ", "at least 2"), ("\x00\x00", "at least 2"), ("x" * 101, "100")],
)
def test_too_short_or_too_long_a_query_is_a_field_error(tutor, query, message):
    with pytest.raises(ValidationError) as error:
        search(user=tutor, query=query)
    assert message in error.value.message_dict["q"][0]


def test_an_unknown_kind_is_a_field_error(tutor):
    with pytest.raises(ValidationError) as error:
        search(user=tutor, query="Thandi", kind="invoices")
    assert "kind" in error.value.message_dict


def test_words_keep_their_inside_and_lose_the_punctuation_around_them():
    assert query_words("  (Thandi),  O'Brien  x@y.org!  thandi ?? ") == [
        "thandi",
        "o'brien",
        "x@y.org",
    ]
    assert query_words("a b c d e f g") == ["a", "b", "c", "d", "e"]


ODD = [
    "!!", "??", "a:*", "'", "''", "\\", "\\'", "a & b", "a | !b", "(((", ")", "<->", "a<2>b",
    "%", "_", "%_%", "*", ":*", "' OR 1=1 --", "<script>alert(1)</script>", "Thandi\x00",
    "Tha\u200bndi", "ü é ß", "😀😀", "ʼʼ", "x" * 100, "a " * 50, "\t\n", "--",
]  # fmt: skip


@pytest.mark.parametrize("query", ODD)
def test_any_input_is_safe(everyone, world, query):
    """Whatever is typed, the answer is results or a field error, never a database error."""
    if MIN_LENGTH <= len(clean_query(query)) <= MAX_LENGTH:
        assert search(user=everyone["admin"], query=query).total >= 0
    else:
        with pytest.raises(ValidationError, match="characters"):
            search(user=everyone["admin"], query=query)


def test_punctuation_alone_finds_nothing_without_asking_the_database(
    everyone, world, django_assert_num_queries
):
    with django_assert_num_queries(0):
        results = search(user=everyone["admin"], query="?! ...")
    assert results.total == 0
    assert len(results.groups) == 4


@pytest.mark.skipif(connection.vendor != "postgresql", reason="full text on PostgreSQL only")
def test_postgresql_matches_the_start_of_words_only(everyone, world):
    """The one place the engines differ: SQLite's LIKE also finds the middle of a word."""
    assert search(user=everyone["admin"], query="andi", kind="students").total == 0
