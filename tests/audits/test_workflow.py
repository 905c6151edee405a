"""The whole path of an audit, from plan to closed findings, through the services."""

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from audits import deadlines, selectors, services
from audits.models import Audit, AuditPolicy, ClosureVerification, CorrectiveActionPlan, Evidence, Finding
from reports import selectors as report_selectors
from suppliers import lifecycle
from suppliers.models import RiskLevel, Supplier
from suppliers.risk import risk_refresh
from tests.factories import AuditorFactory, SupplierFactory, make_admissible, provision

pytestmark = pytest.mark.django_db
RS = deadlines.RectificationStatus
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def pdf(name="evidence.pdf"):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def at(day: dt.date):
    return time_machine.travel(dt.datetime.combine(day, dt.time(10, 0), tzinfo=dt.UTC), tick=False)


@pytest.fixture
def auditor():
    return AuditorFactory()


@pytest.fixture
def supplier():
    return make_admissible(SupplierFactory(status=Supplier.Status.SCREENING), on=dt.date(2026, 2, 1))


def run_audit(*, supplier, auditor, esg_manager, accepted_on=dt.date(2026, 3, 10)):
    with at(dt.date(2026, 2, 20)):
        audit = services.audit_create(
            supplier=supplier,
            agency=auditor.agency,
            site="Plant 2, Dongguan",
            type=Audit.Type.ONBOARDING,
            planned_start=dt.date(2026, 3, 2),
            planned_end=dt.date(2026, 3, 3),
            lead_auditor=auditor,
            by=esg_manager,
        )
    with at(dt.date(2026, 3, 2)):
        audit = services.audit_update(audit=audit, by=auditor.user, actual_start=dt.date(2026, 3, 2))
        major = services.finding_create(
            audit=audit,
            by=auditor.user,
            provision=provision("A3"),
            severity="major",
            description="Weekly hours above 60 for 30% of sampled workers.",
        )
        red = services.finding_create(
            audit=audit,
            by=auditor.user,
            provision=provision("A2"),
            severity="priority",
            red_line="1",
            description="Two workers aged 15 on the assembly line.",
        )
        observation = services.finding_create(
            audit=audit,
            by=auditor.user,
            provision=provision("E6"),
            severity="observation",
            description="Training records kept on paper only.",
        )
    with at(dt.date(2026, 3, 5)):
        services.audit_update(
            audit=audit, by=auditor.user, actual_end=dt.date(2026, 3, 3), score=Decimal("172")
        )
        services.audit_attach_report(audit=audit, upload=pdf("report.pdf"), by=auditor.user)
        audit = services.audit_submit(audit=audit, by=auditor.user)
    with at(accepted_on):
        audit = services.audit_accept(audit=audit, by=esg_manager)
    return audit, major, red, observation


