"""Recipients: who is told about which reminders, by the stage each has reached. The party that must act
(the supplier's contacts, or whoever the item names), the buyer, ESG managers and procurement heads, as the
ladder's stage says.

And who each recipient is, for what they read (``audience_of``): staff read English and are sent to the
admin; everybody else is an outside reader (a supplier contact, an auditor, an audit agency's address), who
reads their own language and is sent to the portal, where they can act.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import CharField, Q, Value
from django.db.models.functions import Lower
from django.urls import reverse

from audits.models import AuditAgency, Auditor
from common.accounts import languages_of, normalized_email
from reminders.ladder import Ladder
from suppliers import roles
from suppliers.models import Contact, Supplier, eligible_buyers

from .items import describe


def _staff_emails(group: str) -> list[str]:
    return list(
        get_user_model()
        .objects.filter(groups__name=group, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


@dataclass(frozen=True)
class Staff:
    """The e-mails of the staff told by role, read once per run."""

    esg_managers: list[str]
    procurement_heads: list[str]

    @classmethod
    def for_ladder(cls, ladder: Ladder) -> Staff:
        stages = ladder.stages
        return cls(
            esg_managers=_staff_emails(roles.ESG_MANAGER)
            if any(s.notify_esg_managers for s in stages)
            else [],
            procurement_heads=_staff_emails(roles.PROCUREMENT_HEAD)
            if any(s.notify_procurement_heads for s in stages)
            else [],
        )


def recipients_for(
    reminders: Sequence, *, ladder: Ladder, staff: Staff | None = None
) -> dict[str, list[int]]:
    """Who is told about which reminders (rows or ``Reminder`` objects): e-mail → reminder ids. Reminders
    whose item is gone are left out. A fixed number of queries per call (and per kind)."""
    stages = ladder.by_stage()
    staff = staff or Staff.for_ladder(ladder)
    supplier_ids = {r.supplier_id for r in reminders}
    contacts: dict[int, list[str]] = defaultdict(list)
    for supplier_id, email in Contact.objects.filter(
        supplier_id__in=supplier_ids, receives_reminders=True, active=True
    ).values_list("supplier_id", "email"):
        contacts[supplier_id].append(email)
    # A buyer who is no longer eligible (left, deactivated, moved out of procurement) is told nothing.
    buyers = dict(
        Supplier.objects.filter(pk__in=supplier_ids, buyer__in=eligible_buyers())
        .exclude(buyer__email="")
        .values_list("pk", "buyer__email")
    )
    info = describe(reminders)

    fanout: dict[str, list[int]] = defaultdict(list)
    for reminder in reminders:
        stage = stages.get(reminder.stage)
        if stage is None:
            continue
        item = info.get((reminder.kind, reminder.item_id))
        if item is None:  # the item is gone
            continue
        emails: set[str] = set()
        if stage.notify_responsible:
            emails.update(
                item.responsible if item.responsible is not None else contacts.get(reminder.supplier_id, [])
            )
        if stage.notify_buyer and reminder.supplier_id in buyers:
            emails.add(buyers[reminder.supplier_id])
        if stage.notify_esg_managers:
            emails.update(staff.esg_managers)
        if stage.notify_procurement_heads:
            emails.update(staff.procurement_heads)
        for email in emails:
            fanout[email.strip().lower()].append(reminder.pk)
    return fanout


# --- Who reads a digest ----------------------------------------------------------------------------------

STAFF_LANGUAGE = "en"  # the admin and everything staff read are in English
# Users in these roles (or flagged staff or superuser) are staff: the buyer, ESG managers, procurement heads.
STAFF_ROLES = (roles.PROCUREMENT, roles.PROCUREMENT_HEAD, roles.ESG_MANAGER)

STAFF, SUPPLIER, AUDITOR = "staff", "supplier", "auditor"


@dataclass(frozen=True)
class Reader:
    """Who reads an e-mail: staff (English, links to the admin) or an outside reader (their language, links
    to the portal). ``role`` is ``STAFF``, ``SUPPLIER`` (a supplier's contact), ``AUDITOR`` (an auditor or an
    audit agency's address), or empty for an address that is none of these any more (e.g. a contact
    deactivated since the digest was built: an outside reader still, never sent to the admin)."""

    role: str
    language: str
    home_url: str  # path of where they start: the admin, their portal inbox, their agency's audits

    @property
    def outside(self) -> bool:
        return self.role != STAFF


def _emails_as(queryset, field: str, role: str, emails: set[str]):
    return (
        queryset.annotate(r_email=Lower(field), r_role=Value(role, output_field=CharField()))
        .filter(r_email__in=emails)
        .order_by()
        .values_list("r_email", "r_role")
    )


def audience_of(emails: Iterable[str]) -> dict[str, Reader]:
    """Who each address (lower case) is, in two queries whatever their number: one over staff logins,
    contacts, auditors and agencies; one for the outside readers' languages (``common.accounts``). An address
    that is a staff login is staff, whatever else it is."""
    emails = {normalized_email(email) for email in emails if email}
    if not emails:
        return {}
    staff_users = get_user_model().objects.filter(
        Q(is_staff=True) | Q(is_superuser=True) | Q(groups__name__in=STAFF_ROLES)
    )
    found = (
        _emails_as(staff_users, "email", STAFF, emails)
        .union(_emails_as(Contact.objects.filter(active=True), "email", SUPPLIER, emails))
        .union(_emails_as(Auditor.objects.active(), "user__email", AUDITOR, emails))
        .union(_emails_as(AuditAgency.objects.filter(active=True), "email", AUDITOR, emails))
    )
    roles_of: dict[str, set[str]] = defaultdict(set)
    for email, role in found:
        roles_of[email].add(role)
    outside = {email for email in emails if STAFF not in roles_of[email]}
    languages = languages_of(outside)
    homes = {
        STAFF: reverse("admin:index"),
        SUPPLIER: reverse("portal:inbox"),
        AUDITOR: reverse("portal:agency_audits"),
        "": reverse("portal:home"),
    }
    readers = {}
    for email in emails:
        found_roles = roles_of[email]
        role = next((r for r in (STAFF, SUPPLIER, AUDITOR) if r in found_roles), "")
        language = STAFF_LANGUAGE if role == STAFF else languages.get(email, settings.LANGUAGE_CODE)
        readers[email] = Reader(role=role, language=language, home_url=homes[role])
    return readers


def reader_of(email: str) -> Reader:
    """``audience_of`` for one address."""
    return audience_of([email])[normalized_email(email)]
