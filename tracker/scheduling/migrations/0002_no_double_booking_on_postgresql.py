"""No double booking, enforced by PostgreSQL itself: exclusion constraints on time ranges.

SQLite has no such constraint; there the services check inside the writing transaction,
which SQLite runs one at a time.
"""

from django.db import migrations

CREATE = """
CREATE EXTENSION IF NOT EXISTS btree_gist;
ALTER TABLE scheduling_session ADD CONSTRAINT session_tutor_no_overlap
    EXCLUDE USING gist (tutor_id WITH =, tstzrange(start, "end", '[)') WITH &&)
    WHERE (status <> 'cancelled');
ALTER TABLE scheduling_sessionstudent ADD CONSTRAINT seat_student_no_overlap
    EXCLUDE USING gist (student_id WITH =, tstzrange(start, "end", '[)') WITH &&)
    WHERE (active);
"""
DROP = """
ALTER TABLE scheduling_session DROP CONSTRAINT IF EXISTS session_tutor_no_overlap;
ALTER TABLE scheduling_sessionstudent DROP CONSTRAINT IF EXISTS seat_student_no_overlap;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
