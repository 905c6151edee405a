"""The annual ESG report and the dashboard: every figure, one function per section.

Definitions (DESIGN.md "The annual report"):

- A year runs from 1 January 00:00 to 31 December 24:00 in the project's time zone (``TIME_ZONE``).
- The *as-of day* of a year is 31 December; for the current year it is today, because figures as of a day
  still to come would, for instance, call a finding overdue that may yet be closed in time.
- *Production suppliers* of a year: category "production", admitted at some moment of the year according
  to the lifecycle history, i.e. with a transition into "admitted" during the year, or admitted when the
  year began (their last transition before 1 January went into "admitted").
- *Region*: mainland China is CN; Hong Kong, Macau, Taiwan and every other country are "other".
- *Risk level at year end*: for a past year, the level of the latest stored assessment computed before the
  year ended (the model's level after hard rules; a manual override is not part of a stored assessment);
  for the current year, the level each supplier carries now (a manual override included). A supplier
  not assessed by then is in none of the three levels.
- *Not admitted for red-line issues*: distinct suppliers moved to "rejected" during the year while open
  red-line findings existed (``StatusTransition.red_line``).
- *CSR agreement coverage*: the share of the year's production suppliers with a CSR Agreement in force on
  the as-of day (signed on or before it, not expired before it).
- *Audits completed*: distinct suppliers with an audit whose actual end falls in the year and whose report
  was accepted (status accepted or closed); the change is on the prior year's same figure.
- *Performance*: the bands of each supplier's latest completed audit of the year, in % of those audits.
- *Rectification*: the findings needing corrective action of the year's completed audits, by their status
  on the as-of day (``audits.deadlines.rectification_status_expression``).
- *Overdue items by escalation stage* (dashboard): findings whose rectification is overdue on the as-of
  day, by the highest stage of the escalation ladder their days overdue have reached, as the reminders
  record it (``reminders.ladder.stage_reached``), among the stages with an offset of 0 days or more: by
  default stage 1 from the due date, 2 after 14 days, 3 after 30 days.
- *Minerals*: ``minerals.selectors.smelter_statistics(year=...)``; zeros while the minerals app (or its
  selectors module) is not installed.

A finished year's supplier figures (production suppliers, region, risk level at year end, CSR Agreement
coverage) are frozen on first use after 31 December (``year_end``, ``reports.models.YearEnd``) and read from
one table from then on; an ESG manager deletes a frozen year in the admin to have it worked out again (after
correcting a backdated agreement or lifecycle step).

Percentages are rounded half up to one decimal (``common.numbers.percent``). Every function runs a fixed
number of queries whatever the register's size (GROUP BY in the database, no loop over suppliers). The
optional business unit narrows every supplier-based figure to the suppliers of that unit (the dashboard's
filter); the minerals figures are not split by business unit. The dashboard leaves CSR Agreement coverage
to the report: it reads every agreement, the slowest figure with a large register.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from itertools import chain

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone

from audits.models import Audit, Finding, PerformanceBand
from audits.selectors import latest_audit_per_supplier, rectification_summary
from common.numbers import percent
from reminders.ladder import stage_reached
from reminders.models import EscalationStage
from reports.models import YearEnd, YearEndSupplier
from suppliers.models import (
    MAINLAND_CHINA,
    Agreement,
    BusinessUnit,
    RiskAssessment,
    RiskLevel,
    StatusTransition,
    Supplier,
)

MIN_YEAR = 2000
AUDIT_YEARS_ON_DASHBOARD = 5


class InvalidYear(ValueError):
    """A year no report covers; ``message`` says which years do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def report_year(*, value: object, today: dt.date | None = None) -> int:
    """The year a report is asked for, checked: a whole number from 2000 to the current year."""
    today = today or timezone.localdate()
    text = "" if value is None else str(value).strip()
    allowed = f"give a year from {MIN_YEAR} to {today.year}, e.g. {today.year - 1}"
    if not text:
        raise InvalidYear(f"No year given: {allowed}.")
    if not (text.isascii() and text.isdigit()):
        raise InvalidYear(f"“{text}” is not a year: {allowed}.")
    year = int(text)
    if not MIN_YEAR <= year <= today.year:
        raise InvalidYear(f"There is no report for {year}: {allowed}.")
    return year


