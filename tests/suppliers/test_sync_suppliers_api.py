"""PUT /api/v1/suppliers/by-code/{code}/: an SRM or ERP keeps the supplier master in sync."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from suppliers.models import Supplier
from tests.factories import BusinessUnitFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

BODY = {"name": "Shenzhen Bright Display", "category": "production", "tier": 1, "country": "CN"}


def url(code: str) -> str:
    return reverse("api:supplier-sync-detail", kwargs={"code": code})


def client_of(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


@pytest.fixture
def erp(procurement_user):
    return client_of(procurement_user)


def test_the_first_put_creates_the_supplier_as_a_candidate(erp, procurement_user):
    response = erp.put(url("SZ-001"), {**BODY, "annual_spend": 1200000.5, "currency": "usd"}, format="json")

    assert response.status_code == 201
    body = response.json()
    assert (body["code"], body["status"], body["currency"]) == ("SZ-001", "candidate", "USD")
    supplier = Supplier.objects.get(code="SZ-001")
    assert supplier.history.get().history_user == procurement_user


def test_the_same_put_again_is_200_and_writes_nothing(erp):
    BusinessUnitFactory(code="TV", name="Television")
    body = {**BODY, "business_units": ["TV"], "legal_name": "Bright Display Ltd"}
    assert erp.put(url("SZ-001"), body, format="json").status_code == 201
    supplier = Supplier.objects.get(code="SZ-001")
    stamp = supplier.updated_at

    response = erp.put(url("SZ-001"), body, format="json")

    assert response.status_code == 200
    supplier.refresh_from_db()
    assert supplier.updated_at == stamp
    assert supplier.history.count() == 1
    assert response.json()["business_units"] == ["TV"]


def test_a_changed_put_updates_and_a_left_out_field_keeps_its_value(erp):
    supplier = SupplierFactory(code="SZ-002", legal_name="Old Legal Name", country="CN")

    response = erp.put(url("SZ-002"), {**BODY, "country": "Viet Nam"}, format="json")

    assert response.status_code == 200
    supplier.refresh_from_db()
    assert (supplier.name, str(supplier.country), supplier.legal_name) == (
        BODY["name"],
        "VN",
        "Old Legal Name",
    )

    erp.put(url("SZ-002"), {**BODY, "legal_name": None}, format="json")
    supplier.refresh_from_db()
    assert supplier.legal_name == ""


def test_errors_are_the_importers_by_field_and_nothing_is_written(erp):
    response = erp.put(
        url("SZ-003"),
        {
            "name": "X",
            "category": "food",
            "tier": 2,
            "country": "Atlantis",
            "annual_spend": "-5",
            "commodity": "?",
        },
        format="json",
    )

    assert response.status_code == 400
    errors = response.json()
    assert errors["category"] == ["must be production or non-production, not 'food'"]
    assert errors["country"][0].startswith("unknown country 'Atlantis'")
    assert errors["annual_spend"] == ["must not be negative, not '-5'"]
    assert errors["commodity"] == ["unknown commodity '?'; use its code or name"]
    assert "parent_code" in errors  # tier 2 needs its parent (services.tier_problems)
    assert not Supplier.objects.filter(code="SZ-003").exists()


def test_required_fields_are_named_when_missing(erp):
    errors = erp.put(url("SZ-004"), {}, format="json").json()
    assert {"name", "category", "tier", "country"} <= set(errors)


def test_a_tier_two_supplier_names_its_parent_by_code(erp):
    SupplierFactory(code="PARENT", tier=1)
    response = erp.put(url("CHILD"), {**BODY, "tier": 2, "parent_code": "PARENT"}, format="json")
    assert response.status_code == 201
    assert Supplier.objects.get(code="CHILD").parent.code == "PARENT"


def test_a_code_that_is_an_action_name_or_all_digits_is_a_code(erp):
    assert erp.put(url("transition"), BODY, format="json").status_code == 201
    assert erp.put(url("12345"), BODY, format="json").status_code == 201
    assert set(Supplier.objects.values_list("code", flat=True)) == {"transition", "12345"}


def test_callers_without_add_and_change_permissions_are_refused(esg_manager):
    viewer = UserFactory(username="viewer", is_staff=True)
    assert client_of(viewer).put(url("SZ-005"), BODY, format="json").status_code == 403
    assert APIClient().put(url("SZ-005"), BODY, format="json").status_code == 401
    assert not Supplier.objects.exists()


def test_the_operation_is_in_the_openapi_schema(erp):
    schema = erp.get(reverse("schema") + "?format=json").json()
    operation = schema["paths"]["/api/v1/suppliers/by-code/{code}/"]["put"]
    assert {"200", "201", "400", "403", "404"} <= set(operation["responses"])
