"""The auditor's pages: their agency's audits only, the audit filled in, findings by form with evidence, the
report submitted, returned with a reason and resubmitted, closure verified by a follow-up audit, in English
and Chinese; the agency's admin page invites auditors; a deactivated agency has no access."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit, CorrectiveActionPlan, Evidence, Finding
from common.models import PortalAccount
from portal.templatetags.portal import when_text
from suppliers import roles
from tests.factories import AuditFactory, FindingFactory, SupplierFactory, UserFactory, provision
from tests.portal.conftest import accepted_audit, auditor_login

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240
TODAY = dt.date.today()


def in_progress(agency, **kwargs) -> Audit:
    return AuditFactory(
        agency=agency,
        status=Audit.Status.IN_PROGRESS,
        actual_start=TODAY - dt.timedelta(days=2),
        planned_start=TODAY - dt.timedelta(days=2),
        planned_end=TODAY,
        **kwargs,
    )


def html(response) -> str:
    return response.content.decode()


def field_errors(response, name: str) -> str:
    """The text of the field's block in the form (``{% form_fields %}`` gives it the id field-<name>)."""
    match = re.search(rf'<div class="field[^"]*" id="field-{name}">(.*?)</div>', html(response), re.S)
    assert match, f"no field {name} on the page"
    return match.group(1)


def message_texts(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def ready_to_submit(audit: Audit, by) -> Audit:
    services.audit_update(audit=audit, by=by, actual_end=TODAY, score=Decimal("172"))
    services.audit_attach_report(
        audit=audit, upload=SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"), by=by
    )
    return audit


# --- Scope --------------------------------------------------------------------------------------------------


def test_the_audit_list_shows_only_the_agencys_audits(agency_a, agency_b):
    mine = in_progress(agency_a.agency, supplier=SupplierFactory(code="SUP-MINE", name="Mine Co"))
    theirs = in_progress(agency_b.agency, supplier=SupplierFactory(code="SUP-THEIRS", name="Theirs Co"))

    page = agency_a.client.get(reverse("portal:agency_audits"))

    assert page.status_code == 200
    assert mine.reference in html(page) and "SUP-MINE" in html(page) and "Mine Co" in html(page)
    assert theirs.reference not in html(page) and "SUP-THEIRS" not in html(page)


def other_agency_urls(audit: Audit, finding: Finding) -> list[tuple[str, str]]:
    return [
        ("get", reverse("portal:agency_audit", args=[audit.pk])),
        ("post", reverse("portal:agency_audit", args=[audit.pk])),
        ("post", reverse("portal:agency_audit_start", args=[audit.pk])),
        ("post", reverse("portal:agency_audit_report", args=[audit.pk])),
        ("post", reverse("portal:agency_audit_submit", args=[audit.pk])),
        ("get", reverse("portal:agency_finding_new", args=[audit.pk])),
        ("post", reverse("portal:agency_finding_new", args=[audit.pk])),
        ("get", reverse("portal:agency_finding", args=[finding.pk])),
        ("post", reverse("portal:agency_finding", args=[finding.pk])),
        ("post", reverse("portal:agency_finding_evidence", args=[finding.pk])),
        ("get", reverse("portal:agency_workbook", args=[audit.pk])),
        ("post", reverse("portal:agency_workbook", args=[audit.pk])),
        ("get", reverse("portal:agency_verify", args=[finding.pk])),
        ("post", reverse("portal:agency_verify", args=[finding.pk])),
    ]


def test_another_agencys_audit_finding_workbook_and_verify_pages_are_404(agency_a, agency_b):
    audit = in_progress(agency_b.agency)
    finding = FindingFactory(audit=audit)

    answers = {
        url: getattr(agency_a.client, method)(url).status_code
        for method, url in other_agency_urls(audit, finding)
    }

    assert set(answers.values()) == {404}, answers
    assert Finding.objects.get(pk=finding.pk).description == finding.description


def test_a_supplier_contact_is_sent_to_their_own_pages(supplier_a, agency_a):
    audit = in_progress(agency_a.agency, supplier=supplier_a.supplier)

    response = supplier_a.client.get(reverse("portal:agency_audit", args=[audit.pk]))

    assert response.status_code == 302 and response["Location"] == reverse("portal:inbox")


def test_a_deactivated_agency_has_no_access_at_once(agency_a):
    audit = in_progress(agency_a.agency)
    assert agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk])).status_code == 200

    agency_a.agency.active = False
    agency_a.agency.save()

    for url in (reverse("portal:agency_audits"), reverse("portal:agency_audit", args=[audit.pk])):
        response = agency_a.client.get(url)
        assert response.status_code in (302, 403, 404), url
        assert audit.reference not in html(response)
    refused = agency_a.client.post(reverse("portal:agency_audit_start", args=[audit.pk]))
    assert refused.status_code in (302, 403, 404)


