"""The audit programme's admin pages: lists, filters, decisions and the annual plan, as users see them."""

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits import services
from audits.models import Audit, AuditAgency, AuditPolicy, CorrectiveActionPlan, ExtensionRequest, Finding
from suppliers.models import Supplier
from tests.factories import AuditAgencyFactory, AuditFactory, AuditorFactory, SupplierFactory, provision

pytestmark = pytest.mark.django_db

AUDITS = reverse("admin:audits_audit_changelist")
FINDINGS = reverse("admin:audits_finding_changelist")
EXTENSIONS = reverse("admin:audits_extensionrequest_changelist")
PLAN = reverse("admin:audits_audit_plan")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
# Session, user, the agency and year filters' choices, one page of rows and its count: the same number
# whatever the number of audits or findings.
LIST_MAX_QUERIES = 8


def today() -> dt.date:
    return timezone.localdate()


def days(n: int) -> dt.date:
    return today() + dt.timedelta(days=n)


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def shown_audits(response) -> list[str]:
    return [audit.reference for audit in response.context["cl"].result_list]


def shown_findings(response) -> list[str]:
    return [finding.reference for finding in response.context["cl"].result_list]


def row(response, text: str) -> str:
    match = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{re.escape(text)}.*?</tr>", response.content.decode(), re.S)
    assert match, f"no row with {text}"
    return match.group(0)


def accepted_audit(*, reference: str, agency=None, accepted_on: dt.date | None = None, **kwargs) -> Audit:
    accepted_on = accepted_on or days(-60)
    return AuditFactory(
        reference=reference,
        agency=agency or AuditAgencyFactory(),
        status=Audit.Status.ACCEPTED,
        actual_start=accepted_on - dt.timedelta(days=10),
        actual_end=accepted_on - dt.timedelta(days=8),
        score=Decimal("150"),
        performance_band="low",
        accepted_on=accepted_on,
        **kwargs,
    )


def finding(
    audit: Audit, number: int, *, severity="major", red_line="", due=None, closed_on=None, cap="approved"
):
    """An issued finding: CAP and rectification deadlines fixed, a CAP in ``cap`` status."""
    rectification_due = due or days(30)
    closed_at = (
        timezone.make_aware(dt.datetime.combine(closed_on, dt.time(12))) if closed_on is not None else None
    )
    item = Finding.objects.create(
        audit=audit,
        number=number,
        provision=provision("A2" if red_line else "A3"),
        severity=severity,
        red_line=red_line,
        description=f"Finding {number}",
        cap_due=rectification_due - dt.timedelta(days=20) if severity != "observation" else None,
        rectification_due=rectification_due if severity != "observation" else None,
        original_rectification_due=rectification_due if severity != "observation" else None,
        closed_at=closed_at,
        closed_on=closed_on,
    )
    if severity != "observation":
        CorrectiveActionPlan.objects.create(finding=item, status="verified" if closed_on else cap)
    return item


@pytest.fixture
def programme():
    """Two agencies; an overdue major finding, a red-line finding in time, a minor closed on time, one closed
    late, an observation."""
    north = AuditAgencyFactory(name="North Audits")
    south = AuditAgencyFactory(name="South Audits")
    first = accepted_audit(reference="AUD-2026-00001", agency=north)
    second = accepted_audit(reference="AUD-2026-00002", agency=south)
    return {
        "north": north,
        "south": south,
        "first": first,
        "second": second,
        "overdue": finding(first, 1, due=days(-5)),
        "red_line": finding(first, 2, severity="priority", red_line="1", due=days(10)),
        "on_time": finding(second, 1, severity="minor", due=days(-20), closed_on=days(-25)),
        "late": finding(second, 2, severity="minor", due=days(-20), closed_on=days(-3)),
        "observation": finding(second, 3, severity="observation"),
    }


# --- Lists and their query counts ------------------------------------------------------------------------


