"""A POST with an Idempotency-Key is applied once: repeats replay the first answer, a different request with
the same key is refused, and a failure releases the key."""

import datetime as dt
import hashlib
import threading

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections, transaction
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audits import services
from audits.models import Audit, Evidence, Finding
from common.idempotency import purge_idempotency_keys
from common.models import IdempotentRequest
from tests.factories import AuditFactory, AuditorFactory, ContactFactory, FindingFactory, SupplierFactory

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
FINDING = {"provision": "A3", "severity": "major", "description": "Overtime above 60 hours"}


def client_for(user, **kwargs) -> APIClient:
    client = APIClient(**kwargs)
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def auditor(db):
    return AuditorFactory()


@pytest.fixture
def audit(auditor):
    return AuditFactory(
        agency=auditor.agency, status=Audit.Status.IN_PROGRESS, actual_start=dt.date(2026, 3, 2)
    )


def findings_url(audit) -> str:
    return reverse("api:audit-findings", kwargs={"pk": audit.pk})


def evidence_url(finding) -> str:
    return reverse("api:finding-evidence", kwargs={"pk": finding.pk})


@pytest.mark.django_db
def test_a_repeated_key_replays_the_first_answer_without_acting_again(audit, auditor):
    client = client_for(auditor.user)

    first = client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Finding.objects.filter(audit=audit).count() == 1


@pytest.mark.django_db
def test_without_a_key_each_post_acts(audit, auditor):
    client = client_for(auditor.user)
    client.post(findings_url(audit), FINDING, format="json")
    client.post(findings_url(audit), FINDING, format="json")
    assert Finding.objects.filter(audit=audit).count() == 2


@pytest.mark.django_db
def test_a_repeated_upload_stores_one_file(audit, auditor, settings):
    finding = FindingFactory(audit=audit)
    client = client_for(auditor.user)

    def send():
        return client.post(
            evidence_url(finding),
            {"file": SimpleUploadedFile("scan.pdf", PDF), "description": "Time cards"},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="upload-1",
        )

    first, again = send(), send()

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert first.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
    assert Evidence.objects.count() == 1
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(stored) == 1


@pytest.mark.django_db
def test_the_same_key_with_a_different_body_is_refused(audit, auditor):
    client = client_for(auditor.user)
    client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="k-2")

    response = client.post(
        findings_url(audit), FINDING | {"severity": "minor"}, format="json", HTTP_IDEMPOTENCY_KEY="k-2"
    )

    assert response.status_code == 422
    assert response.json() == {
        "detail": "This Idempotency-Key was already used for a different request "
        f"(POST {findings_url(audit)}): send a new key with a new request."
    }
    assert list(Finding.objects.values_list("severity", flat=True)) == ["major"]


@pytest.mark.django_db
def test_the_same_key_with_another_file_is_refused(audit, auditor):
    finding = FindingFactory(audit=audit)
    client = client_for(auditor.user)
    client.post(
        evidence_url(finding),
        {"file": SimpleUploadedFile("scan.pdf", PDF)},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-2",
    )

    response = client.post(
        evidence_url(finding),
        {"file": SimpleUploadedFile("scan.pdf", PDF + b"% second page\n")},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-2",
    )

    assert response.status_code == 422
    assert Evidence.objects.count() == 1


@pytest.mark.django_db
def test_the_same_key_on_another_endpoint_is_refused(audit, auditor):
    client = client_for(auditor.user)
    client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="k-3")

    response = client.post(
        reverse("api:audit-submit", kwargs={"pk": audit.pk}), format="json", HTTP_IDEMPOTENCY_KEY="k-3"
    )

    assert response.status_code == 422
    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS


@pytest.mark.django_db
def test_a_key_on_a_method_the_endpoint_does_not_take_is_405(audit, auditor):
    response = client_for(auditor.user).post(
        reverse("api:audit-detail", kwargs={"pk": audit.pk}), {}, format="json", HTTP_IDEMPOTENCY_KEY="k-4"
    )
    assert response.status_code == 405
    assert not IdempotentRequest.objects.exists()


@pytest.mark.django_db
def test_different_users_may_use_the_same_key(audit, auditor):
    colleague = AuditorFactory(agency=auditor.agency)

    mine = client_for(auditor.user).post(
        findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )
    theirs = client_for(colleague.user).post(
        findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="same"
    )

    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json()["id"] != theirs.json()["id"]
    assert Finding.objects.filter(audit=audit).count() == 2


