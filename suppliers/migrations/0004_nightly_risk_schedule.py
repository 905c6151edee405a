"""The nightly risk refresh as a django-celery-beat entry, so staff can see and change it in the admin.
Created once; later edits in the admin are kept."""

from django.db import migrations


def create_schedule(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="2", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name="Nightly risk refresh",
        defaults={
            "task": "suppliers.tasks.refresh_all_risk",
            "crontab": crontab,
            "description": "Recomputes every supplier's risk assessment with the current model.",
        },
    )


def remove_schedule(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name="Nightly risk refresh").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0003_roles"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(create_schedule, remove_schedule)]
