"""Figures on responsible minerals for a reporting year, computed in the database over the declarations
that count: the accepted one of each supplier and family (a superseded or rejected file never counts).

Conformance is the smelter's RMAP status as the registry knows it now, read by ``conformance``: an active
smelter (in assessment) does not count as conformant.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from common.numbers import percent

from . import conformance
from .models import Declaration, DeclaredSmelter, MineralsPolicy


def _declared(year: int) -> QuerySet[DeclaredSmelter]:
    return DeclaredSmelter.objects.filter(
        declaration__year=year, declaration__status=Declaration.Status.ACCEPTED
    )


CONFORMANT = conformance.conformant(smelter="smelter")


def smelter_statistics(*, year: int) -> dict:
    """Unique matched smelters across suppliers, their countries and the share that is RMAP conformant, in
    total and per mineral (every mineral with at least one matched smelter). Two queries."""
    matched = _declared(year).filter(smelter__isnull=False)
    totals = matched.aggregate(
        smelters=Count("smelter", distinct=True),
        conformant=Count("smelter", distinct=True, filter=CONFORMANT),
        countries=Count("smelter__country", distinct=True, filter=~Q(smelter__country="")),
    )
    by_mineral = {}
    rows = (
        matched.values("smelter__metal")
        .annotate(
            smelters=Count("smelter", distinct=True),
            conformant=Count("smelter", distinct=True, filter=CONFORMANT),
        )
        .order_by("smelter__metal")
    )
    for row in rows:
        by_mineral[row["smelter__metal"]] = {
            "smelters": row["smelters"],
            "conformant": row["conformant"],
            "conformant_pct": percent(row["conformant"], row["smelters"]),
        }
    return {
        "smelters_total": totals["smelters"],
        "countries": totals["countries"],
        "conformant_pct": percent(totals["conformant"], totals["smelters"]),
        "by_mineral": by_mineral,
    }


@dataclass(frozen=True)
class DeclarationRequest:
    """What is asked of a supplier now: declarations on ``year`` (the reporting year being collected) by
    ``due``, and the accepted ones it has for that year (CMRT, EMRT)."""

    year: int
    due: dt.date
    accepted: tuple[Declaration, ...]

    @property
    def received(self) -> bool:
        return bool(self.accepted)


def declaration_request(*, supplier_id: int, on: dt.date) -> DeclarationRequest:
    """The reporting year being collected on ``on``, its due date (``MineralsPolicy``) and the supplier's
    accepted declarations for it. Two queries."""
    policy = MineralsPolicy.current()
    year = policy.reporting_year(on=on)
    accepted = Declaration.objects.filter(
        supplier_id=supplier_id, year=year, status=Declaration.Status.ACCEPTED
    ).order_by("family")
    return DeclarationRequest(year=year, due=policy.declaration_due(year=year), accepted=tuple(accepted))
