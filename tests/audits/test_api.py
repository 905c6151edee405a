"""The audit programme through its REST API: the whole path from an audit in progress to a closed finding,
the 409s after submission, query counts of the lists, and the OpenAPI schema."""

import datetime as dt
import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from audits.models import Audit, Evidence, Finding
from tests.factories import (
    AuditFactory,
    AuditorFactory,
    ContactFactory,
    FindingFactory,
    SupplierFactory,
    provision,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"
)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def url(name: str, obj) -> str:
    return reverse(f"api:{name}", kwargs={"pk": obj if isinstance(obj, int) else obj.pk})


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


@pytest.fixture
def auditor():
    return AuditorFactory(user__first_name="Li", user__last_name="Wei")


@pytest.fixture
def supplier():
    return SupplierFactory(code="S-API-1")


@pytest.fixture
def contact_user(supplier, supplier_contact_user):
    ContactFactory(supplier=supplier, user=supplier_contact_user)
    return supplier_contact_user


@pytest.fixture
def audit(supplier, auditor):
    return AuditFactory(supplier=supplier, agency=auditor.agency, lead_auditor=auditor)


def test_the_whole_path_from_audit_to_closed_finding(audit, auditor, esg_manager, contact_user):
    today = timezone.localdate()
    agency = client_for(auditor.user)
    esg = client_for(esg_manager)
    contact = client_for(contact_user)

    # The auditor starts the audit by recording its actual start.
    response = agency.patch(url("audit-detail", audit), {"actual_start": str(today)}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["actual_start"]) == ("in_progress", str(today))

    # Findings by provision code (latest active version) or id.
    findings = url("audit-findings", audit)
    response = agency.post(
        findings,
        {"provision": "A3", "severity": "major", "description": "Weekly hours above 60 for 30% of workers."},
        format="json",
    )
    assert response.status_code == 201, response.json()
    major = response.json()
    assert (major["reference"], major["provision"]["code"], major["severity"]) == (
        f"{audit.reference}-F01",
        "A3",
        "major",
    )
    red = agency.post(
        findings,
        {
            "provision": "A2",
            "severity": "priority",
            "red_line": "1",
            "description": "Two workers aged 15 on the assembly line.",
        },
        format="json",
    ).json()
    observation = agency.post(
        findings,
        {
            "provision": provision("E6").pk,
            "severity": "observation",
            "description": "Paper training records.",
        },
        format="json",
    ).json()
    assert [red["number"], observation["number"], observation["provision"]["code"]] == [2, 3, "E6"]

    # Audit evidence, then dates, score and the report; submit.
    response = agency.post(
        url("finding-evidence", red["id"]),
        {"file": upload("payroll.png", PNG), "description": "Payroll extract"},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["purpose"], response.json()["sha256"]) == (
        "finding",
        hashlib.sha256(PNG).hexdigest(),
    )
    response = agency.patch(
        url("audit-detail", audit), {"actual_end": str(today), "score": "172", "summary": "Two red lines."}
    )
    assert response.status_code == 200, response.json()
    response = agency.post(
        url("audit-report", audit), {"file": upload("report.pdf", PDF)}, format="multipart"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["report_sha256"] == hashlib.sha256(PDF).hexdigest()
    assert response.json()["report_file"] == f"{audit.reference}-report.pdf"
    response = agency.post(url("audit-submit", audit))
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "report_submitted"

    # Nothing changes after submission: 409 with a message.
    response = agency.patch(url("audit-detail", audit), {"score": "199"}, format="json")
    assert response.status_code == 409
    assert response.json()["detail"] == (
        f"Audit {audit.reference} is report submitted: it can no longer be changed by the agency."
    )
    response = agency.post(
        findings, {"provision": "B1", "severity": "minor", "description": "x"}, format="json"
    )
    assert response.status_code == 409
    assert "findings are recorded only while it is in progress" in response.json()["detail"]
    response = agency.patch(url("finding-detail", major["id"]), {"severity": "minor"}, format="json")
    assert response.status_code == 409
    assert "can no longer be changed by the agency" in response.json()["detail"]

    # The ESG manager accepts: the answer lists each finding's deadlines.
    response = esg.post(url("audit-accept", audit))
    assert response.status_code == 200, response.json()
    accepted = response.json()
    assert (accepted["status"], accepted["performance_band"]) == ("accepted", "medium")
    deadlines = {f["id"]: (f["cap_due"], f["rectification_due"]) for f in accepted["findings"]}
    assert deadlines == {
        major["id"]: (str(today + dt.timedelta(days=7)), str(today + dt.timedelta(days=90))),
        red["id"]: (str(today + dt.timedelta(days=7)), str(today + dt.timedelta(days=30))),
        observation["id"]: (None, None),
    }

    # The supplier contact sees its findings and proposes a plan for the red line.
    listing = contact.get(reverse("api:finding-list"), {"severity": "priority"})
    assert [f["reference"] for f in listing.json()["results"]] == [red["reference"]]
    plan = {
        "root_cause": "Agency hiring without ID checks",
        "corrective_action": "Remove minors; remediation programme",
        "preventive_action": "Direct hiring with ID verification",
        "owner": "HR manager",
        "planned_completion": str(today + dt.timedelta(days=20)),
    }
    cap_url = url("finding-cap", red["id"])
    response = contact.post(cap_url, plan, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "submitted"

    # Rejected with a note, resubmitted, approved.
    review = url("finding-cap-review", red["id"])
    response = esg.post(review, {"approve": False, "note": "Add a remediation budget"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "rejected")
    assert contact.get(cap_url).json()["review_note"] == "Add a remediation budget"
    response = contact.put(
        cap_url, plan | {"corrective_action": "With a budget of 20,000 CNY"}, format="json"
    )
    assert (response.status_code, response.json()["status"]) == (200, "submitted")
    response = esg.post(review, {"approve": True}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "approved")

    # Implemented once rectification evidence is attached.
    implement = url("finding-cap-implement", red["id"])
    response = contact.post(implement, {}, format="json")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Attach rectification evidence to {red['reference']} first.",
        "field": "evidence",
    }
    response = contact.post(
        url("finding-evidence", red["id"]), {"file": upload("enrolment.pdf", PDF)}, format="multipart"
    )
    assert (response.status_code, response.json()["purpose"]) == (201, "rectification")
    response = contact.post(implement, {"note": "Both workers enrolled in school"}, format="json")
    assert (response.status_code, response.json()["status"]) == (200, "implemented")

    # Verified by desk review: closed on time.
    response = esg.post(url("finding-verify", red["id"]), {"method": "desk_review"}, format="json")
    assert response.status_code == 200, response.json()
    closed = response.json()
    assert (closed["closed_on"], closed["rectification_status"], closed["cap"]["status"]) == (
        str(today),
        "closed_on_time",
        "verified",
    )
    assert closed["verification"]["method"] == "desk_review"
    assert contact.get(reverse("api:finding-list"), {"status": "closed"}).json()["count"] == 1


def test_progress_reports_and_an_approved_extension(audit, auditor, esg_manager, contact_user):
    finding = FindingFactory(audit=audit, severity="major")
    accept_directly(audit, finding, esg_manager)
    contact = client_for(contact_user)
    this_month = timezone.localdate().replace(day=1)

    response = contact.post(
        url("finding-progress", finding),
        {"month": f"{this_month:%Y-%m}", "percent_complete": 40, "note": "Hiring process rewritten"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert (response.json()["month"], response.json()["percent_complete"]) == (f"{this_month:%Y-%m}", 40)
    response = contact.post(
        url("finding-progress", finding),
        {"month": str(this_month + dt.timedelta(days=40)), "percent_complete": 50, "note": "Ahead"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["field"] == "month"

    due = finding.rectification_due
    response = contact.post(
        url("finding-extensions", finding),
        {"requested_due": str(due + dt.timedelta(days=30)), "reason": "Dormitory permit pending"},
        format="json",
    )
    assert response.status_code == 201, response.json()
    extension = response.json()
    response = client_for(esg_manager).post(
        url("extension-decide", extension["id"]),
        {"approve": True, "reason": "Permit letter seen"},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["rectification_due"]) == (
        "approved",
        str(due + dt.timedelta(days=30)),
    )
    response = client_for(esg_manager).post(
        url("extension-decide", extension["id"]), {"approve": False, "reason": "Again"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {"detail": "This extension request is already approved."}


def accept_directly(audit: Audit, finding: Finding, esg_manager) -> None:
    """Bring an audit with its finding to accepted through the API, as the agency and ESG manager would."""
    recorder = AuditorFactory(agency=audit.agency)
    agency = client_for(recorder.user)
    today = timezone.localdate()
    agency.patch(
        url("audit-detail", audit), {"actual_start": str(today), "actual_end": str(today), "score": "150"}
    )
    agency.post(url("audit-report", audit), {"file": upload("report.pdf", PDF)}, format="multipart")
    assert agency.post(url("audit-submit", audit)).status_code == 200
    assert client_for(esg_manager).post(url("audit-accept", audit)).status_code == 200
    finding.refresh_from_db()


def test_a_provision_code_that_does_not_exist_is_named(audit, auditor):
    audit.status, audit.actual_start = Audit.Status.IN_PROGRESS, timezone.localdate()
    audit.save()
    response = client_for(auditor.user).post(
        url("audit-findings", audit),
        {"provision": "Z9", "severity": "major", "description": "x"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"provision": ["No active code provision has the code 'Z9'."]}


def test_a_red_line_that_is_not_priority_is_refused_with_the_field(audit, auditor):
    audit.status, audit.actual_start = Audit.Status.IN_PROGRESS, timezone.localdate()
    audit.save()
    response = client_for(auditor.user).post(
        url("audit-findings", audit),
        {"provision": "C3", "severity": "major", "red_line": "8", "description": "Solvent into the drain"},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "A red-line finding is at least priority: set severity to 'priority'.",
        "field": "severity",
    }
    assert not Finding.objects.exists()


def test_a_lead_auditor_of_another_agency_is_not_found(audit, auditor):
    stranger = AuditorFactory()
    response = client_for(auditor.user).patch(
        url("audit-detail", audit), {"lead_auditor": stranger.pk}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "lead_auditor": [f"No active auditor of {audit.agency} has the id {stranger.pk}."]
    }


def test_a_colleague_whose_login_is_deactivated_cannot_be_made_lead_auditor(audit, auditor):
    colleague = AuditorFactory(agency=auditor.agency)
    colleague.user.is_active = False
    colleague.user.save()

    response = client_for(auditor.user).patch(
        url("audit-detail", audit), {"lead_auditor": colleague.pk}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "lead_auditor": [f"No active auditor of {audit.agency} has the id {colleague.pk}."]
    }


def test_a_report_cannot_be_submitted_without_its_parts(audit, auditor):
    client_for(auditor.user).patch(url("audit-detail", audit), {"actual_start": str(timezone.localdate())})
    response = client_for(auditor.user).post(url("audit-submit", audit))
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Audit {audit.reference} cannot be submitted without: actual_end, score, report.",
        "field": "actual_end",
    }


def test_findings_list_filters_overdue_for_the_esg_manager(esg_manager):
    today = timezone.localdate()
    late = FindingFactory(
        rectification_due=today - dt.timedelta(days=1), cap_due=today - dt.timedelta(days=20)
    )
    FindingFactory(rectification_due=today + dt.timedelta(days=1), cap_due=today)
    FindingFactory(
        rectification_due=today - dt.timedelta(days=5),
        closed_at=timezone.now(),
        closed_on=today - dt.timedelta(days=6),
    )
    response = client_for(esg_manager).get(reverse("api:finding-list"), {"overdue": "true"})
    assert [f["id"] for f in response.json()["results"]] == [late.pk]
    assert response.json()["results"][0]["rectification_status"] == "overdue"


def test_audit_list_runs_a_fixed_number_of_queries(esg_manager, django_assert_max_num_queries):
    client = client_for(esg_manager)
    for _ in range(3):
        FindingFactory(audit=AuditFactory(lead_auditor=AuditorFactory()))
    with django_assert_max_num_queries(5):
        assert client.get(reverse("api:audit-list")).json()["count"] == 3
    for _ in range(37):
        FindingFactory(audit=AuditFactory(lead_auditor=AuditorFactory()))
    with django_assert_max_num_queries(5):
        response = client.get(reverse("api:audit-list"))
    assert response.json()["count"] == 40
    assert {row["findings_count"] for row in response.json()["results"]} == {1}


def test_findings_list_runs_a_fixed_number_of_queries(auditor, django_assert_max_num_queries):
    client = client_for(auditor.user)
    audit = AuditFactory(agency=auditor.agency, status=Audit.Status.IN_PROGRESS)
    for number in range(1, 4):
        FindingFactory(audit=audit, number=number)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("api:finding-list")).json()["count"] == 3
    with django_assert_max_num_queries(5):
        assert len(client.get(url("audit-findings", audit)).json()) == 3
    for number in range(4, 41):
        FindingFactory(audit=audit, number=number)
    with django_assert_max_num_queries(5):
        assert client.get(reverse("api:finding-list")).json()["count"] == 40
    with django_assert_max_num_queries(5):
        assert len(client.get(url("audit-findings", audit)).json()) == 40


def test_evidence_answers_its_sha256_and_lists_it(audit, auditor):
    finding = FindingFactory(audit=audit)
    client = client_for(auditor.user)
    client.post(url("finding-evidence", finding), {"file": upload("photo.png", PNG)}, format="multipart")
    listing = client.get(url("finding-evidence", finding)).json()
    assert [(e["original_name"], e["sha256"], e["content_type"]) for e in listing] == [
        ("photo.png", hashlib.sha256(PNG).hexdigest(), "image/png")
    ]
    assert Evidence.objects.get().sha256 == hashlib.sha256(PNG).hexdigest()


def test_openapi_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    schema = target.read_text()
    for path in (
        "/api/v1/audits/{id}/findings/",
        "/api/v1/findings/{id}/evidence/",
        "/api/v1/findings/{id}/cap/review/",
        "/api/v1/extensions/{id}/decide/",
    ):
        assert path in schema
    assert "multipart/form-data" in schema
    assert "Idempotency-Key" in schema


def test_the_esg_manager_returns_a_report_with_a_reason(audit, esg_manager):
    audit.status, audit.actual_start = Audit.Status.REPORT_SUBMITTED, timezone.localdate()
    audit.save()
    esg = client_for(esg_manager)

    missing = esg.post(url("audit-return", audit), {"reason": ""}, format="json")
    returned = esg.post(url("audit-return", audit), {"reason": "Score sheet missing"}, format="json")

    assert (missing.status_code, missing.json()) == (400, {"reason": ["Returning a report needs a reason."]})
    assert (returned.status_code, returned.json()["status"]) == (200, "in_progress")
    assert audit.history.first().history_change_reason == "Returned to the agency: Score sheet missing"


def test_an_observation_has_no_plan_to_read(audit, esg_manager):
    observation = FindingFactory(audit=audit, severity="observation")

    response = client_for(esg_manager).get(url("finding-cap", observation))

    assert response.status_code == 404
    assert response.json() == {"detail": f"Finding {observation.reference} has no corrective action plan."}


def test_a_follow_up_verification_must_name_the_audit(audit, auditor, esg_manager, contact_user):
    finding = FindingFactory(audit=audit, severity="minor")
    accept_directly(audit, finding, esg_manager)
    contact = client_for(contact_user)
    plan = {
        "root_cause": "r",
        "corrective_action": "c",
        "preventive_action": "p",
        "owner": "o",
        "planned_completion": str(finding.rectification_due),
    }
    assert contact.post(url("finding-cap", finding), plan, format="json").status_code == 200
    esg = client_for(esg_manager)
    assert esg.post(url("finding-cap-review", finding), {"approve": True}, format="json").status_code == 200
    contact.post(url("finding-evidence", finding), {"file": upload("fix.pdf", PDF)}, format="multipart")
    assert contact.post(url("finding-cap-implement", finding), {}, format="json").status_code == 200

    response = esg.post(url("finding-verify", finding), {"method": "follow_up_audit"}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Name the follow-up audit that verified the closure.",
        "field": "follow_up_audit",
    }
    follow_up = AuditFactory(supplier=audit.supplier, type=Audit.Type.FOLLOW_UP)
    response = esg.post(
        url("finding-verify", finding),
        {"method": "follow_up_audit", "follow_up_audit": follow_up.pk},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["verification"]["follow_up_audit"] == follow_up.pk
    audit.refresh_from_db()
    assert audit.status == Audit.Status.CLOSED
