"""The risk model: how a supplier's low / medium / high level is computed, stored and explained.

Six factors, each scored 0–100 (higher is riskier), are weighted by the current ``RiskModel`` version
(weights add up to 100) into a score of 0–100; the model's thresholds map the score to a level. Hard rules
win over the score (an open red-line finding makes the supplier high). A manual override, with a reason,
replaces the level, except where a hard rule applies. Every assessment is stored with each factor's
score, weight, contribution and the input it came from.

``risk_refresh`` works in batches with a fixed number of queries per batch, whatever the register's size;
an assessment is stored only when its inputs or the model changed since the last one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_update_with_history

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
        data = asdict(self)
        data["score"] = float(self.score)
        data["contribution"] = float(self.contribution)
        return data


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


def _spend_usd(inputs: Inputs, model: RiskModel) -> Decimal | None:
    if inputs.spend is None:
        return None
    rate = (model.usd_rates or {}).get(inputs.currency)
    if rate is None:
        return None
    return Decimal(inputs.spend) * Decimal(str(rate))


def _factor_scores(inputs: Inputs, model: RiskModel) -> dict[str, tuple[Decimal, str]]:
    scores: dict[str, tuple[Decimal, str]] = {}

    if inputs.country_score is None:
        scores["country"] = (
            _clamp(model.default_country_score),
            f"{inputs.country}: not in the country table, default {model.default_country_score}",
        )
    else:
        scores["country"] = (
            _clamp(inputs.country_score),
            f"{inputs.country}: {inputs.country_score} in the country table",
        )

    if inputs.commodity_score is None:
        scores["commodity"] = (
            _clamp(model.default_commodity_score),
            "No commodity / process recorded: default",
        )
    else:
        scores["commodity"] = (
            _clamp(inputs.commodity_score),
            f"{inputs.commodity}: {inputs.commodity_score}",
        )

    band_scores = {
        "high": model.audit_score_high_performer,
        "medium": model.audit_score_medium_performer,
        "low": model.audit_score_low_performer,
    }
    if inputs.audit_band in band_scores:
        scores["audit"] = (
            _clamp(band_scores[inputs.audit_band]),
            f"Latest audit ({inputs.audit_on}): {BAND_LABELS[inputs.audit_band]}",
        )
    else:
        scores["audit"] = (
            _clamp(model.audit_score_no_audit),
            "No third-party audit yet (counts as elevated)",
        )

    points = {
        "priority": model.findings_points_priority,
        "major": model.findings_points_major,
        "minor": model.findings_points_minor,
    }
    counted = {sev: inputs.open_findings.get(sev, 0) for sev in points}
    raw = sum(points[sev] * n for sev, n in counted.items())
    detail = ", ".join(f"{n} {sev}" for sev, n in counted.items() if n) or "none"
    scores["findings"] = (_clamp(raw), f"Open findings: {detail}")

    if inputs.external is None:
        scores["external"] = (_clamp(model.external_score_missing), "No valid external rating")
    else:
        label, normalised, on = inputs.external
        scores["external"] = (
            _clamp(Decimal(100) - Decimal(str(normalised))),
            f"{label} of {on}: {normalised:.1f} of 100",
        )

    parts = [f"base {model.materiality_base}"]
    total = model.materiality_base
    if inputs.tier == Supplier.Tier.DIRECT:
        total += model.materiality_tier1
        parts.append(f"tier 1 +{model.materiality_tier1}")
    if inputs.category == Supplier.Category.PRODUCTION:
        total += model.materiality_production
        parts.append(f"production +{model.materiality_production}")
    if inputs.strategic:
        total += model.materiality_strategic
        parts.append(f"strategic +{model.materiality_strategic}")
    spend_usd = _spend_usd(inputs, model)
    if spend_usd is not None and spend_usd >= model.high_spend_threshold_usd:
        total += model.materiality_high_spend
        parts.append(f"spend ≈ USD {spend_usd:,.0f} +{model.materiality_high_spend}")
    scores["materiality"] = (_clamp(total), ", ".join(parts))
    return scores


def evaluate(inputs: Inputs, model: RiskModel) -> Evaluation:
    """The model applied to one supplier's inputs; no database access."""
    weights = model.weights()
    factors = []
    for key, (score, detail) in _factor_scores(inputs, model).items():
        contribution = (score * weights[key] / 100).quantize(TWO_PLACES, ROUND_HALF_UP)
        factors.append(Factor(key, FACTOR_LABELS[key], score, weights[key], contribution, detail))
    total = sum((f.contribution for f in factors), Decimal(0)).quantize(TWO_PLACES)
    score_level = model.level_for(total)
    hard_rules = tuple(
        f"Open red-line finding {issue}: high risk until rectified" for issue in inputs.red_lines
    )
    if inputs.suspension_review is not None:
        hard_rules += (f"Flagged for suspension review: {inputs.suspension_review}",)
    level = RiskLevel.HIGH if hard_rules else score_level
    payload = json.dumps({"model": model.version, "inputs": asdict(inputs)}, sort_keys=True, default=str)
    return Evaluation(
        total, score_level, level, tuple(factors), hard_rules, hashlib.sha256(payload.encode()).hexdigest()
    )


def effective_level(*, level: str, hard_rules: Sequence[str], override: str) -> str:
    """The level the supplier carries: the override, unless a hard rule forces the computed level."""
    if hard_rules or not override:
        return level
    return override


def _batches(queryset, batch_size: int) -> Iterator[list[Supplier]]:
    """Keyset pagination over suppliers: bounded memory, one query per batch."""
    last_pk = 0
    while True:
        batch = list(queryset.filter(pk__gt=last_pk).order_by("pk")[:batch_size])
        if not batch:
            return
        yield batch
        last_pk = batch[-1].pk


