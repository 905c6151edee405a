"""The supplier page reads a supplier's reminders at stage 1 or more (its open escalations) and nothing reads
them by creation time: the index on (supplier, created_at) becomes a partial index on supplier for stage >= 1,
which the scan does not update for the many "due soon" (stage 0) rows."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0003_run_reminder_id_range_replaces_run_index"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="reminder",
            name="reminder_supplier_recent",
        ),
        migrations.AddIndex(
            model_name="reminder",
            index=models.Index(
                condition=models.Q(("stage__gte", 1)), fields=["supplier"], name="reminder_supplier_escalated"
            ),
        ),
    ]
