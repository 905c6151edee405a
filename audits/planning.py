"""The annual audit plan: which suppliers to audit in a year, why, and by which agency.

DESIGN.md "Audit selection": "supplier selection was based on risk levels and historical audit
performances". The rules, with the numbers as keyword arguments of ``propose_plan`` (defaults in brackets):

- In scope: admitted and screening suppliers. Production suppliers always; non-production suppliers only
  when high risk. A supplier that already has an audit planned, in progress or awaiting acceptance with a
  planned start in the year is left out: it is in the plan already.
- "Last audit" is the supplier's latest completed (accepted or closed) audit, by actual end date.
- High risk: proposed unless the last audit ended less than ``high_risk_recent_months`` [6] months ago.
- Medium risk, and suppliers whose risk is not assessed yet: proposed when never audited, when the last
  audit ended ``medium_risk_interval_months`` [12] months ago or more, or when it rated the supplier a
  low performer.
- Low risk: only strategic direct (tier 1) suppliers never audited, for a baseline; other low-risk
  suppliers are watched through the risk model, not audited every year.

Priority (higher first): ``risk_weights`` [high 300, medium 200 (also not assessed), low 100] + one point
per month since the last audit, up to ``months_cap`` [36] (never audited counts as the cap) +
``low_performer_points`` [50] when the last audit rated a low performer + 20 for a production supplier
+ 10 for a direct (tier 1) supplier. Ties are broken by supplier code.

Suggested agency: the agency of the last audit while it is active (continuity); otherwise the active agency
with the fewest audits planned to start in the year, counting the proposals already given to it (ties:
by name). Suggested type: onboarding for a screening supplier without a completed audit, annual otherwise.

``propose_plan`` runs two queries whatever the number of suppliers; ``create_planned_audits`` creates the
chosen audits through ``services.audit_create`` in one transaction, never twice for the same supplier and
year.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.utils import timezone

from suppliers.models import RiskLevel, Supplier

from . import services
from .models import Audit, AuditAgency, PerformanceBand

# Audits that put a supplier "in the plan" for the year of their planned start.
OPEN_STATUSES = (Audit.Status.PLANNED, Audit.Status.IN_PROGRESS, Audit.Status.REPORT_SUBMITTED)

DEFAULT_RISK_WEIGHTS: Mapping[str, int] = {
    RiskLevel.HIGH: 300,
    RiskLevel.MEDIUM: 200,
    RiskLevel.LOW: 100,
    "": 200,
}
PRODUCTION_POINTS = 20
TIER1_POINTS = 10


@dataclass(frozen=True)
class Proposal:
    supplier: Supplier
    reasons: list[str]
    priority: int
    agency: AuditAgency | None
    type: str
    site: str
    last_audit_on: dt.date | None = None
    last_band: str = ""
    months_since_last_audit: int | None = field(default=None)

    @property
    def type_label(self) -> str:
        return Audit.Type(self.type).label

    @property
    def last_band_label(self) -> str:
        return PerformanceBand(self.last_band).label if self.last_band else ""


def months_before(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` months earlier (the month's last day when it is shorter)."""
    year, month = divmod(day.year * 12 + day.month - 1 - months, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


def months_between(earlier: dt.date, later: dt.date) -> int:
    """Whole months from ``earlier`` to ``later`` (12 from 2025-03-15 to 2026-03-15, 11 to 2026-03-14)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    return months - 1 if later.day < earlier.day else months


def _open_audit_in(year: int):
    return Audit.objects.filter(
        supplier_id=OuterRef("pk"), status__in=OPEN_STATUSES, planned_start__year=year
    )


def propose_plan(
    *,
    year: int,
    today: dt.date | None = None,
    high_risk_recent_months: int = 6,
    medium_risk_interval_months: int = 12,
    months_cap: int = 36,
    low_performer_points: int = 50,
    risk_weights: Mapping[str, int] = DEFAULT_RISK_WEIGHTS,
) -> list[Proposal]:
    """Who to audit in ``year``, highest priority first (see the module's docstring for the rules)."""
    today = today or timezone.localdate()
    high_cutoff = months_before(today, high_risk_recent_months)
    medium_cutoff = months_before(today, medium_risk_interval_months)

    last = (
        Audit.objects.completed()
        .filter(supplier_id=OuterRef("pk"))
        .order_by(F("actual_end").desc(nulls_last=True), "-pk")
    )
    never = Q(last_end__isnull=True)
    rules = (
        Q(risk_level=RiskLevel.HIGH) & (never | Q(last_end__lte=high_cutoff))
        | Q(risk_level__in=[RiskLevel.MEDIUM, ""])
        & (never | Q(last_end__lte=medium_cutoff) | Q(last_band=PerformanceBand.LOW))
        | Q(risk_level=RiskLevel.LOW, tier=Supplier.Tier.DIRECT, strategic=True) & never
    )
    candidates = (
        Supplier.objects.filter(status__in=[Supplier.Status.ADMITTED, Supplier.Status.SCREENING])
        .filter(Q(category=Supplier.Category.PRODUCTION) | Q(risk_level=RiskLevel.HIGH))
        .annotate(
            last_end=Subquery(last.values("actual_end")[:1]),
            last_band=Subquery(last.values("performance_band")[:1]),
            last_agency_id=Subquery(last.values("agency_id")[:1]),
            last_site=Subquery(last.values("site")[:1]),
            already_planned=Exists(_open_audit_in(year)),
        )
        .filter(rules, already_planned=False)
        .order_by("code")
    )

    proposals = []
    for supplier in candidates:
        reasons = [
            f"{RiskLevel(supplier.risk_level).label.lower()} risk"
            if supplier.risk_level
            else "risk not assessed"
        ]
        if supplier.last_end is None:
            months = None
            reasons.append("never audited")
            recency = months_cap
        else:
            months = months_between(supplier.last_end, today)
            reasons.append(f"no audit in {months} months")
            recency = min(months, months_cap)
        priority = risk_weights.get(supplier.risk_level, risk_weights.get("", 0)) + recency
        if supplier.last_band == PerformanceBand.LOW:
            reasons.append("last audit: low performer")
            priority += low_performer_points
        if supplier.risk_level == RiskLevel.LOW:
            reasons.append("strategic tier-1 supplier, baseline audit")
        onboarding = supplier.status == Supplier.Status.SCREENING and supplier.last_end is None
        if onboarding:
            reasons.append("onboarding: screening without a completed audit")
        priority += PRODUCTION_POINTS if supplier.category == Supplier.Category.PRODUCTION else 0
        priority += TIER1_POINTS if supplier.tier == Supplier.Tier.DIRECT else 0
        proposals.append(
            Proposal(
                supplier=supplier,
                reasons=reasons,
                priority=priority,
                agency=None,
                type=Audit.Type.ONBOARDING if onboarding else Audit.Type.ANNUAL,
                site=supplier.last_site or f"{supplier.name}, {supplier.country.name}",
                last_audit_on=supplier.last_end,
                last_band=supplier.last_band or "",
                months_since_last_audit=months,
            )
        )
    proposals.sort(key=lambda p: (-p.priority, p.supplier.code))
    return _with_agencies(proposals, year=year)


def _with_agencies(proposals: list[Proposal], *, year: int) -> list[Proposal]:
    """Continuity first (the last audit's agency while active), then balance the year's load."""
    agencies = {
        agency.pk: agency
        for agency in AuditAgency.objects.filter(active=True).annotate(
            load=Count(
                "audits",
                filter=Q(audits__planned_start__year=year) & ~Q(audits__status=Audit.Status.CANCELLED),
            )
        )
    }
    load = {pk: agency.load for pk, agency in agencies.items()}
    chosen: dict[int, AuditAgency | None] = {}
    for proposal in proposals:
        previous = agencies.get(proposal.supplier.last_agency_id)
        if previous is not None:
            chosen[proposal.supplier.pk] = previous
            load[previous.pk] += 1
    for proposal in proposals:
        if proposal.supplier.pk in chosen:
            continue
        if not agencies:
            chosen[proposal.supplier.pk] = None
            continue
        least = min(agencies.values(), key=lambda agency: (load[agency.pk], agency.name))
        chosen[proposal.supplier.pk] = least
        load[least.pk] += 1
    return [replace(proposal, agency=chosen[proposal.supplier.pk]) for proposal in proposals]


def _first_monday(year: int, month: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7)


@transaction.atomic
def create_planned_audits(
    *,
    proposals: Iterable[Proposal],
    year: int,
    by,
    start_month: int = 1,
    end_month: int = 12,
    audit_days: int = 3,
) -> list[Audit]:
    """Create a planned audit for each proposal, through ``services.audit_create``, in one transaction.

    Highest priority first, the audits are spread evenly over the months ``start_month``–``end_month`` of
    ``year``: each starts on a Monday (the month's first, then the following weeks for the next audits of
    that month) and lasts ``audit_days`` days. A supplier that already has an open audit planned in the year
    is skipped, so running the same proposals twice creates nothing the second time. Returns the audits
    created, in priority order."""
    if not 1 <= start_month <= end_month <= 12:
        raise services.Invalid(
            f"Months run from 1 to 12 and the start month ({start_month}) cannot be after the end month "
            f"({end_month}).",
            field="start_month",
        )
    if audit_days < 1:
        raise services.Invalid("An audit lasts at least one day.", field="audit_days")
    ordered = sorted(proposals, key=lambda p: (-p.priority, p.supplier.code))
    supplier_ids = [p.supplier.pk for p in ordered]
    # Lock the suppliers so that two people creating the same plan cannot both add an audit.
    list(Supplier.objects.select_for_update().filter(pk__in=supplier_ids).values_list("pk", flat=True))
    planned = set(
        Audit.objects.filter(
            supplier_id__in=supplier_ids, status__in=OPEN_STATUSES, planned_start__year=year
        ).values_list("supplier_id", flat=True)
    )
    todo = [p for p in ordered if p.supplier.pk not in planned]
    months = list(range(start_month, end_month + 1))
    per_month: dict[int, int] = {}
    created = []
    for index, proposal in enumerate(todo):
        if proposal.agency is None:
            raise services.Invalid(
                f"No active audit agency to assign {proposal.supplier.code} to: add or activate an agency.",
                field="agency",
            )
        month = months[index * len(months) // len(todo)]
        week = per_month.get(month, 0)
        per_month[month] = week + 1
        start = _first_monday(year, month) + dt.timedelta(weeks=week % 4)
        created.append(
            services.audit_create(
                supplier=proposal.supplier,
                agency=proposal.agency,
                site=proposal.site,
                planned_start=start,
                planned_end=start + dt.timedelta(days=audit_days - 1),
                type=proposal.type,
                by=by,
            )
        )
    return created
