"""Uploads through the audit API: too large is 413, the wrong type (by content, not name) is 400, a refused
upload leaves nothing behind, and the SHA-256 of what was stored is answered."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.test import APIClient

from audits.models import Audit, Evidence
from tests.factories import AuditFactory, AuditorFactory, FindingFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240


@pytest.fixture
def auditor():
    return AuditorFactory()


@pytest.fixture
def client(auditor) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=auditor.user)
    return client


@pytest.fixture
def audit(auditor):
    return AuditFactory(
        agency=auditor.agency, status=Audit.Status.IN_PROGRESS, actual_start=dt.date(2026, 3, 2)
    )


@pytest.fixture
def finding(audit):
    return FindingFactory(audit=audit)


def evidence_url(finding) -> str:
    return reverse("api:finding-evidence", kwargs={"pk": finding.pk})


def stored_files(settings) -> list:
    return [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] if settings.MEDIA_ROOT.exists() else []


def test_an_oversized_file_is_413_and_nothing_is_stored(client, finding, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    big = PDF + b"0" * 2000

    response = client.post(
        evidence_url(finding), {"file": SimpleUploadedFile("site.pdf", big)}, format="multipart"
    )

    assert response.status_code == 413
    assert response.json() == {
        "detail": "site.pdf: the file is larger than 1000\xa0bytes, the largest accepted."
    }
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_26_mb_upload_gets_a_clean_413_and_leaves_no_temporary_file(client, finding, settings, tmp_path):
    """With the real default limit of 25 MB. Files above FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to
    FILE_UPLOAD_TEMP_DIR while the body is read: nothing may remain there either."""
    assert settings.UPLOAD_MAX_BYTES == 25 * 1024 * 1024
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "spool")
    (tmp_path / "spool").mkdir()
    huge = PDF + b"\x00" * (26 * 1024 * 1024)

    response = client.post(
        evidence_url(finding), {"file": SimpleUploadedFile("drone.pdf", huge)}, format="multipart"
    )

    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "detail": "drone.pdf: the file is larger than 25.0\xa0MB, the largest accepted."
    }
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []
    assert list((tmp_path / "spool").iterdir()) == []


def test_an_oversized_report_is_413_and_the_audit_keeps_no_report(client, audit, settings):
    settings.UPLOAD_MAX_BYTES = 1000
    url = reverse("api:audit-report", kwargs={"pk": audit.pk})

    response = client.post(url, {"file": SimpleUploadedFile("report.pdf", PDF * 100)}, format="multipart")

    assert response.status_code == 413
    assert "report.pdf" in response.json()["detail"]
    audit.refresh_from_db()
    assert (audit.report.name, audit.report_sha256) == ("", "")
    assert stored_files(settings) == []


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("setup.exe", EXE, "setup.exe: its content is EXE; accepted types are DOCX, JPG, PDF, PNG, XLSX."),
        (
            "minutes.pdf",
            b"Closing meeting minutes, plain text\n",
            "minutes.pdf: its content is not a recognised type; "
            "accepted types are DOCX, JPG, PDF, PNG, XLSX.",
        ),
        ("empty.pdf", b"", "empty.pdf: the file is empty."),
    ],
)
def test_a_file_of_the_wrong_type_is_400_and_nothing_is_stored(
    client, finding, settings, name, content, message
):
    response = client.post(
        evidence_url(finding), {"file": SimpleUploadedFile(name, content)}, format="multipart"
    )

    assert response.status_code == 400
    assert response.json() == {"detail": message}
    assert not Evidence.objects.exists()
    assert stored_files(settings) == []


def test_a_png_named_pdf_is_accepted_as_png(client, finding, settings):
    response = client.post(
        evidence_url(finding), {"file": SimpleUploadedFile("scan.pdf", PNG)}, format="multipart"
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["original_name"], body["content_type"], body["size"]) == ("scan.pdf", "image/png", len(PNG))
    assert body["sha256"] == hashlib.sha256(PNG).hexdigest()
    evidence = Evidence.objects.get()
    with evidence.file.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == body["sha256"]


def test_the_report_sha256_matches_the_stored_file(client, audit):
    url = reverse("api:audit-report", kwargs={"pk": audit.pk})

    response = client.post(url, {"file": SimpleUploadedFile("report.pdf", PDF)}, format="multipart")

    assert response.status_code == 200
    audit.refresh_from_db()
    with audit.report.open("rb") as stored:
        assert hashlib.sha256(stored.read()).hexdigest() == response.json()["report_sha256"]


def test_an_upload_without_a_file_names_the_field(client, finding):
    response = client.post(evidence_url(finding), {"description": "forgot it"}, format="multipart")

    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}
