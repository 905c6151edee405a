"""The roles as README "Roles" describes them: what the groups hold, and the rules tied to a role (who may be
a supplier's buyer) as a user meets them in the admin, the model and the reminders."""

from pathlib import Path

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.urls import reverse

from suppliers import roles
from suppliers.models import Supplier
from tests.factories import ContactFactory, FindingFactory, SupplierFactory, UserFactory
from tests.reminders.helpers import accepted_finding, run

pytestmark = pytest.mark.django_db

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
REMINDER_LOG = {
    "reminders.view_reminder",
    "reminders.view_digest",
    "reminders.view_reminderrun",
    "reminders.view_escalationstage",
    "reminders.view_digestitem",
}


def perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


def readme_row(role: str) -> str:
    return next(line for line in README.splitlines() if line.startswith(f"| **{role}**"))


# --- Procurement head ---------------------------------------------------------------------------------------


def test_procurement_head_reads_what_procurement_reads_and_changes_nothing():
    """README: "reads everything procurement reads ... and changes nothing"; "receives the last escalation
    stage" and reads the reminder log."""
    head = perms(roles.PROCUREMENT_HEAD)
    procurement_reads = {p for p in perms(roles.PROCUREMENT) if p.split(".")[1].startswith("view_")}

    assert "reads everything procurement reads" in readme_row("Procurement head")
    assert "changes nothing" in readme_row("Procurement head")
    assert head == procurement_reads | REMINDER_LOG
    assert {p for p in head if not p.split(".")[1].startswith("view_")} == set()
    assert {"suppliers.view_supplier", "audits.view_finding", "minerals.view_duediligenceaction"} <= head


@pytest.fixture
def head(client):
    user = UserFactory(username="head1", is_staff=True, role=roles.PROCUREMENT_HEAD)
    client.force_login(user)
    return user


def test_procurement_head_opens_every_kind_of_digest_link(client, head):
    finding = FindingFactory()
    pages = [
        reverse("admin:reminders_reminder_changelist") + "?digest=1",
        reverse("admin:audits_finding_change", args=[finding.pk]),
        reverse("admin:audits_audit_change", args=[finding.audit_id]),
        reverse("admin:suppliers_supplier_change", args=[finding.audit.supplier_id]),
        reverse("admin:minerals_duediligenceaction_changelist"),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page


def test_procurement_head_cannot_change_a_supplier(client, head):
    supplier = SupplierFactory(code="S-1", name="Before")
    response = client.post(reverse("admin:suppliers_supplier_change", args=[supplier.pk]), {"name": "After"})
    assert response.status_code == 403
    supplier.refresh_from_db()
    assert supplier.name == "Before"


def test_readme_names_the_role_of_the_closure_verifiers():
    assert "verify closure (desk review or follow-up audit)" in readme_row("ESG manager")
    assert "closure verification by follow-up audit" in readme_row("Auditor")
    esg = perms(roles.ESG_MANAGER)
    assert "audits.add_closureverification" in esg
    assert "audits.add_closureverification" not in perms(roles.AUDITOR) | perms(roles.PROCUREMENT)


# --- the buyer is procurement staff ----------------------------------------------------------------------


@pytest.fixture
def supplier_contact():
    contact = UserFactory(
        username="li.contact", email="li@other-supplier.example", role=roles.SUPPLIER_CONTACT
    )
    ContactFactory(supplier=SupplierFactory(code="OTHER"), user=contact)
    return contact


def post_change(client, supplier: Supplier, **changes):
    data = {
        "code": supplier.code,
        "name": supplier.name,
        "legal_name": supplier.legal_name,
        "category": supplier.category,
        "tier": supplier.tier,
        "country": str(supplier.country),
        "buyer": supplier.buyer_id or "",
        **{
            f"{inline}-{count}": "0"
            for inline in ("contacts", "agreements", "external_assessments", "transitions")
            for count in ("TOTAL_FORMS", "INITIAL_FORMS")
        },
        **changes,
    }
    return client.post(reverse("admin:suppliers_supplier_change", args=[supplier.pk]), data)


def test_the_admin_refuses_a_supplier_contact_as_buyer(client, esg_manager, supplier_contact):
    supplier = SupplierFactory(code="S-100", name="Bright Circuits")
    UserFactory(username="buyer02", role=roles.PROCUREMENT)
    client.force_login(esg_manager)

    page = client.get(reverse("admin:suppliers_supplier_change", args=[supplier.pk]))
    response = post_change(client, supplier, buyer=supplier_contact.pk)

    offered = [label for _, label in page.context["adminform"].form.fields["buyer"].choices]
    assert offered == ["---------", "buyer02"]  # procurement staff only
    assert response.status_code == 200
    assert "That user is not an active staff user in the Procurement role." in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.buyer is None


def test_the_admin_names_a_buyer_who_is_no_longer_eligible(client, esg_manager):
    leaver = UserFactory(username="buyer.left", role=roles.PROCUREMENT)
    supplier = SupplierFactory(code="S-101", name="Bright Plastics", buyer=leaver)
    type(leaver).objects.filter(pk=leaver.pk).update(is_active=False)
    client.force_login(esg_manager)

    response = post_change(client, supplier, name="Bright Plastics Ltd")

    assert response.status_code == 200
    assert "buyer.left is not an active staff user in the Procurement role." in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.name == "Bright Plastics"


def test_model_validation_names_the_buyer_field(supplier_contact):
    supplier = SupplierFactory.build(code="S-102", name="New", buyer=supplier_contact)
    with pytest.raises(ValidationError) as refused:
        supplier.full_clean()
    assert refused.value.message_dict["buyer"] == [
        f"User {supplier_contact.pk} is not an active staff user in the Procurement role."
    ]


def test_a_buyer_who_is_no_longer_eligible_gets_no_reminders(esg_manager):
    buyer = UserFactory(username="buyer1", email="buyer1@company.example", role=roles.PROCUREMENT)
    supplier = SupplierFactory(code="S-100", buyer=buyer, status=Supplier.Status.ADMITTED)
    ContactFactory(supplier=supplier, email="esg@bright.example")
    finding = accepted_finding(supplier)
    buyer.groups.clear()  # moved out of procurement

    sent = run(finding.rectification_due)

    assert set(sent) == {"esg@bright.example"}


def test_an_eligible_buyer_gets_the_stage_one_reminder(esg_manager):
    buyer = UserFactory(username="buyer1", email="buyer1@company.example", role=roles.PROCUREMENT)
    supplier = SupplierFactory(code="S-100", buyer=buyer, status=Supplier.Status.ADMITTED)
    ContactFactory(supplier=supplier, email="esg@bright.example")
    finding = accepted_finding(supplier)

    assert set(run(finding.rectification_due)) == {"esg@bright.example", "buyer1@company.example"}
