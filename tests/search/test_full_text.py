"""The engines behind the search: full text with GIN indexes on PostgreSQL, LIKE on
SQLite, and a migration that knows which one it runs on."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from tracker.accounts.models import User
from tracker.search.selectors import (
    ACCOUNT_FIELDS,
    STUDENT_FIELDS,
    _sessions,
    search,
    words_match,
)
from tracker.students.models import Student

pytestmark = pytest.mark.django_db

INDEXES = {"search_student_name_fts", "search_user_fts", "search_session_location_fts"}
MIGRATION = ("search", "0001_full_text_indexes_on_postgresql")
on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="full-text search runs on PostgreSQL only"
)


def search_indexes() -> set[str]:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT indexname FROM pg_indexes WHERE indexname LIKE 'search_%%'")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE name LIKE 'search_%'")
        return {row[0] for row in cursor.fetchall()}


def plan(queryset) -> str:
    """The plan PostgreSQL would choose if tables were large (no sequential scans)."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    return queryset.explain()


def test_the_indexes_exist_on_postgresql_only():
    expected = INDEXES if connection.vendor == "postgresql" else set()
    assert search_indexes() == expected


@on_postgresql
def test_a_students_name_is_found_through_its_index(world):
    students = Student.objects.filter(words_match(STUDENT_FIELDS, ["tha", "mok"]))
    assert "search_student_name_fts" in plan(students)
    assert set(students.values_list("first_name", flat=True)) == {"Thandi", "Thato"}


@on_postgresql
def test_accounts_and_session_places_are_found_through_their_indexes(world, admin):
    accounts = User.objects.filter(words_match(ACCOUNT_FIELDS, ["lerato"]))
    assert "search_user_fts" in plan(accounts)
    assert "search_session_location_fts" in plan(_sessions(admin, ["rosebank"]))


@on_postgresql
def test_the_query_is_a_prefix_search_in_the_simple_configuration(world, admin):
    students = Student.objects.filter(words_match(STUDENT_FIELDS, ["tha"]))
    sql = str(students.query)
    assert "to_tsquery" in sql
    assert "simple" in sql
    assert ":*" in sql
    # Simple: no stemming, and no English stop words dropped ("The" is a name here).
    assert search(user=admin, query="Thandi's", kind="students").total == 0


@pytest.mark.django_db(transaction=True)
def test_the_migration_goes_back_and_forth():
    executor = MigrationExecutor(connection)
    executor.migrate([("search", None)])
    assert search_indexes() == set()
    executor.loader.build_graph()
    executor.migrate([MIGRATION])
    assert search_indexes() == (INDEXES if connection.vendor == "postgresql" else set())
