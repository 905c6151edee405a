"""Who may do what through the audit API. Objects outside the caller's scope answer 404 on every endpoint;
within scope, a role that may not act answers 403; an allowed role reaches the service (which may still say
409 for the object's state)."""

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from audits import services
from audits.models import Audit, AuditAgency, Auditor, ClosureVerification, Evidence, Finding
from suppliers import roles
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
ROLES = ("esg", "procurement", "auditor", "contact", "outsider")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


def accepted_audit(*, auditor, contact_user, esg_manager) -> SimpleNamespace:
    """An accepted audit of the auditor's agency at the contact's supplier, with one major finding (CAP not
    started) and a pending extension request."""
    audit = AuditFactory(
        supplier=contact_user.supplier_contact.supplier,
        agency=auditor.agency,
        status=Audit.Status.REPORT_SUBMITTED,
        actual_start=dt.date(2026, 3, 2),
        actual_end=dt.date(2026, 3, 3),
        score=Decimal("170"),
    )
    finding = FindingFactory(audit=audit, number=1, severity="major")
    services.audit_accept(audit=audit, by=esg_manager)
    finding.refresh_from_db()
    extension = services.extension_request(
        finding=finding,
        by=contact_user,
        requested_due=finding.rectification_due + dt.timedelta(days=10),
        reason="Equipment delivery delayed",
    )
    return SimpleNamespace(audit=audit, finding=finding, extension=extension)


@pytest.fixture
def world(esg_manager, procurement_user):
    """Agency A's auditor and supplier X's contact, each with an accepted audit; agency B and supplier Y
    likewise, out of their scope."""
    users = {}
    sides = {}
    for side in ("mine", "theirs"):
        auditor = AuditorFactory()
        contact_user = UserFactory(role=roles.SUPPLIER_CONTACT)
        ContactFactory(supplier=SupplierFactory(), user=contact_user)
        sides[side] = accepted_audit(auditor=auditor, contact_user=contact_user, esg_manager=esg_manager)
        users[side] = SimpleNamespace(auditor=auditor.user, contact=contact_user)
    return SimpleNamespace(
        users={
            "esg": esg_manager,
            "procurement": procurement_user,
            "auditor": users["mine"].auditor,
            "contact": users["mine"].contact,
            "outsider": UserFactory(username="outsider"),
        },
        mine=sides["mine"],
        theirs=sides["theirs"],
    )


@dataclass(frozen=True)
class Call:
    method: str
    route: str
    target: str | None = None  # "audit", "finding" or "extension" of the side under test
    data: object = None  # dict, or a function returning one (fresh uploads)
    format: str = "json"

    def send(self, client: APIClient, side: SimpleNamespace):
        kwargs = {"pk": getattr(side, self.target).pk} if self.target else {}
        path = reverse(f"api:{self.route}", kwargs=kwargs)
        data = self.data(side) if callable(self.data) else self.data
        return getattr(client, self.method)(path, data, format=self.format)


def pdf(_side=None) -> dict:
    return {"file": SimpleUploadedFile("evidence.pdf", PDF)}


def cap_plan(side) -> dict:
    return {
        "root_cause": "Peak season staffing",
        "corrective_action": "Hire a second shift",
        "preventive_action": "Monthly hours review",
        "owner": "Plant manager",
        "planned_completion": str(side.finding.rectification_due),
    }


def extension_ask(side) -> dict:
    return {"requested_due": str(side.finding.rectification_due + dt.timedelta(days=5)), "reason": "Supplier"}


NEW_FINDING = {"provision": "B1", "severity": "minor", "description": "Blocked fire exit"}
THIS_MONTH = {"month": f"{timezone.localdate():%Y-%m}", "percent_complete": 10, "note": "Started"}

