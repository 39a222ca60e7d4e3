"""GIN indexes for the global search's full-text queries, on PostgreSQL only.

They index expressions, not columns, so each must be exactly the vector that
tracker/search/selectors.py builds (the same fields, in the same order, with the "simple"
configuration), or PostgreSQL will not use it. SQLite searches with LIKE and gets none.
Built concurrently, so that adding them to a large database does not block writes.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEXES = [
    (
        "students",
        "Student",
        GinIndex(
            SearchVector("first_name", "last_name", config="simple"),
            name="search_student_name_fts",
        ),
    ),
    (
        "accounts",
        "User",
        GinIndex(
            SearchVector("username", "first_name", "last_name", "email", config="simple"),
            name="search_user_fts",
        ),
    ),
    (
        "scheduling",
        "Session",
        GinIndex(SearchVector("location", config="simple"), name="search_session_location_fts"),
    ),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app_label, model_name, index in INDEXES:
        schema_editor.add_index(apps.get_model(app_label, model_name), index, concurrently=True)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for app_label, model_name, index in INDEXES:
        schema_editor.remove_index(
            apps.get_model(app_label, model_name), index, concurrently=True
        )


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [
        ("accounts", "0003_signinsession"),
        ("scheduling", "0002_no_double_booking_on_postgresql"),
        ("students", "0001_initial"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
