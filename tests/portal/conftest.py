"""Two suppliers with a signed-in contact each, and two agencies with a signed-in auditor each: what every
portal test needs to show that each sees their own and nothing of the other's."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.test import Client

from audits.models import Audit
from suppliers import roles
from tests.factories import (
    AuditAgencyFactory,
    AuditFactory,
    AuditorFactory,
    ContactFactory,
    FindingFactory,
    SupplierFactory,
    UserFactory,
)

PASSWORD = "Portal-pass-2026!"


@dataclass
class SupplierSide:
    supplier: object
    contact: object
    user: object
    client: Client


@dataclass
class AgencySide:
    agency: object
    auditor: object
    user: object
    client: Client


def contact_login(supplier, *, email: str, language: str = "en") -> SupplierSide:
    from common.models import PortalAccount

    user = UserFactory(username=email, email=email, role=roles.SUPPLIER_CONTACT)
    user.set_password(PASSWORD)
    user.save()
    PortalAccount.objects.create(user=user, language=language)
    contact = ContactFactory(supplier=supplier, email=email, user=user, name=email.split("@")[0].title())
    client = Client()
    client.force_login(user)
    return SupplierSide(supplier=supplier, contact=contact, user=user, client=client)


def auditor_login(agency, *, email: str, language: str = "en") -> AgencySide:
    from common.models import PortalAccount

    user = UserFactory(username=email, email=email, role=roles.AUDITOR)
    user.set_password(PASSWORD)
    user.save()
    PortalAccount.objects.create(user=user, language=language)
    auditor = AuditorFactory(user=user, agency=agency)
    client = Client()
    client.force_login(user)
    return AgencySide(agency=agency, auditor=auditor, user=user, client=client)


@pytest.fixture
def supplier_a(db) -> SupplierSide:
    return contact_login(SupplierFactory(code="SUP-A", name="Alpha Electronics"), email="li.na@alpha.example")


@pytest.fixture
def supplier_b(db) -> SupplierSide:
    return contact_login(SupplierFactory(code="SUP-B", name="Beta Plastics"), email="wang.wei@beta.example")


@pytest.fixture
def agency_a(db) -> AgencySide:
    return auditor_login(
        AuditAgencyFactory(code="agency-a", name="Alpha Audits"), email="auditor@alpha-audits.example"
    )


@pytest.fixture
def agency_b(db) -> AgencySide:
    return auditor_login(
        AuditAgencyFactory(code="agency-b", name="Beta Audits"), email="auditor@beta-audits.example"
    )


def accepted_audit(*, supplier, agency, on: dt.date | None = None, **kwargs) -> Audit:
    """An audit of ``supplier`` by ``agency`` whose report was accepted on ``on`` (deadlines fixed by the
    policy), with the findings given as dicts of ``FindingFactory`` fields."""
    from audits import services
    from tests.factories import UserFactory as Users

    findings = kwargs.pop("findings", [{"severity": "major"}])
    on = on or dt.date.today() - dt.timedelta(days=3)
    audit = AuditFactory(
        supplier=supplier,
        agency=agency,
        status=Audit.Status.IN_PROGRESS,
        actual_start=on - dt.timedelta(days=10),
        actual_end=on - dt.timedelta(days=8),
        score=150,
        **kwargs,
    )
    for fields in findings:
        FindingFactory(audit=audit, **fields)
    manager = Users(username=f"esg-{audit.reference}", role=roles.ESG_MANAGER)
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.REPORT_SUBMITTED)
    audit.refresh_from_db()
    return services.audit_accept(audit=audit, by=manager, on=on)
