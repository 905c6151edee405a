import pytest
from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from suppliers import roles
from suppliers.models import Agreement, Region, Supplier
from tests.factories import AgreementFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("country", "region"),
    [
        ("CN", Region.MAINLAND_CHINA),
        ("HK", Region.OTHER),
        ("MO", Region.OTHER),
        ("TW", Region.OTHER),
        ("VN", Region.OTHER),
        ("DE", Region.OTHER),
    ],
)
def test_the_reporting_region_follows_the_country(country, region):
    supplier = SupplierFactory(country=country)

    assert supplier.region == region
    assert Supplier.objects.with_region().get(pk=supplier.pk).reporting_region == region


def test_a_key_indirect_supplier_needs_its_tier_one_parent():
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierFactory(tier=Supplier.Tier.KEY_INDIRECT, parent=None)

    tier2 = SupplierFactory(key_indirect=True)
    assert tier2.parent.tier == Supplier.Tier.DIRECT
    assert list(tier2.parent.key_indirect_suppliers.all()) == [tier2]


def test_spend_needs_a_currency():
    with pytest.raises(IntegrityError), transaction.atomic():
        SupplierFactory(annual_spend=1000, currency="")


def test_agreement_changes_are_kept_in_history(esg_manager):
    agreement = AgreementFactory(kind=Agreement.Kind.CSR_AGREEMENT, signed_on=None)
    agreement.signed_on = agreement.created_at.date()
    agreement._history_user = esg_manager
    agreement.save()

    first, second = agreement.history.order_by("history_date")
    assert first.signed_on is None and second.signed_on == agreement.signed_on
    assert second.history_user == esg_manager
    changes = second.diff_against(first).changes
    assert [(c.field, c.old, c.new) for c in changes] == [("signed_on", None, agreement.signed_on)]


def expected_codenames(group: str) -> set[str]:
    return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))


def test_the_four_roles_exist():
    assert set(Group.objects.filter(name__in=roles.ALL).values_list("name", flat=True)) == set(roles.ALL)


def test_procurement_registers_suppliers_but_does_not_decide_admission_or_risk():
    perms = expected_codenames(roles.PROCUREMENT)
    assert {"add_supplier", "change_supplier", "view_supplier", "import_suppliers", "add_agreement"} <= perms
    assert (
        not {"approve_supplier", "override_risk", "add_riskmodel", "change_countryrisk", "delete_supplier"}
        & perms
    )


def test_esg_managers_decide_admission_and_own_the_risk_model():
    perms = expected_codenames(roles.ESG_MANAGER)
    assert {
        "approve_supplier",
        "override_risk",
        "add_riskmodel",
        "change_countryrisk",
        "change_commodity",
        "change_onboardingpolicy",
    } <= perms
    # Stored assessments and lifecycle steps are records: nobody edits them.
    assert (
        not {"change_riskassessment", "change_statustransition", "change_riskmodel", "delete_supplier"}
        & perms
    )


def test_auditors_and_supplier_contacts_have_no_register_rights():
    assert not {p for p in expected_codenames(roles.AUDITOR) if p.endswith("supplier")}
    assert not {p for p in expected_codenames(roles.SUPPLIER_CONTACT) if p.endswith("supplier")}
