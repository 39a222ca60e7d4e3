"""A copy of each session's tutor on its log: a tutor's dashboard counts the logs sent back
to them from one index instead of joining every sent-back log to its session."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_tutors(apps, schema_editor):
    SessionLog = apps.get_model("attendance", "SessionLog")
    Session = apps.get_model("scheduling", "Session")
    tutor = Session.objects.filter(pk=OuterRef("session_id")).values("tutor_id")[:1]
    SessionLog.objects.update(tutor_id=Subquery(tutor))


class Migration(migrations.Migration):
    dependencies = [
        ("attendance", "0002_attendance_session_start"),
        ("scheduling", "0003_dashboard_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name="sessionlog",
            name="tutor",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(copy_tutors, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="sessionlog",
            name="tutor",
            field=models.ForeignKey(
                db_index=False,
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddIndex(
            model_name="sessionlog",
            index=models.Index(fields=["tutor", "review"], name="sessionlog_tutor_review"),
        ),
    ]