# --- The list -----------------------------------------------------------------------------------------------


def test_the_list_shows_the_report_due_date_by_the_agencys_policy(agency_a):
    audit = in_progress(agency_a.agency)
    services.audit_update(
        audit=audit,
        by=agency_a.user,
        actual_start=TODAY - dt.timedelta(days=22),
        actual_end=TODAY - dt.timedelta(days=20),
    )

    page = agency_a.client.get(reverse("portal:agency_audits"))

    row = re.search(rf'<tr id="audit-{audit.pk}".*?</tr>', html(page), re.S).group(0)
    due = TODAY - dt.timedelta(days=20) + dt.timedelta(days=14)
    assert f"{due:%Y-%m-%d}" in row and when_text(6) in row and "due-overdue" in row


def test_the_list_filters_by_status(agency_a):
    open_audit = in_progress(agency_a.agency)
    closed = AuditFactory(agency=agency_a.agency, status=Audit.Status.CLOSED)

    page = agency_a.client.get(reverse("portal:agency_audits"), {"status": "closed"})

    assert closed.reference in html(page) and open_audit.reference not in html(page)


def test_the_list_counts_findings_and_marks_a_returned_report(agency_a, esg_manager):
    audit = ready_to_submit(in_progress(agency_a.agency), agency_a.user)
    FindingFactory(audit=audit)
    FindingFactory(audit=audit)
    services.audit_submit(audit=audit, by=agency_a.user)
    services.audit_return(audit=audit, by=esg_manager, reason="Photos missing.")

    page = agency_a.client.get(reverse("portal:agency_audits"))

    row = re.search(rf'<tr id="audit-{audit.pk}".*?</tr>', html(page), re.S).group(0)
    assert '<td data-label="Findings" class="findings-count">2</td>' in row
    assert "badge-returned" in row


@pytest.mark.parametrize("rows", [2, 20])
def test_the_list_runs_a_fixed_number_of_queries(agency_a, django_assert_max_num_queries, rows):
    for _ in range(rows):
        FindingFactory(audit=in_progress(agency_a.agency))

    with django_assert_max_num_queries(11):
        page = agency_a.client.get(reverse("portal:agency_audits"))

    assert len(re.findall(r'class="audit-row"', html(page))) == rows


@pytest.mark.parametrize("findings", [2, 20])
def test_the_audit_page_runs_a_fixed_number_of_queries(agency_a, django_assert_max_num_queries, findings):
    audit = in_progress(agency_a.agency)
    for _ in range(findings):
        FindingFactory(audit=audit)

    with django_assert_max_num_queries(11):
        page = agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk]))

    assert len(re.findall(r'class="finding-row"', html(page))) == findings


# --- The audit ----------------------------------------------------------------------------------------------


