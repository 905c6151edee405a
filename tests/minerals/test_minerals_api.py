"""/api/v1/declarations/ and /api/v1/smelters/: who uploads and sees what, answers, query counts."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from minerals.models import Declaration, RmapStatus
from tests.factories import ContactFactory, SupplierFactory
from tests.minerals import test_declarations as declarations
from tests.minerals.test_declarations import MIXED, import_file, make_smelter, workbook_bytes

pytestmark = pytest.mark.django_db

# Shared fixtures: the CMRT parser (real or stand-in) and a small registry.
cmrt_parser = declarations.cmrt_parser
registry_smelters = declarations.registry_smelters

LIST = "/api/v1/declarations/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def own_supplier(supplier_contact_user):
    supplier = SupplierFactory(code="OWN")
    ContactFactory(supplier=supplier, user=supplier_contact_user)
    return supplier


def post(client, content: bytes, **data):
    return client.post(
        LIST, {"file": SimpleUploadedFile("cmrt.xlsx", content), "year": 2025, **data}, format="multipart"
    )


def test_supplier_contact_uploads_for_their_own_supplier(
    registry_smelters, supplier_contact_user, own_supplier
):
    response = post(client_for(supplier_contact_user), workbook_bytes(MIXED))

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["supplier"]["code"] == "OWN" and body["status"] == "accepted"
    assert body["smelter_count"] == 4 and body["unmatched_count"] == 1
    assert [row["match_method"] for row in body["smelters"]] == ["cid", "alias", "name", "unmatched"]
    assert body["smelters"][0]["matched"]["smelter_id"] == "CID000001"


def test_supplier_contact_cannot_upload_for_another_supplier(
    registry_smelters, supplier_contact_user, own_supplier
):
    SupplierFactory(code="OTHER")
    response = post(client_for(supplier_contact_user), workbook_bytes(MIXED), supplier="OTHER")
    assert response.status_code == 400
    assert response.json() == {"supplier": ["No supplier you may declare for has the code 'OTHER'."]}
    assert not Declaration.objects.exists()


def test_contact_sees_only_their_suppliers_declarations(
    registry_smelters, supplier_contact_user, own_supplier, django_assert_max_num_queries
):
    mine = import_file(own_supplier, MIXED)
    other = import_file(SupplierFactory(), MIXED)
    for _ in range(3):
        import_file(own_supplier, MIXED[:2])
    client = client_for(supplier_contact_user)

    with django_assert_max_num_queries(6):
        listed = client.get(LIST).json()
    assert listed["count"] == 4
    assert {item["supplier"]["code"] for item in listed["results"]} == {"OWN"}
    assert client.get(f"{LIST}{other.pk}/").status_code == 404
    detail = client.get(f"{LIST}{mine.pk}/").json()
    assert detail["status"] == "superseded" and len(detail["smelters"]) == 4


def test_rejected_upload_answers_201_with_its_issues(registry_smelters, esg_manager):
    supplier = SupplierFactory(code="ANY")
    response = post(client_for(esg_manager), workbook_bytes(MIXED, company=""), supplier="ANY")
    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "rejected" and body["error_count"] >= 1
    assert any(issue["cell"] == "D8" and issue["severity"] == "error" for issue in body["issues"])
    assert supplier.mineral_declarations.count() == 1


def test_unreadable_upload_is_refused_and_nothing_is_saved(registry_smelters, esg_manager):
    SupplierFactory(code="ANY")
    response = post(client_for(esg_manager), b"plain text, not a workbook", supplier="ANY")
    assert response.status_code == 400
    assert "cmrt.xlsx" in response.json()["detail"]
    assert not Declaration.objects.exists()


def test_procurement_reads_but_may_not_upload(registry_smelters, procurement_user):
    SupplierFactory(code="ANY")
    client = client_for(procurement_user)
    assert post(client, workbook_bytes(MIXED), supplier="ANY").status_code == 403
    assert client.get(LIST).status_code == 200


def test_repeated_post_with_the_same_idempotency_key_uploads_once(registry_smelters, esg_manager):
    SupplierFactory(code="ANY")
    client = client_for(esg_manager)
    content = workbook_bytes(MIXED)
    first = client.post(
        LIST,
        {"file": SimpleUploadedFile("cmrt.xlsx", content), "year": 2025, "supplier": "ANY"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-1",
    )
    again = client.post(
        LIST,
        {"file": SimpleUploadedFile("cmrt.xlsx", content), "year": 2025, "supplier": "ANY"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-1",
    )
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
    assert Declaration.objects.count() == 1


def test_smelter_registry_filters_and_search(supplier_contact_user, django_assert_max_num_queries):
    make_smelter("CID000051", "Alpha Gold", "gold", "JP")
    make_smelter("CID000052", "Beta Gold", "gold", "CH", RmapStatus.ACTIVE)
    make_smelter("CID000053", "Gamma Tin", "tin", "ID")
    client = client_for(supplier_contact_user)

    def ids(query: str) -> list[str]:
        return [item["smelter_id"] for item in client.get(f"/api/v1/smelters/?{query}").json()["results"]]

    with django_assert_max_num_queries(3):
        assert ids("metal=gold") == ["CID000051", "CID000052"]
    assert ids("rmap_status=active") == ["CID000052"]
    assert ids("country=id") == ["CID000053"]
    assert ids("search=CID000053") == ["CID000053"]
    assert ids("search=beta") == ["CID000052"]
    assert client.post("/api/v1/smelters/", {}).status_code == 405
