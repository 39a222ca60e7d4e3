"""A copy of each session's start on its attendance rows: the operations dashboard counts
a month's attendance from one index instead of joining every row to its session."""

from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_starts(apps, schema_editor):
    Attendance = apps.get_model("attendance", "Attendance")
    Session = apps.get_model("scheduling", "Session")
    start = Session.objects.filter(pk=OuterRef("session_id")).values("start")[:1]
    Attendance.objects.update(session_start=Subquery(start))


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0001_initial"),
        ("scheduling", "0002_no_double_booking_on_postgresql"),
    ]

    operations = [
        migrations.AddField(
            model_name="attendance",
            name="session_start",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(copy_starts, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="attendance",
            name="session_start",
            field=models.DateTimeField(editable=False),
        ),
        migrations.AddIndex(
            model_name="attendance",
            index=models.Index(
                fields=["session_start", "presence"], name="attendance__session_4d16dc_idx"
            ),
        ),
    ]
