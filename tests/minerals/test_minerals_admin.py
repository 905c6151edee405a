"""Admin pages of responsible minerals: uploading a declaration, reviewing unmatched smelters, merging
duplicate smelters, closing due-diligence actions, bulk import batches and their progress."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from minerals.models import (
    Declaration,
    DeclaredSmelter,
    DueDiligenceAction,
    ImportBatch,
    Smelter,
)
from tests.factories import SupplierFactory
from tests.minerals import test_declarations as declarations
from tests.minerals.test_declarations import MIXED, import_file, make_smelter, workbook_bytes

pytestmark = pytest.mark.django_db

# Shared fixtures: the CMRT parser (real or stand-in) and a small registry.
cmrt_parser = declarations.cmrt_parser
registry_smelters = declarations.registry_smelters


@pytest.fixture
def esg_client(client, esg_manager):
    client.force_login(esg_manager)
    return client


def test_declaration_is_uploaded_with_the_add_form(registry_smelters, esg_client):
    supplier = SupplierFactory()
    response = esg_client.post(
        reverse("admin:minerals_declaration_add"),
        {
            "supplier": supplier.pk,
            "year": 2025,
            "upload": SimpleUploadedFile("acme.xlsx", workbook_bytes(MIXED)),
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    declaration = Declaration.objects.get()
    assert declaration.supplier == supplier and declaration.status == "accepted"
    page = esg_client.get(reverse("admin:minerals_declaration_change", args=[declaration.pk]))
    assert page.status_code == 200 and b"Unheard-of Gold Smelter" in page.content


def test_unreadable_file_in_the_add_form_shows_the_reason(registry_smelters, esg_client):
    supplier = SupplierFactory()
    response = esg_client.post(
        reverse("admin:minerals_declaration_add"),
        {"supplier": supplier.pk, "year": 2025, "upload": SimpleUploadedFile("notes.xlsx", b"hello")},
    )
    assert response.status_code == 200
    assert "notes.xlsx" in str(response.context["adminform"].form.errors["upload"])
    assert not Declaration.objects.exists()


def test_unmatched_smelter_is_linked_to_a_registry_smelter_by_hand(
    registry_smelters, esg_client, esg_manager
):
    import_file(SupplierFactory(), MIXED)
    listing = esg_client.get(reverse("admin:minerals_declaredsmelter_changelist") + "?matched=no")
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list.values_list("name", flat=True)) == [
        "Unheard-of Gold Smelter"
    ]

    row = DeclaredSmelter.objects.get(smelter__isnull=True)
    found = make_smelter("CID000077", "Unheard-of Gold Smelter SA", "gold", "PE")
    response = esg_client.post(
        reverse("admin:minerals_declaredsmelter_change", args=[row.pk]), {"smelter": found.pk}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert (row.smelter, row.match_method, row.matched_by) == (found, "manual", esg_manager)
    # The unknown-smelter action is closed; the smelter is conformant.
    unknown = DueDiligenceAction.objects.get(reason="unknown")
    assert unknown.status == "closed"


def test_duplicate_smelter_is_merged_from_its_change_form(registry_smelters, esg_client):
    import_file(SupplierFactory(), MIXED)
    duplicate = make_smelter("CID000078", "Golden Refinery Company", "gold", "JP")
    kept = registry_smelters["gold"]
    data = {
        "smelter_id": duplicate.smelter_id,
        "name": duplicate.name,
        "metal": "gold",
        "country": "JP",
        "country_name": "",
        "city": "",
        "state_province": "",
        "rmap_status": duplicate.rmap_status,
        "status_date": "",
        "merge_into": kept.smelter_id,
        "aliases-TOTAL_FORMS": "0",
        "aliases-INITIAL_FORMS": "0",
        "status_changes-TOTAL_FORMS": "0",
        "status_changes-INITIAL_FORMS": "0",
    }
    response = esg_client.post(reverse("admin:minerals_smelter_change", args=[duplicate.pk]), data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    duplicate.refresh_from_db()
    assert duplicate.merged_into == kept
    assert kept.aliases.filter(name="Golden Refinery Company").exists()


def test_due_diligence_action_is_closed_with_evidence(registry_smelters, esg_client, esg_manager):
    import_file(SupplierFactory(), MIXED)
    action = DueDiligenceAction.objects.get(reason="non_conformant")
    response = esg_client.post(
        reverse("admin:minerals_duediligenceaction_change", args=[action.pk]),
        {
            "kind": action.kind,
            "deadline": action.deadline.isoformat(),
            "close": "on",
            "closing_note": "Supplier replaced the smelter",
            "closing_evidence": SimpleUploadedFile("po-change.pdf", b"%PDF-1.4 purchase order change"),
        },
    )
    assert response.status_code == 302
    action.refresh_from_db()
    assert action.status == "closed" and action.closed_by == esg_manager and action.evidence


def test_batch_of_files_is_imported_and_its_progress_listed(
    registry_smelters, esg_client, django_capture_on_commit_callbacks
):
    SupplierFactory(code="S10")
    SupplierFactory(code="S11")
    files = [
        SimpleUploadedFile("S10_cmrt.xlsx", workbook_bytes(MIXED)),
        SimpleUploadedFile("S11_cmrt.xlsx", workbook_bytes(MIXED[:1])),
    ]
    with django_capture_on_commit_callbacks(execute=True):
        response = esg_client.post(reverse("admin:minerals_importbatch_add"), {"year": 2025, "files": files})
    assert response.status_code == 302
    batch = ImportBatch.objects.get()
    assert (batch.files_total, batch.files_done, batch.files_failed, batch.status) == (2, 2, 0, "done")
    listing = esg_client.get(reverse("admin:minerals_importbatch_changelist"))
    assert b"2 of 2 (2 imported, 0 failed)" in listing.content


def test_registry_and_declaration_lists_do_not_query_per_row(
    registry_smelters, esg_client, django_assert_max_num_queries
):
    for _ in range(5):
        import_file(SupplierFactory(), MIXED)
    for name in ("smelter", "declaration", "declaredsmelter", "duediligenceaction"):
        with django_assert_max_num_queries(12) as queries:
            assert esg_client.get(reverse(f"admin:minerals_{name}_changelist")).status_code == 200
        # Counts per declaration are worked out for the rows shown, not grouped over every declared smelter.
        assert not any('GROUP BY "minerals_declaration"."id"' in q["sql"] for q in queries.captured_queries)
    assert Smelter.objects.count() == 3
    listing = esg_client.get(reverse("admin:minerals_declaration_changelist"))
    assert [(d.smelters_total, d.smelters_unmatched) for d in listing.context["cl"].result_list] == [
        (4, 1)
    ] * 5


def test_policy_list_opens_the_one_policy(esg_client):
    response = esg_client.get(reverse("admin:minerals_mineralspolicy_changelist"))
    assert response.status_code == 302
    assert response.url == reverse("admin:minerals_mineralspolicy_change", args=[1])