@dataclass(frozen=True)
class ReportPeriod:
    year: int
    start: dt.datetime  # 1 January 00:00, local time
    end: dt.datetime  # 1 January of the next year 00:00 (exclusive)
    as_of: dt.date  # 31 December, or today for the current year
    is_current: bool


def report_period(*, year: int, today: dt.date | None = None) -> ReportPeriod:
    today = today or timezone.localdate()
    zone = timezone.get_current_timezone()
    return ReportPeriod(
        year=year,
        start=timezone.make_aware(dt.datetime(year, 1, 1), zone),
        end=timezone.make_aware(dt.datetime(year + 1, 1, 1), zone),
        as_of=min(dt.date(year, 12, 31), today),
        is_current=year >= today.year,
    )


# --- Suppliers ------------------------------------------------------------------------------------------


def _suppliers(business_unit: BusinessUnit | None) -> QuerySet[Supplier]:
    suppliers = Supplier.objects.all()
    return suppliers.filter(business_units=business_unit) if business_unit is not None else suppliers


def _admitted_during(period: ReportPeriod) -> list[Q]:
    """Admitted at some moment of the year, as conditions that exclude each other (a supplier meets at most
    one), so that each can be counted with a plain join the database plans well:

    1. it moved into or out of "admitted" during the year (out of it: it was admitted until then);
    2. it took no step during the year or since, and is admitted now;
    3. it took no step during the year, and its first step after the year moved it out of "admitted".

    Only the year's and later steps are read: few for recent years, the ones looked at most."""
    Status = Supplier.Status
    steps = StatusTransition.objects.filter(supplier=OuterRef("pk"))
    in_year = steps.filter(at__gte=period.start, at__lt=period.end)
    entered_or_left = in_year.filter(
        Q(to_status=Status.ADMITTED) | Q(from_status=Status.ADMITTED, at__gt=period.start)
    )
    if period.is_current:  # no step comes after a year that is still running
        return [Q(Exists(entered_or_left)), Q(~Exists(in_year), status=Status.ADMITTED)]
    after = steps.filter(at__gte=period.end)
    earlier_after = StatusTransition.objects.filter(
        Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), pk__lt=OuterRef("pk")),
        supplier=OuterRef("supplier"),
        at__gte=period.end,
    )
    first_after_leaves_admitted = after.filter(from_status=Status.ADMITTED).exclude(Exists(earlier_after))
    return [
        Q(Exists(entered_or_left)),
        Q(~Exists(in_year), ~Exists(after), status=Status.ADMITTED),
        Q(~Exists(in_year), Exists(first_after_leaves_admitted)),
    ]


def _level_at_year_end(period: ReportPeriod):
    if period.is_current:
        return F("risk_level")
    latest = RiskAssessment.objects.filter(supplier=OuterRef("pk"), computed_at__lt=period.end).order_by(
        "-computed_at", "-pk"
    )
    return Subquery(latest.values("level")[:1])


def _csr_agreement_in_force(period: ReportPeriod) -> Exists:
    """A CSR Agreement in force on the as-of day (signed on or before it, not expired before it)."""
    return Exists(
        Agreement.objects.filter(
            Q(expires_on__isnull=True) | Q(expires_on__gte=period.as_of),
            supplier=OuterRef("pk"),
            kind=Agreement.Kind.CSR_AGREEMENT,
            signed_on__lte=period.as_of,
        )
    )


def _mainland() -> Case:
    return Case(
        When(country=MAINLAND_CHINA, then=Value(True)), default=Value(False), output_field=BooleanField()
    )