def _latest_external(supplier_ids: Sequence[int], on: dt.date) -> dict[int, ExternalAssessment]:
    latest: dict[int, ExternalAssessment] = {}
    valid = (
        ExternalAssessment.objects.filter(supplier_id__in=supplier_ids, assessed_on__lte=on)
        .exclude(valid_until__lt=on)
        .exclude(kind=ExternalAssessment.Kind.RBA_SAQ)
    )
    for assessment in valid.order_by("supplier_id", "-assessed_on", "-pk").only(
        "supplier_id", "kind", "score", "scale_max", "assessed_on"
    ):
        latest.setdefault(assessment.supplier_id, assessment)
    return latest


def _inputs(
    supplier: Supplier,
    *,
    country_scores: dict[str, int],
    facts: seams.AuditFacts,
    external: ExternalAssessment | None,
) -> Inputs:
    country = str(supplier.country)
    return Inputs(
        country=country,
        country_score=country_scores.get(country),
        commodity=supplier.commodity.name if supplier.commodity_id else None,
        commodity_score=supplier.commodity.risk_score if supplier.commodity_id else None,
        audit_band=facts.latest_band,
        audit_on=facts.latest_audit_on.isoformat() if facts.latest_audit_on else None,
        open_findings={k: v for k, v in sorted(facts.open_findings.items()) if v},
        red_lines=[str(issue) for issue in facts.red_lines],
        external=(
            external.get_kind_display(),
            float(external.normalized_score),
            external.assessed_on.isoformat(),
        )
        if external
        else None,
        tier=supplier.tier,
        category=supplier.category,
        strategic=supplier.strategic,
        spend=str(supplier.annual_spend) if supplier.annual_spend is not None else None,
        currency=supplier.currency,
        suspension_review=(supplier.suspension_review_reason or "no reason recorded")
        if supplier.suspension_review
        else None,
    )


def _assess_batch(
    batch: list[Supplier],
    *,
    model: RiskModel,
    country_scores: dict[str, int],
    now: dt.datetime,
    force: bool,
    by=None,
) -> int:
    ids = [s.pk for s in batch]
    facts = seams.audit_facts(ids)
    externals = _latest_external(ids, timezone.localdate(now))
    new_assessments: list[RiskAssessment] = []
    changed: list[Supplier] = []
    for supplier in batch:
        inputs = _inputs(
            supplier,
            country_scores=country_scores,
            facts=facts[supplier.pk],
            external=externals.get(supplier.pk),
        )
        result = evaluate(inputs, model)
        previous = supplier.risk_assessment
        if force or previous is None or previous.fingerprint != result.fingerprint:
            assessment = RiskAssessment(
                supplier=supplier,
                model=model,
                computed_at=now,
                score=result.score,
                score_level=result.score_level,
                level=result.level,
                factors=[f.as_json() for f in result.factors],
                hard_rules=list(result.hard_rules),
                fingerprint=result.fingerprint,
            )
            new_assessments.append(assessment)
            supplier.risk_assessment = assessment
        level = effective_level(
            level=result.level, hard_rules=result.hard_rules, override=supplier.risk_override_level
        )
        if (
            supplier.risk_assessment is not previous
            or supplier.risk_level != level
            or supplier.risk_score != result.score
        ):
            supplier.risk_level = level
            supplier.risk_score = result.score
            changed.append(supplier)
    RiskAssessment.objects.bulk_create(new_assessments)
    if changed:
        for supplier in changed:
            supplier.risk_assessment_id = supplier.risk_assessment.pk
        bulk_update_with_history(
            changed,
            Supplier,
            SUPPLIER_RISK_FIELDS,
            batch_size=len(changed),
            default_user=by,
            default_change_reason="Risk reassessed",
        )
    return len(new_assessments)


def _country_scores() -> dict[str, int]:
    return {str(country): score for country, score in CountryRisk.objects.values_list("country", "score")}


def risk_refresh(
    *, supplier_ids: Iterable[int] | None = None, batch_size: int = 1000, force: bool = False, by=None
) -> int:
    """Reassess the given suppliers (all when ``None``) in batches; returns the number of new assessments."""
    model = RiskModel.objects.current()
    country_scores = _country_scores()
    queryset = Supplier.objects.select_related("commodity", "risk_assessment")
    if supplier_ids is not None:
        queryset = queryset.filter(pk__in=list(supplier_ids))
    now = timezone.now()
    created = 0
    for batch in _batches(queryset, batch_size):
        with transaction.atomic():
            created += _assess_batch(
                batch, model=model, country_scores=country_scores, now=now, force=force, by=by
            )
    return created


def risk_assess(*, supplier: Supplier, by=None) -> RiskAssessment:
    """Assess one supplier now and store the assessment (even when nothing changed)."""
    risk_refresh(supplier_ids=[supplier.pk], force=True, by=by)
    supplier.refresh_from_db(fields=["risk_level", "risk_score", "risk_assessment"])
    return supplier.risk_assessment


class OverrideRefused(Exception):
    pass


@transaction.atomic
def risk_override_set(*, supplier: Supplier, level: str, reason: str, by) -> Supplier:
    """Set a manual risk level with a reason; kept in the supplier's history with who and when."""
    reason = (reason or "").strip()
    if level not in RiskLevel.values:
        raise OverrideRefused(f"'{level}' is not a risk level; use one of {', '.join(RiskLevel.values)}.")
    if not reason:
        raise OverrideRefused("A risk override needs a reason.")
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
