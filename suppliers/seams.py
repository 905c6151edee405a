"""Facts the supplier register needs from the apps that build on it.

``suppliers`` imports neither ``audits`` nor ``minerals``. The onboarding gate and the risk model still need
to know about audits (open red-line findings, the latest performance band, open findings by severity,
whether an onboarding audit was completed). The app that knows registers a provider at start-up, in its
``AppConfig.ready()``::

    from suppliers import seams
    seams.register_audit_facts(audit_facts_for_suppliers)

A provider takes a list of supplier ids and returns facts for (some of) them, in a bounded number of
queries whatever the list's length. Suppliers it leaves out have no audit history (``NO_AUDIT_FACTS``).

A provider also answers for a past day, ``provider(ids, on=day)``: the facts as they were at the end of that
day (what had been reported and completed by then, what was not closed yet), so that a backdated lifecycle
step is judged on the audit record of its date. It is called with ``on`` only for a day before today.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.utils import timezone


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

# provider(ids) -> the facts now; provider(ids, on=day) -> the facts at the end of a past day.
AuditFactsProvider = Callable[..., Mapping[int, AuditFacts]]

_audit_facts_provider: AuditFactsProvider | None = None


def register_audit_facts(provider: AuditFactsProvider) -> None:
    global _audit_facts_provider
    _audit_facts_provider = provider


def audit_facts(supplier_ids: Sequence[int], *, on: dt.date | None = None) -> dict[int, AuditFacts]:
    """Audit facts for every id asked for; ``NO_AUDIT_FACTS`` where nothing is known.

    ``on``: the facts as they were at the end of that day. Today, a later day or None: the facts as they
    are now (nothing is known about the future)."""
    if on is not None and on >= timezone.localdate():
        on = None
    known: dict[int, AuditFacts] = {}
    if _audit_facts_provider and supplier_ids:
        known = dict(
            _audit_facts_provider(supplier_ids) if on is None else _audit_facts_provider(supplier_ids, on=on)
        )
    return {supplier_id: known.get(supplier_id, NO_AUDIT_FACTS) for supplier_id in supplier_ids}


FACTS_CHUNK = 5000  # supplier ids per call of the provider


def audit_facts_at(
    pairs: Iterable[tuple[int, dt.date | None]],
) -> dict[tuple[int, dt.date | None], AuditFacts]:
    """Audit facts for many ``(supplier id, day)`` pairs at once (``None``: now), keyed by the pair: the
    provider is asked once per distinct day (today and later days count as now) and chunk of ids, so the
    queries grow with the days and the chunks, never with the pairs."""
    today = timezone.localdate()
    ids_by_day: dict[dt.date | None, set[int]] = {}
    wanted: list[tuple[int, dt.date | None, dt.date | None]] = []
    for supplier_id, on in pairs:
        day = None if on is None or on >= today else on
        ids_by_day.setdefault(day, set()).add(supplier_id)
        wanted.append((supplier_id, on, day))
    known: dict[tuple[int, dt.date | None], AuditFacts] = {}
    for day, id_set in ids_by_day.items():
        ids = sorted(id_set)
        for start in range(0, len(ids), FACTS_CHUNK):
            facts = audit_facts(ids[start : start + FACTS_CHUNK], on=day)
            known.update(((supplier_id, day), found) for supplier_id, found in facts.items())
    return {(supplier_id, on): known[supplier_id, day] for supplier_id, on, day in wanted}
