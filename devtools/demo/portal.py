"""Demo portal logins for a local run: a contact of the demo supplier with the most open findings, and an
auditor of a demo agency with an audit to fill in, each with a password that works, so that whoever runs
``make run`` can walk through both portal stories at once."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from audits import services
from audits.models import Audit, Auditor, Finding
from common.accounts import outside_user_for
from suppliers import roles
from suppliers.models import Contact, Supplier


@dataclass(frozen=True)
class PortalLogin:
    who: str
    email: str
    password: str

    def __str__(self) -> str:
        where = "http://127.0.0.1:8000/portal/"
        return f"{self.who} login: {where}  user: {self.email}  password: {self.password}"


def _password() -> str:
    return os.environ.get("PORTAL_DEMO_PASSWORD") or secrets.token_urlsafe(12)


def _with_password(user, password: str) -> None:
    user.set_password(password)
    user.is_active = True
    user.save(update_fields=["password", "is_active"])


def _demo_contact() -> PortalLogin | None:
    busiest = (
        Finding.objects.actionable()
        .issued()
        .open()
        .values("audit__supplier")
        .annotate(n=Count("pk"))
        .order_by("-n", "audit__supplier")
        .first()
    )
    if busiest is None:
        return None
    supplier = Supplier.objects.get(pk=busiest["audit__supplier"])
    contact = Contact.objects.filter(supplier=supplier).order_by("-is_primary", "pk").first()
    if contact is None:
        contact = Contact.objects.create(
            supplier=supplier, name="Demo Contact", email=f"contact@{supplier.code.lower()}.example"
        )
    if contact.user is None:
        user, _ = outside_user_for(email=contact.email, name=contact.name, group=roles.SUPPLIER_CONTACT)
        contact.user = user
        contact.active = True
        contact.save(update_fields=["user", "active"])
    password = _password()
    _with_password(contact.user, password)
    return PortalLogin(f"Supplier contact ({supplier.code} {supplier.name})", contact.user.email, password)


def _demo_auditor(today: dt.date) -> PortalLogin | None:
    auditor = Auditor.objects.active().select_related("user", "agency").order_by("agency__code", "pk").first()
    if auditor is None:
        return None
    open_audit = Audit.objects.filter(
        agency=auditor.agency, status__in=[Audit.Status.PLANNED, Audit.Status.IN_PROGRESS]
    ).exists()
    supplier = Supplier.objects.filter(status=Supplier.Status.ADMITTED).order_by("code").first()
    if not open_audit and supplier is not None:
        services.audit_create(
            supplier=supplier,
            agency=auditor.agency,
            lead_auditor=auditor,
            site=f"{supplier.name}, main site",
            planned_start=today + dt.timedelta(days=3),
            planned_end=today + dt.timedelta(days=5),
            type=Audit.Type.ANNUAL,
            by=None,
        )
    password = _password()
    _with_password(auditor.user, password)
    return PortalLogin(f"Auditor ({auditor.agency.name})", auditor.user.email, password)


@transaction.atomic
def demo_portal_logins(*, today: dt.date | None = None) -> list[PortalLogin]:
    today = today or timezone.localdate()
    return [login for login in (_demo_contact(), _demo_auditor(today)) if login is not None]


def write_logins(logins: list[PortalLogin], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(descriptor, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.writelines(f"{login}\n" for login in logins)
