from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from suppliers import roles
from suppliers.models import Agreement, ExternalAssessment, RiskAssessment
from tests.factories import ContactFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db


def agreement_url(code="SZ-001", kind="csr_agreement"):
    return reverse("api:supplier-agreement-sync-detail", kwargs={"code": code, "kind": kind})


def assessment_url(code="SZ-001", kind="rba_vap", assessed_on="2024-03-01"):
    return reverse(
        "api:supplier-assessment-sync-detail", kwargs={"code": code, "kind": kind, "assessed_on": assessed_on}
    )


@pytest.fixture
def supplier(db):
    return SupplierFactory(code="SZ-001")


@pytest.fixture
def api(procurement_user):
    client = APIClient()
    client.force_authenticate(procurement_user)
    return client


AGREEMENT = {"signed_on": "2024-03-01", "expires_on": "2027-03-01", "signed_by": "Wang Fang"}


def test_put_creates_an_agreement_then_the_same_put_answers_200_with_the_same_body_and_writes_nothing(
    api, supplier
):
    first = api.put(agreement_url(), AGREEMENT, format="json")

    assert first.status_code == 201
    assert first.json() == {
        "supplier_code": "SZ-001",
        "kind": "csr_agreement",
        "signed_on": "2024-03-01",
        "expires_on": "2027-03-01",
        "signed_by": "Wang Fang",
        "text_version": None,
    }
    history = Agreement.history.get()
    assert history.history_change_reason == "Synchronised through the API"

    second = api.put(agreement_url(), AGREEMENT, format="json")

    assert (second.status_code, second.json()) == (200, first.json())
    assert Agreement.history.count() == 1


def test_put_updates_the_agreement_with_the_same_key(api, supplier):
    api.put(agreement_url(), AGREEMENT, format="json")

    response = api.put(agreement_url(), {**AGREEMENT, "signed_by": "Li Na"}, format="json")

    assert (response.status_code, response.json()["signed_by"]) == (200, "Li Na")
    assert Agreement.objects.get().signed_by == "Li Na"


def test_an_unsigned_agreement_is_its_own_record(api, supplier):
    api.put(agreement_url(), AGREEMENT, format="json")

    response = api.put(agreement_url(), {"signed_on": None}, format="json")

    assert response.status_code == 201
    assert Agreement.objects.filter(signed_on=None).count() == 1


def test_put_answers_400_naming_every_field_with_the_importers_messages(api, supplier):
    response = api.put(
        agreement_url(),
        {"signed_on": "2024-03-01", "expires_on": "2024-02-01", "text_version": "9.9"},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {
        "expires_on": ["The expiry date must be after the signing date."],
        "text_version": ["no Supplier Social Responsibility (CSR) Agreement text has the version '9.9'"],
    }
    assert not Agreement.objects.exists()


def test_an_unknown_supplier_code_or_kind_is_404(api, supplier):
    assert api.put(agreement_url(code="XX-404"), AGREEMENT, format="json").status_code == 404
    assert api.put(agreement_url(kind="nda"), AGREEMENT, format="json").status_code == 404
    assert api.put(assessment_url(code="XX-404"), {"score": 150}, format="json").status_code == 404


def test_put_needs_the_model_permissions(supplier):
    client = APIClient()
    assert client.put(agreement_url(), AGREEMENT, format="json").status_code == 401
    contact = UserFactory(username="contact", role=roles.SUPPLIER_CONTACT)
    ContactFactory(supplier=supplier, user=contact)
    client.force_authenticate(contact)
    assert client.put(agreement_url(), AGREEMENT, format="json").status_code == 403
    assert client.put(assessment_url(), {"score": 150}, format="json").status_code == 403
    assert not Agreement.objects.exists()


def test_put_creates_an_assessment_idempotently_and_reassesses_the_supplier(
    api, supplier, django_capture_on_commit_callbacks
):
    body = {"score": 172.5, "rating": "medium performer", "reference": "VAP-1", "valid_until": "2026-03-01"}
    with django_capture_on_commit_callbacks(execute=True):
        first = api.put(assessment_url(), body, format="json")

    assert first.status_code == 201
    assert first.json() == {
        "supplier_code": "SZ-001",
        "kind": "rba_vap",
        "assessed_on": "2024-03-01",
        "scheme": "",
        "score": 172.5,
        "scale_max": 200.0,
        "rating": "medium performer",
        "reference": "VAP-1",
        "valid_until": "2026-03-01",
    }
    assert RiskAssessment.objects.filter(supplier=supplier).exists()

    second = api.put(assessment_url(), {**body, "score": "172.5"}, format="json")

    assert (second.status_code, second.json()) == (200, first.json())
    assert ExternalAssessment.history.count() == 1

    changed = api.put(assessment_url(), {**body, "score": 181}, format="json")
    assert (changed.status_code, ExternalAssessment.objects.get().score) == (200, Decimal("181"))


def test_assessment_put_answers_400_with_the_importers_messages(api, supplier):
    response = api.put(
        assessment_url(kind="ecovadis"), {"score": 101, "valid_until": "2024-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "score": ["must be from 0 to scale_max (100), not 101"],
        "valid_until": ["must be on or after assessed_on (2024-03-01)"],
    }

    bad_date = api.put(assessment_url(assessed_on="2024-02-30"), {"score": 150}, format="json")
    assert bad_date.json() == {"assessed_on": ["'2024-02-30' is not a date (YYYY-MM-DD)"]}
    other = api.put(assessment_url(kind="other"), {"score": 5}, format="json")
    assert set(other.json()) == {"scheme", "scale_max"}
    assert not ExternalAssessment.objects.exists()


def test_the_sync_operations_are_in_the_schema(client):
    schema = client.get(reverse("schema"), {"format": "json"}).json()
    assert "put" in schema["paths"]["/api/v1/suppliers/{code}/agreements/{kind}/"]
    assert "put" in schema["paths"]["/api/v1/suppliers/{code}/assessments/{kind}/{assessed_on}/"]
