"""Which smelters count as RMAP conformant, and what a supplier must do about every other one: the one rule
that the smelter figures (``selectors``) and the due-diligence actions (``services.due_diligence_sync``) read.

RMI's Responsible Minerals Assurance Process gives each smelter or refiner a status (``RmapStatus``):

- *conformant*: assessed and found conformant. It counts as conformant and needs nothing.
- *active*: committed to an assessment that has not ended. It does not count as conformant; the supplier
  checks again when the assessment is due (``MineralsPolicy.follow_up_days``, 180 days by default): by then
  the smelter is conformant, or it needs due diligence like any other.
- *not enrolled* / *non-conformant* (one status in the registry), and a reported smelter the registry does
  not know: third-party due diligence under RMAP requirements, or replacement of the smelter, within
  ``MineralsPolicy.dd_deadline_days`` (90 days by default).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import DueDiligenceAction, MineralsPolicy, RmapStatus, Smelter

Kind, Reason = DueDiligenceAction.Kind, DueDiligenceAction.Reason


@dataclass(frozen=True)
class Need:
    """What a smelter that is not conformant needs: the action's reason and kind, and the policy setting that
    gives its deadline in days."""

    reason: str
    kind: str
    days_setting: str

    def deadline(self, *, policy: MineralsPolicy, on: dt.date) -> dt.date:
        return on + dt.timedelta(days=getattr(policy, self.days_setting))


FOLLOW_UP = Need(Reason.IN_ASSESSMENT, Kind.FOLLOW_UP, "follow_up_days")
DUE_DILIGENCE = Need(Reason.NON_CONFORMANT, Kind.DUE_DILIGENCE, "dd_deadline_days")
UNKNOWN = Need(Reason.UNKNOWN, Kind.DUE_DILIGENCE, "dd_deadline_days")

# Every RMAP status and what it needs; None: nothing (the smelter counts as conformant).
NEEDS: dict[str, Need | None] = {
    RmapStatus.CONFORMANT: None,
    RmapStatus.ACTIVE: FOLLOW_UP,
    RmapStatus.NOT_ENROLLED: DUE_DILIGENCE,
}

CONFORMANT_STATUSES = frozenset(status for status, need in NEEDS.items() if need is None)


def is_conformant(status: str) -> bool:
    return status in CONFORMANT_STATUSES


def conformant(*, smelter: str = "") -> Q:
    """Rows whose smelter counts as conformant; ``smelter`` is the path to it (e.g. ``"smelter"`` from a
    declared row), empty for the registry itself."""
    prefix = f"{smelter}__" if smelter else ""
    return Q(**{f"{prefix}rmap_status__in": sorted(CONFORMANT_STATUSES)})


def need_of(smelter: Smelter | None) -> Need | None:
    """What a reported smelter needs: by its RMAP status, or ``UNKNOWN`` when the registry does not know it
    (``None``: not matched)."""
    if smelter is None:
        return UNKNOWN
    return NEEDS[smelter.rmap_status]


# The rule above in words for the supplier who must act: why an action exists, by its reason.
WHY: dict[str, str] = {
    Reason.NON_CONFORMANT: _(
        "This smelter or refiner is not enrolled in RMAP or was found non-conformant, so it does not "
        "count as RMAP conformant. Carry out third-party due diligence on it under RMAP requirements, "
        "or replace it in your supply chain, by the due date, and tell us what you did."
    ),
    Reason.UNKNOWN: _(
        "This smelter or refiner is not in the smelter register (no known RMI smelter ID matches it), "
        "so its RMAP status cannot be checked. Identify it by its smelter ID, carry out third-party due "
        "diligence on it under RMAP requirements, or replace it, by the due date, and tell us what you did."
    ),
    Reason.IN_ASSESSMENT: _(
        "This smelter or refiner is active in RMAP: committed to an assessment that has not ended. It "
        "does not count as conformant yet. Check the outcome of its assessment by the due date and tell "
        "us; if it is not conformant by then, it needs third-party due diligence or replacement."
    ),
}


def why(reason: str) -> str:
    """Why an action with this reason exists and what the supplier must do, in the active language."""
    return str(WHY.get(reason, ""))
