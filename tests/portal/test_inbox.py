"""The supplier contact's task inbox: their own company's tasks, most urgent first, each with its due date,
days left or overdue and escalation stage, in their language."""

from __future__ import annotations

import datetime as dt
import html as htmllib
import re

import pytest
import time_machine
from django.urls import reverse

from audits import services
from audits.models import Audit, Finding
from minerals.models import MineralsPolicy
from reminders import registry
from suppliers import roles
from suppliers.models import Agreement, Supplier
from tests.factories import AgreementFactory, AuditFactory, SupplierFactory, UserFactory
from tests.portal.conftest import accepted_audit, contact_login

TODAY = dt.date(2026, 6, 15)
INBOX = reverse("portal:inbox")

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _today():
    with time_machine.travel(dt.datetime.combine(TODAY, dt.time(9, 0), tzinfo=dt.UTC), tick=False):
        yield


@pytest.fixture
def esg_manager():
    return UserFactory(username="esg-reviewer", role=roles.ESG_MANAGER)


def days_ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def agreements_signed(supplier) -> None:
    for kind in Agreement.Kind.values:
        AgreementFactory(supplier=supplier, kind=kind, signed_on=days_ago(10))


def tasks(response) -> list[tuple[str, str]]:
    """The inbox's tasks in their order, as (kind, text)."""
    html = response.content.decode()
    found = re.findall(r'<li class="task[^"]*" data-kind="([^"]+)"[^>]*>(.*?)</li>', html, flags=re.S)
    return [
        (kind, htmllib.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)).strip()))
        for kind, body in found
    ]


def finding_of(audit: Audit, number_index: int = 0) -> Finding:
    return audit.findings.order_by("number")[number_index]


def submit_plan(finding: Finding, by, planned: dt.date | None = None) -> None:
    services.cap_submit(
        finding=finding,
        by=by,
        root_cause="Peak season staffing",
        corrective_action="Hire temporary workers",
        preventive_action="Capacity planning each quarter",
        owner="Plant manager",
        planned_completion=planned or finding.rectification_due,
    )


def test_a_red_line_cap_overdue_at_stage_2_comes_before_a_minor_rectification_due_in_20_days(
    supplier_a, agency_a
):
    agreements_signed(supplier_a.supplier)
    minor = finding_of(
        accepted_audit(
            supplier=supplier_a.supplier,
            agency=agency_a.agency,
            on=days_ago(100),
            findings=[{"severity": "minor"}],
        )
    )
    submit_plan(minor, supplier_a.user)
    red = finding_of(
        accepted_audit(
            supplier=supplier_a.supplier,
            agency=agency_a.agency,
            on=days_ago(22),
            findings=[{"severity": "priority", "red_line": "4"}],
        )
    )

    listed = tasks(supplier_a.client.get(INBOX))

    first_kind, first_text = listed[0]
    assert first_kind == "cap_due"
    assert red.reference in first_text and "red line 4" in first_text
    assert "overdue by 15 days" in first_text and "Stage 2" in first_text
    assert str(registry.get("cap_due").action) in first_text
    minor_rectification = [
        text for kind, text in listed if kind == "rectification_due" and minor.reference in text
    ]
    assert minor_rectification and "due in 20 days" in minor_rectification[0]
    assert listed.index(("rectification_due", minor_rectification[0])) > 0


def test_each_task_links_to_the_portal_page_where_to_act(supplier_a, agency_a):
    agreements_signed(supplier_a.supplier)
    finding = finding_of(
        accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(10))
    )

    html = supplier_a.client.get(INBOX).content.decode()

    assert reverse("portal:finding_cap", args=[finding.pk]) in html
    assert reverse("portal:finding_rectification", args=[finding.pk]) in html
    assert "/admin/" not in html


def test_a_rejected_cap_shows_the_reviewers_reason_and_asks_to_resubmit(supplier_a, agency_a, esg_manager):
    agreements_signed(supplier_a.supplier)
    finding = finding_of(accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(5)))
    submit_plan(finding, supplier_a.user)
    services.cap_review(
        finding=finding, by=esg_manager, approve=False, note="The root cause stops at the symptom."
    )

    listed = dict(tasks(supplier_a.client.get(INBOX)))

    assert "The root cause stops at the symptom." in listed["cap_due"]
    assert "Resubmit the corrective action plan" in listed["cap_due"]