@pytest.mark.django_db
def test_a_client_error_is_stored_and_replayed(esg_manager, supplier_contact_user):
    """The answer to a key is fixed: a refused request is not retried behind the client's back, even if it
    would now succeed. A new attempt takes a new key."""
    supplier = SupplierFactory()
    ContactFactory(supplier=supplier, user=supplier_contact_user)
    audit = AuditFactory(
        supplier=supplier, status=Audit.Status.REPORT_SUBMITTED, actual_start=dt.date(2026, 3, 2), score=170
    )
    finding = FindingFactory(audit=audit)
    services.audit_accept(audit=audit, by=esg_manager)
    services.cap_submit(
        finding=finding,
        by=supplier_contact_user,
        root_cause="r",
        corrective_action="c",
        preventive_action="p",
        owner="o",
        planned_completion=timezone.localdate(),
    )
    services.cap_review(finding=finding, by=esg_manager, approve=True)
    contact = client_for(supplier_contact_user)
    implement = reverse("api:finding-cap-implement", kwargs={"pk": finding.pk})

    refused = contact.post(implement, {}, format="json", HTTP_IDEMPOTENCY_KEY="impl-1")
    contact.post(evidence_url(finding), {"file": SimpleUploadedFile("fix.pdf", PDF)}, format="multipart")
    replayed = contact.post(implement, {}, format="json", HTTP_IDEMPOTENCY_KEY="impl-1")
    fresh = contact.post(implement, {}, format="json", HTTP_IDEMPOTENCY_KEY="impl-2")

    assert refused.status_code == replayed.status_code == 400
    assert replayed.json() == refused.json()
    assert replayed["Idempotent-Replayed"] == "true"
    assert (fresh.status_code, fresh.json()["status"]) == (200, "implemented")


@pytest.mark.django_db
def test_a_failure_releases_the_key_so_a_retry_succeeds(audit, auditor, settings, tmp_path):
    finding = FindingFactory(audit=audit)
    client = client_for(auditor.user, raise_request_exception=False)
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")
    settings.MEDIA_ROOT = blocker / "media"  # storage cannot create its directories: the upload fails

    def send():
        return client.post(
            evidence_url(finding),
            {"file": SimpleUploadedFile("scan.pdf", PDF)},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="retry-me",
        )

    failed = send()
    assert failed.status_code == 500
    assert not IdempotentRequest.objects.filter(key="retry-me").exists()
    assert not Evidence.objects.exists()

    settings.MEDIA_ROOT = tmp_path / "media"
    retried = send()
    assert retried.status_code == 201
    assert "Idempotent-Replayed" not in retried
    assert Evidence.objects.count() == 1


@pytest.mark.django_db
def test_a_key_whose_request_is_still_running_answers_409(audit, auditor):
    client = client_for(auditor.user)
    # What another worker leaves while it handles the first request: the claimed key, no answer yet.
    first = client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="busy")
    IdempotentRequest.objects.filter(key="busy").update(status_code=None, response_body=None)

    response = client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="busy")

    assert first.status_code == 201
    assert response.status_code == 409
    assert response.json() == {
        "detail": "A request with this Idempotency-Key is in progress: retry once it has finished."
    }


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs row locks across connections")
def test_two_concurrent_requests_with_one_key_apply_once(audit, auditor):
    """The first request waits on the audit's row lock (held here); the second, sent meanwhile with the same
    key, is told the first is in progress. Only one finding is recorded."""
    results = {}

    def post(name):
        try:
            response = client_for(auditor.user).post(
                findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="race"
            )
            results[name] = response.status_code, response.json()
        finally:
            connections.close_all()

    with transaction.atomic():
        Audit.objects.select_for_update().get(pk=audit.pk)
        first = threading.Thread(target=post, args=("first",))
        first.start()
        for _ in range(200):  # until the first request has claimed the key and waits on the lock
            if IdempotentRequest.objects.filter(key="race").exists():
                break
            threading.Event().wait(0.05)
        second = threading.Thread(target=post, args=("second",))
        second.start()
        second.join(timeout=30)
    first.join(timeout=30)

    assert results["second"] == (
        409,
        {"detail": "A request with this Idempotency-Key is in progress: retry once it has finished."},
    )
    assert results["first"][0] == 201
    assert Finding.objects.filter(audit=audit).count() == 1
    replay = client_for(auditor.user).post(
        findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="race"
    )
    assert replay.json() == results["first"][1]


@pytest.mark.django_db
def test_keys_older_than_a_day_are_purged(audit, auditor):
    client = client_for(auditor.user)
    with time_machine.travel(timezone.now() - dt.timedelta(hours=25), tick=False):
        client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="old")
    client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="new")

    assert purge_idempotency_keys() == 1
    assert list(IdempotentRequest.objects.values_list("key", flat=True)) == ["new"]
    # A purged key is new again.
    assert (
        client.post(findings_url(audit), FINDING, format="json", HTTP_IDEMPOTENCY_KEY="old").status_code
        == 201
    )
