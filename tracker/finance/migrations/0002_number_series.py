from django.db import migrations


def create_series(apps, schema_editor):
    NumberSeries = apps.get_model("finance", "NumberSeries")
    for prefix in ("INV", "CN"):
        NumberSeries.objects.get_or_create(prefix=prefix)


class Migration(migrations.Migration):
    dependencies = [("finance", "0001_initial")]

    operations = [migrations.RunPython(create_series, migrations.RunPython.noop)]
