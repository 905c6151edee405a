"""The supplier contact's minerals pages: what is asked for, a CMRT checked (every message with its sheet and
cell) before it is submitted, refused files, one declaration, and answering a due-diligence action."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from minerals.models import (
    Declaration,
    DeclarationDraft,
    DueDiligenceAction,
    RmapStatus,
    Smelter,
)
from tests import office_files
from tests.factories import SupplierFactory
from tests.minerals import workbooks as wb
from tests.portal.conftest import contact_login

pytestmark = pytest.mark.django_db

COMPANY_NAME_REQUIRED = "Company name (*) is required"


# --- Workbooks -------------------------------------------------------------------------------------------


def cmrt_bytes(tmp_path, *, company: str | None = "Acme Components Ltd.", name: str = "cmrt.xlsx") -> bytes:
    """A complete CMRT 6.5 (tin and gold in use, four smelters by CID); ``company=None`` leaves the company
    name (Declaration!D8, required) empty."""
    cells = wb.clean_declaration(effective=timezone.localdate() - dt.timedelta(days=30))
    cells["D8"] = company
    path = wb.build_workbook(tmp_path / name, declaration=cells, smelters=wb.clean_smelters())
    return path.read_bytes()


def upload(content: bytes, name: str = "cmrt.xlsx") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def check(client, content: bytes, *, name: str = "cmrt.xlsx", year: int = 2025, follow: bool = True):
    return client.post(
        reverse("portal:declaration_upload"), {"year": year, "file": upload(content, name)}, follow=follow
    )


def submit(client, draft: DeclarationDraft, **kwargs):
    return client.post(reverse("portal:declaration_draft", args=[draft.pk]), **kwargs)


# --- What is asked for -------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
def test_the_list_says_which_year_is_collected_and_by_when(supplier_a):
    page = supplier_a.client.get(reverse("portal:declarations"))

    assert page.status_code == 200
    text = page.content.decode()
    assert "your declarations on 2025" in text
    assert "2026-05-31" in text
    assert "Nothing accepted yet" in text


# --- Step 1: checked, nothing saved ------------------------------------------------------------------------


def test_a_file_with_errors_shows_each_message_with_its_sheet_and_cell_and_nothing_is_declared(
    supplier_a, tmp_path
):
    page = check(supplier_a.client, cmrt_bytes(tmp_path, company=None))

    assert page.status_code == 200
    text = page.content.decode()
    assert 'id="checks"' in text
    assert "Declaration!D8" in text
    assert COMPANY_NAME_REQUIRED in text
    assert "1 error must be corrected before you can submit this file." in text
    assert 'id="submit-declaration"' not in text
    assert Declaration.objects.count() == 0


def test_errors_are_listed_before_warnings(supplier_a, tmp_path):
    cells = wb.clean_declaration(effective=timezone.localdate() - dt.timedelta(days=30))
    cells["D8"] = None
    smelters = wb.clean_smelters()
    smelters[9] = wb.smelter_row("CID000292")  # listed again: a warning
    content = wb.build_workbook(tmp_path / "cmrt.xlsx", declaration=cells, smelters=smelters).read_bytes()

    text = check(supplier_a.client, content).content.decode()

    assert text.index("Declaration!D8") < text.index("Smelter List!A9")
    assert "CID000292 (tin) is listed again; first in row 7" in text


def test_submitting_a_file_that_has_errors_is_refused_with_the_same_messages(supplier_a, tmp_path):
    check(supplier_a.client, cmrt_bytes(tmp_path, company=None))
    draft = DeclarationDraft.objects.get()

    page = submit(supplier_a.client, draft)

    assert page.status_code == 200
    text = page.content.decode()
    assert "cmrt.xlsx still has 1 error" in text
    assert "Declaration!D8" in text and COMPANY_NAME_REQUIRED in text
    assert Declaration.objects.count() == 0
    assert DeclarationDraft.objects.filter(pk=draft.pk).exists()


# --- Step 2: the corrected file is submitted -------------------------------------------------------------


def test_the_corrected_file_is_submitted_and_accepted(supplier_a, tmp_path):
    check(supplier_a.client, cmrt_bytes(tmp_path, company=None))
    check(supplier_a.client, cmrt_bytes(tmp_path, name="cmrt-fixed.xlsx"), name="cmrt-fixed.xlsx")
    draft = DeclarationDraft.objects.get()  # the earlier check is gone
    review = supplier_a.client.get(reverse("portal:declaration_draft", args=[draft.pk]))
    assert 'id="submit-declaration"' in review.content.decode()

    page = submit(supplier_a.client, draft, follow=True)

    declaration = Declaration.objects.get()
    assert (declaration.supplier, declaration.year, declaration.status) == (
        supplier_a.supplier,
        2025,
        Declaration.Status.ACCEPTED,
    )
    assert declaration.filename == "cmrt-fixed.xlsx"
    assert declaration.uploaded_by == supplier_a.user
    assert page.redirect_chain[-1][0] == reverse("portal:declaration", args=[declaration.pk])
    text = page.content.decode()
    assert "is submitted" in text and "CID002763" in text
    assert not DeclarationDraft.objects.exists()


def test_a_draft_is_submitted_once(supplier_a, tmp_path):
    check(supplier_a.client, cmrt_bytes(tmp_path))
    draft = DeclarationDraft.objects.get()
    submit(supplier_a.client, draft)

    again = submit(supplier_a.client, draft)

    assert again.status_code == 404
    assert Declaration.objects.count() == 1


def test_a_checked_file_not_submitted_within_a_day_is_deleted_with_its_file(
    supplier_a, supplier_b, tmp_path, django_capture_on_commit_callbacks
):
    with time_machine.travel(timezone.now() - dt.timedelta(hours=25)):
        check(supplier_a.client, cmrt_bytes(tmp_path))
    stale = DeclarationDraft.objects.get()
    stored = stale.file.path

    with django_capture_on_commit_callbacks(execute=True):
        check(supplier_b.client, cmrt_bytes(tmp_path))  # any later check clears what has expired

    assert not DeclarationDraft.objects.filter(pk=stale.pk).exists()
    assert not os.path.exists(stored)
    assert submit(supplier_a.client, stale).status_code == 404


@pytest.mark.skipif(
    not [t for t in wb.template_files() if t.name == "RMI_CMRT_6.5.xlsx"],
    reason="RMI's official CMRT 6.5 is not available "
    "(looked in $RMI_TEMPLATES_DIR and ../shared/rmi-templates)",
)
def test_rmis_official_template_filled_in_is_checked_and_accepted(supplier_a, tmp_path):
    template = next(t for t in wb.template_files() if t.name == "RMI_CMRT_6.5.xlsx")
    path, expected = wb.fill_official_template(template, tmp_path, today=timezone.localdate())["cached"]

    review = check(supplier_a.client, path.read_bytes(), name="RMI_CMRT_6.5-acme.xlsx")
    assert 'id="draft-ok"' in review.content.decode()
    submit(supplier_a.client, DeclarationDraft.objects.get())

    declaration = Declaration.objects.get()
    assert declaration.status == Declaration.Status.ACCEPTED
    assert (declaration.family, declaration.version) == ("CMRT", "6.5")
    assert declaration.smelters.count() == len(expected.smelters)


# --- Refused files ---------------------------------------------------------------------------------------


def _hostile(kind: str, tmp_path) -> bytes:
    if kind == "encrypted":
        return office_files.encrypted_workbook()
    if kind == "macro":
        return office_files.macro_enabled(cmrt_bytes(tmp_path))
    if kind == "zip-bomb":
        return office_files.zip_bomb_xlsx(unpacked_mb=150)
    return b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.mark.parametrize("kind", ["encrypted", "macro", "zip-bomb", "not-xlsx"])
def test_a_hostile_or_wrong_file_is_refused_with_a_message_naming_it(supplier_a, tmp_path, kind):
    name = f"supplier-{kind}.xlsx"

    page = check(supplier_a.client, _hostile(kind, tmp_path), name=name, follow=False)

    assert page.status_code == 200
    form = page.context["form"]
    assert any(name in error for error in form.errors["file"]), form.errors
    assert 'id="field-file"' in page.content.decode()
    assert not DeclarationDraft.objects.exists()
    assert not Declaration.objects.exists()


def test_a_file_over_the_upload_limit_is_refused_with_a_message_naming_it(supplier_a, tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 1000

    page = check(supplier_a.client, cmrt_bytes(tmp_path), name="big-cmrt.xlsx", follow=False)

    assert page.status_code == 413  # refused while the body is read (portal.middleware)
    text = page.content.decode()
    assert "big-cmrt.xlsx" in text and "largest accepted" in text
    assert not DeclarationDraft.objects.exists()


def test_a_workbook_that_is_no_cmrt_is_refused_with_a_message_naming_it(supplier_a):
    page = check(supplier_a.client, office_files.workbook_bytes(), name="suppliers.xlsx", follow=False)

    errors = page.context["form"].errors["file"]
    assert any("suppliers.xlsx" in error and "not a CMRT or EMRT" in error for error in errors), errors


# --- Languages -------------------------------------------------------------------------------------------


def test_a_chinese_user_reads_the_checkers_messages_in_chinese(tmp_path):
    chinese = contact_login(SupplierFactory(code="SUP-ZH"), email="zhang.min@zh.example", language="zh-hans")

    text = check(chinese.client, cmrt_bytes(tmp_path, company=None)).content.decode()

    assert "Declaration!D8" in text
    assert "公司名称 (*) 为必填项" in text
    assert COMPANY_NAME_REQUIRED not in text
    assert "个错误" in text


def test_messages_are_stored_in_english_whoever_uploads(tmp_path):
    chinese = contact_login(SupplierFactory(code="SUP-ZH"), email="zhang.min@zh.example", language="zh-hans")
    check(chinese.client, cmrt_bytes(tmp_path, company=None))

    issue = DeclarationDraft.objects.get().issues[0]

    assert (issue["sheet"], issue["cell"], issue["message"]) == ("Declaration", "D8", COMPANY_NAME_REQUIRED)


# --- Scopes ----------------------------------------------------------------------------------------------


def _declaration(supplier, *, year: int = 2025, status=Declaration.Status.ACCEPTED, **fields) -> Declaration:
    return Declaration.objects.create(
        supplier=supplier,
        year=year,
        family="CMRT",
        template="CMRT",
        version="6.5",
        filename=f"{supplier.code}-{year}.xlsx",
        sha256="0" * 64,
        status=status,
        **fields,
    )


def _action(supplier, *, year: int = 2025, **fields) -> DueDiligenceAction:
    smelter = fields.pop("smelter", None) or Smelter.objects.create(
        smelter_id=f"CID{Smelter.objects.count() + 900000:06d}",
        name="Example Smelter",
        metal="tin",
        rmap_status=RmapStatus.NOT_ENROLLED,
    )
    return DueDiligenceAction.objects.create(
        supplier=supplier,
        year=year,
        family="CMRT",
        key=f"smelter:{smelter.pk}",
        smelter=smelter,
        metal="tin",
        smelter_label=f"{smelter.smelter_id} {smelter.name} (Tin)",
        reason=DueDiligenceAction.Reason.NON_CONFORMANT,
        kind=DueDiligenceAction.Kind.DUE_DILIGENCE,
        deadline=timezone.localdate() + dt.timedelta(days=20),
        **fields,
    )


def test_another_suppliers_declaration_is_not_found(supplier_a, supplier_b):
    theirs = _declaration(supplier_b.supplier)

    assert supplier_a.client.get(reverse("portal:declaration", args=[theirs.pk])).status_code == 404
    assert supplier_b.client.get(reverse("portal:declaration", args=[theirs.pk])).status_code == 200


def test_another_suppliers_due_diligence_action_is_not_found(supplier_a, supplier_b):
    theirs = _action(supplier_b.supplier)

    assert supplier_a.client.get(reverse("portal:dd_action", args=[theirs.pk])).status_code == 404
    answer = supplier_a.client.post(reverse("portal:dd_action", args=[theirs.pk]), {"note": "Done."})
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.response == ""


def test_another_persons_checked_file_is_not_found(supplier_a, supplier_b, tmp_path):
    check(supplier_b.client, cmrt_bytes(tmp_path))
    theirs = DeclarationDraft.objects.get()
    colleague = contact_login(supplier_b.supplier, email="colleague@beta.example")

    for client in (supplier_a.client, colleague.client):
        assert client.get(reverse("portal:declaration_draft", args=[theirs.pk])).status_code == 404
        assert submit(client, theirs).status_code == 404
    assert not Declaration.objects.exists()


# --- One declaration ----------------------------------------------------------------------------------------


def test_the_declaration_page_shows_its_smelters_rmap_status_and_open_actions(supplier_a, tmp_path):
    Smelter.objects.create(
        smelter_id="CID002763", name="8853 S.p.A.", metal="gold", rmap_status=RmapStatus.CONFORMANT
    )
    Smelter.objects.create(smelter_id="CID000292", name="Alpha", metal="tin", rmap_status=RmapStatus.ACTIVE)
    check(supplier_a.client, cmrt_bytes(tmp_path))
    submit(supplier_a.client, DeclarationDraft.objects.get())
    declaration = Declaration.objects.get()

    text = supplier_a.client.get(reverse("portal:declaration", args=[declaration.pk])).content.decode()

    assert 'id="smelter-list"' in text
    assert "CID002763" in text and "Conformant" in text
    assert "CID000292" in text and "Active (in assessment)" in text
    assert "Not in the smelter register" in text  # CID000015 and CID001477 are not in the register
    follow_up = DueDiligenceAction.objects.get(smelter__smelter_id="CID000292")
    assert reverse("portal:dd_action", args=[follow_up.pk]) in text
    assert 'id="dd-action-list"' in text


# --- Due-diligence actions --------------------------------------------------------------------------------


def test_the_action_page_says_why_the_action_exists_and_when_it_is_due(supplier_a):
    action = _action(supplier_a.supplier)

    text = supplier_a.client.get(reverse("portal:dd_action", args=[action.pk])).content.decode()

    assert "not enrolled in RMAP or was found non-conformant" in text
    assert "Third-party due diligence under RMAP" in text
    assert f"{action.deadline:%Y-%m-%d}" in text and "due in 20 days" in text
    assert 'id="dd-response-form"' in text


def test_the_supplier_answers_an_action_with_a_note_and_evidence(supplier_a):
    action = _action(supplier_a.supplier)
    evidence = SimpleUploadedFile("rmap-audit.pdf", b"%PDF-1.4\n%%EOF\n", content_type="application/pdf")

    page = supplier_a.client.post(
        reverse("portal:dd_action", args=[action.pk]),
        {"note": "Third-party audit of the smelter done on 2026-01-10: conformant.", "evidence": evidence},
        follow=True,
    )

    action.refresh_from_db()
    assert action.response.startswith("Third-party audit of the smelter")
    assert action.responded_by == supplier_a.user
    assert action.evidence
    assert action.status == DueDiligenceAction.Status.OPEN  # an ESG manager closes it
    assert action.history.first().history_user == supplier_a.user
    text = page.content.decode()
    assert "Your answer is sent" in text and 'id="dd-response-text"' in text


def test_an_answer_without_a_note_is_refused_on_the_form(supplier_a):
    action = _action(supplier_a.supplier)

    page = supplier_a.client.post(reverse("portal:dd_action", args=[action.pk]), {"note": "  "})

    assert page.status_code == 200
    assert "note" in page.context["form"].errors
    action.refresh_from_db()
    assert action.responded_at is None


def test_an_evidence_file_of_a_refused_kind_is_refused_naming_it(supplier_a):
    action = _action(supplier_a.supplier)
    evidence = SimpleUploadedFile("macro.xlsm", office_files.macro_enabled(office_files.workbook_bytes()))

    page = supplier_a.client.post(
        reverse("portal:dd_action", args=[action.pk]), {"note": "See the file.", "evidence": evidence}
    )

    assert any("macro.xlsm" in error for error in page.context["form"].errors["evidence"])
    action.refresh_from_db()
    assert action.responded_at is None


def test_a_closed_action_takes_no_answer(supplier_a):
    action = _action(
        supplier_a.supplier,
        status=DueDiligenceAction.Status.CLOSED,
        closed_at=timezone.now(),
        note="Replaced.",
    )

    page = supplier_a.client.get(reverse("portal:dd_action", args=[action.pk]))
    assert 'id="dd-closed"' in page.content.decode()
    assert 'id="dd-response-form"' not in page.content.decode()

    refused = supplier_a.client.post(reverse("portal:dd_action", args=[action.pk]), {"note": "Done."})
    assert "was closed on" in str(refused.context["form"].non_field_errors())


# --- Bounded queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [2, 20])
def test_the_list_runs_a_fixed_number_of_queries(supplier_a, django_assert_max_num_queries, rows):
    for year in range(2000, 2000 + rows):
        _declaration(supplier_a.supplier, year=year)
        _action(supplier_a.supplier, year=year)
    supplier_a.client.get(reverse("portal:declarations"))  # sessions, policy rows created once

    with django_assert_max_num_queries(14):
        page = supplier_a.client.get(reverse("portal:declarations"))

    assert page.content.decode().count('data-label="Reporting year"') == rows


@pytest.mark.parametrize("rows", [2, 20])
def test_the_declaration_page_runs_a_fixed_number_of_queries(supplier_a, django_assert_max_num_queries, rows):
    from minerals.models import DeclaredSmelter

    declaration = _declaration(supplier_a.supplier)
    DeclaredSmelter.objects.bulk_create(
        DeclaredSmelter(
            declaration=declaration, row=5 + i, metal="tin", name=f"Smelter {i}", match_method="unmatched"
        )
        for i in range(rows)
    )
    supplier_a.client.get(reverse("portal:declaration", args=[declaration.pk]))

    with django_assert_max_num_queries(12):
        page = supplier_a.client.get(reverse("portal:declaration", args=[declaration.pk]))

    assert page.content.decode().count('data-label="Row"') == rows
