"""Seed the escalation ladder (DESIGN.md "Reminders and escalation"), the "Procurement head" role that
stage 3 adds, the admin rights on the reminder log, and the daily schedule (editable in the admin)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

LADDER = [
    # stage, name, offset days, responsible, buyer, ESG managers, procurement heads, flag supplier
    (0, "Due soon", -7, True, False, False, False, False),
    (1, "Due today / overdue", 0, True, True, False, False, False),
    (2, "Overdue 14 days", 14, True, True, True, False, False),
    (3, "Overdue 30 days", 30, True, True, True, True, True),
]
VIEW = ["view_reminder", "view_digest", "view_reminderrun", "view_escalationstage", "view_digestitem"]
ROLES = {
    "Procurement": VIEW,
    "Procurement head": VIEW,
    "ESG manager": [*VIEW, "change_escalationstage"],
}


def seed(apps, schema_editor):
    EscalationStage = apps.get_model("reminders", "EscalationStage")
    for stage, name, offset, responsible, buyer, esg, heads, flag in LADDER:
        EscalationStage.objects.get_or_create(
            stage=stage,
            defaults={
                "name": name,
                "offset_days": offset,
                "notify_responsible": responsible,
                "notify_buyer": buyer,
                "notify_esg_managers": esg,
                "notify_procurement_heads": heads,
                "flag_supplier": flag,
            },
        )

    app_config = apps.get_app_config("reminders")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *Permission.objects.filter(content_type__app_label="reminders", codename__in=codenames)
        )
    # Procurement heads read the register like procurement staff.
    head = Group.objects.get(name="Procurement head")
    head.permissions.add(*Group.objects.get(name="Procurement").permissions.all())

    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="0", hour="6", day_of_week="*", day_of_month="*", month_of_year="*", timezone="UTC"
    )
    PeriodicTask.objects.get_or_create(
        name="Daily reminders and escalation",
        defaults={
            "task": "reminders.tasks.run_daily_reminders",
            "crontab": crontab,
            "description": "Finds due and overdue items, escalates, and sends one digest per person.",
        },
    )
    interval_model = apps.get_model("django_celery_beat", "IntervalSchedule")
    every_10_min, _ = interval_model.objects.get_or_create(every=10, period="minutes")
    PeriodicTask.objects.get_or_create(
        name="Retry failed reminder digests",
        defaults={
            "task": "reminders.tasks.send_due_digests",
            "interval": every_10_min,
            "description": "Sends digests whose earlier attempt failed, once their backoff has passed.",
        },
    )


def unseed(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(
        name__in=["Daily reminders and escalation", "Retry failed reminder digests"]
    ).delete()
    apps.get_model("auth", "Group").objects.filter(name="Procurement head").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0001_reminders_and_digests"),
        ("suppliers", "0004_nightly_risk_schedule"),
        ("audits", "0003_role_permissions"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]
    operations = [migrations.RunPython(seed, unseed)]