def test_a_submitted_cap_is_no_longer_a_task(supplier_a, agency_a):
    agreements_signed(supplier_a.supplier)
    finding = finding_of(accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(5)))
    submit_plan(finding, supplier_a.user)

    kinds = [kind for kind, _ in tasks(supplier_a.client.get(INBOX))]

    assert "cap_due" not in kinds
    assert "rectification_due" in kinds


def test_a_missing_progress_report_shows_the_month_it_is_on(supplier_a, agency_a):
    agreements_signed(supplier_a.supplier)
    finding = finding_of(
        accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(60))
    )
    submit_plan(finding, supplier_a.user)

    listed = dict(tasks(supplier_a.client.get(INBOX)))

    assert "Progress report on 2026-05" in listed["progress_missing"]
    assert "overdue by 10 days" in listed["progress_missing"]  # due on 5 June
    assert (
        reverse("portal:finding_progress", args=[finding.pk]) in supplier_a.client.get(INBOX).content.decode()
    )


def test_a_pending_extension_request_waits_for_the_companys_decision(supplier_a, agency_a):
    agreements_signed(supplier_a.supplier)
    finding = finding_of(accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(5)))
    services.extension_request(
        finding=finding,
        by=supplier_a.user,
        requested_due=finding.rectification_due + dt.timedelta(days=30),
        reason="Dormitory permit pending",
    )

    listed = dict(tasks(supplier_a.client.get(INBOX)))

    assert "Waiting for the company's decision" in listed["extension_pending"]


def test_a_decided_extension_shows_its_answer(supplier_a, agency_a, esg_manager):
    agreements_signed(supplier_a.supplier)
    audit = accepted_audit(
        supplier=supplier_a.supplier,
        agency=agency_a.agency,
        on=days_ago(5),
        findings=[{"severity": "major"}, {"severity": "minor"}],
    )
    approved_finding, refused_finding = finding_of(audit, 0), finding_of(audit, 1)
    new_due = approved_finding.rectification_due + dt.timedelta(days=20)
    approved = services.extension_request(
        finding=approved_finding, by=supplier_a.user, requested_due=new_due, reason="Permit pending"
    )
    refused = services.extension_request(
        finding=refused_finding,
        by=supplier_a.user,
        requested_due=new_due + dt.timedelta(days=60),
        reason="Busy",
    )
    services.extension_decide(extension=approved, by=esg_manager, approve=True, reason="Permit letter seen")
    services.extension_decide(extension=refused, by=esg_manager, approve=False, reason="Busy is not a reason")

    listed = dict(tasks(supplier_a.client.get(INBOX)))

    assert f"the new rectification due date is {new_due:%Y-%m-%d}" in listed["extension_approved"]
    assert "Extension refused" in listed["extension_rejected"]
    assert "Busy is not a reason" in listed["extension_rejected"]


def test_an_extension_decided_more_than_30_days_ago_has_left_the_inbox(supplier_a, agency_a, esg_manager):
    agreements_signed(supplier_a.supplier)
    finding = finding_of(
        accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(40))
    )
    with time_machine.travel(dt.datetime.combine(days_ago(35), dt.time(9, 0), tzinfo=dt.UTC), tick=False):
        request = services.extension_request(
            finding=finding,
            by=supplier_a.user,
            requested_due=finding.rectification_due + dt.timedelta(days=9),
            reason="Permit pending",
        )
        services.extension_decide(extension=request, by=esg_manager, approve=False, reason="No")

    kinds = [kind for kind, _ in tasks(supplier_a.client.get(INBOX))]

    assert "extension_rejected" not in kinds


def test_a_missing_csr_agreement_shows_as_a_task_to_sign(supplier_a):
    AgreementFactory(supplier=supplier_a.supplier, kind=Agreement.Kind.CODE_OF_CONDUCT, signed_on=days_ago(3))

    response = supplier_a.client.get(INBOX)
    listed = tasks(response)

    agreements = [text for kind, text in listed if kind == "agreement_to_sign"]
    assert any("Supplier Social Responsibility (CSR) Agreement" in text for text in agreements)
    assert not any("Code of Conduct" in text for text in agreements)
    assert reverse("portal:agreements") in response.content.decode()