def _bulk_programme(count: int, *, start: int, agencies) -> None:
    suppliers = Supplier.objects.bulk_create(
        Supplier(
            code=f"QA{start + i:05d}", name=f"Bulk supplier {start + i}", category="production", country="CN"
        )
        for i in range(count)
    )
    audits = Audit.objects.bulk_create(
        Audit(
            reference=f"AUD-2025-{start + i:05d}",
            supplier=supplier,
            agency=agencies[i % len(agencies)],
            site="Plant",
            planned_start=dt.date(2025, 1 + i % 12, 3),
            planned_end=dt.date(2025, 1 + i % 12, 5),
            actual_start=dt.date(2025, 1 + i % 12, 3),
            actual_end=dt.date(2025, 1 + i % 12, 5),
            status=Audit.Status.ACCEPTED,
            score=Decimal(140 + i % 60),
            performance_band=["low", "medium", "high"][i % 3],
            accepted_on=dt.date(2025, 1 + i % 12, 20),
        )
        for i, supplier in enumerate(suppliers)
    )
    findings = Finding.objects.bulk_create(
        Finding(
            audit=audit,
            number=n,
            provision=provision("A3"),
            severity=["major", "priority", "minor"][n - 1],
            red_line="5" if n == 2 and i % 5 == 0 else "",
            description="Bulk finding",
            cap_due=days(-40 + i % 30),
            rectification_due=days(-20 + i % 40),
            original_rectification_due=days(-20 + i % 40),
        )
        for i, audit in enumerate(audits)
        for n in (1, 2, 3)
    )
    CorrectiveActionPlan.objects.bulk_create(CorrectiveActionPlan(finding=f) for f in findings)


def test_the_audit_list_runs_the_same_few_queries_for_3_and_150_audits(
    admin_client, django_assert_max_num_queries
):
    agencies = [AuditAgencyFactory() for _ in range(3)]
    _bulk_programme(3, start=0, agencies=agencies)
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(AUDITS)
    assert len(shown_audits(response)) == 3

    _bulk_programme(147, start=3, agencies=agencies)
    with django_assert_max_num_queries(LIST_MAX_QUERIES), CaptureQueriesContext(connection) as many:
        response = admin_client.get(AUDITS)

    assert len(shown_audits(response)) == 100  # one page
    assert len(many) == len(few)


def test_the_finding_list_runs_the_same_few_queries_for_3_and_450_findings(
    admin_client, django_assert_max_num_queries
):
    agencies = [AuditAgencyFactory() for _ in range(3)]
    _bulk_programme(1, start=0, agencies=agencies)
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(FINDINGS)
    assert len(shown_findings(response)) == 3

    _bulk_programme(149, start=1, agencies=agencies)
    with django_assert_max_num_queries(LIST_MAX_QUERIES), CaptureQueriesContext(connection) as many:
        response = admin_client.get(FINDINGS)

    assert len(shown_findings(response)) == 100
    assert len(many) == len(few)


def test_the_audit_list_shows_supplier_band_and_open_and_overdue_findings(admin_client, programme):
    supplier = programme["first"].supplier

    response = admin_client.get(AUDITS)

    first = row(response, "AUD-2026-00001")
    assert f"{supplier.code} {supplier.name}" in first
    assert "North Audits" in first
    assert "Low performer" in first
    # Two open actionable findings, one of them overdue (shown in red).
    assert re.search(r'<td class="field-open_findings">2</td>', first)
    assert 'class="overdue-count"' in first and "1 overdue" in first and "#c62828" in first
    second = row(response, "AUD-2026-00002")
    assert re.search(r'<td class="field-open_findings">0</td>', second)
    assert "overdue-count" not in second


def test_an_overdue_finding_is_marked_overdue_in_red_in_the_finding_list(admin_client, programme):
    response = admin_client.get(FINDINGS)

    overdue = row(response, "AUD-2026-00001-F01")
    assert 'class="rectification-badge rectification-overdue"' in overdue
    assert "background:#c62828" in overdue
    assert ">Overdue</span>" in overdue
    in_time = row(response, "AUD-2026-00001-F02")
    assert ">Open within deadline</span>" in in_time
    assert "Overdue" not in in_time
    assert ">Closed on time</span>" in row(response, "AUD-2026-00002-F01")
    assert ">Closed late</span>" in row(response, "AUD-2026-00002-F02")


def test_the_audit_page_lists_its_findings_with_the_overdue_one_marked_in_red(admin_client, programme):
    response = admin_client.get(reverse("admin:audits_audit_change", args=[programme["first"].pk]))

    assert response.status_code == 200
    content = response.content.decode()
    inline = content[content.index('id="findings-group"') :]
    overdue = re.search(
        r'<tr class="form-row[^"]*"[^>]*>(?:(?!</tr>).)*A3 Working Hours.*?</tr>', inline, re.S
    )
    assert overdue and "rectification-overdue" in overdue.group(0) and ">Overdue</span>" in overdue.group(0)
    assert ">Open within deadline</span>" in inline
    # Read-only: no inputs for the findings' fields.
    assert 'name="findings-0-severity"' not in content


