"""The supplier contact's story in a real browser, once in English and once in Simplified Chinese: the
invitation, a password, the task inbox, a corrective action plan submitted (rejected with a reason, then
resubmitted), a monthly progress report with evidence, an extension request, a CMRT with errors checked cell
by cell, corrected and accepted, and the CSR Agreement signed online, after which the onboarding gate sees it.

What the pages say is checked against the catalogue in the language of the run (``gettext`` under
``translation.override``), so the Chinese run fails on any English left on the way. The browser itself asks
for English: the invitee's stored language must win."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core import mail
from django.utils import timezone, translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from audits import services as audit_services
from audits.models import CorrectiveActionPlan, ExtensionRequest, Finding, ProgressUpdate
from minerals.models import Declaration, MineralsPolicy
from suppliers import lifecycle, roles
from suppliers.accounts import contact_invite
from suppliers.models import Agreement, Supplier
from tests.factories import (
    AgreementFactory,
    AuditAgencyFactory,
    ContactFactory,
    ExternalAssessmentFactory,
    SupplierFactory,
    UserFactory,
)
from tests.minerals import workbooks as wb
from tests.portal.conftest import accepted_audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "Factory-portal-2026!"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINK = re.compile(r"http://[^/\s]+(/portal/welcome/\S+/)")


def say(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.fixture
def factory_world():
    """A supplier in screening that has everything the onboarding gate asks but the CSR Agreement, and an
    accepted audit with a major finding whose corrective action plan is due."""
    manager = UserFactory(username="esg-lead", role=roles.ESG_MANAGER, is_staff=True)
    buyer = UserFactory(username="buyer-1", role=roles.PROCUREMENT, is_staff=True)
    supplier = SupplierFactory(
        code="CN-PCB", name="Shenzhen Circuit Boards", status=Supplier.Status.SCREENING
    )
    ExternalAssessmentFactory(supplier=supplier, assessed_on=timezone.localdate() - dt.timedelta(days=60))
    for kind in (Agreement.Kind.CODE_OF_CONDUCT, Agreement.Kind.INTEGRITY_COMMITMENT):
        AgreementFactory(supplier=supplier, kind=kind, signed_on=timezone.localdate() - dt.timedelta(days=10))
    contact = ContactFactory(supplier=supplier, name="Li Na", email="li.na@circuits.example")
    audit = accepted_audit(
        supplier=supplier,
        agency=AuditAgencyFactory(),
        findings=[{"severity": "major", "description": "Overtime above 60 hours a week."}],
    )
    return manager, buyer, supplier, contact, audit.findings.get()


def _cmrt(tmp_path, name: str, *, company: str | None) -> str:
    cells = wb.clean_declaration(effective=timezone.localdate() - dt.timedelta(days=30))
    cells["D8"] = company
    return str(wb.build_workbook(tmp_path / name, declaration=cells, smelters=wb.clean_smelters()))


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_an_invited_supplier_contact_works_through_their_tasks(
    page: Page, live_server, factory_world, language, tmp_path
):
    manager, buyer, supplier, contact, finding = factory_world
    page.on("dialog", lambda dialog: dialog.accept())

    # Invitation → password → inbox.
    contact_invite(contact=contact, by=buyer, language=language)
    invitation = mail.outbox[-1]
    assert say(language, "Choose your password here:") in invitation.body
    page.goto(live_server.url + LINK.search(invitation.body).group(1))
    expect(page.locator("h1")).to_have_text(say(language, "Welcome to the supplier ESG portal"))
    page.fill("#id_new_password1", PASSWORD)
    page.fill("#id_new_password2", PASSWORD)
    page.click("#set-password-form button[type=submit]")
    expect(page).to_have_url(re.compile(r"/portal/inbox/$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans" if language == "zh-hans" else "en")
    expect(page.locator("h1")).to_have_text(say(language, "Your tasks"))
    expect(page.locator("#task-list li.task[data-kind=cap_due]")).to_have_count(1)
    expect(page.locator("#task-list li.task[data-kind=agreement_to_sign]")).to_have_count(1)

    # The corrective action plan: submitted, rejected with a reason, resubmitted.
    page.click("#task-list li.task[data-kind=cap_due] .task-go a")
    plan = {
        "root_cause": "Peak-season orders planned without capacity checks.",
        "corrective_action": "Hire 40 temporary workers; cap weekly hours at 60.",
        "preventive_action": "Monthly capacity review before accepting orders.",
        "owner": "Wang Fang, HR manager",
        "planned_completion": (finding.rectification_due - dt.timedelta(days=10)).isoformat(),
    }
    for name, value in plan.items():
        page.fill(f"#cap-form [name={name}]", value)
    page.click("#cap-submit")
    expect(page.locator("#current-cap")).to_contain_text("Wang Fang, HR manager")
    assert CorrectiveActionPlan.objects.get(finding=finding).status == "submitted"
    audit_services.cap_review(
        finding=finding,
        by=manager,
        approve=False,
        note="The root cause must say why capacity was not checked.",
    )
    page.reload()
    expect(page.locator("#rejection-reason")).to_have_text(
        "The root cause must say why capacity was not checked."
    )
    page.fill("#cap-form [name=root_cause]", "Sales accepted peak orders without asking production planning.")
    page.click("#cap-submit")
    expect(page.locator("#cap-rejected")).to_have_count(0)
    assert CorrectiveActionPlan.objects.get(finding=finding).status == "submitted"
    audit_services.cap_review(finding=finding, by=manager, approve=True)

    # A monthly progress report with evidence.
    page.goto(f"{live_server.url}/portal/findings/{finding.pk}/")
    page.click("#link-progress")
    evidence = tmp_path / "timesheets.pdf"
    evidence.write_bytes(PDF)
    page.fill("#progress-form [name=percent_complete]", "40")
    page.fill("#progress-form [name=note]", "20 of 40 workers hired; hours capped on line 3.")
    page.set_input_files("#progress-form [name=evidence]", str(evidence))
    page.click("#progress-submit")
    expect(page.locator("#progress-list")).to_contain_text("20 of 40 workers hired")
    assert ProgressUpdate.objects.filter(finding=finding).count() == 1

    # An extension request.
    page.goto(f"{live_server.url}/portal/findings/{finding.pk}/")
    page.click("#link-extension")
    page.fill(
        "#extension-form [name=requested_due]",
        (finding.rectification_due + dt.timedelta(days=20)).isoformat(),
    )
    page.fill("#extension-form [name=reason]", "The new dormitory opens in three weeks.")
    page.click("#extension-submit")
    expect(page.locator("#extension-pending")).to_be_visible()
    assert ExtensionRequest.objects.get(finding=finding).status == "pending"

    # A CMRT with errors, checked cell by cell, corrected, submitted and accepted.
    year = MineralsPolicy.current().reporting_year(on=timezone.localdate())
    page.click("nav a[href='/portal/declarations/']")
    page.click("#upload-declaration")
    page.select_option("#declaration-upload-form [name=year]", str(year))
    page.set_input_files("#declaration-upload-form [name=file]", _cmrt(tmp_path, "cmrt.xlsx", company=None))
    page.click("#check-declaration")
    expect(page.locator("#draft-has-errors")).to_be_visible()
    expect(page.locator("#checks")).to_contain_text("D8")
    assert not Declaration.objects.filter(supplier=supplier).exists()
    page.click("#upload-again")
    page.select_option("#declaration-upload-form [name=year]", str(year))
    page.set_input_files(
        "#declaration-upload-form [name=file]",
        _cmrt(tmp_path, "cmrt-fixed.xlsx", company="Shenzhen Circuit Boards"),
    )
    page.click("#check-declaration")
    expect(page.locator("#draft-ok")).to_be_visible()
    page.click("#submit-declaration")
    expect(page.locator("#declaration-facts")).to_be_visible()
    assert Declaration.objects.get(supplier=supplier).status == Declaration.Status.ACCEPTED

    # The CSR Agreement signed online; the onboarding gate counts it.
    assert not lifecycle.admission_check(supplier=supplier).admissible
    page.click("nav a[href='/portal/agreements/']")
    page.click("#sign-csr_agreement")
    expect(page.locator("#agreement-text")).to_be_visible()
    page.fill("#agreement-sign-form [name=typed_name]", "Li Na")
    page.fill("#agreement-sign-form [name=title]", "General Manager")
    page.check("#agreement-sign-form [name=agree]")
    page.click("#sign-agreement")
    expect(page.locator("#agreement-list")).to_contain_text("Li Na")
    signed = Agreement.objects.get(supplier=supplier, kind=Agreement.Kind.CSR_AGREEMENT)
    assert signed.signed_by.startswith("Li Na") and signed.signed_on == timezone.localdate()
    assert lifecycle.admission_check(supplier=supplier).admissible

    # What is left in the inbox: the rectification, and the extension waiting for the company.
    page.click("nav a[href='/portal/inbox/']")
    expect(page.locator("#task-list li.task[data-kind=agreement_to_sign]")).to_have_count(0)
    expect(page.locator("#task-list li.task[data-kind=cap_due]")).to_have_count(0)
    expect(page.locator("#task-list li.task[data-kind=extension_pending]")).to_have_count(1)
    assert Finding.objects.get(pk=finding.pk).cap.status == "approved"