def test_an_audit_goes_from_plan_to_closed_findings(supplier, auditor, esg_manager, supplier_contact_user):
    audit, major, red, observation = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)
    major.refresh_from_db()
    red.refresh_from_db()
    observation.refresh_from_db()

    # Accepted on 10 March: CAPs due in 7 days; red line rectified in 30 days, major in 90; no deadline for
    # the observation.
    assert audit.reference == f"AUD-2026-{audit.pk:05d}"
    assert (audit.status, audit.performance_band, audit.accepted_on) == (
        "accepted",
        "medium",
        dt.date(2026, 3, 10),
    )
    assert (major.cap_due, major.rectification_due) == (dt.date(2026, 3, 17), dt.date(2026, 6, 8))
    assert (red.cap_due, red.rectification_due) == (dt.date(2026, 3, 17), dt.date(2026, 4, 9))
    assert (observation.cap_due, observation.rectification_due) == (None, None)
    assert not CorrectiveActionPlan.objects.filter(finding=observation).exists()

    # A later policy change does not move fixed deadlines.
    policy = AuditPolicy.current()
    policy.rectify_days_major = 60
    policy.save()
    major.refresh_from_db()
    assert major.rectification_due == dt.date(2026, 6, 8)

    # While the red line is open the supplier cannot be admitted and is high risk.
    check = lifecycle.admission_check(supplier=supplier, on=dt.date(2026, 3, 11))
    assert check.unmet == [
        f"Open red-line finding {audit.reference}-F02: A2 Young Workers, red line 1 Child labor / "
        "protection of underage workers. Suppliers are not admitted until red-line issues are rectified."
    ]
    risk_refresh()
    supplier.refresh_from_db()
    assert supplier.risk_level == RiskLevel.HIGH

    # A plan that ends after the due date is refused.
    with at(dt.date(2026, 3, 12)), pytest.raises(services.Invalid, match="after the rectification due date"):
        services.cap_submit(
            finding=red,
            by=supplier_contact_user,
            root_cause="No ID checks at hiring",
            corrective_action="Remove minors, pay, support schooling",
            preventive_action="ID scanner at gate",
            owner="HR manager",
            planned_completion=dt.date(2026, 4, 30),
        )

    # Submitted, rejected, resubmitted, approved.
    cap_args = {
        "root_cause": "Agency hiring without ID checks",
        "corrective_action": "Remove minors; remediation programme",
        "preventive_action": "Direct hiring with ID verification",
        "owner": "HR manager",
        "planned_completion": dt.date(2026, 4, 5),
    }
    with at(dt.date(2026, 3, 12)):
        services.cap_submit(finding=red, by=supplier_contact_user, **cap_args)
    with at(dt.date(2026, 3, 13)):
        cap = services.cap_review(finding=red, by=esg_manager, approve=False, note="Add a remediation budget")
    assert (cap.status, cap.review_note) == ("rejected", "Add a remediation budget")
    with at(dt.date(2026, 3, 14)):
        services.cap_submit(
            finding=red, by=supplier_contact_user, **cap_args | {"corrective_action": "With budget"}
        )
    with at(dt.date(2026, 3, 15)):
        cap = services.cap_review(finding=red, by=esg_manager, approve=True)
    assert cap.status == "approved"
    assert [h.status for h in cap.history.order_by("history_date")][-4:] == [
        "submitted",
        "rejected",
        "submitted",
        "approved",
    ]

    # Implemented with evidence, verified, closed.
    with at(dt.date(2026, 4, 1)):
        with pytest.raises(services.Invalid, match="Attach rectification evidence"):
            services.cap_implement(finding=red, by=supplier_contact_user)
        services.evidence_attach(
            finding=red,
            upload=pdf("school-enrolment.pdf"),
            by=supplier_contact_user,
            purpose=Evidence.Purpose.RECTIFICATION,
        )
        services.cap_implement(finding=red, by=supplier_contact_user, note="Both workers enrolled in school")
    with at(dt.date(2026, 4, 3)):
        services.closure_verify(finding=red, by=esg_manager, method=ClosureVerification.Method.DESK_REVIEW)
    red.refresh_from_db()
    assert red.closed_on == dt.date(2026, 4, 3)
    assert red.cap.status == "verified"

    # Rectification status along the way.
    assert deadlines.rectification_status(finding=red, on=dt.date(2026, 3, 20)) == RS.OPEN_WITHIN_DEADLINE
    assert deadlines.rectification_status(finding=red, on=dt.date(2026, 4, 3)) == RS.CLOSED_ON_TIME
    assert deadlines.rectification_status(finding=major, on=dt.date(2026, 6, 8)) == RS.OPEN_WITHIN_DEADLINE
    assert deadlines.rectification_status(finding=major, on=dt.date(2026, 6, 9)) == RS.OVERDUE
    findings = Finding.objects.filter(audit=audit)
    assert selectors.rectification_summary(findings=findings, on=dt.date(2026, 6, 9)) == {
        "closed_on_time": 1,
        "closed_late": 0,
        "open_within_deadline": 0,
        "overdue": 1,
    }

    # The red line is rectified: the gate no longer names it, and the supplier can be admitted.
    assert lifecycle.admission_check(supplier=supplier, on=dt.date(2026, 4, 4)).admissible

    # The major finding closes late: the audit closes when its last actionable finding closes.
    services.cap_submit(
        finding=major, by=supplier_contact_user, **cap_args | {"planned_completion": dt.date(2026, 6, 1)}
    )
    services.cap_review(finding=major, by=esg_manager, approve=True)
    services.evidence_attach(
        finding=major, upload=pdf(), by=supplier_contact_user, purpose=Evidence.Purpose.RECTIFICATION
    )
    services.cap_implement(finding=major, by=supplier_contact_user)
    with at(dt.date(2026, 6, 20)):
        services.closure_verify(finding=major, by=esg_manager, method=ClosureVerification.Method.DESK_REVIEW)
    audit.refresh_from_db()
    assert audit.status == "closed"
    assert selectors.rectification_summary(findings=findings, on=dt.date(2026, 12, 31)) == {
        "closed_on_time": 1,
        "closed_late": 1,
        "open_within_deadline": 0,
        "overdue": 0,
    }


