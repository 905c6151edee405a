"""One write path for the register (``suppliers.services``): the API, the admin and the importer refuse the
same tier / parent combination with the same message and write nothing, and a change through any of them
reassesses the supplier's risk once the transaction commits."""

from __future__ import annotations

import csv
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils.html import escape
from rest_framework.test import APIClient

from common.exceptions import Invalid
from suppliers import risk, services
from suppliers.importing import COLUMNS, import_suppliers
from suppliers.models import Commodity, RiskAssessment, Supplier
from tests.factories import CommodityFactory, SupplierFactory

pytestmark = pytest.mark.django_db

API_LIST = reverse("api:supplier-list")
ADMIN_ADD = reverse("admin:suppliers_supplier_add")
NO_INLINES = {
    f"{prefix}-{count}": "0"
    for prefix in ("contacts", "agreements", "external_assessments", "transitions")
    for count in ("TOTAL_FORMS", "INITIAL_FORMS")
}
HAS_NO_PARENT = "A direct (tier 1) supplier has no parent; use tier 2 for a key indirect supplier."
NEEDS_PARENT = "A key indirect (tier 2) supplier needs its tier-1 parent: give the parent's code."
PARENT_IS_TIER_2 = "T2-1 is a key indirect (tier 2) supplier; the parent must be a direct (tier 1) supplier."
MUST_STAY_TIER_1 = (
    "P-1 is the parent of key indirect suppliers (KID-1) and must stay a direct (tier 1) supplier."
)


@pytest.fixture
def register():
    """Tier-1 P-1 with one key indirect supplier, KID-1; tier-1 OTHER-1 with none; T2-1, tier 2 under P-2."""
    SupplierFactory(code="KID-1", key_indirect=True, parent=SupplierFactory(code="P-1"))
    SupplierFactory(code="OTHER-1")
    SupplierFactory(code="T2-1", key_indirect=True, parent=SupplierFactory(code="P-2"))
    return {supplier.code: supplier for supplier in Supplier.objects.all()}


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def import_rows(tmp_path, rows: list[dict], **kwargs):
    path = tmp_path / "suppliers.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        writer.writerows([[values.get(column, "") for column in COLUMNS] for values in rows])
    with open(path, "rb") as handle:
        return import_suppliers(fileobj=handle, filename=path.name, **kwargs)


def admin_data(**values) -> dict:
    return {"name": "New Co", "category": "production", "country": "CN", **NO_INLINES, **values}


# --- The same refusal on every path -----------------------------------------------------------------------

NEW_SUPPLIER_CASES = [
    pytest.param(1, "P-1", HAS_NO_PARENT, id="tier-1-with-a-parent"),
    pytest.param(2, "", NEEDS_PARENT, id="tier-2-without-a-parent"),
    pytest.param(2, "T2-1", PARENT_IS_TIER_2, id="tier-2-under-a-tier-2-parent"),
]


@pytest.mark.parametrize(("tier", "parent", "message"), NEW_SUPPLIER_CASES)
def test_the_api_refuses_a_bad_tier_and_parent_naming_the_parent(
    register, procurement_user, tier, parent, message
):
    payload = {"code": "NEW-1", "name": "New Co", "category": "production", "country": "CN", "tier": tier}
    if parent:
        payload["parent"] = parent

    response = api_for(procurement_user).post(API_LIST, payload, format="json")

    assert response.status_code == 400
    assert response.json() == {"parent": [message]}
    assert not Supplier.objects.filter(code="NEW-1").exists()


@pytest.mark.parametrize(("tier", "parent", "message"), NEW_SUPPLIER_CASES)
def test_the_admin_refuses_a_bad_tier_and_parent_naming_the_parent(
    register, admin_client, tier, parent, message
):
    data = admin_data(code="NEW-1", tier=str(tier), parent=register[parent].pk if parent else "")

    response = admin_client.post(ADMIN_ADD, data)

    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {"parent": [message]}
    assert escape(message) in response.content.decode()
    assert not Supplier.objects.filter(code="NEW-1").exists()


