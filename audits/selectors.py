"""Reads of the audit programme: the facts the supplier register needs, and the figures reports need.

Every function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from suppliers import seams

from .deadlines import RectificationStatus, rectification_status_expression
from .models import Audit, Finding, RedLine

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


def latest_audit_per_supplier(*, year: int) -> QuerySet[Audit]:
    """The latest completed audit of each supplier in ``year`` (one per supplier)."""
    audits = completed_audits_in(year)
    later = audits.filter(
        Q(actual_end__gt=OuterRef("actual_end"))
        | Q(actual_end=OuterRef("actual_end"), pk__gt=OuterRef("pk")),
        supplier_id=OuterRef("supplier_id"),
    )
    return audits.exclude(Exists(later))
