"""The Procurement head role reads what procurement reads and changes nothing (README "Roles").

``0002`` gave the group a copy of procurement's rights as they were then, writes included, and missed what
apps granting their rights later gave procurement (minerals, frozen years). A procurement head must be able
to open every link of their last-stage digest (findings, audits, suppliers, due-diligence actions and the
reminder log), and acts through the buyers: now the group holds every ``view_*`` right of the Procurement
group and the reminder log's, nothing else. Someone who also edits is added to Procurement as well.
"""

from django.db import migrations

HEAD = "Procurement head"
REMINDER_LOG = ["view_reminder", "view_digest", "view_reminderrun", "view_escalationstage", "view_digestitem"]


def reads_only(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    procurement = Group.objects.get(name="Procurement")
    head, _ = Group.objects.get_or_create(name=HEAD)
    reads = procurement.permissions.filter(codename__startswith="view_")
    log = Permission.objects.filter(content_type__app_label="reminders", codename__in=REMINDER_LOG)
    head.permissions.set([*reads, *log])


def procurement_copy(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    head = Group.objects.get(name=HEAD)
    head.permissions.add(*Group.objects.get(name="Procurement").permissions.all())


class Migration(migrations.Migration):
    dependencies = [
        ("reminders", "0006_digest_items_without_per_row_checks"),
        ("suppliers", "0003_roles"),
        ("audits", "0003_role_permissions"),
        ("minerals", "0002_role_permissions"),
        ("reports", "0002_role_permissions"),
    ]
    operations = [migrations.RunPython(reads_only, procurement_copy)]