def test_starting_and_filling_in_the_audit_records_it_in_its_history(agency_a):
    audit = AuditFactory(
        agency=agency_a.agency, planned_start=TODAY, planned_end=TODAY + dt.timedelta(days=2)
    )
    url = reverse("portal:agency_audit", args=[audit.pk])
    assert 'id="start-audit"' in html(agency_a.client.get(url))

    started = agency_a.client.post(reverse("portal:agency_audit_start", args=[audit.pk]), follow=True)
    saved = agency_a.client.post(
        url,
        {
            "audit-actual_start": f"{TODAY:%Y-%m-%d}",
            "audit-actual_end": f"{TODAY + dt.timedelta(days=2):%Y-%m-%d}",
            "audit-score": "171.5",
            "audit-summary": "Two days on site.",
        },
        follow=True,
    )

    audit.refresh_from_db()
    assert audit.status == Audit.Status.IN_PROGRESS and audit.actual_start == TODAY
    assert audit.actual_end == TODAY + dt.timedelta(days=2) and audit.score == Decimal("171.5")
    assert "started" in message_texts(started)[0] and "saved" in message_texts(saved)[0]
    assert audit.history.latest().history_user == agency_a.user


def test_a_score_above_200_is_refused_on_its_field(agency_a):
    audit = in_progress(agency_a.agency)

    response = agency_a.client.post(reverse("portal:agency_audit", args=[audit.pk]), {"audit-score": "250"})

    assert response.status_code == 200
    assert "200" in field_errors(response, "audit-score") and "errorlist" in field_errors(
        response, "audit-score"
    )
    assert Audit.objects.get(pk=audit.pk).score is None


def test_an_end_before_the_start_is_refused_by_the_service_on_the_field(agency_a):
    audit = in_progress(agency_a.agency)

    response = agency_a.client.post(
        reverse("portal:agency_audit", args=[audit.pk]),
        {
            "audit-actual_start": f"{TODAY:%Y-%m-%d}",
            "audit-actual_end": f"{TODAY - dt.timedelta(days=5):%Y-%m-%d}",
        },
    )

    assert "The actual end is before the actual start." in field_errors(response, "audit-actual_end")


def test_the_report_file_is_attached_and_downloadable(agency_a):
    audit = in_progress(agency_a.agency)

    agency_a.client.post(
        reverse("portal:agency_audit_report", args=[audit.pk]),
        {"report-file": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf")},
    )

    audit.refresh_from_db()
    assert audit.report
    page = agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk]))
    assert audit.report.url in html(page)
    assert agency_a.client.get(audit.report.url).status_code == 200


def test_a_report_that_is_not_a_document_is_refused_naming_the_file(agency_a):
    audit = in_progress(agency_a.agency)

    response = agency_a.client.post(
        reverse("portal:agency_audit_report", args=[audit.pk]),
        {"report-file": SimpleUploadedFile("report.pdf", EXE, content_type="application/pdf")},
    )

    assert response.status_code == 200
    assert "report.pdf:" in field_errors(response, "report-file")
    assert not Audit.objects.get(pk=audit.pk).report


# --- Findings -----------------------------------------------------------------------------------------------


def finding_data(**changes) -> dict:
    return {
        "provision": provision("A3").pk,
        "severity": "major",
        "red_line": "",
        "description": "Overtime above 60 hours a week.",
        "evidence_notes": "Timesheets of March, interviews with 12 workers.",
        **changes,
    }


def test_a_finding_is_recorded_by_code_provision(agency_a):
    audit = in_progress(agency_a.agency)

    response = agency_a.client.post(
        reverse("portal:agency_finding_new", args=[audit.pk]), finding_data(), follow=True
    )

    finding = Finding.objects.get(audit=audit)
    assert (finding.provision.code, finding.severity, finding.number) == ("A3", "major", 1)
    assert finding.evidence_notes == "Timesheets of March, interviews with 12 workers."
    assert response.redirect_chain[-1][0] == reverse("portal:agency_finding", args=[finding.pk])
    assert f"Finding {finding.reference} recorded." in message_texts(response)[0]
    assert finding.history.latest().history_user == agency_a.user


def test_the_provision_picker_groups_the_provisions_by_section(agency_a):
    audit = in_progress(agency_a.agency)

    page = html(agency_a.client.get(reverse("portal:agency_finding_new", args=[audit.pk])))

    groups = re.findall(r'<optgroup label="([^"]+)">', page)
    assert groups == ["A Labor", "B Health &amp; Safety", "C Environment", "D Ethics", "E Management System"]
    assert f'<option value="{provision("A3").pk}">A3 Working Hours</option>' in page