def test_an_approved_extension_moves_the_due_date_and_is_recorded(
    supplier, auditor, esg_manager, supplier_contact_user
):
    _, major, _, _ = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)
    major.refresh_from_db()

    request = services.extension_request(
        finding=major,
        by=supplier_contact_user,
        requested_due=dt.date(2026, 7, 31),
        reason="Dormitory construction permit pending",
    )
    services.extension_decide(extension=request, by=esg_manager, approve=True, reason="Permit letter seen")

    major.refresh_from_db()
    assert major.rectification_due == dt.date(2026, 7, 31)
    assert major.original_rectification_due == dt.date(2026, 6, 8)
    assert major.history.first().history_change_reason.startswith(
        "Extension approved: 2026-06-08 → 2026-07-31"
    )
    # A plan may now run to the extended date.
    services.cap_submit(
        finding=major,
        by=supplier_contact_user,
        root_cause="r",
        corrective_action="c",
        preventive_action="p",
        owner="o",
        planned_completion=dt.date(2026, 7, 30),
    )


def test_a_rejected_extension_leaves_the_due_date(supplier, auditor, esg_manager, supplier_contact_user):
    _, major, _, _ = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)
    major.refresh_from_db()
    request = services.extension_request(
        finding=major, by=supplier_contact_user, requested_due=dt.date(2026, 9, 1), reason="Busy season"
    )

    services.extension_decide(extension=request, by=esg_manager, approve=False, reason="Not a valid reason")

    major.refresh_from_db()
    assert major.rectification_due == dt.date(2026, 6, 8)


def test_no_finding_can_be_added_or_changed_once_the_report_is_submitted(supplier, auditor, esg_manager):
    audit, major, _, _ = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)

    with pytest.raises(services.Conflict, match="findings are recorded only while it is in progress"):
        services.finding_create(
            audit=audit,
            by=auditor.user,
            provision=provision("B1"),
            severity="minor",
            description="Blocked exit",
        )
    with pytest.raises(services.Conflict, match="can no longer be changed by the agency"):
        services.finding_update(finding=major, by=auditor.user, severity="minor")
    with pytest.raises(services.Conflict):
        services.audit_update(audit=audit, by=auditor.user, score=Decimal("199"))


def test_a_red_line_finding_must_be_priority(supplier, auditor, esg_manager):
    audit = services.audit_create(
        supplier=supplier,
        agency=auditor.agency,
        site="x",
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 3, 2),
        by=esg_manager,
    )
    services.audit_start(audit=audit, by=auditor.user)

    with pytest.raises(services.Invalid, match="A red-line finding is at least priority"):
        services.finding_create(
            audit=audit,
            by=auditor.user,
            provision=provision("C3"),
            severity="major",
            red_line="8",
            description="Solvent waste poured into the drain",
        )


def test_a_report_cannot_be_submitted_without_score_dates_and_file(supplier, auditor, esg_manager):
    audit = services.audit_create(
        supplier=supplier,
        agency=auditor.agency,
        site="x",
        planned_start=dt.date(2026, 3, 2),
        planned_end=dt.date(2026, 3, 2),
        by=esg_manager,
    )
    services.audit_start(audit=audit, by=auditor.user)

    with pytest.raises(services.Invalid, match="cannot be submitted without: actual_end, score, report"):
        services.audit_submit(audit=audit, by=auditor.user)


def test_performance_bands_follow_the_policy_thresholds(supplier, auditor, esg_manager):
    _audit, *_ = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)
    policy = AuditPolicy.current()

    assert [policy.band_for(Decimal(s)) for s in ("181", "180", "160", "159.9")] == [
        "high",
        "medium",
        "medium",
        "low",
    ]
    # The report's figures (``reports.selectors``) hold the band shares and the audits completed per year.
    period = report_selectors.report_period(year=2026, today=dt.date(2026, 12, 31))
    assert report_selectors.performance_bands(period=period)["medium"] == {"count": 1, "pct": 100.0}
    assert report_selectors.audits_completed_by_year(first=2025, last=2026)[2026] == 1
    assert report_selectors.audits_completed_by_year(first=2025, last=2026)[2025] == 0


def test_an_audit_can_be_planned_for_a_supplier_with_a_large_key(auditor, esg_manager):
    """Registers of hundreds of thousands of suppliers have six- and seven-digit keys."""
    supplier = SupplierFactory(id=1_234_567, status=Supplier.Status.ADMITTED)
    with at(dt.date(2026, 2, 20)):
        audit = services.audit_create(
            supplier=supplier,
            agency=auditor.agency,
            site="Plant 9, Suzhou",
            type=Audit.Type.ANNUAL,
            planned_start=dt.date(2026, 3, 2),
            planned_end=dt.date(2026, 3, 3),
            lead_auditor=auditor,
            by=esg_manager,
        )
    audit.refresh_from_db()
    assert audit.reference == f"AUD-2026-{audit.pk:05d}"