def year_end(period: ReportPeriod) -> YearEnd | None:
    """The frozen figures of ``period`` once the year is over by the clock (None before): read from
    ``YearEnd``, or worked out and stored on first use, in one transaction (three INSERT ... SELECT, one per
    condition of ``_admitted_during``). Lifecycle steps and assessments are stamped when they happen, so a
    year that is over does not change; an agreement entered later with an earlier signing date is the
    exception (an ESG manager deletes the frozen year in the admin to have it worked out again). Two
    requests freezing the same year at once: the second waits for the first and reads its rows."""
    if period.is_current or timezone.now() < period.end:
        return None
    frozen = YearEnd.objects.filter(year=period.year).first()
    if frozen is not None:
        return frozen
    columns = {  # column of YearEndSupplier: its value, under a name no Supplier field has
        "supplier_id": ("frozen_supplier", F("pk")),
        "mainland_china": ("frozen_mainland", _mainland()),
        "risk_level": ("frozen_level", Coalesce(_level_at_year_end(period), Value(""))),
        "csr_agreement_signed": ("frozen_csr", _csr_agreement_in_force(period)),
    }
    values = dict(columns.values())
    quote = connection.ops.quote_name
    targets = ", ".join(map(quote, ("year", *columns)))
    sources = ", ".join(f"r.{quote(name)}" for name in values)
    insert = f"INSERT INTO {quote(YearEndSupplier._meta.db_table)} ({targets}) SELECT %s, {sources} FROM "  # noqa: S608
    try:
        with transaction.atomic():
            frozen = YearEnd.objects.create(year=period.year)
            total = 0
            for condition in _admitted_during(period):
                rows = Supplier.objects.production().filter(condition).annotate(**values).values(*values)
                select, params = rows.query.sql_with_params()
                with connection.cursor() as cursor:
                    cursor.execute(f"{insert}({select}) r", (period.year, *params))
                    total += cursor.rowcount
            frozen.production_suppliers = total
            frozen.save(update_fields=["production_suppliers"])
    except IntegrityError:  # frozen by another request meanwhile
        frozen = YearEnd.objects.get(year=period.year)
    return frozen


def _frozen_suppliers(frozen: YearEnd, business_unit: BusinessUnit | None) -> QuerySet[YearEndSupplier]:
    rows = YearEndSupplier.objects.filter(year=frozen)
    return rows.filter(supplier__business_units=business_unit) if business_unit is not None else rows


def _production_counts(
    *, period: ReportPeriod, frozen: YearEnd | None, business_unit: BusinessUnit | None
) -> dict:
    """The year's production suppliers: total, in mainland China and by risk level at year end. A finished
    year: one GROUP BY over its frozen rows; otherwise one GROUP BY query per condition of
    ``_admitted_during``."""
    if frozen is not None:
        rows = (
            _frozen_suppliers(frozen, business_unit)
            .values(mainland=F("mainland_china"), level_at_end=F("risk_level"))
            .annotate(n=Count("pk"))
            .order_by()
        )
    else:
        groups = {"mainland": _mainland(), "level_at_end": _level_at_year_end(period)}
        suppliers = _suppliers(business_unit).production()
        rows = chain.from_iterable(
            suppliers.filter(condition).annotate(**groups).values(*groups).annotate(n=Count("pk")).order_by()
            for condition in _admitted_during(period)
        )
    counts = {"total": 0, "mainland": 0, "by_level": dict.fromkeys(RiskLevel.values, 0)}
    for row in rows:
        counts["total"] += row["n"]
        counts["mainland"] += row["n"] if row["mainland"] else 0
        if row["level_at_end"] in counts["by_level"]:
            counts["by_level"][row["level_at_end"]] += row["n"]
    return counts


def _csr_agreement_signed(
    *, period: ReportPeriod, frozen: YearEnd | None, business_unit: BusinessUnit | None
) -> int:
    """The year's production suppliers with a CSR Agreement in force on the as-of day: one count over a
    finished year's frozen rows, otherwise one count per condition of ``_admitted_during``."""
    if frozen is not None:
        return _frozen_suppliers(frozen, business_unit).filter(csr_agreement_signed=True).count()
    suppliers = _suppliers(business_unit).production()
    in_force = _csr_agreement_in_force(period)
    return sum(suppliers.filter(condition, in_force).count() for condition in _admitted_during(period))