def test_a_red_line_finding_of_minor_severity_is_refused_with_the_message_on_the_severity_field(agency_a):
    audit = in_progress(agency_a.agency)

    response = agency_a.client.post(
        reverse("portal:agency_finding_new", args=[audit.pk]), finding_data(severity="minor", red_line="4")
    )

    assert response.status_code == 200
    assert "A red-line finding is at least priority" in field_errors(response, "severity")
    assert not Finding.objects.filter(audit=audit).exists()


def test_a_finding_is_changed_from_its_page(agency_a):
    finding = FindingFactory(audit=in_progress(agency_a.agency))

    agency_a.client.post(
        reverse("portal:agency_finding", args=[finding.pk]),
        finding_data(provision=provision("B1").pk, severity="priority", red_line="6"),
    )

    finding.refresh_from_db()
    assert (finding.provision.code, finding.severity, finding.red_line) == ("B1", "priority", "6")


def test_evidence_is_attached_to_a_finding_as_the_auditors(agency_a):
    finding = FindingFactory(audit=in_progress(agency_a.agency))

    response = agency_a.client.post(
        reverse("portal:agency_finding_evidence", args=[finding.pk]),
        {
            "file": SimpleUploadedFile("timesheet.pdf", PDF, content_type="application/pdf"),
            "description": "March",
        },
        follow=True,
    )

    evidence = Evidence.objects.get(finding=finding)
    assert (evidence.purpose, evidence.original_name, evidence.uploaded_by) == (
        "finding",
        "timesheet.pdf",
        agency_a.user,
    )
    assert "timesheet.pdf" in html(response) and evidence.file.url in html(response)


def test_evidence_that_is_not_a_document_is_refused_naming_the_file(agency_a):
    finding = FindingFactory(audit=in_progress(agency_a.agency))

    response = agency_a.client.post(
        reverse("portal:agency_finding_evidence", args=[finding.pk]),
        {"file": SimpleUploadedFile("photo.png", EXE, content_type="image/png")},
    )

    assert "photo.png:" in field_errors(response, "file")
    assert not Evidence.objects.filter(finding=finding).exists()


# --- Submitting, returned, resubmitted ----------------------------------------------------------------------


def test_submitting_without_the_report_file_says_what_is_missing(agency_a):
    audit = in_progress(agency_a.agency)

    response = agency_a.client.post(reverse("portal:agency_audit_submit", args=[audit.pk]), follow=True)

    assert (
        f"Audit {audit.reference} cannot be submitted without: actual_end, score, report."
        in message_texts(response)
    )
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_PROGRESS


def test_a_submitted_report_is_read_only(agency_a):
    audit = ready_to_submit(in_progress(agency_a.agency), agency_a.user)
    finding = FindingFactory(audit=audit)
    page = html(agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk])))
    assert 'id="submit-report"' in page and "data-confirm=" in page

    agency_a.client.post(reverse("portal:agency_audit_submit", args=[audit.pk]))

    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.REPORT_SUBMITTED
    page = html(agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk])))
    assert 'id="read-only"' in page
    assert not any(
        f'id="{form}"' in page for form in ("audit-form", "report-form", "workbook-form", "submit-form")
    )
    refused = agency_a.client.post(reverse("portal:agency_finding", args=[finding.pk]), finding_data())
    assert "it can no longer be changed by the agency" in html(refused)
    assert Finding.objects.get(pk=finding.pk).severity == finding.severity


