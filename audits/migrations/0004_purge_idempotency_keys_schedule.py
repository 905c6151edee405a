"""Schedule the daily purge of old idempotency keys (editable in the admin)."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name="Purge old idempotency keys",
        defaults={
            "task": "audits.tasks.purge_idempotency_keys",
            "crontab": crontab,
            "description": "Deletes the stored answers of API POSTs older than a day.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name="Purge old idempotency keys"
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("audits", "0003_role_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
