"""The roles, as auth groups created by migrations (``suppliers/migrations/0003_roles.py``; each app grants
its own permissions in its ``role_permissions`` migration; README "Roles" says what each role may do, and
``tests/test_roles.py`` holds the groups to it)."""

PROCUREMENT = "Procurement"
ESG_MANAGER = "ESG manager"
AUDITOR = "Auditor"
SUPPLIER_CONTACT = "Supplier contact"
# Created by reminders/migrations/0002, reads only since 0007: receives the last escalation stage.
PROCUREMENT_HEAD = "Procurement head"

ALL = (PROCUREMENT, ESG_MANAGER, AUDITOR, SUPPLIER_CONTACT)


def has_role(user, role: str) -> bool:
    return user.is_authenticated and user.groups.filter(name=role).exists()
