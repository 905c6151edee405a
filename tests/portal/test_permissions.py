"""The permission probe over every portal URL: for two suppliers and two agencies, each outside user reaches
their own objects and gets 404 for the other's, on every route and every method; nobody signed out reaches
anything but the sign-in pages; a user of one kind is sent home from the other kind's pages.

The probe reads the portal's routes from its URL configuration: a new route with an object in its path must
be added to ``OBJECT_OF`` (which object its ``pk`` names), or this test fails.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, reverse

from minerals.models import Declaration, DeclarationDraft, DueDiligenceAction
from portal import urls as portal_urls
from tests.factories import AuditFactory

from .conftest import accepted_audit

# What the pk of each route names, and whose it is: "supplier_finding" is a finding of the supplier's audit,
# "agency_audit" an audit of the agency, and so on.
OBJECT_OF = {
    "supplier_audit": "supplier_audit",
    "finding": "supplier_finding",
    "finding_cap": "supplier_finding",
    "finding_progress": "supplier_finding",
    "finding_extension": "supplier_finding",
    "finding_rectification": "supplier_finding",
    "declaration": "declaration",
    "declaration_draft": "declaration_draft",
    "dd_action": "dd_action",
    "agency_audit": "agency_audit",
    "agency_finding_new": "agency_audit",
    "agency_workbook": "agency_audit",
    "agency_finding": "agency_finding",
    "agency_verify": "agency_finding",
    "agency_audit_start": "agency_audit",
    "agency_audit_report": "agency_audit",
    "agency_audit_submit": "agency_audit",
    "agency_finding_evidence": "agency_finding",
}
# Routes open to anybody (signing in, the invitation and password links, the language choice).
PUBLIC = {
    "login",
    "logout",
    "welcome",
    "password_reset",
    "password_reset_sent",
    "password_reset_confirm",
    "language",
}
SUPPLIER_ONLY_PREFIXES = ("inbox", "supplier_", "finding", "declaration", "dd_action", "agreement")
AUDITOR_ONLY_PREFIXES = ("agency_",)


# Another's object is 404; a form's target that only takes POST answers GET with 405 for any object, before
# looking anything up (so it tells nothing either).
_NOT_YOURS = {"get": (404, 405), "post": (404,)}


def _routes() -> list[URLPattern]:
    return [p for p in portal_urls.urlpatterns if isinstance(p, URLPattern)]


def _world(side, agency):
    """One supplier's and one agency's objects: an accepted audit with a finding (the supplier's, done by the
    agency), an audit in progress of the agency, a declaration and a due-diligence action of the supplier."""
    issued = accepted_audit(supplier=side.supplier, agency=agency, findings=[{"severity": "major"}])
    ongoing = AuditFactory(supplier=side.supplier, agency=agency, status="in_progress")
    declaration = Declaration.objects.create(
        supplier=side.supplier, year=2025, family="CMRT", template="CMRT", status="accepted", sha256="0" * 64
    )
    action = DueDiligenceAction.objects.create(
        supplier=side.supplier,
        year=2025,
        family="CMRT",
        key=f"probe-{side.supplier.code}",
        metal="gold",
        smelter_label="Probe Refinery",
        reason=DueDiligenceAction.Reason.NON_CONFORMANT,
        deadline=dt.date.today() + dt.timedelta(days=30),
    )
    draft = DeclarationDraft.objects.create(
        supplier=side.supplier,
        year=2025,
        family="CMRT",
        filename="probe.xlsx",
        sha256="0" * 64,
        created_by=side.user,
    )
    finding = issued.findings.get()
    return {
        "declaration_draft": draft.pk,
        "supplier_audit": issued.pk,
        "supplier_finding": finding.pk,
        "declaration": declaration.pk,
        "dd_action": action.pk,
        "agency_audit": ongoing.pk,
        "agency_finding": finding.pk,
    }


@pytest.fixture
def world(supplier_a, supplier_b, agency_a, agency_b):
    return {"a": _world(supplier_a, agency_a.agency), "b": _world(supplier_b, agency_b.agency)}


def _kwargs(pattern: URLPattern, objects: dict) -> dict:
    names = set(pattern.pattern.converters)
    if not names:
        return {}
    assert pattern.name in OBJECT_OF or names == {"kind"} or pattern.name in PUBLIC, (
        f"portal:{pattern.name} takes {names}: say in OBJECT_OF which object its pk names"
    )
    kwargs = {}
    if "pk" in names:
        kwargs["pk"] = objects[OBJECT_OF[pattern.name]]
    if "kind" in names:
        kwargs["kind"] = "csr_agreement"
    if "uidb64" in names:
        kwargs.update(uidb64="MQ", token="x-y")
    return kwargs


def test_every_route_with_an_object_is_in_the_probe():
    for pattern in _routes():
        if "pk" in pattern.pattern.converters:
            assert pattern.name in OBJECT_OF, f"portal:{pattern.name} is not probed: add it to OBJECT_OF"


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_supplier_contact_gets_404_for_everything_of_another_supplier(world, supplier_a, method):
    leaks = []
    for pattern in _routes():
        if pattern.name in PUBLIC or not pattern.name.startswith(SUPPLIER_ONLY_PREFIXES):
            continue
        kwargs = _kwargs(pattern, world["b"])
        if "pk" not in kwargs:
            continue
        url = reverse(f"portal:{pattern.name}", kwargs=kwargs)
        response = getattr(supplier_a.client, method)(url)
        if response.status_code not in _NOT_YOURS[method]:
            leaks.append(f"{method.upper()} {url} → {response.status_code}")

    assert not leaks, "Another supplier's objects must be 404:\n" + "\n".join(leaks)


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_auditor_gets_404_for_everything_of_another_agency(world, agency_a, method):
    leaks = []
    for pattern in _routes():
        if not pattern.name.startswith(AUDITOR_ONLY_PREFIXES):
            continue
        kwargs = _kwargs(pattern, world["b"])
        if "pk" not in kwargs:
            continue
        url = reverse(f"portal:{pattern.name}", kwargs=kwargs)
        response = getattr(agency_a.client, method)(url)
        if response.status_code not in _NOT_YOURS[method]:
            leaks.append(f"{method.upper()} {url} → {response.status_code}")

    assert not leaks, "Another agency's objects must be 404:\n" + "\n".join(leaks)


def test_each_outside_user_reaches_their_own_pages(world, supplier_a, agency_a):
    refused = []
    for pattern in _routes():
        if pattern.name in PUBLIC or pattern.name in {"home", "agreement_sign"}:
            continue
        if pattern.name.startswith(AUDITOR_ONLY_PREFIXES):
            client = agency_a.client
        elif pattern.name.startswith(SUPPLIER_ONLY_PREFIXES):
            client = supplier_a.client
        else:
            client = supplier_a.client  # pages of every portal user (account, password change)
        url = reverse(f"portal:{pattern.name}", kwargs=_kwargs(pattern, world["a"]))
        response = client.get(url)
        if response.status_code not in (200, 302, 405) or (
            response.status_code == 302 and response["Location"].startswith("/portal/sign-in/")
        ):
            refused.append(f"GET {url} → {response.status_code}")

    assert not refused, "Own pages must open:\n" + "\n".join(refused)


def test_a_signed_out_visitor_is_sent_to_sign_in_from_every_page(world, client):
    for pattern in _routes():
        if pattern.name in PUBLIC or pattern.name == "home":
            continue
        url = reverse(f"portal:{pattern.name}", kwargs=_kwargs(pattern, world["a"]))
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 302, f"{method.upper()} {url} → {response.status_code}"
            assert response["Location"].startswith("/portal/sign-in/?next="), url


def test_a_user_of_one_kind_is_sent_home_from_the_other_kinds_pages(world, supplier_a, agency_a):
    for pattern in _routes():
        kwargs = _kwargs(pattern, world["a"])
        if pattern.name.startswith(AUDITOR_ONLY_PREFIXES):
            response = supplier_a.client.get(reverse(f"portal:{pattern.name}", kwargs=kwargs))
            assert response.status_code == 302 and response["Location"] == "/portal/inbox/", pattern.name
        elif pattern.name.startswith(SUPPLIER_ONLY_PREFIXES):
            response = agency_a.client.get(reverse(f"portal:{pattern.name}", kwargs=kwargs))
            assert response.status_code == 302 and response["Location"] == "/portal/agency/audits/", (
                pattern.name
            )


def test_every_portal_form_needs_a_csrf_token(world, supplier_a, agency_a):
    from django.test import Client

    for side, prefixes in ((supplier_a, SUPPLIER_ONLY_PREFIXES), (agency_a, AUDITOR_ONLY_PREFIXES)):
        strict = Client(enforce_csrf_checks=True)
        strict.force_login(side.user)
        own = world["a"]
        for pattern in _routes():
            if not pattern.name.startswith(prefixes):
                continue
            url = reverse(f"portal:{pattern.name}", kwargs=_kwargs(pattern, own))
            assert strict.post(url).status_code == 403, f"POST {url} without a CSRF token was not refused"
    assert Client(enforce_csrf_checks=True).post(reverse("portal:login")).status_code == 403
