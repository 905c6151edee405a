"""Recipients: who is told about which reminders, by the stage each has reached. The party that must act
(the supplier's contacts, or whoever the item names), the buyer, ESG managers and procurement heads, as the
ladder's stage says."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model

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
