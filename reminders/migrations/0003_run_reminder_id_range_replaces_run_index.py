"""A run finds its reminders by the range of ids they got (noted on the run) along the primary key, instead of
through an index on (run, id) that every one of the scan's inserted rows had to update."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0002_ladder_roles_schedule"),
    ]

    operations = [
        migrations.AddField(
            model_name="reminderrun",
            name="reminders_from_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.AddField(
            model_name="reminderrun",
            name="reminders_to_id",
            field=models.BigIntegerField(blank=True, editable=False, null=True),
        ),
        migrations.RemoveIndex(
            model_name="reminder",
            name="reminder_run",
        ),
    ]