def test_an_expiring_agreement_is_one_task_to_renew(supplier_a):
    supplier_a.supplier.status = Supplier.Status.ADMITTED
    supplier_a.supplier.save()
    agreements_signed(supplier_a.supplier)
    csr = Agreement.objects.get(supplier=supplier_a.supplier, kind=Agreement.Kind.CSR_AGREEMENT)
    csr.signed_on, csr.expires_on = days_ago(400), days_ago(5)
    csr.save()

    listed = tasks(supplier_a.client.get(INBOX))

    assert [kind for kind, _ in listed].count("agreement_expiring") == 1
    assert not [kind for kind, _ in listed if kind == "agreement_to_sign"]


def test_a_declaration_requested_for_a_year_links_to_the_declarations(supplier_a):
    supplier_a.supplier.status = Supplier.Status.ADMITTED
    supplier_a.supplier.save()
    agreements_signed(supplier_a.supplier)
    policy = MineralsPolicy.current()
    policy.remind_missing_declarations = True
    policy.save()

    response = supplier_a.client.get(INBOX)

    assert "declaration_missing" in [kind for kind, _ in tasks(response)]
    assert reverse("portal:declarations") in response.content.decode()


def test_the_agencys_late_report_is_not_the_suppliers_task(supplier_a, agency_a):
    agreements_signed(supplier_a.supplier)
    AuditFactory(
        supplier=supplier_a.supplier,
        agency=agency_a.agency,
        status=Audit.Status.IN_PROGRESS,
        planned_start=days_ago(90),
        planned_end=days_ago(88),
    )

    response = supplier_a.client.get(INBOX)

    assert tasks(response) == []
    assert "Nothing needs you right now" in response.content.decode()


def test_another_suppliers_findings_are_not_in_the_inbox(supplier_a, supplier_b, agency_a):
    agreements_signed(supplier_a.supplier)
    theirs = finding_of(accepted_audit(supplier=supplier_b.supplier, agency=agency_a.agency, on=days_ago(10)))

    html = supplier_a.client.get(INBOX).content.decode()

    assert theirs.reference not in html
    assert 'id="no-tasks"' in html


def test_a_task_due_within_a_week_is_due_soon_at_stage_0(supplier_a, agency_a):
    agreements_signed(supplier_a.supplier)
    accepted_audit(supplier=supplier_a.supplier, agency=agency_a.agency, on=days_ago(3))

    listed = dict(tasks(supplier_a.client.get(INBOX)))

    assert "due in 4 days" in listed["cap_due"]
    assert "Due soon" in listed["cap_due"]


def test_the_inbox_is_for_supplier_contacts_only(agency_a):
    response = agency_a.client.get(INBOX)

    assert response.status_code == 302
    assert response.url == reverse("portal:agency_audits")


def test_a_contact_reading_chinese_sees_the_inbox_in_chinese(agency_a, esg_manager):
    side = contact_login(SupplierFactory(code="SUP-ZH"), email="zhang.san@zh.example", language="zh-hans")
    agreements_signed(side.supplier)
    finding = finding_of(accepted_audit(supplier=side.supplier, agency=agency_a.agency, on=days_ago(5)))
    submit_plan(finding, side.user)
    services.cap_review(finding=finding, by=esg_manager, approve=False, note="根本原因分析不充分")

    html = side.client.get(INBOX).content.decode()

    assert "您的任务" in html
    assert "重新提交纠正措施计划" in html
    assert "根本原因分析不充分" in html
    assert "Your tasks" not in html


@pytest.mark.parametrize("count", [2, 20])
def test_the_inbox_reads_a_fixed_number_of_queries(
    supplier_a, agency_a, django_assert_max_num_queries, count
):
    supplier_a.supplier.status = Supplier.Status.ADMITTED
    supplier_a.supplier.save()
    policy = MineralsPolicy.current()
    policy.remind_missing_declarations = True
    policy.save()
    audit = accepted_audit(
        supplier=supplier_a.supplier,
        agency=agency_a.agency,
        on=days_ago(60),
        findings=[{"severity": "major"} for _ in range(count)],
    )
    for index, finding in enumerate(audit.findings.all()):
        if index % 2:
            services.extension_request(
                finding=finding,
                by=supplier_a.user,
                requested_due=finding.rectification_due + dt.timedelta(days=9),
                reason="Permit pending",
            )

    with django_assert_max_num_queries(40):
        response = supplier_a.client.get(INBOX)

    assert len([kind for kind, _ in tasks(response) if kind == "cap_due"]) == count
