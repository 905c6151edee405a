"""Frozen years in the admin: procurement staff see them, ESG managers may also delete one so that the year's
figures are worked out again (DESIGN.md "Who uses it")."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

ROLES = {"Procurement": ["view_yearend"], "ESG manager": ["view_yearend", "delete_yearend"]}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("reports")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="reports", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="reports"))


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0001_year_end_frozen_figures"),
        ("suppliers", "0003_roles"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