def test_a_returned_report_shows_why_then_is_fixed_and_submitted_again(agency_a, esg_manager):
    audit = ready_to_submit(in_progress(agency_a.agency), agency_a.user)
    finding = FindingFactory(audit=audit, severity="minor")
    services.audit_submit(audit=audit, by=agency_a.user)
    services.audit_return(audit=audit, by=esg_manager, reason="F01 is a fire exit blocked: that is priority.")

    page = agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk]))

    reason = re.search(
        r'<div class="alert alert-warning returned" id="returned-reason".*?</div>\s*<p>', html(page), re.S
    )
    assert reason and "F01 is a fire exit blocked: that is priority." in reason.group(0)
    agency_a.client.post(
        reverse("portal:agency_finding", args=[finding.pk]),
        finding_data(provision=provision("B2").pk, severity="priority", red_line="7"),
    )
    agency_a.client.post(reverse("portal:agency_audit_submit", args=[audit.pk]))

    audit.refresh_from_db()
    assert audit.status == Audit.Status.REPORT_SUBMITTED and not audit.is_returned
    assert Finding.objects.get(pk=finding.pk).red_line == "7"
    assert 'id="returned-reason"' not in html(
        agency_a.client.get(reverse("portal:agency_audit", args=[audit.pk]))
    )


def test_the_admin_shows_why_a_report_was_returned(client, agency_a, esg_manager):
    audit = ready_to_submit(in_progress(agency_a.agency), agency_a.user)
    services.audit_submit(audit=audit, by=agency_a.user)
    client.force_login(esg_manager)

    client.post(reverse("admin:audits_audit_return", args=[audit.pk]), {"reason": "Score sheet missing."})

    page = client.get(reverse("admin:audits_audit_change", args=[audit.pk]))
    assert "Score sheet missing." in html(page)
    audit.refresh_from_db()
    assert (audit.returned_reason, audit.returned_by) == ("Score sheet missing.", esg_manager)


# --- Closure verification -----------------------------------------------------------------------------------


def implemented_finding(*, supplier, agency) -> Finding:
    audit = accepted_audit(supplier=supplier, agency=agency, findings=[{"severity": "major"}])
    finding = audit.findings.get()
    CorrectiveActionPlan.objects.filter(finding=finding).update(
        status=CorrectiveActionPlan.Status.IMPLEMENTED
    )
    return finding


def test_a_follow_up_audit_of_the_agency_verifies_the_closure(agency_a):
    supplier = SupplierFactory(code="SUP-V")
    finding = implemented_finding(supplier=supplier, agency=agency_a.agency)
    follow_up = in_progress(agency_a.agency, supplier=supplier, type=Audit.Type.FOLLOW_UP)
    url = reverse("portal:agency_verify", args=[finding.pk])
    page = html(agency_a.client.get(url))
    assert f'<option value="{follow_up.pk}"' in page and f'<option value="{finding.audit_id}"' not in page

    response = agency_a.client.post(
        url, {"follow_up_audit": follow_up.pk, "note": "Fire exits clear."}, follow=True
    )

    finding.refresh_from_db()
    assert finding.is_closed and finding.verification.method == "follow_up_audit"
    assert (
        finding.verification.follow_up_audit == follow_up
        and finding.verification.verified_by == agency_a.user
    )
    assert f"verified by follow-up audit {follow_up.reference}" in message_texts(response)[0]


def test_a_closure_cannot_name_another_agencys_audit(agency_a, agency_b):
    supplier = SupplierFactory(code="SUP-W")
    finding = implemented_finding(supplier=supplier, agency=agency_a.agency)
    in_progress(agency_a.agency, supplier=supplier)
    theirs = in_progress(agency_b.agency, supplier=supplier)

    response = agency_a.client.post(
        reverse("portal:agency_verify", args=[finding.pk]), {"follow_up_audit": theirs.pk}
    )

    assert response.status_code == 200 and "errorlist" in field_errors(response, "follow_up_audit")
    assert not Finding.objects.get(pk=finding.pk).is_closed


def test_a_closure_of_a_plan_not_implemented_is_refused_with_the_services_message(agency_a):
    supplier = SupplierFactory(code="SUP-X")
    audit = accepted_audit(supplier=supplier, agency=agency_a.agency, findings=[{"severity": "major"}])
    finding = audit.findings.get()
    follow_up = in_progress(agency_a.agency, supplier=supplier)

    response = agency_a.client.post(
        reverse("portal:agency_verify", args=[finding.pk]), {"follow_up_audit": follow_up.pk}
    )

    assert "only an implemented plan can be verified" in html(response)
    assert not Finding.objects.get(pk=finding.pk).is_closed