def not_admitted_red_line(*, period: ReportPeriod, business_unit: BusinessUnit | None = None) -> int:
    """Suppliers moved to "rejected" during the year while open red-line findings existed: one query."""
    rejected = StatusTransition.objects.filter(
        to_status=Supplier.Status.REJECTED, red_line=True, at__gte=period.start, at__lt=period.end
    )
    if business_unit is not None:
        rejected = rejected.filter(supplier__business_units=business_unit)
    return rejected.values("supplier_id").distinct().count()


def supplier_figures(
    *, period: ReportPeriod, business_unit: BusinessUnit | None = None, csr_coverage: bool = True
) -> dict:
    """Production suppliers by region and by risk level at year end, those not admitted for red-line issues,
    and CSR Agreement coverage (left out, as None, with ``csr_coverage=False``: it reads every agreement)."""
    frozen = year_end(period)
    counts = _production_counts(period=period, frozen=frozen, business_unit=business_unit)
    csr = 0
    if csr_coverage:
        csr = _csr_agreement_signed(period=period, frozen=frozen, business_unit=business_unit)
    return {
        "production_total": counts["total"],
        "mainland_china": counts["mainland"],
        "other_regions": counts["total"] - counts["mainland"],
        "by_risk_level": counts["by_level"],
        "not_admitted_red_line": not_admitted_red_line(period=period, business_unit=business_unit),
        "csr_agreement_signed_pct": percent(csr, counts["total"]) if csr_coverage else None,
    }


# --- Audits ---------------------------------------------------------------------------------------------


def _completed_audits(business_unit: BusinessUnit | None) -> QuerySet[Audit]:
    audits = Audit.objects.completed()
    return audits.filter(supplier__business_units=business_unit) if business_unit is not None else audits


def audits_completed_by_year(
    *, first: int, last: int, business_unit: BusinessUnit | None = None
) -> dict[int, int]:
    """Distinct suppliers with a completed audit ending in each year from ``first`` to ``last``: one query."""
    counts = dict.fromkeys(range(first, last + 1), 0)
    rows = (
        _completed_audits(business_unit)
        .filter(actual_end__gte=dt.date(first, 1, 1), actual_end__lte=dt.date(last, 12, 31))
        .annotate(end_year=ExtractYear("actual_end"))
        .values("end_year")
        .annotate(n=Count("supplier_id", distinct=True))
        .order_by()
    )
    for row in rows:
        counts[row["end_year"]] = row["n"]
    return counts


def performance_bands(*, period: ReportPeriod, business_unit: BusinessUnit | None = None) -> dict:
    """Bands of each supplier's latest completed audit of the year: count and % (one decimal)."""
    latest = latest_audit_per_supplier(year=period.year)
    if business_unit is not None:
        latest = latest.filter(supplier__business_units=business_unit)
    counts = dict.fromkeys(PerformanceBand.values, 0)
    rows = latest.exclude(performance_band="").values("performance_band").annotate(n=Count("pk")).order_by()
    for row in rows:
        counts[row["performance_band"]] = row["n"]
    total = sum(counts.values())
    return {band: {"count": counts[band], "pct": percent(counts[band], total)} for band in counts}


def audit_figures(*, period: ReportPeriod, business_unit: BusinessUnit | None = None) -> dict:
    by_year = audits_completed_by_year(first=period.year - 1, last=period.year, business_unit=business_unit)
    completed, prior = by_year[period.year], by_year[period.year - 1]
    bands = performance_bands(period=period, business_unit=business_unit)
    return {
        "completed": completed,
        "completed_prior_year": prior,
        "change": completed - prior,
        "performance": {f"{band}_pct": bands[band]["pct"] for band in PerformanceBand.values},
    }