def test_finding_filters_narrow_the_list(admin_client, programme):
    def shown(**params):
        return sorted(shown_findings(admin_client.get(FINDINGS, params)))

    assert shown(red_line="yes") == ["AUD-2026-00001-F02"]
    assert shown(red_line="1") == ["AUD-2026-00001-F02"]
    assert shown(red_line="9") == []
    assert shown(overdue="yes") == ["AUD-2026-00001-F01"]
    assert shown(rectification="closed_on_time") == ["AUD-2026-00002-F01"]
    assert shown(rectification="closed_late") == ["AUD-2026-00002-F02"]
    assert shown(rectification="open_within_deadline") == ["AUD-2026-00001-F02"]
    assert shown(severity__exact="minor") == ["AUD-2026-00002-F01", "AUD-2026-00002-F02"]
    assert shown(audit__agency__id__exact=programme["north"].pk) == [
        "AUD-2026-00001-F01",
        "AUD-2026-00001-F02",
    ]
    assert shown(cap__status__exact="verified") == ["AUD-2026-00002-F01", "AUD-2026-00002-F02"]


def test_audit_filters_narrow_the_list(admin_client, programme):
    planned = AuditFactory(
        reference="AUD-2027-00003", planned_start=dt.date(2027, 2, 1), planned_end=dt.date(2027, 2, 3)
    )

    def shown(**params):
        return sorted(shown_audits(admin_client.get(AUDITS, params)))

    assert shown(red_line="yes") == ["AUD-2026-00001"]
    assert shown(red_line="no") == ["AUD-2026-00002", planned.reference]
    assert shown(overdue="yes") == ["AUD-2026-00001"]
    assert shown(severity="minor") == ["AUD-2026-00002"]
    assert shown(agency__id__exact=programme["south"].pk) == ["AUD-2026-00002"]
    assert shown(status__exact="planned") == [planned.reference]
    assert shown(planned_year="2027") == [planned.reference]
    assert shown(q=programme["second"].supplier.code) == ["AUD-2026-00002"]


# --- Accepting, returning and cancelling reports ---------------------------------------------------------


def submitted_audit(esg_manager) -> Audit:
    """An audit the agency has submitted, with a major and a red-line finding and an observation."""
    auditor = AuditorFactory()
    audit = services.audit_create(
        supplier=SupplierFactory(code="SUB-1", status=Supplier.Status.ADMITTED),
        agency=auditor.agency,
        site="Plant 2, Dongguan",
        planned_start=days(-10),
        planned_end=days(-8),
        by=esg_manager,
    )
    services.audit_update(audit=audit, by=auditor.user, actual_start=days(-10))
    for severity, red_line, code in (("major", "", "A3"), ("priority", "1", "A2"), ("observation", "", "E6")):
        services.finding_create(
            audit=audit,
            by=auditor.user,
            provision=provision(code),
            severity=severity,
            red_line=red_line,
            description=f"{severity} finding",
        )
    services.audit_update(audit=audit, by=auditor.user, actual_end=days(-8), score=Decimal("172"))
    services.audit_attach_report(
        audit=audit,
        upload=SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
        by=auditor.user,
    )
    return services.audit_submit(audit=audit, by=auditor.user)


def test_accepting_reports_from_the_list_fixes_their_deadlines(client, esg_manager):
    audit = submitted_audit(esg_manager)
    client.force_login(esg_manager)

    response = client.post(AUDITS, {"action": "accept_reports", "_selected_action": [audit.pk]}, follow=True)

    audit.refresh_from_db()
    major, red, observation = audit.findings.order_by("number")
    assert audit.status == "accepted" and audit.accepted_on == today() and audit.performance_band == "medium"
    assert (major.cap_due, major.rectification_due) == (days(7), days(90))
    assert (red.cap_due, red.rectification_due) == (days(7), days(30))
    assert observation.rectification_due is None
    [text] = message_texts(response)
    assert text.startswith(
        f"{audit.reference} accepted on {today():%Y-%m-%d}: medium performer (score 172.0)."
    )
    assert f"F01 CAP due {days(7):%Y-%m-%d}, rectification due {days(90):%Y-%m-%d}" in text
    assert f"F02 CAP due {days(7):%Y-%m-%d}, rectification due {days(30):%Y-%m-%d}" in text