# --- Chinese ------------------------------------------------------------------------------------------------


def test_the_auditors_pages_are_in_chinese_for_a_zh_hans_auditor(agency_a):
    auditor = auditor_login(agency_a.agency, email="zhang.wei@alpha-audits.example", language="zh-hans")
    audit = in_progress(agency_a.agency)
    FindingFactory(audit=audit, provision=provision("A3"), severity="priority", red_line="4")

    listing = html(auditor.client.get(reverse("portal:agency_audits")))
    page = html(auditor.client.get(reverse("portal:agency_audit", args=[audit.pk])))
    new = auditor.client.get(reverse("portal:agency_finding_new", args=[audit.pk]))

    assert "审核" in listing and "进行中" in listing
    assert "A3 工作时间" in page and "优先" in page and "提交报告" in page
    assert "A 劳工" in html(new)
    refused = auditor.client.post(
        reverse("portal:agency_finding_new", args=[audit.pk]), finding_data(severity="minor", red_line="4")
    )
    assert "红线" in field_errors(refused, "severity")


# --- Admin: inviting auditors -------------------------------------------------------------------------------


def test_the_agency_admin_page_invites_an_auditor_with_the_welcome_link(
    client, esg_manager, agency_a, django_capture_on_commit_callbacks
):
    client.force_login(esg_manager)
    change = html(client.get(reverse("admin:audits_auditagency_change", args=[agency_a.agency.pk])))
    invite = reverse("admin:audits_auditagency_invite", args=[agency_a.agency.pk])
    assert invite in change

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            invite, {"email": "Chen.Jie@Alpha-Audits.example", "name": "Chen Jie", "language": "zh-hans"}
        )

    assert response.status_code == 302
    [message] = mail.outbox
    assert message.to == ["chen.jie@alpha-audits.example"]
    assert "/portal/welcome/" in message.body
    auditor = agency_a.agency.auditors.get(user__email="chen.jie@alpha-audits.example")
    assert PortalAccount.objects.get(user=auditor.user).language == "zh-hans"


def test_the_agency_admin_page_lists_its_auditors_with_whether_they_joined(client, esg_manager, agency_a):
    PortalAccount.objects.filter(user=agency_a.user).update(joined_at=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    invited = auditor_login(agency_a.agency, email="new@alpha-audits.example")
    PortalAccount.objects.filter(user=invited.user).update(invited_at=dt.datetime(2026, 3, 2, tzinfo=dt.UTC))
    client.force_login(esg_manager)

    page = html(client.get(reverse("admin:audits_auditagency_change", args=[agency_a.agency.pk])))

    assert "Joined 2026-03-01" in page
    assert "Invited 2026-03-02" in page and "not joined yet" in page
    again = re.search(r'<a class="auditor-reinvite" href="([^"]+)">Send the invitation again</a>', page)
    form = html(client.get(again.group(1).replace("&amp;", "&")))
    assert 'value="new@alpha-audits.example"' in form and 'id="invite-auditor-form"' in form


def test_inviting_an_auditor_of_another_agency_is_refused_on_the_form(
    client, esg_manager, agency_a, agency_b
):
    client.force_login(esg_manager)

    response = client.post(
        reverse("admin:audits_auditagency_invite", args=[agency_a.agency.pk]),
        {"email": agency_b.user.email, "name": "", "language": ""},
    )

    assert response.status_code == 200
    assert "already an auditor of Beta Audits" in html(response)
    assert not mail.outbox


def test_a_user_who_may_not_change_agencies_cannot_invite(client, agency_a):
    buyer = UserFactory(username="buyer-x", role=roles.PROCUREMENT)
    client.force_login(buyer)

    response = client.post(
        reverse("admin:audits_auditagency_invite", args=[agency_a.agency.pk]), {"email": "x@example.com"}
    )

    assert response.status_code == 403
    assert not mail.outbox