@pytest.mark.parametrize(("tier", "parent", "message"), NEW_SUPPLIER_CASES)
def test_the_importer_refuses_a_bad_tier_and_parent_naming_the_parent(
    register, tmp_path, tier, parent, message
):
    row = {"code": "NEW-1", "name": "New Co", "category": "production", "country": "CN", "tier": tier}

    result = import_rows(tmp_path, [{**row, "parent_code": parent}])

    assert [str(error) for error in result.errors] == [f"row 2, column parent_code: {message}"]
    assert not Supplier.objects.filter(code="NEW-1").exists()


def test_a_parent_of_key_indirect_suppliers_stays_tier_1_on_every_path(
    register, procurement_user, admin_client, tmp_path
):
    parent, other = register["P-1"], register["OTHER-1"]

    api = api_for(procurement_user).patch(
        reverse("api:supplier-detail", args=[parent.pk]), {"tier": 2, "parent": "OTHER-1"}, format="json"
    )
    admin = admin_client.post(
        reverse("admin:suppliers_supplier_change", args=[parent.pk]),
        admin_data(code="P-1", tier="2", parent=other.pk),
    )
    imported = import_rows(
        tmp_path,
        [
            {
                "code": "P-1",
                "name": "P",
                "category": "production",
                "country": "CN",
                "tier": 2,
                "parent_code": "OTHER-1",
            }
        ],
    )

    assert (api.status_code, api.json()) == (400, {"tier": [MUST_STAY_TIER_1]})
    assert (admin.status_code, admin.context["adminform"].form.errors) == (200, {"tier": [MUST_STAY_TIER_1]})
    assert [str(error) for error in imported.errors] == [f"row 2, column tier: {MUST_STAY_TIER_1}"]
    parent.refresh_from_db()
    assert (parent.tier, parent.parent) == (Supplier.Tier.DIRECT, None)


def test_the_service_itself_refuses_naming_the_field(register):
    with pytest.raises(Invalid) as refused:
        services.supplier_update(
            supplier=register["P-1"], by=None, tier=Supplier.Tier.KEY_INDIRECT, parent=register["OTHER-1"]
        )

    assert (refused.value.message, refused.value.field) == (MUST_STAY_TIER_1, "tier")
    assert Supplier.objects.get(code="P-1").tier == Supplier.Tier.DIRECT


def test_the_service_refuses_fields_that_are_not_master_data(register):
    with pytest.raises(Invalid, match="Not editable: risk_level"):
        services.supplier_update(supplier=register["OTHER-1"], by=None, risk_level="low")

    assert Supplier.objects.get(code="OTHER-1").risk_level == ""


# --- The risk is reassessed after commit, whichever path changed the supplier -----------------------------


@pytest.fixture
def assessed():
    """A supplier on a low-risk commodity, assessed; ``chemicals`` scores far higher."""
    CommodityFactory(code="chemicals", name="Chemicals", risk_score=100)
    supplier = SupplierFactory(code="R-1", commodity=CommodityFactory(code="packaging", risk_score=0))
    risk.risk_refresh(supplier_ids=[supplier.pk])
    supplier.refresh_from_db()
    return supplier


def _reassessed_after_commit(supplier, change, capture) -> tuple[Decimal, Decimal]:
    """The supplier's stored score right after ``change`` (before commit) and once it committed."""
    with capture() as callbacks:
        change()
    supplier.refresh_from_db()
    before_commit = supplier.risk_score
    for callback in callbacks:
        callback()
    supplier.refresh_from_db()
    return before_commit, supplier.risk_score