def test_the_accept_button_shows_the_deadlines_it_will_fix_then_accepts(client, esg_manager):
    audit = submitted_audit(esg_manager)
    client.force_login(esg_manager)
    change = client.get(reverse("admin:audits_audit_change", args=[audit.pk]))
    accept_url = reverse("admin:audits_audit_accept", args=[audit.pk])
    assert accept_url in change.content.decode()

    preview = client.get(accept_url)

    table = re.search(r'<table id="deadline-preview">.*?</table>', preview.content.decode(), re.S).group(0)
    assert f"{days(30):%Y-%m-%d}" in table and f"{days(90):%Y-%m-%d}" in table
    assert "no corrective action needed" in table
    assert Audit.objects.get(pk=audit.pk).status == "report_submitted"

    response = client.post(accept_url, follow=True)

    assert Audit.objects.get(pk=audit.pk).status == "accepted"
    assert "Deadlines fixed" in message_texts(response)[0]


def test_returning_a_report_needs_a_reason(client, esg_manager):
    audit = submitted_audit(esg_manager)
    client.force_login(esg_manager)
    url = reverse("admin:audits_audit_return", args=[audit.pk])

    response = client.post(url, {"reason": "  "})

    assert "Returning a report needs a reason." in response.content.decode()
    assert Audit.objects.get(pk=audit.pk).status == "report_submitted"

    client.post(url, {"reason": "Score sheet missing for section B."})

    audit.refresh_from_db()
    assert audit.status == "in_progress"
    assert (
        audit.history.latest().history_change_reason
        == "Returned to the agency: Score sheet missing for section B."
    )


def test_cancelling_a_planned_audit_keeps_the_reason(client, esg_manager):
    audit = AuditFactory(reference="AUD-2026-00009")
    client.force_login(esg_manager)

    client.post(reverse("admin:audits_audit_cancel", args=[audit.pk]), {"reason": "Supplier exited."})

    audit.refresh_from_db()
    assert (audit.status, audit.cancelled_reason) == ("cancelled", "Supplier exited.")


# --- The CAP tracker's decisions ---------------------------------------------------------------------------


def test_rejecting_a_cap_asks_for_a_reason_and_refuses_without_one(client, esg_manager, programme):
    submitted = programme["overdue"]
    CorrectiveActionPlan.objects.filter(finding=submitted).update(status="submitted")
    client.force_login(esg_manager)
    action = {"action": "reject_caps", "_selected_action": [submitted.pk]}

    asked = client.post(FINDINGS, action)
    refused = client.post(FINDINGS, {**action, "apply": "yes", "reason": " "})

    assert 'name="reason"' in asked.content.decode()
    assert "Rejecting a plan needs a reason" in refused.content.decode()
    assert CorrectiveActionPlan.objects.get(finding=submitted).status == "submitted"

    response = client.post(
        FINDINGS, {**action, "apply": "yes", "reason": "Root cause is not analysed."}, follow=True
    )

    cap = CorrectiveActionPlan.objects.get(finding=submitted)
    assert (cap.status, cap.review_note, cap.reviewed_by) == (
        "rejected",
        "Root cause is not analysed.",
        esg_manager,
    )
    assert message_texts(response) == ["CAP rejected: AUD-2026-00001-F01."]


def test_approving_caps_reports_those_that_cannot_be_approved(client, esg_manager, programme):
    submitted = programme["overdue"]
    CorrectiveActionPlan.objects.filter(finding=submitted).update(status="submitted")
    client.force_login(esg_manager)

    response = client.post(
        FINDINGS,
        {"action": "approve_caps", "_selected_action": [submitted.pk, programme["red_line"].pk]},
        follow=True,
    )

    assert CorrectiveActionPlan.objects.get(finding=submitted).status == "approved"
    assert message_texts(response) == [
        "AUD-2026-00001-F02: The CAP of AUD-2026-00001-F02 is approved, not submitted.",
        "CAP approved: AUD-2026-00001-F01.",
    ]


def test_verifying_closure_by_desk_review_closes_the_finding(client, esg_manager, programme):
    implemented = programme["red_line"]
    CorrectiveActionPlan.objects.filter(finding=implemented).update(status="implemented")
    client.force_login(esg_manager)

    client.post(
        FINDINGS,
        {
            "action": "verify_closure",
            "_selected_action": [implemented.pk],
            "apply": "yes",
            "reason": "Enrolment certificates checked.",
        },
    )

    implemented.refresh_from_db()
    assert implemented.closed_on == today()
    assert implemented.verification.method == "desk_review"
    assert implemented.verification.note == "Enrolment certificates checked."


