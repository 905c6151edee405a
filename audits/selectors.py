"""Reads of the audit programme: the facts the supplier register needs, and the figures reports need.

Every function runs a fixed number of queries whatever the number of rows.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

from django.db.models import Case, Count, DateField, Exists, F, OuterRef, Q, QuerySet, When
from django.db.models.functions import Coalesce, Least, TruncDate

from suppliers import seams

from .deadlines import RectificationStatus, rectification_status_expression
from .models import Audit, Finding, RedLine

# Findings count against the supplier from the moment the agency submits its report.
REPORTED = (Audit.Status.REPORT_SUBMITTED, Audit.Status.ACCEPTED, Audit.Status.CLOSED)


def open_reported_findings() -> QuerySet[Finding]:
    return Finding.objects.actionable().open().filter(audit__status__in=REPORTED)


def report_date(prefix: str = "") -> Case:
    """The day an audit's report was handed in (``prefix``: the path to the audit, e.g. ``"audit__"``):
    the earlier of its submission and its acceptance day (a report accepted with a backdated day was
    handed in by then), else the audit's end, for records that carry neither."""
    submitted = TruncDate(f"{prefix}submitted_at")
    accepted = F(f"{prefix}accepted_on")
    return Case(
        When(
            **{f"{prefix}accepted_on__isnull": False, f"{prefix}submitted_at__isnull": False},
            then=Least(accepted, submitted),
        ),
        When(**{f"{prefix}accepted_on__isnull": False}, then=accepted),
        When(**{f"{prefix}submitted_at__isnull": False}, then=submitted),
        default=F(f"{prefix}actual_end"),
        output_field=DateField(),
    )


def completion_date() -> Coalesce:
    """The day a completed audit's report was accepted (its end, for records that carry no acceptance)."""
    return Coalesce("accepted_on", TruncDate("accepted_at"), "actual_end", output_field=DateField())


def open_reported_findings_on(on: dt.date) -> QuerySet[Finding]:
    """Findings that counted against their supplier at the end of ``on``: reported by then (``report_date``;
    a finding without any date of its audit counts from its own creation) and not closed by then."""
    reported_on = Coalesce(report_date("audit__"), TruncDate("created_at"), output_field=DateField())
    return (
        Finding.objects.actionable()
        .filter(audit__status__in=REPORTED)
        .alias(reported_on=reported_on)
        .filter(Q(closed_on__isnull=True) | Q(closed_on__gt=on), reported_on__lte=on)
    )


def audit_facts_for_suppliers(
    supplier_ids: Sequence[int], *, on: dt.date | None = None
) -> dict[int, seams.AuditFacts]:
    """The supplier seam's provider: latest band, open findings by severity, open red lines, onboarding
    audit completed; now, or as they were at the end of the day ``on`` (audits completed by then, findings
    reported by then and not closed by then)."""
    completed_audits = Audit.objects.completed()
    findings = open_reported_findings()
    if on is not None:
        completed_audits = completed_audits.alias(completed_on=completion_date()).filter(completed_on__lte=on)
        findings = open_reported_findings_on(on)

    latest: dict[int, tuple[str, dt.date]] = {}
    completed = (
        completed_audits.filter(supplier_id__in=supplier_ids)
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
        findings.filter(audit__supplier_id__in=supplier_ids)
        .values("audit__supplier_id", "severity")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        counts[row["audit__supplier_id"]][row["severity"]] = row["n"]

    red_lines: dict[int, list[seams.RedLineIssue]] = defaultdict(list)
    for supplier_id, audit_ref, number, code, title, red_line in (
        findings.red_line()
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
        band, audit_on = latest.get(supplier_id, (None, None))
        facts[supplier_id] = seams.AuditFacts(
            latest_band=band,
            latest_audit_on=audit_on,
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
