"""Who a portal user is, and the guards of the portal's views.

A portal user is either a supplier contact (``suppliers.accounts.contact_of``: an active contact with an
active login in the supplier-contact role) or an auditor (``audits.api.permissions.auditor_of``: an active
login of an active agency). The same functions make the API's scopes, so the portal shows nobody more than the
API would. Anyone else signed in (staff) is sent to the admin; a deactivated contact or agency is nobody.

Views take their objects from the same scope functions as the API (``*_visible_to``), so another supplier's or
agency's object is simply not found: 404.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect, render
from django.urls import reverse

from audits.api.permissions import auditor_of
from audits.models import AuditAgency, Auditor
from suppliers.accounts import contact_of
from suppliers.models import Contact, Supplier

SUPPLIER = "supplier"
AUDITOR = "auditor"


@dataclass(frozen=True)
class PortalUser:
    kind: str  # SUPPLIER or AUDITOR
    contact: Contact | None = None
    auditor: Auditor | None = None

    @property
    def supplier(self) -> Supplier | None:
        return self.contact.supplier if self.contact is not None else None

    @property
    def agency(self) -> AuditAgency | None:
        return self.auditor.agency if self.auditor is not None else None

    @property
    def organisation(self) -> str:
        if self.contact is not None:
            return f"{self.contact.supplier.code} {self.contact.supplier.name}"
        return self.auditor.agency.name

    @property
    def is_supplier(self) -> bool:
        return self.kind == SUPPLIER

    @property
    def is_auditor(self) -> bool:
        return self.kind == AUDITOR


def portal_user(user) -> PortalUser | None:
    """The portal identity of a signed-in user, or None (staff, deactivated, or nobody)."""
    if user is None or not user.is_authenticated:
        return None
    contact = contact_of(user)
    if contact is not None:
        return PortalUser(kind=SUPPLIER, contact=contact)
    auditor = auditor_of(user)
    if auditor is not None:
        return PortalUser(kind=AUDITOR, auditor=auditor)
    return None


def home_url(who: PortalUser) -> str:
    return reverse("portal:inbox") if who.is_supplier else reverse("portal:agency_audits")


def _guard(kind: str | None):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse("portal:login"))
            who = portal_user(request.user)
            if who is None:
                if request.user.is_staff:
                    return redirect("admin:index")
                return render(request, "portal/auth/no_access.html", status=403)
            if kind is not None and who.kind != kind:
                return redirect(home_url(who))
            request.portal = who
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


portal_user_required = _guard(None)
supplier_required = _guard(SUPPLIER)
auditor_required = _guard(AUDITOR)