def rectification_figures(*, period: ReportPeriod, business_unit: BusinessUnit | None = None) -> dict:
    """Findings of the year's completed audits by rectification status on the as-of day: one query."""
    audits = _completed_audits(business_unit).filter(actual_end__year=period.year)
    summary = rectification_summary(findings=Finding.objects.filter(audit__in=audits), on=period.as_of)
    return {"findings": sum(summary.values()), **summary}


def overdue_by_stage(*, on: dt.date, business_unit: BusinessUnit | None = None) -> list[dict]:
    """Findings whose rectification is overdue on ``on``, by the escalation stage they have reached among the
    stages at or after the due date (``reminders.ladder.stage_reached``, the stage the reminders record), in
    the ladder's order; those overdue by fewer days than the first such stage needs come first, as
    "Overdue": two queries."""
    stages = list(EscalationStage.objects.filter(offset_days__gte=0).order_by("offset_days", "stage"))
    overdue = Finding.objects.overdue(on=on)
    if business_unit is not None:
        overdue = overdue.filter(audit__supplier__business_units=business_unit)
    reached = stage_reached(due="rectification_due", on=on, rungs=[(s.stage, s.offset_days) for s in stages])
    counts = {
        row["reached"]: row["n"]
        for row in overdue.annotate(reached=reached).values("reached").annotate(n=Count("pk")).order_by()
    }
    rows = [
        {"stage": s.stage, "name": s.name, "offset_days": s.offset_days, "count": counts.get(s.stage, 0)}
        for s in stages
    ]
    if counts.get(None) or not stages:
        rows.insert(0, {"stage": None, "name": "Overdue", "offset_days": 0, "count": counts.get(None, 0)})
    return rows


# --- Minerals -------------------------------------------------------------------------------------------


def empty_mineral_figures() -> dict:
    return {"smelters_total": 0, "countries": 0, "conformant_pct": 0.0, "by_mineral": {}}


def mineral_figures(*, year: int) -> dict:
    """Smelters and refiners from the year's declarations (the minerals app's own selector)."""
    if not apps.is_installed("minerals"):
        return empty_mineral_figures()
    try:
        from minerals.selectors import smelter_statistics
    except ModuleNotFoundError as missing:
        if missing.name != "minerals.selectors":
            raise
        return empty_mineral_figures()
    return smelter_statistics(year=year)


# --- The report and the dashboard -----------------------------------------------------------------------


def esg_report(*, year: int, today: dt.date | None = None) -> dict:
    """The annual ESG report of ``year`` (a year checked by ``report_year``)."""
    period = report_period(year=year, today=today)
    return {
        "year": year,
        "suppliers": supplier_figures(period=period),
        "audits": audit_figures(period=period),
        "rectification": rectification_figures(period=period),
        "minerals": mineral_figures(year=year),
    }


def dashboard_figures(
    *, year: int, business_unit: BusinessUnit | None = None, today: dt.date | None = None
) -> dict:
    """Everything the dashboard draws for a year and, optionally, one business unit."""
    period = report_period(year=year, today=today)
    first = year - AUDIT_YEARS_ON_DASHBOARD + 1
    by_year = audits_completed_by_year(first=first - 1, last=year, business_unit=business_unit)
    completed, prior = by_year[year], by_year[year - 1]
    return {
        "year": year,
        "as_of": period.as_of.isoformat(),
        "current_year": period.is_current,
        "business_unit": business_unit.name if business_unit is not None else None,
        "suppliers": supplier_figures(period=period, business_unit=business_unit, csr_coverage=False),
        "audits": {"completed": completed, "completed_prior_year": prior, "change": completed - prior},
        "audits_per_year": [{"year": y, "completed": by_year[y]} for y in range(first, year + 1)],
        "performance": performance_bands(period=period, business_unit=business_unit),
        "rectification": rectification_figures(period=period, business_unit=business_unit),
        "overdue_by_stage": overdue_by_stage(on=period.as_of, business_unit=business_unit),
        "minerals": mineral_figures(year=year),
    }