def test_approving_an_extension_moves_the_due_date(client, esg_manager, programme, supplier_contact_user):
    overdue = programme["overdue"]
    extension = services.extension_request(
        finding=overdue,
        by=supplier_contact_user,
        requested_due=days(40),
        reason="New dormitory under construction",
    )
    client.force_login(esg_manager)
    action = {"action": "approve", "_selected_action": [extension.pk], "apply": "yes"}

    refused = client.post(EXTENSIONS, {**action, "reason": ""})
    client.post(EXTENSIONS, {**action, "reason": "Building permit seen."})

    assert "Approving an extension needs a reason." in refused.content.decode()
    extension.refresh_from_db()
    overdue.refresh_from_db()
    assert extension.status == ExtensionRequest.Status.APPROVED
    assert overdue.rectification_due == days(40)
    assert ">Open within deadline</span>" in row(client.get(FINDINGS), "AUD-2026-00001-F01")


# --- The annual audit plan ------------------------------------------------------------------------------


def test_the_plan_shows_proposals_and_creates_the_ticked_ones(client, esg_manager):
    AuditAgencyFactory(name="North Audits")
    high = SupplierFactory(code="PLAN-HIGH", status=Supplier.Status.ADMITTED, risk_level="high")
    medium = SupplierFactory(code="PLAN-MED", status=Supplier.Status.ADMITTED, risk_level="medium")
    SupplierFactory(code="PLAN-LOW", status=Supplier.Status.ADMITTED, risk_level="low")
    year = today().year + 1
    client.force_login(esg_manager)
    assert PLAN in client.get(AUDITS).content.decode()

    page = client.get(PLAN, {"year": year})

    table = re.search(r'<table id="plan-proposals">.*?</table>', page.content.decode(), re.S).group(0)
    assert "PLAN-HIGH" in table and "PLAN-MED" in table and "PLAN-LOW" not in table
    assert "high risk, never audited" in table
    assert "North Audits" in table
    assert table.count('type="checkbox" name="supplier"') == 2 and table.count("checked") == 2

    response = client.post(PLAN, {"year": year, "start_month": 1, "supplier": [high.pk]})

    assert response.status_code == 302
    assert response.url == f"{AUDITS}?planned_year={year}"
    [audit] = Audit.objects.all()
    assert (audit.supplier, audit.status, audit.planned_start.year) == (high, "planned", year)
    listed = client.get(response.url)
    assert shown_audits(listed) == [audit.reference]
    assert message_texts(listed) == [f"Created 1 planned audit(s) for {year}."]
    # Planned now: no longer proposed; the unticked one still is.
    again = client.get(PLAN, {"year": year}).content.decode()
    assert "PLAN-HIGH" not in again and medium.code in again


def test_the_plan_refuses_a_year_that_is_over(client, esg_manager):
    client.force_login(esg_manager)

    page = client.get(PLAN, {"year": today().year - 1})

    assert "is over" in page.content.decode()
    assert page.context["proposals"] is None


# --- Who may do what ------------------------------------------------------------------------------------


def test_procurement_can_view_audits_and_findings_but_not_accept_or_plan(
    client, procurement_user, esg_manager
):
    audit = submitted_audit(esg_manager)
    client.force_login(procurement_user)

    listing = client.get(AUDITS)
    change = client.get(reverse("admin:audits_audit_change", args=[audit.pk]))
    findings = client.get(FINDINGS)

    assert listing.status_code == change.status_code == findings.status_code == 200
    assert shown_audits(listing) == [audit.reference]
    assert PLAN not in listing.content.decode()
    assert "accept_reports" not in listing.content.decode()
    assert "Accept report" not in change.content.decode()
    assert "reject_caps" not in findings.content.decode()
    assert client.get(PLAN).status_code == 403
    assert client.get(reverse("admin:audits_audit_accept", args=[audit.pk])).status_code == 403
    assert client.post(reverse("admin:audits_audit_accept", args=[audit.pk])).status_code == 403
    client.post(AUDITS, {"action": "accept_reports", "_selected_action": [audit.pk]})
    assert Audit.objects.get(pk=audit.pk).status == "report_submitted"


# --- The audit and deadline policy ---------------------------------------------------------------------