# Expected status per role, in the order of ROLES: esg, procurement, auditor (agency A), contact (supplier X),
# outsider (no role), all against the accepted audit of agency A at supplier X.
MATRIX = {
    "audit list": (Call("get", "audit-list"), (200, 200, 200, 200, 200)),
    "audit detail": (Call("get", "audit-detail", "audit"), (200, 200, 200, 200, 404)),
    "audit change": (Call("patch", "audit-detail", "audit", {"summary": "x"}), (403, 403, 409, 403, 404)),
    "audit findings": (Call("get", "audit-findings", "audit"), (200, 200, 200, 200, 404)),
    "finding create": (Call("post", "audit-findings", "audit", NEW_FINDING), (403, 403, 409, 403, 404)),
    "report upload": (Call("post", "audit-report", "audit", pdf, "multipart"), (403, 403, 409, 403, 404)),
    "audit submit": (Call("post", "audit-submit", "audit"), (403, 403, 409, 403, 404)),
    "audit accept": (Call("post", "audit-accept", "audit"), (409, 403, 403, 403, 404)),
    "audit return": (Call("post", "audit-return", "audit", {"reason": "Blurry"}), (409, 403, 403, 403, 404)),
    "finding list": (Call("get", "finding-list"), (200, 200, 200, 200, 200)),
    "finding detail": (Call("get", "finding-detail", "finding"), (200, 200, 200, 200, 404)),
    "finding change": (
        Call("patch", "finding-detail", "finding", {"severity": "minor"}),
        (403, 403, 409, 403, 404),
    ),
    "evidence list": (Call("get", "finding-evidence", "finding"), (200, 200, 200, 200, 404)),
    "evidence add": (
        Call("post", "finding-evidence", "finding", pdf, "multipart"),
        (403, 403, 409, 201, 404),
    ),
    "cap read": (Call("get", "finding-cap", "finding"), (200, 200, 200, 200, 404)),
    "cap submit": (Call("post", "finding-cap", "finding", cap_plan), (403, 403, 403, 200, 404)),
    "cap resubmit": (Call("put", "finding-cap", "finding", cap_plan), (403, 403, 403, 200, 404)),
    "cap review": (
        Call("post", "finding-cap-review", "finding", {"approve": True}),
        (409, 403, 403, 403, 404),
    ),
    "cap implement": (Call("post", "finding-cap-implement", "finding", {}), (403, 403, 403, 409, 404)),
    "closure verify": (
        Call("post", "finding-verify", "finding", {"method": "desk_review"}),
        (409, 403, 403, 403, 404),
    ),
    "progress list": (Call("get", "finding-progress", "finding"), (200, 200, 200, 200, 404)),
    "progress report": (Call("post", "finding-progress", "finding", THIS_MONTH), (403, 403, 403, 201, 404)),
    "extension list": (Call("get", "finding-extensions", "finding"), (200, 200, 200, 200, 404)),
    "extension ask": (
        Call("post", "finding-extensions", "finding", extension_ask),
        (403, 403, 403, 409, 404),
    ),
    "extensions": (Call("get", "extension-list"), (200, 200, 200, 200, 200)),
    "extension detail": (Call("get", "extension-detail", "extension"), (200, 200, 200, 200, 404)),
    "extension decide": (
        Call("post", "extension-decide", "extension", {"approve": False, "reason": "Not convincing"}),
        (200, 403, 403, 403, 404),
    ),
}


@pytest.mark.parametrize(
    ("endpoint", "role"),
    [(endpoint, role) for endpoint in MATRIX for role in ROLES],
    ids="{0[0]}-{0[1]}".format,
)
def test_role_against_endpoint(world, endpoint, role):
    call, expected = MATRIX[endpoint]
    response = call.send(client_for(world.users[role]), world.mine)
    assert response.status_code == expected[ROLES.index(role)], response.content


OBJECT_CALLS = [name for name, (call, _) in MATRIX.items() if call.target]


@pytest.mark.parametrize("endpoint", OBJECT_CALLS)
def test_an_auditor_never_reaches_another_agencys_audits(world, endpoint):
    call, _ = MATRIX[endpoint]
    response = call.send(client_for(world.users["auditor"]), world.theirs)
    assert response.status_code == 404


