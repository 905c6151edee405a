"""Figures on responsible minerals for a reporting year, computed in the database over the declarations
that count: the accepted one of each supplier and family (a superseded or rejected file never counts).

Conformance is the smelter's RMAP status as the registry knows it now.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, QuerySet

from .models import Declaration, DeclaredSmelter, RmapStatus


def counting_declarations(*, year: int) -> QuerySet[Declaration]:
    """The declarations that count for ``year``: one per supplier and family."""
    return Declaration.objects.filter(year=year, status=Declaration.Status.ACCEPTED)


def _declared(year: int) -> QuerySet[DeclaredSmelter]:
    return DeclaredSmelter.objects.filter(
        declaration__year=year, declaration__status=Declaration.Status.ACCEPTED
    )


def _pct(part: int, whole: int) -> float:
    if not whole:
        return 0.0
    return float((Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


CONFORMANT = Q(smelter__rmap_status=RmapStatus.CONFORMANT)


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
            "conformant_pct": _pct(row["conformant"], row["smelters"]),
        }
    return {
        "smelters_total": totals["smelters"],
        "countries": totals["countries"],
        "conformant_pct": _pct(totals["conformant"], totals["smelters"]),
        "by_mineral": by_mineral,
    }


def supplier_smelter_exposure(*, year: int) -> list[dict]:
    """Per supplier whose counting declarations report any: its non-conformant (RMAP not enrolled) smelters
    and its unknown (unmatched) ones, ordered by supplier code. One query."""
    rows = (
        _declared(year)
        .filter(Q(smelter__isnull=True) | Q(smelter__rmap_status=RmapStatus.NOT_ENROLLED))
        .select_related("declaration__supplier", "smelter")
        .order_by("declaration__supplier__code", "declaration__family", "row")
    )
    exposure: dict[int, dict] = {}
    for row in rows:
        supplier = row.declaration.supplier
        entry = exposure.setdefault(
            supplier.pk,
            {
                "supplier_id": supplier.pk,
                "supplier_code": supplier.code,
                "supplier_name": supplier.name,
                "non_conformant": [],
                "unknown": [],
            },
        )
        if row.smelter is not None:
            listed = {item["smelter_id"] for item in entry["non_conformant"]}
            if row.smelter.smelter_id not in listed:
                entry["non_conformant"].append(
                    {
                        "smelter_id": row.smelter.smelter_id,
                        "name": row.smelter.name,
                        "metal": row.smelter.metal,
                        "country": str(row.smelter.country),
                        "rmap_status": row.smelter.rmap_status,
                    }
                )
        else:
            entry["unknown"].append(
                {
                    "family": row.declaration.family,
                    "row": row.row,
                    "metal": row.metal,
                    "name": row.name or row.lookup_name,
                    "country": row.country,
                    "smelter_id": row.declared_cid,
                }
            )
    return list(exposure.values())
