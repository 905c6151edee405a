"""Create the four roles as groups, with the register's permissions each role needs (DESIGN.md "Who uses
it"). Later apps add their own permissions to the same groups in their own migrations.

- Procurement: registers suppliers, drives onboarding (candidate → screening), imports, reads risk.
- ESG manager: everything procurement does, plus admission decisions, risk overrides, the risk model,
  factor tables and the onboarding policy.
- Auditor and supplier contact: no admin rights; the API scopes them to their agency's audits or their own
  supplier.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ = [
    "view_businessunit",
    "view_commodity",
    "view_countryrisk",
    "view_riskmodel",
    "view_riskassessment",
    "view_statustransition",
    "view_onboardingpolicy",
]
PROCUREMENT = READ + [
    "view_supplier",
    "add_supplier",
    "change_supplier",
    "import_suppliers",
    "view_contact",
    "add_contact",
    "change_contact",
    "delete_contact",
    "view_agreement",
    "add_agreement",
    "change_agreement",
    "view_externalassessment",
    "add_externalassessment",
    "change_externalassessment",
]
ESG_MANAGER = PROCUREMENT + [
    "approve_supplier",
    "override_risk",
    "delete_agreement",
    "delete_externalassessment",
    "add_riskmodel",
    "add_businessunit",
    "change_businessunit",
    "add_commodity",
    "change_commodity",
    "add_countryrisk",
    "change_countryrisk",
    "delete_countryrisk",
    "change_onboardingpolicy",
]
ROLES = {
    "Procurement": PROCUREMENT,
    "ESG manager": ESG_MANAGER,
    "Auditor": [],
    "Supplier contact": [],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations; create the register's now so that they
    # can be granted here.
    app_config = apps.get_app_config("suppliers")
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, apps=apps)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=name)
        perms = Permission.objects.filter(content_type__app_label="suppliers", codename__in=codenames)
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"Unknown permissions for {name}: {sorted(missing)}")
        group.permissions.add(*perms)


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("suppliers", "0002_seed_reference_tables"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_roles, remove_roles)]