@pytest.mark.parametrize("endpoint", OBJECT_CALLS)
def test_a_supplier_contact_never_reaches_another_suppliers_findings(world, endpoint):
    call, _ = MATRIX[endpoint]
    response = call.send(client_for(world.users["contact"]), world.theirs)
    assert response.status_code == 404


def test_nothing_is_written_by_refused_calls(world):
    """The 403s and 404s above leave no trace: no evidence, no finding, CAP untouched."""
    for role in ("esg", "procurement", "auditor", "outsider"):
        MATRIX["evidence add"][0].send(client_for(world.users[role]), world.mine)
        MATRIX["cap submit"][0].send(client_for(world.users[role]), world.mine)
    MATRIX["evidence add"][0].send(client_for(world.users["auditor"]), world.theirs)
    assert not Evidence.objects.exists()
    world.mine.finding.cap.refresh_from_db()
    assert world.mine.finding.cap.status == "not_started"


def test_lists_show_each_caller_their_scope_only(world):
    def ids(role, route):
        return {
            row["id"] for row in client_for(world.users[role]).get(reverse(f"api:{route}")).json()["results"]
        }

    both_audits = {world.mine.audit.pk, world.theirs.audit.pk}
    both_findings = {world.mine.finding.pk, world.theirs.finding.pk}
    assert ids("esg", "audit-list") == ids("procurement", "audit-list") == both_audits
    assert ids("auditor", "audit-list") == ids("contact", "audit-list") == {world.mine.audit.pk}
    assert ids("esg", "finding-list") == ids("procurement", "finding-list") == both_findings
    assert ids("auditor", "finding-list") == ids("contact", "finding-list") == {world.mine.finding.pk}
    assert ids("contact", "extension-list") == {world.mine.extension.pk}
    assert ids("outsider", "audit-list") == ids("outsider", "finding-list") == set()


def test_a_supplier_contact_does_not_see_audits_before_acceptance(world):
    contact = world.users["contact"]
    ongoing = AuditFactory(
        supplier=contact.supplier_contact.supplier,
        agency=world.mine.audit.agency,
        status=Audit.Status.IN_PROGRESS,
        actual_start=dt.date(2026, 3, 2),
    )
    draft = FindingFactory(audit=ongoing, number=1)
    client = client_for(contact)

    assert client.get(reverse("api:audit-detail", kwargs={"pk": ongoing.pk})).status_code == 404
    assert client.get(reverse("api:finding-detail", kwargs={"pk": draft.pk})).status_code == 404
    assert draft.pk not in {row["id"] for row in client.get(reverse("api:finding-list")).json()["results"]}


def test_a_supplier_contact_sees_only_the_supplier_sides_evidence(world):
    finding = world.mine.finding
    auditor_evidence = Evidence.objects.create(
        finding=finding,
        purpose=Evidence.Purpose.FINDING,
        file="audits/interview.pdf",
        original_name="interview.pdf",
        content_type="application/pdf",
        size=10,
        sha256="0" * 64,
    )
    response = client_for(world.users["contact"]).post(
        reverse("api:finding-evidence", kwargs={"pk": finding.pk}), pdf(), format="multipart"
    )
    assert response.status_code == 201
    path = reverse("api:finding-evidence", kwargs={"pk": finding.pk})

    contact_sees = [row["original_name"] for row in client_for(world.users["contact"]).get(path).json()]
    auditor_sees = [row["id"] for row in client_for(world.users["auditor"]).get(path).json()]
    assert contact_sees == ["evidence.pdf"]
    assert auditor_evidence.pk in auditor_sees and len(auditor_sees) == 2


