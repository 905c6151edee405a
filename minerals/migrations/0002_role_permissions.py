"""Grant responsible minerals' permissions to the roles created by ``suppliers`` (DESIGN.md "Who uses it").

- ESG manager: everything: the smelter registry, declarations (upload, review, link smelters), due-diligence
  actions (close with evidence), import batches and the minerals policy.
- Procurement: reads all of it.
- Supplier contacts upload their own declarations through the API (scoped to their supplier); no admin
  rights.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "smelter",
    "smelteralias",
    "smelterstatuschange",
    "mineralspolicy",
    "declaration",
    "declaredsmelter",
    "duediligenceaction",
    "importbatch",
    "importbatchfile",
]
PROCUREMENT = [f"view_{model}" for model in MODELS]
ESG_MANAGER = [f"{action}_{model}" for model in MODELS for action in ("view", "add", "change", "delete")]
ROLES = {"Procurement": PROCUREMENT, "ESG manager": ESG_MANAGER}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("minerals")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="minerals", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="minerals"))


class Migration(migrations.Migration):
    dependencies = [
        ("minerals", "0001_smelter_registry_declarations_due_diligence"),
        ("suppliers", "0003_roles"),
    ]
    operations = [migrations.RunPython(grant, revoke)]