def test_the_policy_is_one_row_that_esg_managers_edit_with_history(client, esg_manager):
    client.force_login(esg_manager)
    policy = AuditPolicy.current()

    opened = client.get(reverse("admin:audits_auditpolicy_changelist"))
    change_url = reverse("admin:audits_auditpolicy_change", args=[policy.pk])
    form = client.get(change_url).context["adminform"].form
    data = {name: form[name].value() for name in form.fields}
    client.post(change_url, data | {"rectify_days_major": 60})
    client.post(change_url, data | {"rectify_days_major": 45})

    assert opened.url == change_url
    assert client.get(reverse("admin:audits_auditpolicy_add")).status_code == 403
    assert client.get(reverse("admin:audits_auditpolicy_delete", args=[policy.pk])).status_code == 403
    policy.refresh_from_db()
    assert policy.rectify_days_major == 45
    assert policy.history.latest().history_user == esg_manager
    history = client.get(reverse("admin:audits_auditpolicy_history", args=[policy.pk])).content.decode()
    change = re.search(r"<li>\s*<strong>([^<]*)</strong>\s*(\S+)\s*&nbsp;&rarr;&nbsp;&nbsp;(\S+)", history)
    assert change and change.groups() == ("Rectify days major:", "60", "45"), history[-3000:]


# --- Records: adding audits, agencies, the finding page ----------------------------------------------------


def test_an_esg_manager_adds_an_audit_and_it_gets_its_reference(client, esg_manager):
    agency = AuditAgencyFactory(name="North Audits")
    supplier = SupplierFactory(code="ADD-1")
    client.force_login(esg_manager)

    response = client.post(
        reverse("admin:audits_audit_add"),
        {
            "supplier": supplier.pk,
            "site": "Plant 3, Suzhou",
            "agency": agency.pk,
            "type": "annual",
            "protocol": "company_csr",
            "planned_start": "2027-03-01",
            "planned_end": "2027-03-03",
            "findings-TOTAL_FORMS": 0,
            "findings-INITIAL_FORMS": 0,
        },
    )

    [audit] = Audit.objects.all()
    assert response.status_code == 302
    assert audit.reference == f"AUD-2027-{audit.pk:05d}"
    assert (audit.status, audit.history.earliest().history_user) == ("planned", esg_manager)


def test_an_esg_manager_adds_an_agency_with_an_auditor_from_the_auditor_role(
    client, esg_manager, auditor_user
):
    client.force_login(esg_manager)
    page = client.get(reverse("admin:audits_auditagency_add"))
    choices = page.context["inline_admin_formsets"][0].formset.empty_form.fields["user"].queryset

    client.post(
        reverse("admin:audits_auditagency_add"),
        {
            "code": "east",
            "name": "East Audits",
            "email": "audits@east.example",
            "active": "on",
            "auditors-TOTAL_FORMS": 1,
            "auditors-INITIAL_FORMS": 0,
            "auditors-0-user": auditor_user.pk,
            "auditors-0-qualifications": "RBA lead auditor",
        },
    )

    assert list(choices) == [auditor_user]
    agency = AuditAgency.objects.get(code="east")
    assert [a.user for a in agency.auditors.all()] == [auditor_user]


def test_the_finding_page_shows_the_plan_progress_extensions_and_downloadable_evidence(
    client, esg_manager, programme, supplier_contact_user
):
    item = programme["overdue"]
    CorrectiveActionPlan.objects.filter(finding=item).update(
        root_cause="Peak season orders", corrective_action="Hire 40 operators", owner="HR manager"
    )
    services.progress_submit(
        finding=item, by=supplier_contact_user, month=today(), percent_complete=40, note="20 hired"
    )
    evidence = services.evidence_attach(
        finding=item,
        upload=SimpleUploadedFile("timesheets.pdf", PDF, content_type="application/pdf"),
        by=supplier_contact_user,
        purpose="rectification",
    )
    client.force_login(esg_manager)

    page = client.get(reverse("admin:audits_finding_change", args=[item.pk])).content.decode()
    download = client.get(evidence.file.url)

    assert "Hire 40 operators" in page and "Peak season orders" in page
    assert "20 hired" in page
    assert ">Overdue</span>" in page
    assert evidence.sha256 in page
    assert f'href="/files/audits.evidence.file/{evidence.pk}/"' in page
    assert b"".join(download.streaming_content) == PDF
    assert 'filename="timesheets.pdf"' in download["Content-Disposition"]