def test_a_supplier_contact_cannot_label_evidence_as_audit_evidence(world):
    response = client_for(world.users["contact"]).post(
        reverse("api:finding-evidence", kwargs={"pk": world.mine.finding.pk}),
        {**pdf(), "purpose": "finding"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json() == {"purpose": ["Supplier contacts add 'rectification' or 'progress' evidence."]}
    assert not Evidence.objects.exists()


def test_a_forbidden_action_says_why(world):
    response = MATRIX["audit accept"][0].send(client_for(world.users["auditor"]), world.mine)
    assert response.json() == {"detail": "You may not accept or return audit reports."}
    response = MATRIX["cap submit"][0].send(client_for(world.users["esg"]), world.mine)
    assert response.json() == {
        "detail": "Only the supplier's contacts may carry out corrective action on this finding."
    }


def test_anonymous_callers_are_refused():
    client = APIClient()
    assert client.get(reverse("api:audit-list")).status_code == 401
    assert client.get(reverse("api:finding-list")).status_code == 401


# --- the auditor's notes are theirs and the company's ------------------------------------------------------


def test_a_supplier_contact_never_gets_the_auditors_evidence_notes(world):
    finding = world.mine.finding
    Finding.objects.filter(pk=finding.pk).update(evidence_notes="Worker W-17 said overtime is unpaid.")
    routes = [
        reverse("api:finding-list"),
        reverse("api:finding-detail", kwargs={"pk": finding.pk}),
        reverse("api:audit-findings", kwargs={"pk": finding.audit_id}),
    ]
    for path in routes:
        contact = client_for(world.users["contact"]).get(path)
        assert contact.status_code == 200
        assert "W-17" not in contact.content.decode(), path
        for role in ("esg", "procurement", "auditor"):
            assert (
                "Worker W-17 said overtime is unpaid."
                in client_for(world.users[role]).get(path).json().__str__()
            )

    row = client_for(world.users["contact"]).get(routes[1]).json()
    assert "evidence_notes" not in row and row["description"] == finding.description


# --- auditors of an inactive agency, or with an inactive login, are nobody ----------------------------------


def fresh_client(user) -> APIClient:
    """A client authenticating a fresh copy of the user, as each real request does."""
    return client_for(type(user).objects.get(pk=user.pk))


@pytest.mark.parametrize("endpoint", OBJECT_CALLS)
def test_an_auditor_of_an_inactive_agency_reaches_nothing(world, endpoint):
    AuditAgency.objects.filter(pk=world.mine.audit.agency_id).update(active=False)
    call, _ = MATRIX[endpoint]
    response = call.send(fresh_client(world.users["auditor"]), world.mine)
    assert response.status_code == 404, response.content


def test_an_auditor_of_an_inactive_agency_lists_nothing(world):
    auditor = world.users["auditor"]
    before = fresh_client(auditor).get(reverse("api:audit-list")).json()["results"]
    AuditAgency.objects.filter(pk=world.mine.audit.agency_id).update(active=False)
    client = fresh_client(auditor)

    assert [row["id"] for row in before] == [world.mine.audit.pk]
    for route in ("audit-list", "finding-list", "extension-list"):
        response = client.get(reverse(f"api:{route}"))
        assert (response.status_code, response.json()["results"]) == (200, [])


def test_a_deactivated_auditor_login_is_refused(world):
    auditor = world.users["auditor"]
    token = Token.objects.create(user=auditor)
    type(auditor).objects.filter(pk=auditor.pk).update(is_active=False)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")

    assert client.get(reverse("api:audit-list")).status_code == 401
    assert Auditor.objects.active().filter(user=auditor).count() == 0


# --- closure verification: who records which method --------------------------------------------------------


@pytest.fixture
def implemented(world):
    """The finding of agency A at supplier X with its CAP carried out, and a follow-up audit of X by agency A
    (``follow_up``) and one by agency B (``other_agency``)."""
    finding, contact = world.mine.finding, world.users["contact"]
    services.cap_submit(
        finding=finding,
        by=contact,
        **{**cap_plan(world.mine), "planned_completion": finding.rectification_due},
    )
    services.cap_review(finding=finding, by=world.users["esg"], approve=True)
    services.evidence_attach(
        finding=finding,
        by=contact,
        purpose=Evidence.Purpose.RECTIFICATION,
        upload=SimpleUploadedFile("fix.pdf", PDF, content_type="application/pdf"),
    )
    services.cap_implement(finding=finding, by=contact)
    supplier, agency = finding.audit.supplier, finding.audit.agency
    return SimpleNamespace(
        finding=finding,
        follow_up=AuditFactory(supplier=supplier, agency=agency, type=Audit.Type.FOLLOW_UP),
        other_agency=AuditFactory(
            supplier=supplier, agency=world.theirs.audit.agency, type=Audit.Type.FOLLOW_UP
        ),
        other_supplier=AuditFactory(
            supplier=world.theirs.audit.supplier, agency=agency, type=Audit.Type.FOLLOW_UP
        ),
    )


def verify(world, role, finding, **data):
    return client_for(world.users[role]).post(
        reverse("api:finding-verify", kwargs={"pk": finding.pk}), data, format="json"
    )


def test_the_agencys_auditor_records_a_follow_up_verification(world, implemented):
    response = verify(
        world,
        "auditor",
        implemented.finding,
        method="follow_up_audit",
        follow_up_audit=implemented.follow_up.pk,
    )

    assert response.status_code == 200, response.json()
    assert response.json()["verification"] == {
        **response.json()["verification"],
        "method": "follow_up_audit",
        "follow_up_audit": implemented.follow_up.pk,
        "verified_by": world.users["auditor"].email,
    }
    assert response.json()["closed_on"] is not None
    assert response.json()["evidence_notes"] == ""  # the auditor gets their notes back


def test_an_auditor_may_not_record_a_desk_review(world, implemented):
    response = verify(world, "auditor", implemented.finding, method="desk_review")

    assert response.status_code == 403
    assert response.json() == {
        "detail": "Auditors verify a closure by follow-up audit; a desk review is for ESG managers."
    }
    assert not ClosureVerification.objects.exists()


def test_an_auditor_names_only_their_agencys_audits(world, implemented):
    other = implemented.other_agency.pk
    response = verify(world, "auditor", implemented.finding, method="follow_up_audit", follow_up_audit=other)

    assert response.status_code == 400
    assert response.json() == {"follow_up_audit": [f"No audit you can see has the id {other}."]}
    assert not ClosureVerification.objects.exists()


@pytest.mark.parametrize("method", ["desk_review", "follow_up_audit"])
def test_the_esg_manager_records_either_method(world, implemented, method):
    data = {"method": method}
    if method == "follow_up_audit":
        data["follow_up_audit"] = implemented.other_agency.pk  # any agency's follow-up of the supplier
    response = verify(world, "esg", implemented.finding, **data)

    assert response.status_code == 200, response.json()
    assert response.json()["verification"]["method"] == method
    assert response.json()["verification"]["verified_by"] == world.users["esg"].email


def test_a_follow_up_audit_of_another_supplier_is_refused(world, implemented):
    other = implemented.other_supplier
    response = verify(
        world, "auditor", implemented.finding, method="follow_up_audit", follow_up_audit=other.pk
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"Audit {other.reference} is not an audit of {implemented.finding.audit.supplier.code}.",
        "field": "follow_up_audit",
    }


@pytest.mark.parametrize(("role", "status"), [("procurement", 403), ("contact", 403), ("outsider", 404)])
@pytest.mark.parametrize("method", ["desk_review", "follow_up_audit"])
def test_other_roles_record_no_verification(world, implemented, role, status, method):
    response = verify(
        world, role, implemented.finding, method=method, follow_up_audit=implemented.follow_up.pk
    )
    assert response.status_code == status
    assert not ClosureVerification.objects.exists()


def test_an_auditor_of_an_inactive_agency_records_no_verification(world, implemented):
    AuditAgency.objects.filter(pk=implemented.follow_up.agency_id).update(active=False)
    response = fresh_client(world.users["auditor"]).post(
        reverse("api:finding-verify", kwargs={"pk": implemented.finding.pk}),
        {"method": "follow_up_audit", "follow_up_audit": implemented.follow_up.pk},
        format="json",
    )
    assert response.status_code == 404
    assert not ClosureVerification.objects.exists()
