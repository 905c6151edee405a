"""Facts the supplier register needs from the apps that build on it.

``suppliers`` imports neither ``audits`` nor ``minerals``. The onboarding gate and the risk model still need
to know about audits (open red-line findings, the latest performance band, open findings by severity,
whether an onboarding audit was completed). The app that knows registers a provider at start-up, in its
``AppConfig.ready()``::

    from suppliers import seams
    seams.register_audit_facts(audit_facts_for_suppliers)

A provider takes a list of supplier ids and returns facts for (some of) them, in a bounded number of
queries whatever the list's length. Suppliers it leaves out have no audit history (``NO_AUDIT_FACTS``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class RedLineIssue:
    """An open red-line finding, described in words for the people who read the gate's answer."""

    reference: str
    description: str

    def __str__(self) -> str:
        return f"{self.reference}: {self.description}"


@dataclass(frozen=True)
class AuditFacts:
    latest_band: str | None = None  # "high" | "medium" | "low" performer, from the latest accepted audit
    latest_audit_on: dt.date | None = None
    open_findings: Mapping[str, int] = field(default_factory=dict)  # severity -> number of open findings
    red_lines: tuple[RedLineIssue, ...] = ()
    onboarding_audit_completed: bool = False


NO_AUDIT_FACTS = AuditFacts()

AuditFactsProvider = Callable[[Sequence[int]], Mapping[int, AuditFacts]]

_audit_facts_provider: AuditFactsProvider | None = None


def register_audit_facts(provider: AuditFactsProvider) -> None:
    global _audit_facts_provider
    _audit_facts_provider = provider


def audit_facts(supplier_ids: Sequence[int]) -> dict[int, AuditFacts]:
    """Audit facts for every id asked for; ``NO_AUDIT_FACTS`` where nothing is known."""
    known = dict(_audit_facts_provider(supplier_ids)) if _audit_facts_provider and supplier_ids else {}
    return {supplier_id: known.get(supplier_id, NO_AUDIT_FACTS) for supplier_id in supplier_ids}
