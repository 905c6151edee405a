"""Uploaded files are stored under random names with the extension of their detected type and served only
through authenticated, scoped downloads: never from a media URL, as attachments, with the detected type and
``nosniff``."""

from __future__ import annotations

import datetime as dt
import importlib
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import modelform_factory
from django.test import Client
from django.urls import clear_url_caches
from rest_framework.test import APIClient

from audits import services as audit_services
from audits.models import Audit, Evidence
from minerals.models import Declaration
from suppliers import roles
from suppliers.models import Agreement
from tests import office_files
from tests.factories import (
    AuditFactory,
    AuditorFactory,
    ContactFactory,
    FindingFactory,
    SupplierFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG_HEX = (
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def browser(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def auditor():
    return AuditorFactory()


@pytest.fixture
def finding(auditor):
    audit = AuditFactory(
        agency=auditor.agency, status=Audit.Status.IN_PROGRESS, actual_start=dt.date(2026, 3, 2)
    )
    return FindingFactory(audit=audit)


@pytest.fixture
def contact(finding):
    user = UserFactory(role=roles.SUPPLIER_CONTACT)
    ContactFactory(supplier=finding.audit.supplier, user=user)
    return user


def upload_evidence(client, finding, name: str, content: bytes, **data):
    return client.post(
        f"/api/v1/findings/{finding.pk}/evidence/",
        {"file": SimpleUploadedFile(name, content), **data},
        format="multipart",
    )


def accept(audit: Audit) -> None:
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.ACCEPTED, accepted_on=dt.date(2026, 4, 1))


def test_a_pdf_named_html_is_stored_under_a_random_pdf_name_and_served_as_a_pdf_attachment(auditor, finding):
    response = upload_evidence(api(auditor.user), finding, "interview.html", PDF)
    assert response.status_code == 201, response.content

    evidence = Evidence.objects.get()
    assert re.fullmatch(rf"audits/findings/{finding.pk}/evidence/[0-9a-f]{{32}}\.pdf", evidence.file.name)
    assert evidence.original_name == "interview.html"

    download = api(auditor.user).get(f"/api/v1/findings/{finding.pk}/evidence/{evidence.pk}/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"] == 'attachment; filename="interview.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Cache-Control"] == "no-store"
    assert b"".join(download.streaming_content) == PDF


def test_html_is_refused_whatever_its_name(auditor, finding):
    response = upload_evidence(api(auditor.user), finding, "report.pdf", HTML)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("report.pdf: its content is")
    assert not Evidence.objects.exists()


def test_uploads_are_not_served_from_a_media_url_even_in_debug_mode(settings, auditor, finding):
    upload_evidence(api(auditor.user), finding, "photo.pdf", PDF)
    stored = Evidence.objects.get().file.name
    settings.DEBUG = True
    import config.urls

    try:
        clear_url_caches()
        importlib.reload(config.urls)
        for client in (Client(), browser(auditor.user)):
            assert client.get(f"/media/{stored}").status_code == 404
            assert client.get(f"/{settings.MEDIA_URL.strip('/')}/{stored}").status_code == 404
    finally:
        settings.DEBUG = False
        clear_url_caches()
        importlib.reload(config.urls)


def test_the_download_link_of_a_file_needs_a_signed_in_user_in_scope(auditor, finding):
    upload_evidence(api(auditor.user), finding, "photo.pdf", PDF)
    evidence = Evidence.objects.get()
    url = evidence.file.url
    assert url == f"/files/audits.evidence.file/{evidence.pk}/"

    anonymous = Client().get(url)
    assert anonymous.status_code == 302 and "/login/" in anonymous["Location"]

    served = browser(auditor.user).get(url)
    assert served.status_code == 200 and served["Cache-Control"] == "no-store"
    other_agency = AuditorFactory()
    assert browser(other_agency.user).get(url).status_code == 404
    assert browser(UserFactory(role=roles.PROCUREMENT)).get(url).status_code == 200
    assert browser(UserFactory()).get(url).status_code == 404


def test_unknown_or_non_file_labels_and_huge_ids_are_404(auditor, finding):
    client = browser(UserFactory(role=roles.ESG_MANAGER))
    for url in (
        "/files/audits.evidence.file/99999999999999999999/",
        "/files/audits.evidence.description/1/",
        "/files/nothing.here.file/1/",
        "/files/audits.evidence/1/",
    ):
        assert client.get(url).status_code == 404, url


def test_a_supplier_contact_gets_the_suppliers_evidence_but_not_the_agencys(auditor, finding, contact):
    upload_evidence(api(auditor.user), finding, "worker-interview.pdf", PDF)
    agency_evidence = Evidence.objects.get()
    accept(finding.audit)
    response = upload_evidence(api(contact), finding, "new-timecards.pdf", PDF, purpose="rectification")
    assert response.status_code == 201, response.content
    own = Evidence.objects.get(purpose=Evidence.Purpose.RECTIFICATION)

    client = api(contact)
    assert client.get(f"/api/v1/findings/{finding.pk}/evidence/{own.pk}/").status_code == 200
    assert client.get(f"/api/v1/findings/{finding.pk}/evidence/{agency_evidence.pk}/").status_code == 404
    assert browser(contact).get(agency_evidence.file.url).status_code == 404
    assert browser(contact).get(own.file.url).status_code == 200


def test_the_audit_report_downloads_for_its_agency_and_the_suppliers_contacts_only(auditor, finding, contact):
    audit = finding.audit
    audit_services.audit_attach_report(
        audit=audit, upload=SimpleUploadedFile("VAP final.pdf", PDF), by=auditor.user
    )
    url = f"/api/v1/audits/{audit.pk}/report/"

    download = api(auditor.user).get(url)
    assert download.status_code == 200
    assert download["Content-Disposition"] == f'attachment; filename="{audit.reference}-report.pdf"'
    assert api(auditor.user).get(f"/api/v1/audits/{audit.pk}/").json()["report_file"] == (
        f"{audit.reference}-report.pdf"
    )
    assert api(AuditorFactory().user).get(url).status_code == 404
    assert api(contact).get(url).status_code == 404  # not issued yet
    accept(audit)
    assert api(contact).get(url).status_code == 200
    assert api(UserFactory(role=roles.SUPPLIER_CONTACT)).get(url).status_code == 404


def test_an_audit_without_a_report_answers_a_json_404(auditor, finding):
    response = api(auditor.user).get(f"/api/v1/audits/{finding.audit.pk}/report/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_a_declaration_downloads_for_its_suppliers_contacts_and_staff_only(contact, finding, auditor):
    from tests.minerals.test_declarations import MIXED, workbook_bytes

    supplier = finding.audit.supplier
    response = api(contact).post(
        "/api/v1/declarations/",
        {"file": SimpleUploadedFile("cmrt.xlsx", workbook_bytes(MIXED)), "year": 2025},
        format="multipart",
    )
    assert response.status_code == 201, response.content
    declaration = Declaration.objects.get(supplier=supplier)
    assert re.fullmatch(r"minerals/declarations/\d+/2025/[0-9a-f]{32}\.xlsx", declaration.file.name)
    url = f"/api/v1/declarations/{declaration.pk}/file/"

    download = api(contact).get(url)
    assert download.status_code == 200
    assert download["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert download["Content-Disposition"] == 'attachment; filename="cmrt.xlsx"'
    assert api(UserFactory(role=roles.ESG_MANAGER)).get(url).status_code == 200
    assert api(auditor.user).get(url).status_code == 404
    stranger = UserFactory(role=roles.SUPPLIER_CONTACT)
    ContactFactory(supplier=SupplierFactory(), user=stranger)
    assert api(stranger).get(url).status_code == 404


def test_an_agreement_form_refuses_a_file_that_is_not_a_document_and_stores_nothing(settings):
    form_class = modelform_factory(Agreement, fields=["supplier", "kind", "file"])
    supplier = SupplierFactory()
    form = form_class(
        data={"supplier": supplier.pk, "kind": Agreement.Kind.CSR_AGREEMENT},
        files={"file": SimpleUploadedFile("signed.pdf", HTML)},
    )

    assert not form.is_valid()
    assert form.errors["file"][0].startswith("signed.pdf: its content is")
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_an_agreement_is_downloaded_by_staff_and_its_suppliers_contacts(settings):
    supplier = SupplierFactory()
    form_class = modelform_factory(Agreement, fields=["supplier", "kind", "file"])
    form = form_class(
        data={"supplier": supplier.pk, "kind": Agreement.Kind.CSR_AGREEMENT},
        files={"file": SimpleUploadedFile("signed csr.html", PDF)},
    )
    assert form.is_valid(), form.errors
    agreement = form.save()
    assert agreement.file.name.endswith(".pdf") and "signed" not in agreement.file.name

    contact = UserFactory(role=roles.SUPPLIER_CONTACT)
    ContactFactory(supplier=supplier, user=contact)
    other = UserFactory(role=roles.SUPPLIER_CONTACT)
    ContactFactory(supplier=SupplierFactory(), user=other)
    assert browser(contact).get(agreement.file.url).status_code == 200
    assert browser(UserFactory(role=roles.PROCUREMENT)).get(agreement.file.url).status_code == 200
    assert browser(other).get(agreement.file.url).status_code == 404
    assert browser(AuditorFactory().user).get(agreement.file.url).status_code == 404


# --- What each kind of upload accepts ---------------------------------------------------------------------


def post_declaration(user, content: bytes, name: str = "cmrt.xlsx"):
    return api(user).post(
        "/api/v1/declarations/",
        {"file": SimpleUploadedFile(name, content), "year": 2025},
        format="multipart",
    )


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (
            lambda: office_files.macro_enabled(office_files.workbook_bytes()),
            "is a macro-enabled workbook (.xlsm)",
        ),
        (office_files.encrypted_workbook, "is password-protected (encrypted)"),
        (lambda: office_files.externally_linked(office_files.workbook_bytes()), "links to other workbooks"),
        (office_files.old_xls, "is an old Excel 97-2003 workbook (.xls)"),
        (office_files.docx_bytes, "its content is DOCX; accepted types are XLSX"),
        (lambda: PDF, "its content is PDF; accepted types are XLSX"),
    ],
)
def test_a_declaration_must_be_a_plain_xlsx_and_says_what_else_it_is(contact, build, says, settings):
    response = post_declaration(contact, build())

    assert response.status_code == 400
    detail = response.json()["detail"]
    assert detail.startswith("cmrt.xlsx: ") and says in detail, detail
    assert not Declaration.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


@pytest.mark.parametrize(
    ("build", "says"),
    [
        (lambda: office_files.zip_bomb_xlsx(unpacked_mb=150), "is too large"),
        (lambda: office_files.workbook_bytes()[:-200], "damaged or truncated"),
        (lambda: office_files.macro_enabled(office_files.workbook_bytes()), "macro-enabled"),
        (office_files.encrypted_workbook, "password-protected"),
    ],
)
def test_evidence_refuses_hostile_or_unreadable_office_files(auditor, finding, build, says, settings):
    response = upload_evidence(api(auditor.user), finding, "evidence.xlsx", build())

    assert response.status_code == 400
    assert says in response.json()["detail"], response.json()
    assert not Evidence.objects.exists()
    assert not settings.MEDIA_ROOT.exists() or not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))


def test_evidence_accepts_office_documents_and_images_by_content(auditor, finding):
    client = api(auditor.user)
    for name, content, kind in (
        ("sheet.bin", office_files.workbook_bytes(), "xlsx"),
        ("letter", office_files.docx_bytes(), "docx"),
        ("photo.pdf", bytes.fromhex(PNG_HEX), "png"),
    ):
        response = upload_evidence(client, finding, name, content)
        assert response.status_code == 201, response.content
        assert Evidence.objects.get(pk=response.json()["id"]).file.name.endswith(f".{kind}")
