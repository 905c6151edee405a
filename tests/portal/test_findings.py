"""The supplier's audits and findings in the portal, and their work on a finding: the corrective action plan,
monthly progress with evidence, rectification evidence, extension requests. Only their own company's, never
the auditor's notes or evidence."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit, CorrectiveActionPlan, Evidence, ExtensionRequest, Finding, ProgressUpdate
from suppliers import roles
from tests.factories import AuditFactory, FindingFactory, SupplierFactory, UserFactory
from tests.portal.conftest import accepted_audit, contact_login

TODAY = dt.date(2026, 6, 15)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240
NOTES = "Worker Zhang Wei (ID 4402) said overtime is unpaid"

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(9, 0), tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def esg_manager():
    return UserFactory(username="esg-reviewer", role=roles.ESG_MANAGER)


@pytest.fixture
def audit_a(supplier_a, agency_a) -> Audit:
    return accepted_audit(
        supplier=supplier_a.supplier,
        agency=agency_a.agency,
        on=TODAY - dt.timedelta(days=40),
        findings=[
            {"severity": "priority", "red_line": "4", "evidence_notes": NOTES},
            {"severity": "major"},
            {"severity": "observation"},
        ],
    )


@pytest.fixture
def red(audit_a) -> Finding:
    return audit_a.findings.get(red_line="4")


@pytest.fixture
def major(audit_a) -> Finding:
    return audit_a.findings.get(severity="major")


def url(name: str, finding: Finding | Audit) -> str:
    return reverse(f"portal:{name}", args=[finding.pk])


def plan(**changes) -> dict:
    return {
        "root_cause": "No overtime cap in the scheduling system",
        "corrective_action": "Cap weekly hours at 60 in the scheduling system",
        "preventive_action": "Monthly review of working hours by HR",
        "owner": "Li Na, HR manager",
        "planned_completion": "2026-07-20",
        **changes,
    }


def pdf(name: str = "payroll-june.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def auditor_evidence(finding: Finding) -> Evidence:
    evidence = Evidence(
        finding=finding,
        purpose=Evidence.Purpose.FINDING,
        original_name="interview-photos-workers.pdf",
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
    )
    evidence.file.save("interview-photos-workers.pdf", ContentFile(PDF), save=False)
    evidence.save()
    return evidence


# --- Audits and findings (read) ------------------------------------------------------------------------


def test_the_audits_page_lists_the_suppliers_accepted_audits_only(supplier_a, supplier_b, agency_a, audit_a):
    theirs = accepted_audit(supplier=supplier_b.supplier, agency=agency_a.agency)
    in_progress = AuditFactory(
        supplier=supplier_a.supplier, agency=agency_a.agency, status=Audit.Status.IN_PROGRESS
    )

    html = supplier_a.client.get(reverse("portal:supplier_audits")).content.decode()

    assert audit_a.reference in html
    assert theirs.reference not in html
    assert in_progress.reference not in html


def test_the_audit_page_lists_its_findings_with_provision_severity_and_red_line(supplier_a, audit_a, red):
    html = supplier_a.client.get(url("supplier_audit", audit_a)).content.decode()

    assert red.reference in html
    assert "A3 " in html
    assert "Priority" in html
    assert red.get_red_line_display() in html
    assert red.rectification_due.strftime("%Y-%m-%d") in html


def test_the_auditors_notes_and_evidence_never_appear(supplier_a, audit_a, red):
    auditor_evidence(red)

    pages = [
        url("supplier_audit", audit_a),
        *(
            url(name, red)
            for name in (
                "finding",
                "finding_cap",
                "finding_progress",
                "finding_extension",
                "finding_rectification",
            )
        ),
    ]

    for page in pages:
        html = supplier_a.client.get(page).content.decode()
        assert "Zhang Wei" not in html, page
        assert "interview-photos-workers" not in html, page


def test_the_finding_page_lists_the_suppliers_own_evidence_with_its_download_link(supplier_a, red):
    evidence = services.evidence_attach(
        finding=red,
        upload=pdf("fire-exit-photo.pdf"),
        by=supplier_a.user,
        purpose=Evidence.Purpose.RECTIFICATION,
    )

    html = supplier_a.client.get(url("finding", red)).content.decode()

    assert "fire-exit-photo.pdf" in html
    assert evidence.file.url in html
    assert supplier_a.client.get(evidence.file.url).status_code == 200


@pytest.mark.parametrize(
    "name", ["finding", "finding_cap", "finding_progress", "finding_extension", "finding_rectification"]
)
def test_another_suppliers_finding_pages_are_404(supplier_a, supplier_b, agency_a, name):
    theirs = accepted_audit(supplier=supplier_b.supplier, agency=agency_a.agency).findings.get()

    assert supplier_a.client.get(url(name, theirs)).status_code == 404
    assert supplier_a.client.post(url(name, theirs), plan()).status_code == 404
    assert supplier_b.client.get(url(name, theirs)).status_code == 200


def test_another_suppliers_audit_is_404(supplier_a, supplier_b, agency_a):
    theirs = accepted_audit(supplier=supplier_b.supplier, agency=agency_a.agency)

    assert supplier_a.client.get(url("supplier_audit", theirs)).status_code == 404


def test_a_finding_of_an_audit_not_yet_accepted_is_404(supplier_a, agency_a):
    audit = AuditFactory(
        supplier=supplier_a.supplier, agency=agency_a.agency, status=Audit.Status.REPORT_SUBMITTED
    )
    finding = FindingFactory(audit=audit)

    assert supplier_a.client.get(url("finding", finding)).status_code == 404
    assert supplier_a.client.get(url("supplier_audit", audit)).status_code == 404


# --- The corrective action plan ------------------------------------------------------------------------


def test_submitting_a_cap_records_it_submitted_by_the_portal_user(supplier_a, major):
    response = supplier_a.client.post(url("finding_cap", major), plan())

    assert response.status_code == 302
    cap = CorrectiveActionPlan.objects.get(finding=major)
    assert cap.status == CorrectiveActionPlan.Status.SUBMITTED
    assert cap.owner == "Li Na, HR manager"
    assert cap.history.latest().history_user == supplier_a.user
    page = supplier_a.client.get(response.url).content.decode()
    assert "is submitted" in page
    assert "Cap weekly hours at 60" in page


def test_a_cap_planned_after_the_rectification_due_date_is_refused_on_the_field(supplier_a, major):
    late = major.rectification_due + dt.timedelta(days=1)

    response = supplier_a.client.post(url("finding_cap", major), plan(planned_completion=f"{late:%Y-%m-%d}"))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "after the rectification due date" in errors["planned_completion"][0]
    assert "request an extension first" in errors["planned_completion"][0]
    assert not CorrectiveActionPlan.objects.filter(finding=major, status="submitted").exists()


def test_a_rejected_cap_shows_the_reviewers_reason_and_can_be_resubmitted(supplier_a, major, esg_manager):
    supplier_a.client.post(url("finding_cap", major), plan())
    services.cap_review(
        finding=major, by=esg_manager, approve=False, note="Say who checks the hours each week."
    )

    page = supplier_a.client.get(url("finding_cap", major)).content.decode()
    assert 'id="rejection-reason"' in page
    assert "Say who checks the hours each week." in page
    assert 'id="cap-form"' in page

    supplier_a.client.post(
        url("finding_cap", major), plan(preventive_action="HR checks the hours every Monday")
    )

    cap = CorrectiveActionPlan.objects.get(finding=major)
    assert cap.status == CorrectiveActionPlan.Status.SUBMITTED
    assert cap.preventive_action == "HR checks the hours every Monday"


def test_an_approved_cap_is_shown_without_a_form(supplier_a, major, esg_manager):
    supplier_a.client.post(url("finding_cap", major), plan())
    services.cap_review(finding=major, by=esg_manager, approve=True)

    page = supplier_a.client.get(url("finding_cap", major)).content.decode()

    assert 'id="current-cap"' in page
    assert 'id="cap-form"' not in page


def test_an_observation_needs_no_cap(supplier_a, audit_a):
    observation = audit_a.findings.get(severity="observation")

    page = supplier_a.client.get(url("finding_cap", observation)).content.decode()

    assert 'id="cap-form"' not in page
    assert "no corrective action plan is needed" in page


def test_a_service_refusal_reads_in_chinese_for_a_chinese_contact(agency_a):
    side = contact_login(SupplierFactory(code="SUP-ZH"), email="zhang.san@zh.example", language="zh-hans")
    finding = accepted_audit(
        supplier=side.supplier, agency=agency_a.agency, on=TODAY - dt.timedelta(days=5)
    ).findings.get()
    late = finding.rectification_due + dt.timedelta(days=1)

    response = side.client.post(url("finding_cap", finding), plan(planned_completion=f"{late:%Y-%m-%d}"))

    message = response.context["form"].errors["planned_completion"][0]
    assert "请先申请延期" in message
    assert f"{late:%Y-%m-%d}" in message


# --- Monthly progress ----------------------------------------------------------------------------------


def test_a_progress_report_with_a_pdf_is_recorded_with_its_evidence(supplier_a, red):
    response = supplier_a.client.post(
        url("finding_progress", red),
        {
            "month": "2026-05-01",
            "percent_complete": "40",
            "note": "Scheduling cap configured",
            "evidence": pdf(),
        },
    )

    assert response.status_code == 302
    update = ProgressUpdate.objects.get(finding=red)
    assert (update.month, update.percent_complete, update.submitted_by) == (
        dt.date(2026, 5, 1),
        40,
        supplier_a.user,
    )
    evidence = Evidence.objects.get(finding=red)
    assert (evidence.purpose, evidence.original_name) == (Evidence.Purpose.PROGRESS, "payroll-june.pdf")
    page = supplier_a.client.get(response.url).content.decode()
    assert "Scheduling cap configured" in page
    assert "payroll-june.pdf" in page


def test_a_progress_report_takes_several_files(supplier_a, red):
    supplier_a.client.post(
        url("finding_progress", red),
        {
            "month": "2026-05-01",
            "percent_complete": "40",
            "note": "Done",
            "evidence": [pdf("a.pdf"), pdf("b.pdf")],
        },
    )

    assert sorted(Evidence.objects.filter(finding=red).values_list("original_name", flat=True)) == [
        "a.pdf",
        "b.pdf",
    ]


def test_a_renamed_exe_is_refused_with_a_message_naming_the_file_and_nothing_is_recorded(supplier_a, red):
    response = supplier_a.client.post(
        url("finding_progress", red),
        {
            "month": "2026-05-01",
            "percent_complete": "40",
            "note": "Scheduling cap configured",
            "evidence": [
                pdf("ok.pdf"),
                SimpleUploadedFile("invoice.pdf", EXE, content_type="application/pdf"),
            ],
        },
    )

    assert response.status_code == 200
    [message] = response.context["form"].errors["evidence"]
    assert "invoice.pdf" in message
    assert not ProgressUpdate.objects.exists()
    assert not Evidence.objects.exists()


def test_the_progress_page_lists_past_reports(supplier_a, red):
    services.progress_submit(
        finding=red, by=supplier_a.user, month=dt.date(2026, 5, 1), percent_complete=30, note="Hiring started"
    )

    page = supplier_a.client.get(url("finding_progress", red)).content.decode()

    assert "2026-05" in page and "30%" in page and "Hiring started" in page


# --- Rectification evidence and the plan carried out ---------------------------------------------------


def test_rectification_evidence_then_the_approved_plan_reported_carried_out(supplier_a, major, esg_manager):
    supplier_a.client.post(url("finding_cap", major), plan())
    services.cap_review(finding=major, by=esg_manager, approve=True)

    supplier_a.client.post(
        url("finding_rectification", major), {"step": "evidence", "evidence": pdf("timesheets.pdf")}
    )
    response = supplier_a.client.post(
        url("finding_rectification", major), {"step": "implemented", "note": "All done"}
    )

    assert response.status_code == 302
    assert Evidence.objects.get(finding=major).purpose == Evidence.Purpose.RECTIFICATION
    cap = CorrectiveActionPlan.objects.get(finding=major)
    assert (cap.status, cap.implementation_note) == (CorrectiveActionPlan.Status.IMPLEMENTED, "All done")
    assert cap.history.latest().history_user == supplier_a.user


def test_reporting_the_plan_carried_out_without_evidence_is_refused(supplier_a, major, esg_manager):
    supplier_a.client.post(url("finding_cap", major), plan())
    services.cap_review(finding=major, by=esg_manager, approve=True)

    response = supplier_a.client.post(url("finding_rectification", major), {"step": "implemented"})

    assert response.status_code == 200
    assert "Attach rectification evidence" in response.content.decode()
    assert CorrectiveActionPlan.objects.get(finding=major).status == CorrectiveActionPlan.Status.APPROVED


# --- Extension requests --------------------------------------------------------------------------------


def test_an_extension_request_is_recorded_and_waits_for_the_decision(supplier_a, major):
    later = major.rectification_due + dt.timedelta(days=30)

    response = supplier_a.client.post(
        url("finding_extension", major),
        {"requested_due": f"{later:%Y-%m-%d}", "reason": "Dormitory permit pending"},
    )

    assert response.status_code == 302
    request = ExtensionRequest.objects.get(finding=major)
    assert (request.status, request.requested_due, request.requested_by) == (
        "pending",
        later,
        supplier_a.user,
    )
    page = supplier_a.client.get(response.url).content.decode()
    assert 'id="extension-pending"' in page
    assert 'id="extension-form"' not in page


def test_an_extension_not_later_than_the_current_due_date_is_refused_with_the_services_message(
    supplier_a, major
):
    response = supplier_a.client.post(
        url("finding_extension", major),
        {"requested_due": f"{major.rectification_due:%Y-%m-%d}", "reason": "Dormitory permit pending"},
    )

    assert response.status_code == 200
    [message] = response.context["form"].errors["requested_due"]
    assert f"after the current due date {major.rectification_due:%Y-%m-%d}" in message
    assert not ExtensionRequest.objects.exists()


def test_a_decided_extension_shows_the_companys_reason(supplier_a, major, esg_manager):
    request = services.extension_request(
        finding=major,
        by=supplier_a.user,
        requested_due=major.rectification_due + dt.timedelta(days=9),
        reason="x",
    )
    services.extension_decide(
        extension=request, by=esg_manager, approve=False, reason="Send the permit letter"
    )

    page = supplier_a.client.get(url("finding_extension", major)).content.decode()

    assert "Send the permit letter" in page
    assert 'id="extension-form"' in page


# --- Bounded queries -----------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [2, 20])
def test_the_audit_page_reads_a_fixed_number_of_queries(
    supplier_a, agency_a, django_assert_max_num_queries, count
):
    audit = accepted_audit(
        supplier=supplier_a.supplier,
        agency=agency_a.agency,
        findings=[{"severity": "major"} for _ in range(count)],
    )
    for finding in audit.findings.all()[:2]:
        services.cap_submit(finding=finding, by=supplier_a.user, **{**plan(), "planned_completion": TODAY})

    with django_assert_max_num_queries(12):
        response = supplier_a.client.get(url("supplier_audit", audit))

    assert len(response.context["rows"]) == count


@pytest.mark.parametrize("count", [2, 20])
def test_the_audits_page_reads_a_fixed_number_of_queries(
    supplier_a, agency_a, django_assert_max_num_queries, count
):
    for _ in range(count):
        accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency)

    with django_assert_max_num_queries(10):
        response = supplier_a.client.get(reverse("portal:supplier_audits"))

    assert len(response.context["audits"]) == count
