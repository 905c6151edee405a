"""Auditors' portal logins: an agency's staff are invited by e-mail from the agency's page; an auditor works
for exactly one agency (``Auditor.user`` is one-to-one), and deactivating the agency or the login ends their
access at once (``Auditor.objects.active()``)."""

from __future__ import annotations

from django.db import transaction

from common.accounts import invitation_send, outside_user_for
from suppliers import roles

from ..models import AuditAgency, Auditor
from .shared import Conflict


def auditor_invite(
    *, agency: AuditAgency, email: str, name: str, by, language: str = "", qualifications: str = ""
) -> Auditor:
    """Invite ``email`` as an auditor of ``agency``: the login is created when missing (in the auditor role),
    linked to the agency and e-mailed a single-use link to choose a password. Inviting an auditor of the
    same agency again sends a fresh link."""
    with transaction.atomic():
        agency = AuditAgency.objects.select_for_update().get(pk=agency.pk)
        if not agency.active:
            raise Conflict(
                f"{agency.name} is deactivated; reactivate the agency before inviting its auditors."
            )
        user, _created = outside_user_for(email=email, name=name, group=roles.AUDITOR, language=language)
        auditor = Auditor.objects.filter(user=user).select_related("agency").first()
        if auditor is None:
            auditor = Auditor.objects.create(user=user, agency=agency, qualifications=qualifications)
        elif auditor.agency_id != agency.pk:
            raise Conflict(
                f"{user.email} is already an auditor of {auditor.agency.name}; an auditor works for exactly "
                "one agency."
            )
        invitation_send(user=user, by=by, organisation=agency.name)
    return auditor
