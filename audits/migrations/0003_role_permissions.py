"""Grant the audit programme's permissions to the roles created by ``suppliers`` (DESIGN.md "Who uses it").

- ESG manager: plans audits, accepts reports, reviews CAPs and extensions, verifies closure, edits agencies,
  auditors, provisions and the audit and deadline policy.
- Procurement: reads audits, findings and corrective action for their suppliers.
- Auditors and supplier contacts work through the API, scoped to their agency or supplier; no admin rights.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = [
    "auditagency",
    "auditor",
    "codeprovision",
    "auditpolicy",
    "audit",
    "finding",
    "evidence",
    "correctiveactionplan",
    "progressupdate",
    "extensionrequest",
    "closureverification",
]
PROCUREMENT = [f"view_{m}" for m in MODELS]
ESG_MANAGER = PROCUREMENT + [
    "accept_audit",
    "plan_audits",
    "add_audit",
    "change_audit",
    "add_auditagency",
    "change_auditagency",
    "add_auditor",
    "change_auditor",
    "delete_auditor",
    "add_codeprovision",
    "change_codeprovision",
    "change_auditpolicy",
    "change_correctiveactionplan",
    "change_extensionrequest",
    "add_closureverification",
]
ROLES = {"Procurement": PROCUREMENT, "ESG manager": ESG_MANAGER}


def grant(apps, schema_editor):
    app_config = apps.get_app_config("audits")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="audits", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.add(*perms)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for group in Group.objects.filter(name__in=ROLES):
        group.permissions.remove(*group.permissions.filter(content_type__app_label="audits"))


class Migration(migrations.Migration):
    dependencies = [("audits", "0002_seed_provisions_and_policy"), ("suppliers", "0003_roles")]
    operations = [migrations.RunPython(grant, revoke)]
