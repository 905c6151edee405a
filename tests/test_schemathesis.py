"""A bounded schemathesis pass over the OpenAPI schema: every operation is called with generated input as an
ESG manager, an auditor, a supplier contact and a buyer, on seeded data (suppliers, an audit of the
auditor's agency in progress with a finding, its report and evidence, an accepted audit with a corrective
action plan and an extension request, a declaration, registry smelters). It fails on any server error and
on any answer the schema does not describe: an undocumented status code, a body that does not match the
documented schema, or another content type.

Path ids are drawn from the seeded records as well as generated, so that operations reach real objects and
not only their 404s. Bounded to stay within a few minutes on a small machine: few examples per operation and
mode (valid and invalid input), derandomized (the same inputs on every run), no shrinking. Every operation
is included (file downloads too); writes happen inside the test's transaction and are rolled back."""

from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
import schemathesis
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from rest_framework.authtoken.models import Token
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from audits import services as audit_services
from audits.models import Audit, CorrectiveActionPlan, Evidence, ExtensionRequest
from minerals.models import Declaration, RmapStatus, Smelter
from suppliers import roles
from suppliers.models import Supplier
from tests.factories import (
    AuditFactory,
    AuditorFactory,
    ContactFactory,
    FindingFactory,
    SupplierFactory,
    UserFactory,
    make_admissible,
)
from tests.minerals import test_declarations as declarations

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION_AND_MODE = 10
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

cmrt_parser = declarations.cmrt_parser  # the real CMRT parser, or the stand-in when it is not installed

BOUNDED = hypothesis.settings(
    max_examples=EXAMPLES_PER_OPERATION_AND_MODE,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(params=["esg_manager", "auditor", "supplier_contact", "procurement"])
def caller(request, db, cmrt_parser):
    """Seed the register, the audit programme and minerals; answer the role's user."""
    esg = UserFactory(username="st-esg", role=roles.ESG_MANAGER)
    auditor = AuditorFactory(user__username="st-auditor")
    suppliers = [make_admissible(SupplierFactory()) for _ in range(3)]
    contact = UserFactory(username="st-contact", role=roles.SUPPLIER_CONTACT)
    ContactFactory(supplier=suppliers[0], user=contact)
    in_progress = AuditFactory(
        supplier=suppliers[0], agency=auditor.agency, lead_auditor=auditor, status=Audit.Status.IN_PROGRESS
    )
    recorded = FindingFactory(audit=in_progress)
    audit_services.audit_attach_report(
        audit=in_progress, upload=SimpleUploadedFile("report.pdf", PDF), by=auditor.user
    )
    audit_services.evidence_attach(
        finding=recorded, upload=SimpleUploadedFile("photo.pdf", PDF), by=auditor.user
    )
    accepted = AuditFactory(
        supplier=suppliers[1],
        agency=auditor.agency,
        status=Audit.Status.ACCEPTED,
        actual_start=dt.date(2026, 3, 2),
        actual_end=dt.date(2026, 3, 4),
    )
    today = dt.date.today()
    finding = FindingFactory(
        audit=accepted, cap_due=today + dt.timedelta(days=7), rectification_due=today + dt.timedelta(days=90)
    )
    CorrectiveActionPlan.objects.create(finding=finding, root_cause="No overtime control")
    ExtensionRequest.objects.create(
        finding=finding,
        previous_due=finding.rectification_due,
        requested_due=today + dt.timedelta(days=120),
        reason="Parts on order",
        requested_by=contact,
    )
    for cid, name, metal in [("CID000001", "Golden Refinery Co.", "gold"), ("CID000002", "Tin Works", "tin")]:
        declarations.make_smelter(cid, name, metal, status=RmapStatus.CONFORMANT)
    declarations.import_file(suppliers[0], declarations.MIXED[:1], by=esg)
    procurement = UserFactory(username="st-buyer", role=roles.PROCUREMENT)
    return {
        "esg_manager": esg,
        "auditor": auditor.user,
        "supplier_contact": contact,
        "procurement": procurement,
    }[request.param]


@pytest.fixture
def api_schema(caller):
    """The schema, loaded from the app, which schemathesis then calls through WSGI in this test's transaction.
    As Django's test client does, requests keep the test's database connection open."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def seeded_path_parameters() -> dict[str, list[dict[str, int]]]:
    """Path parameters naming seeded records, by the collection that comes first in the path."""
    return {
        "suppliers": [{"id": pk} for pk in Supplier.objects.values_list("pk", flat=True)],
        "audits": [{"id": pk} for pk in Audit.objects.values_list("pk", flat=True)],
        "findings": [
            {"id": finding, "evidence_id": evidence}
            for evidence, finding in Evidence.objects.values_list("pk", "finding_id")
        ]
        + [{"id": pk} for pk in ExtensionRequest.objects.values_list("finding_id", flat=True)],
        "extensions": [{"id": pk} for pk in ExtensionRequest.objects.values_list("pk", flat=True)],
        "declarations": [{"id": pk} for pk in Declaration.objects.values_list("pk", flat=True)],
        "smelters": [{"id": pk} for pk in Smelter.objects.values_list("pk", flat=True)],
    }


def cases(operation, mode: GenerationMode, seeded: dict[str, list[dict[str, int]]]):
    """Generated input; for valid input, also the same operation on each seeded record of its path."""
    generated = operation.as_strategy(generation_mode=mode)
    if mode is not GenerationMode.POSITIVE or "{id}" not in operation.path:
        return generated
    collection = operation.path.removeprefix("/api/v1/").split("/")[0]
    names = {name for name in ("id", "evidence_id") if f"{{{name}}}" in operation.path}
    on_records = [
        operation.as_strategy(
            generation_mode=mode, path_parameters={k: v for k, v in ids.items() if k in names}
        )
        for ids in seeded.get(collection, [])
        if names <= ids.keys()
    ]
    return st.one_of(*on_records, generated)


def test_the_api_answers_as_its_schema_says(api_schema, caller):
    headers = {"Authorization": f"Token {Token.objects.create(user=caller).key}"}
    seeded = seeded_path_parameters()
    failures: list[str] = []
    answered: dict[str, set[int]] = {}
    for result in api_schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @BOUNDED
            @hypothesis.given(case=cases(operation, mode, seeded))
            def call(case):
                response = case.call_and_validate(headers=headers, checks=CHECKS)
                answered.setdefault(case.operation.label, set()).add(response.status_code)

            try:
                call()
            except (AssertionError, FailureGroup) as failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)
    if caller.username == "st-esg":  # sees everything: every read reached a record at least once
        unreached = [
            label
            for label, codes in answered.items()
            if label.startswith("GET ") and not any(200 <= code < 300 for code in codes)
        ]
        assert not unreached, f"No read answered 2xx: {unreached}"