def test_an_update_through_the_api_reassesses_the_risk_after_commit(
    assessed, procurement_user, django_capture_on_commit_callbacks
):
    start = assessed.risk_score

    def change():
        response = api_for(procurement_user).patch(
            reverse("api:supplier-detail", args=[assessed.pk]), {"commodity": "chemicals"}, format="json"
        )
        assert response.status_code == 200, response.json()

    before_commit, after = _reassessed_after_commit(assessed, change, django_capture_on_commit_callbacks)

    assert before_commit == start
    assert after > start
    assert RiskAssessment.objects.filter(supplier=assessed).count() == 2


def test_an_update_through_the_admin_reassesses_the_risk_after_commit(
    assessed, admin_client, django_capture_on_commit_callbacks
):
    start = assessed.risk_score
    chemicals = Commodity.objects.get(code="chemicals")

    def change():
        data = admin_data(code="R-1", tier="1", commodity=chemicals.pk)
        response = admin_client.post(reverse("admin:suppliers_supplier_change", args=[assessed.pk]), data)
        assert response.status_code == 302, response.context["adminform"].form.errors

    before_commit, after = _reassessed_after_commit(assessed, change, django_capture_on_commit_callbacks)

    assert before_commit == start
    assert after > start
    assert RiskAssessment.objects.filter(supplier=assessed).count() == 2


def test_an_update_through_the_importer_reassesses_the_risk_after_commit(
    assessed, tmp_path, django_capture_on_commit_callbacks
):
    start = assessed.risk_score
    row = {"code": "R-1", "name": assessed.name, "category": "production", "tier": 1, "country": "CN"}

    def change():
        assert import_rows(tmp_path, [{**row, "commodity": "chemicals"}]).updated == 1

    before_commit, after = _reassessed_after_commit(assessed, change, django_capture_on_commit_callbacks)

    assert before_commit == start
    assert after > start
    assert RiskAssessment.objects.filter(supplier=assessed).count() == 2


def test_a_change_the_risk_model_does_not_read_schedules_no_reassessment(
    assessed, procurement_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        response = api_for(procurement_user).patch(
            reverse("api:supplier-detail", args=[assessed.pk]), {"name": "Renamed Co"}, format="json"
        )

    assert response.status_code == 200
    assert callbacks == []
    assert Supplier.objects.get(pk=assessed.pk).name == "Renamed Co"


# --- Spend and currency go together on every path ---------------------------------------------------------


def test_a_currency_without_spend_is_refused_alike_by_the_api_and_the_importer(
    register, procurement_user, tmp_path
):
    payload = {"code": "NEW-1", "name": "New Co", "category": "production", "country": "CN", "tier": 1}

    response = api_for(procurement_user).post(API_LIST, {**payload, "currency": "USD"}, format="json")
    result = import_rows(tmp_path, [{**payload, "currency": "USD"}])

    assert response.status_code == 400
    assert response.json() == {"annual_spend": [services.CURRENCY_NEEDS_SPEND]}
    assert [str(error) for error in result.errors] == [
        f"row 2, column annual_spend: {services.CURRENCY_NEEDS_SPEND}"
    ]
    assert not Supplier.objects.filter(code="NEW-1").exists()


def test_the_importer_judges_spend_and_currency_as_they_will_be_after_the_file(register, tmp_path):
    Supplier.objects.filter(code="OTHER-1").update(annual_spend=Decimal("5000"), currency="USD")
    other = Supplier.objects.get(code="OTHER-1")
    path = tmp_path / "spend.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:  # no currency column: USD stays
        writer = csv.writer(handle)
        writer.writerow(["code", "name", "category", "tier", "country", "annual_spend"])
        writer.writerow([other.code, other.name, other.category, 1, other.country.code, "7500"])

    with open(path, "rb") as handle:
        result = import_suppliers(fileobj=handle, filename=path.name)

    assert result.ok, [str(error) for error in result.errors]
    assert Supplier.objects.values_list("annual_spend", "currency").get(code="OTHER-1") == (
        Decimal("7500.00"),
        "USD",
    )
