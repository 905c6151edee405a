"""Reads of the audit programme: the facts the supplier register needs, and the figures reports need.

Every function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from suppliers import seams

from .deadlines import RectificationStatus, rectification_status_expression
from .models import Audit, Finding, PerformanceBand, RedLine

# Findings count against the supplier from the moment the agency submits its report.
REPORTED = (Audit.Status.REPORT_SUBMITTED, Audit.Status.ACCEPTED, Audit.Status.CLOSED)


def open_reported_findings() -> QuerySet[Finding]:
    return Finding.objects.actionable().open().filter(audit__status__in=REPORTED)


def audit_facts_for_suppliers(supplier_ids: Sequence[int]) -> dict[int, seams.AuditFacts]:
    """The supplier seam's provider: latest band, open findings by severity, open red lines, onboarding
    audit completed."""
    latest: dict[int, tuple[str, dt.date]] = {}
    completed = (
        Audit.objects.completed()
        .filter(supplier_id__in=supplier_ids)
        .exclude(performance_band="")
        .order_by("supplier_id", "-actual_end", "-pk")
        .values_list("supplier_id", "performance_band", "actual_end", "type")
    )
    onboarded: set[int] = set()
    for supplier_id, band, actual_end, audit_type in completed:
        latest.setdefault(supplier_id, (band, actual_end))
        if audit_type == Audit.Type.ONBOARDING:
            onboarded.add(supplier_id)

    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for row in (
        open_reported_findings()
        .filter(audit__supplier_id__in=supplier_ids)
        .values("audit__supplier_id", "severity")
        .annotate(n=Count("pk"))
    ):
        counts[row["audit__supplier_id"]][row["severity"]] = row["n"]

    red_lines: dict[int, list[seams.RedLineIssue]] = defaultdict(list)
    for supplier_id, audit_ref, number, code, title, red_line in (
        open_reported_findings()
        .red_line()
        .filter(audit__supplier_id__in=supplier_ids)
        .order_by("audit__supplier_id", "audit__reference", "number")
        .values_list(
            "audit__supplier_id",
            "audit__reference",
            "number",
            "provision__code",
            "provision__title",
            "red_line",
        )
    ):
        red_lines[supplier_id].append(
            seams.RedLineIssue(
                f"{audit_ref}-F{number:02d}", f"{code} {title}, red line {RedLine(red_line).label}"
            )
        )

    facts = {}
    for supplier_id in set(latest) | set(counts) | set(red_lines) | onboarded:
        band, on = latest.get(supplier_id, (None, None))
        facts[supplier_id] = seams.AuditFacts(
            latest_band=band,
            latest_audit_on=on,
            open_findings=counts.get(supplier_id, {}),
            red_lines=tuple(red_lines.get(supplier_id, ())),
            onboarding_audit_completed=supplier_id in onboarded,
        )
    return facts


def rectification_summary(*, findings: QuerySet[Finding], on: dt.date) -> dict[str, int]:
    """How many of these findings were closed on time, closed late, open within deadline or overdue on ``on``.
    Only findings with deadlines (accepted reports, not observations) count."""
    rows = (
        findings.actionable()
        .issued()
        .annotate(rectification=rectification_status_expression(on=on))
        .values("rectification")
        .annotate(n=Count("pk"))
        .order_by()
    )
    summary = dict.fromkeys(RectificationStatus.values, 0)
    for row in rows:
        summary[row["rectification"]] = row["n"]
    return summary


def completed_audits_in(year: int) -> QuerySet[Audit]:
    """Third-party audits ending in ``year`` whose report was accepted."""
    return Audit.objects.completed().filter(actual_end__year=year)


def audits_completed(*, year: int) -> int:
    """Distinct suppliers with a completed audit ending in ``year``."""
    return completed_audits_in(year).values("supplier_id").distinct().count()


def latest_audit_per_supplier(*, year: int) -> QuerySet[Audit]:
    """The latest completed audit of each supplier in ``year`` (one per supplier)."""
    audits = completed_audits_in(year)
    later = audits.filter(
        Q(actual_end__gt=OuterRef("actual_end"))
        | Q(actual_end=OuterRef("actual_end"), pk__gt=OuterRef("pk")),
        supplier_id=OuterRef("supplier_id"),
    )
    return audits.exclude(Exists(later))


def band_distribution(*, year: int) -> dict[str, dict[str, float | int]]:
    """Performance bands over the year's completed audits, one per supplier (the latest), with shares in %
    rounded to one decimal."""
    counts = dict.fromkeys(PerformanceBand.values, 0)
    for row in (
        latest_audit_per_supplier(year=year).values("performance_band").annotate(n=Count("pk")).order_by()
    ):
        if row["performance_band"]:
            counts[row["performance_band"]] = row["n"]
    total = sum(counts.values())
    return {
        band: {
            "count": counts[band],
            "pct": float((Decimal(counts[band] * 100) / total).quantize(Decimal("0.1"), ROUND_HALF_UP))
            if total
            else 0.0,
        }
        for band in PerformanceBand.values
    }


def overdue_findings(*, on: dt.date) -> QuerySet[Finding]:
    return Finding.objects.overdue(on=on)


def supplier_has_open_red_line(*, supplier_id: int) -> bool:
    return open_reported_findings().red_line().filter(audit__supplier_id=supplier_id).exists()
