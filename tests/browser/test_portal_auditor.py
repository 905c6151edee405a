"""The auditor's story in a real browser, once in English and once in Simplified Chinese: the invitation, a
password, the agency's audit filled in (dates, score, report), findings by the form (a red line below priority
refused on its field) and by the findings workbook (an error named by row and column, then the corrected
file), the report submitted, returned by the ESG manager with a reason, corrected and submitted again.

What the pages say is checked against the catalogue in the language of the run (``gettext`` under
``translation.override``), so the Chinese run fails on any English left on the way."""

from __future__ import annotations

import datetime as dt
import io
import re

import openpyxl
import pytest
from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from audits import services
from audits.models import Audit, CodeProvision, Finding
from suppliers import roles
from tests.factories import AuditAgencyFactory, AuditFactory, SupplierFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Audit-portal-2026!"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINK = re.compile(r"http://[^/\s]+(/portal/welcome/\S+/)")


def say(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def assignment():
    manager = UserFactory(username="esg-lead", role=roles.ESG_MANAGER, is_staff=True)
    agency = AuditAgencyFactory(code="qa-audits", name="QA Social Audits")
    supplier = SupplierFactory(code="CN-ASSY", name="Dongguan Assembly Works")
    audit = AuditFactory(
        supplier=supplier,
        agency=agency,
        status=Audit.Status.PLANNED,
        planned_start=dt.date.today() - dt.timedelta(days=3),
        planned_end=dt.date.today() - dt.timedelta(days=1),
    )
    return manager, agency, audit


def _accept_dialogs(page: Page) -> None:
    page.on("dialog", lambda dialog: dialog.accept())


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_invited_auditor_records_an_audit_by_form_and_workbook_and_resubmits_it_when_returned(
    page: Page, live_server, assignment, language, tmp_path
):
    manager, agency, audit = assignment
    _accept_dialogs(page)

    # Invitation → password → the agency's audits.
    services.auditor_invite(
        agency=agency, email="chen.jie@qa-audits.example", name="Chen Jie", by=manager, language=language
    )
    invitation = mail.outbox[-1]
    assert say(language, "Choose your password here:") in invitation.body
    page.goto(live_server.url + LINK.search(invitation.body).group(1))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh-hans" else "en")
    expect(page.locator("h1")).to_have_text(say(language, "Welcome to the supplier ESG portal"))
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click("#set-password-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/portal/agency/audits/$"))
    expect(page.locator(f"#audit-{audit.pk}")).to_contain_text("CN-ASSY")

    # The audit: started, dates, score, report.
    page.click(f"#audit-{audit.pk} a")
    page.click("#start-audit")
    page.fill("[name=audit-actual_start]", (dt.date.today() - dt.timedelta(days=3)).isoformat())
    page.fill("[name=audit-actual_end]", (dt.date.today() - dt.timedelta(days=1)).isoformat())
    page.fill("[name=audit-score]", "154")
    page.click("#save-audit")
    expect(page.locator("#audit-score")).to_have_text("154.0")
    report = tmp_path / "report.pdf"
    report.write_bytes(PDF)
    page.set_input_files("[name=report-file]", str(report))
    page.click("#upload-report")
    expect(page.locator("#audit-report a")).to_have_text(say(language, "Download the report"))

    # A finding by the form: a red line below priority is refused on the severity field, then corrected.
    page.click("#add-finding")
    a2 = CodeProvision.objects.get(code_version="RBA 8.0", code="A2")
    page.select_option("[name=provision]", str(a2.pk))
    page.select_option("[name=severity]", "minor")
    page.select_option("[name=red_line]", "1")
    page.fill(
        "[name=description]", "Two workers under 16 on the assembly line; ages confirmed from ID cards."
    )
    page.click("#save-finding")
    expect(page.locator("#field-severity .errorlist")).to_be_visible()
    page.select_option("[name=severity]", "priority")
    page.click("#save-finding")
    expect(page.locator("#evidence-form")).to_be_visible()
    photo = tmp_path / "dormitory.pdf"
    photo.write_bytes(PDF)
    page.set_input_files("#evidence-form [name=file]", str(photo))
    page.click("#attach-evidence")
    expect(page.locator("#evidence-list")).to_contain_text("dormitory")

    # Findings by the workbook: an unknown severity is named by row and column and nothing is saved.
    page.goto(f"{live_server.url}/portal/agency/audits/{audit.pk}/")
    with page.expect_download() as download:
        page.click("#download-workbook")
    download.value.save_as(tmp_path / "downloaded.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "downloaded.xlsx")
    sheet = workbook["Findings"]
    assert sheet["A1"].value == audit.reference
    assert str(sheet["B3"].value).startswith("A2")  # the finding recorded by the form, pre-filled
    sheet["B4"], sheet["C4"], sheet["E4"] = "B7", "big", "Dormitory fire alarm disconnected."
    sheet["B5"], sheet["C5"], sheet["E5"] = "C3", "major", "Chemical storage without secondary containment."
    wrong = tmp_path / "findings.xlsx"
    workbook.save(wrong)
    page.set_input_files("[name=workbook-file]", str(wrong))
    page.click("#upload-workbook")
    errors = page.locator("#workbook-errors li.workbook-error")
    expect(errors).to_have_count(1)
    expect(errors.first).to_contain_text("4")
    expect(errors.first).to_contain_text("C")
    assert Finding.objects.filter(audit=audit).count() == 1
    sheet["C4"] = "major"
    fixed = io.BytesIO()
    workbook.save(fixed)
    (tmp_path / "findings-fixed.xlsx").write_bytes(fixed.getvalue())
    page.set_input_files("[name=workbook-file]", str(tmp_path / "findings-fixed.xlsx"))
    page.click("#upload-workbook")
    expect(page.locator("#finding-list .finding-row")).to_have_count(3)
    expect(page.locator("#workbook-errors")).to_have_count(0)

    # Submitted, returned with a reason, corrected, submitted again.
    page.click("#submit-report")
    expect(page.locator("#read-only")).to_be_visible()
    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORT_SUBMITTED
    services.audit_return(audit=audit, by=manager, reason="Attach the dormitory fire alarm photos to B7.")
    page.reload()
    expect(page.locator("#returned-reason")).to_contain_text("Attach the dormitory fire alarm photos to B7.")
    page.click("#finding-2 a")
    page.set_input_files("#evidence-form [name=file]", str(photo))
    page.click("#attach-evidence")
    expect(page.locator("#evidence-list")).to_contain_text("dormitory")
    page.goto(f"{live_server.url}/portal/agency/audits/{audit.pk}/")
    expect(page.locator("#submit-report")).to_have_text(say(language, "Submit the report"))
    page.click("#submit-report")
    expect(page.locator("#read-only")).to_be_visible()
    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORT_SUBMITTED
    assert audit.findings.count() == 3
