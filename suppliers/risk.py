"""The risk model: how a supplier's low / medium / high level is computed, stored and explained.

Six factors, each scored 0–100 (higher is riskier), are weighted by the current ``RiskModel`` version
(weights add up to 100) into a score of 0–100; the model's thresholds map the score to a level. Hard rules
win over the score (an open red-line finding makes the supplier high). A manual override, with a reason,
replaces the level, except where a hard rule applies. Every assessment is stored with each factor's
score, weight, contribution and the input it came from.

``risk_refresh`` works in batches with a fixed number of queries per batch, whatever the register's size;
an assessment is stored only when its inputs or the model changed since the last one, and the supplier's
history records every change of its risk level or score ("Risk reassessed"). It is also the nightly job
over the whole register, so it reads plain values rather than model instances, adds whole-number factor
scores in hundredths rather than Decimals, and writes each batch with one statement per table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from common import bulk
from common.exceptions import Invalid

from . import seams
from .models import CountryRisk, ExternalAssessment, RiskAssessment, RiskLevel, RiskModel, Supplier

TWO_PLACES = Decimal("0.01")
BAND_LABELS = {"high": "high performer", "medium": "medium performer", "low": "low performer"}
FACTOR_LABELS = {
    "country": "Country risk",
    "commodity": "Commodity / process risk",
    "audit": "Audit performance",
    "findings": "Open audit findings",
    "external": "External rating",
    "materiality": "Materiality",
}
SUPPLIER_RISK_FIELDS = ["risk_level", "risk_score", "risk_assessment"]


@dataclass(frozen=True)
class Factor:
    key: str
    label: str
    score: Decimal  # 0-100, higher is riskier
    weight: int
    contribution: Decimal  # score * weight / 100
    detail: str

    def as_json(self) -> dict:
        return {
            "key": self.key,
            "label": self.label,
            "score": float(self.score),
            "weight": self.weight,
            "contribution": float(self.contribution),
            "detail": self.detail,
        }


@dataclass(frozen=True)
class Evaluation:
    score: Decimal
    score_level: str
    level: str
    factors: tuple[Factor, ...]
    hard_rules: tuple[str, ...]
    fingerprint: str


@dataclass(frozen=True)
class Inputs:
    """Everything the model reads about one supplier; the fingerprint is taken over these."""

    country: str
    country_score: int | None
    commodity: str | None
    commodity_score: int | None
    audit_band: str | None
    audit_on: str | None
    open_findings: dict[str, int]
    red_lines: list[str]
    external: tuple[str, float, str] | None  # (kind label, 0-100 normalised score, assessed on)
    tier: int
    category: str
    strategic: bool
    spend: str | None
    currency: str
    suspension_review: str | None = None  # the reason, when flagged by escalation


def _clamp(value: Decimal | int) -> Decimal:
    return min(Decimal(100), max(Decimal(0), Decimal(value)))


_PERCENT = tuple(Decimal(n) for n in range(101))  # factor scores as whole numbers, as _clamp gives them
_FINGERPRINT_JSON = json.JSONEncoder(sort_keys=True, default=str, check_circular=False)
_CENTS = tuple(Decimal(c).scaleb(-2) for c in range(100 * 100 + 1))  # 0.00 .. 100.00, as quantized


class _Rules:
    """One model version's numbers and wording, worked out once per refresh rather than once per supplier.

    Factor scores that are whole numbers (all but the external rating's) are kept as ints: their
    contribution ``score * weight / 100`` is then exactly ``score * weight`` hundredths, the value the
    Decimal arithmetic quantized to two places gives."""

    def __init__(self, model: RiskModel):
        self.model = model
        self.version = model.version
        self.weights = model.weights()
        self.default_country = _whole(model.default_country_score)
        self.default_commodity = _whole(model.default_commodity_score)
        self.band_scores = {
            "high": _whole(model.audit_score_high_performer),
            "medium": _whole(model.audit_score_medium_performer),
            "low": _whole(model.audit_score_low_performer),
        }
        self.no_audit = _whole(model.audit_score_no_audit)
        self.points = {
            "priority": model.findings_points_priority,
            "major": model.findings_points_major,
            "minor": model.findings_points_minor,
        }
        self.external_missing = _whole(model.external_score_missing)
        self.usd_rates = {currency: Decimal(str(rate)) for currency, rate in (model.usd_rates or {}).items()}
        self._materiality: dict[tuple[bool, bool, bool], tuple[int, str]] = {}
        self._factor_json: dict[tuple[str, Decimal, str], str] = {}

    def factor_json(self, key: str, score: Decimal, weight: int, contribution: Decimal, detail: str) -> str:
        """``json.dumps(factor.as_json())``, remembered: most suppliers share most of their factors."""
        text = self._factor_json.get((key, score, detail))
        if text is None:
            if len(self._factor_json) > 100_000:
                self._factor_json.clear()
            factor = Factor(key, FACTOR_LABELS[key], score, weight, contribution, detail)
            text = self._factor_json[key, score, detail] = json.dumps(factor.as_json())
        return text

    def materiality(self, inputs: Inputs) -> tuple[int | Decimal, str]:
        model = self.model
        key = (
            inputs.tier == Supplier.Tier.DIRECT,
            inputs.category == Supplier.Category.PRODUCTION,
            bool(inputs.strategic),
        )
        known = self._materiality.get(key)
        if known is None:
            parts = [f"base {model.materiality_base}"]
            total = model.materiality_base
            for applies, points, label in zip(
                key,
                (model.materiality_tier1, model.materiality_production, model.materiality_strategic),
                ("tier 1", "production", "strategic"),
                strict=True,
            ):
                if applies:
                    total += points
                    parts.append(f"{label} +{points}")
            known = self._materiality[key] = (total, ", ".join(parts))
        total, detail = known
        if inputs.spend is not None:
            rate = self.usd_rates.get(inputs.currency)
            if rate is not None:
                spend_usd = Decimal(inputs.spend) * rate
                if spend_usd >= model.high_spend_threshold_usd:
                    total += model.materiality_high_spend
                    detail = f"{detail}, spend ≈ USD {spend_usd:,.0f} +{model.materiality_high_spend}"
        return _whole(total), detail


def _whole(value: int) -> int | Decimal:
    """A factor score clamped to 0-100: an int when it is a whole number, else a Decimal."""
    if type(value) is int:
        return 100 if value > 100 else 0 if value < 0 else value
    return _clamp(value)


class _Outcome(NamedTuple):
    score: Decimal
    score_level: str
    level: str
    factors: tuple[tuple, ...]  # (key, score, weight, contribution, detail), Decimals
    factors_json: str  # the text of json.dumps([factor.as_json() for factor in factors])
    hard_rules: tuple[str, ...]
    fingerprint: str


def _evaluate(inputs: Inputs, rules: _Rules) -> _Outcome:
    """``evaluate`` for a refresh: the model's constants come from ``rules``, whole-number factor scores are
    summed in hundredths, and the factors come as the JSON stored with the assessment."""
    if inputs.country_score is None:
        country = (
            rules.default_country,
            f"{inputs.country}: not in the country table, default {rules.model.default_country_score}",
        )
    else:
        country = (
            _whole(inputs.country_score),
            f"{inputs.country}: {inputs.country_score} in the country table",
        )
    if inputs.commodity_score is None:
        commodity = (rules.default_commodity, "No commodity / process recorded: default")
    else:
        commodity = (_whole(inputs.commodity_score), f"{inputs.commodity}: {inputs.commodity_score}")
    band = inputs.audit_band
    if band in rules.band_scores:
        audit = (rules.band_scores[band], f"Latest audit ({inputs.audit_on}): {BAND_LABELS[band]}")
    else:
        audit = (rules.no_audit, "No third-party audit yet (counts as elevated)")
    if inputs.open_findings:
        counted = [
            (severity, inputs.open_findings.get(severity, 0), points)
            for severity, points in rules.points.items()
        ]
        raw = sum(points * n for _, n, points in counted)
        detail = ", ".join(f"{n} {severity}" for severity, n, _ in counted if n) or "none"
        findings = (_whole(raw), f"Open findings: {detail}")
    else:
        findings = (0, "Open findings: none")
    if inputs.external is None:
        external = (rules.external_missing, "No valid external rating")
    else:
        label, normalised, on = inputs.external
        external = (
            _clamp(Decimal(100) - Decimal(str(normalised))),
            f"{label} of {on}: {normalised:.1f} of 100",
        )
    materiality = rules.materiality(inputs)

    weights = rules.weights
    cents = 0
    factors = []
    texts = []
    for key, (score, detail) in zip(
        RiskModel.FACTORS, (country, commodity, audit, findings, external, materiality), strict=True
    ):
        weight = weights[key]
        if type(score) is int:
            share = score * weight
            score, contribution = _PERCENT[score], _CENTS[share]
        else:
            contribution = (score * weight / 100).quantize(TWO_PLACES, ROUND_HALF_UP)
            share = int(contribution.scaleb(2))
        cents += share
        factors.append((key, score, weight, contribution, detail))
        texts.append(rules.factor_json(key, score, weight, contribution, detail))
    total = _CENTS[cents] if cents < len(_CENTS) else Decimal(cents).scaleb(-2)
    score_level = rules.model.level_for(total)
    hard_rules = tuple(
        f"Open red-line finding {issue}: high risk until rectified" for issue in inputs.red_lines
    )
    if inputs.suspension_review is not None:
        hard_rules += (f"Flagged for suspension review: {inputs.suspension_review}",)
    level = RiskLevel.HIGH if hard_rules else score_level
    # The text of json.dumps({"model": ..., "inputs": dataclasses.asdict(inputs)}, sort_keys=True,
    # default=str), as fingerprints have always been taken, without asdict's deep copy.
    payload = _FINGERPRINT_JSON.encode({"model": rules.version, "inputs": vars(inputs)})
    fingerprint = hashlib.sha256(payload.encode()).hexdigest()
    factors_json = f"[{', '.join(texts)}]"
    return _Outcome(total, score_level, level, tuple(factors), factors_json, hard_rules, fingerprint)


def evaluate(inputs: Inputs, model: RiskModel) -> Evaluation:
    """The model applied to one supplier's inputs; no database access."""
    outcome = _evaluate(inputs, _Rules(model))
    return Evaluation(
        outcome.score,
        outcome.score_level,
        outcome.level,
        tuple(
            Factor(key, FACTOR_LABELS[key], score, weight, contribution, detail)
            for key, score, weight, contribution, detail in outcome.factors
        ),
        outcome.hard_rules,
        outcome.fingerprint,
    )


def effective_level(*, level: str, hard_rules: Sequence[str], override: str) -> str:
    """The level the supplier carries: the override, unless a hard rule forces the computed level."""
    if hard_rules or not override:
        return level
    return override


# What a refresh reads of each supplier: plain values, not model instances, which cost more to build than
# the assessment itself.
_SUPPLIER_VALUES = (
    "pk",
    "country",
    "commodity_id",
    "commodity__name",
    "commodity__risk_score",
    "tier",
    "category",
    "strategic",
    "annual_spend",
    "currency",
    "suspension_review",
    "suspension_review_reason",
    "risk_override_level",
    "risk_level",
    "risk_score",
    "risk_assessment_id",
    "risk_assessment__fingerprint",
)


def _batches(queryset, batch_size: int) -> Iterator[list[tuple]]:
    """Keyset pagination over suppliers' values (the primary key first): bounded memory, one query per
    batch."""
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            return
        yield batch
        last_pk = batch[-1][0]


def _latest_external(
    supplier_ids: Sequence[int], on: dt.date, *, whole_range: bool = False
) -> dict[int, tuple[str, float, str]]:
    """Each supplier's latest valid external rating, as the model reads it. With ``whole_range`` the ids are
    every supplier from the first to the last, and are selected as that range rather than one by one (a
    list of 5,000 ids costs more to pass than the query takes)."""
    latest: dict[int, tuple[str, float, str]] = {}
    if whole_range:
        of_suppliers = Q(supplier_id__gte=supplier_ids[0], supplier_id__lte=supplier_ids[-1])
    else:
        of_suppliers = Q(supplier_id__in=supplier_ids)
    valid = (
        ExternalAssessment.objects.filter(of_suppliers, assessed_on__lte=on)
        .exclude(valid_until__lt=on)
        .exclude(kind=ExternalAssessment.Kind.RBA_SAQ)
    )
    for assessment in valid.order_by("supplier_id", "-assessed_on", "-pk").only(
        "supplier_id", "kind", "score", "scale_max", "assessed_on"
    ):
        if assessment.supplier_id not in latest:
            latest[assessment.supplier_id] = (
                assessment.get_kind_display(),
                float(assessment.normalized_score),
                assessment.assessed_on.isoformat(),
            )
    return latest


def _inputs(
    values: tuple, *, country_scores: dict[str, int], facts: seams.AuditFacts, external: tuple | None
) -> Inputs:
    (
        _,
        country,
        commodity_id,
        commodity,
        commodity_score,
        tier,
        category,
        strategic,
        spend,
        currency,
        review,
        review_reason,
    ) = values[:12]
    return Inputs(
        country=country,
        country_score=country_scores.get(country),
        commodity=commodity if commodity_id else None,
        commodity_score=commodity_score if commodity_id else None,
        audit_band=facts.latest_band,
        audit_on=facts.latest_audit_on.isoformat() if facts.latest_audit_on else None,
        open_findings={k: v for k, v in sorted(facts.open_findings.items()) if v},
        red_lines=[str(issue) for issue in facts.red_lines],
        external=external,
        tier=tier,
        category=category,
        strategic=strategic,
        spend=str(spend) if spend is not None else None,
        currency=currency,
        suspension_review=(review_reason or "no reason recorded") if review else None,
    )


def _assess_batch(
    batch: list[tuple],
    *,
    rules: _Rules,
    country_scores: dict[str, int],
    now: dt.datetime,
    force: bool,
    whole_range: bool,
    by=None,
) -> int:
    """Assess one batch of suppliers' values (``whole_range``: the batch holds every supplier from its first
    to its last primary key) in a fixed number of queries."""
    ids = [values[0] for values in batch]
    facts = seams.audit_facts(ids)
    externals = _latest_external(ids, timezone.localdate(now), whole_range=whole_range)
    new_assessments: list[tuple] = []  # (supplier pk, evaluation)
    updates: list[list] = []  # [supplier pk, level, score, assessment pk or None for the new one]
    moved: list[int] = []  # suppliers whose level or score changed
    for values in batch:
        pk, override, risk_level, risk_score, assessment_id, fingerprint = (values[0], *values[12:])
        inputs = _inputs(values, country_scores=country_scores, facts=facts[pk], external=externals.get(pk))
        result = _evaluate(inputs, rules)
        level = effective_level(level=result.level, hard_rules=result.hard_rules, override=override)
        changed = risk_level != level or risk_score != result.score
        if force or assessment_id is None or fingerprint != result.fingerprint:
            new_assessments.append((pk, result))
            updates.append([pk, level, result.score, None])
        elif changed:
            updates.append([pk, level, result.score, assessment_id])
        if changed:
            moved.append(pk)
    if new_assessments:
        stored = _insert_assessments(new_assessments, model=rules.model, now=now)
        for update in updates:
            if update[3] is None:
                update[3] = stored[update[0]]
    if updates:
        _store_risk_fields(updates)
    if moved:
        bulk.history_copy(Supplier, moved, reason="Risk reassessed", by=by)
    return len(new_assessments)


def _insert_assessments(assessments: list[tuple], *, model: RiskModel, now: dt.datetime) -> dict[int, int]:
    """Insert ``(supplier pk, _Outcome)`` pairs as assessments computed ``now``; returns the primary key of
    each supplier's new assessment. ``bulk_create`` spends more time quoting the factors' JSON than the
    evaluation takes; here the factors are stored as the JSON text ``_evaluate`` made."""
    rows = [
        (
            supplier_id,
            str(result.score),
            result.score_level,
            result.level,
            result.factors_json,
            json.dumps(list(result.hard_rules)) if result.hard_rules else "[]",
            result.fingerprint,
        )
        for supplier_id, result in assessments
    ]
    varying = ("supplier", "score", "score_level", "level", "factors", "hard_rules", "fingerprint")
    meta = RiskAssessment._meta
    stored = bulk.insert_rows(
        RiskAssessment,
        varying,
        rows,
        given={"model": model.pk, "computed_at": now},
        returning=(meta.pk, meta.get_field("supplier")),
    )
    return {supplier_id: pk for pk, supplier_id in stored}


def _store_risk_fields(updates: list[list]) -> None:
    """Write ``[pk, level, score, assessment pk]`` rows to the suppliers in one statement. Django's
    ``bulk_update`` builds a CASE per row and field, which the database evaluates row by row against every
    other row of the batch."""
    rows = [(pk, level, str(score), assessment) for pk, level, score, assessment in updates]
    bulk.update_rows(Supplier, SUPPLIER_RISK_FIELDS, rows)


def _country_scores() -> dict[str, int]:
    return {str(country): score for country, score in CountryRisk.objects.values_list("country", "score")}


def risk_refresh(
    *, supplier_ids: Iterable[int] | None = None, batch_size: int = 5000, force: bool = False, by=None
) -> int:
    """Reassess the given suppliers (all when ``None``) in batches; returns the number of new assessments."""
    rules = _Rules(RiskModel.objects.current())
    country_scores = _country_scores()
    queryset = Supplier.objects.values_list(*_SUPPLIER_VALUES)
    if supplier_ids is not None:
        queryset = queryset.filter(pk__in=list(supplier_ids))
    now = timezone.now()
    created = 0
    for batch in _batches(queryset, batch_size):
        with transaction.atomic():
            created += _assess_batch(
                batch,
                rules=rules,
                country_scores=country_scores,
                now=now,
                force=force,
                whole_range=supplier_ids is None,
                by=by,
            )
    return created


def risk_assess(*, supplier: Supplier, by=None) -> RiskAssessment:
    """Assess one supplier now and store the assessment (even when nothing changed)."""
    risk_refresh(supplier_ids=[supplier.pk], force=True, by=by)
    supplier.refresh_from_db(fields=["risk_level", "risk_score", "risk_assessment"])
    return supplier.risk_assessment


class OverrideRefused(Invalid):
    """A risk override that cannot be set or cleared (HTTP 400), naming the field at fault."""


@transaction.atomic
def risk_override_set(*, supplier: Supplier, level: str, reason: str, by) -> Supplier:
    """Set a manual risk level with a reason; kept in the supplier's history with who and when."""
    reason = (reason or "").strip()
    if level not in RiskLevel.values:
        raise OverrideRefused(
            f"'{level}' is not a risk level; use one of {', '.join(RiskLevel.values)}.", field="level"
        )
    if not reason:
        raise OverrideRefused("A risk override needs a reason.", field="reason")
    if by is not None and not by.has_perm("suppliers.override_risk"):
        raise OverrideRefused("You may not override risk levels.")
    locked = (
        Supplier.objects.select_for_update(of=("self",)).select_related("risk_assessment").get(pk=supplier.pk)
    )
    locked.risk_override_level = level
    locked.risk_override_reason = reason
    locked.risk_override_by = by
    locked.risk_override_at = timezone.now()
    assessment = locked.risk_assessment
    if assessment is not None:
        locked.risk_level = effective_level(
            level=assessment.level, hard_rules=assessment.hard_rules, override=level
        )
    else:
        locked.risk_level = level
    locked._history_user = by
    locked._change_reason = f"Risk overridden to {level}: {reason}"
    locked.save()
    return locked


@transaction.atomic
def risk_override_clear(*, supplier: Supplier, by, reason: str = "") -> Supplier:
    if by is not None and not by.has_perm("suppliers.override_risk"):
        raise OverrideRefused("You may not override risk levels.")
    locked = (
        Supplier.objects.select_for_update(of=("self",)).select_related("risk_assessment").get(pk=supplier.pk)
    )
    locked.risk_override_level = ""
    locked.risk_override_reason = ""
    locked.risk_override_by = None
    locked.risk_override_at = None
    locked.risk_level = locked.risk_assessment.level if locked.risk_assessment else ""
    locked._history_user = by
    locked._change_reason = f"Risk override removed{': ' + reason.strip() if reason.strip() else ''}"
    locked.save()
    return locked


def explanation(*, supplier: Supplier) -> list[str]:
    """Why this supplier carries its level, in sentences (for the admin page and the API)."""
    assessment = supplier.risk_assessment
    if assessment is None:
        return ["Not assessed yet."]
    model = assessment.model
    computed = timezone.localtime(assessment.computed_at)
    lines = [
        f"Score {assessment.score} of 100 with risk model v{model.version} on {computed:%Y-%m-%d %H:%M}: "
        f"{assessment.get_score_level_display()} by the score (medium from {model.medium_threshold}, "
        f"high from {model.high_threshold})."
    ]
    lines.extend(
        f"{f['label']}: {f['score']:g} × {f['weight']}% = {f['contribution']:g} ({f['detail']})."
        for f in sorted(assessment.factors, key=lambda f: -f["contribution"])
    )
    lines.extend(f"Hard rule: {rule}." for rule in assessment.hard_rules)
    if supplier.risk_override_level:
        if assessment.hard_rules:
            lines.append(f"Manual override to {supplier.risk_override_level} is set but a hard rule applies.")
        else:
            lines.append(
                f"Manual override to {supplier.risk_override_level}: {supplier.risk_override_reason}"
            )
    return lines
