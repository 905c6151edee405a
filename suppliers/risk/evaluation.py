"""The model applied to one supplier: its six factor scores, the weighted score, the level by the model's
thresholds, the hard rules that win over the score, and the fingerprint of the inputs.

No database access: ``Inputs`` holds everything the model reads about one supplier, and ``Rules`` one
model version's numbers and wording. ``evaluate`` gives an ``Evaluation`` with each ``Factor``;
``evaluate_for_refresh`` gives the same result in the form ``refresh`` stores (factors as their JSON
text), adding whole-number factor scores in hundredths rather than as Decimals.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import NamedTuple

from ..models import RiskLevel, RiskModel, Supplier

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


class Rules:
    """One model version's numbers and wording, worked out once and shared by every supplier assessed with it.

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


class Outcome(NamedTuple):
    score: Decimal
    score_level: str
    level: str
    factors: tuple[tuple, ...]  # (key, score, weight, contribution, detail), Decimals
    factors_json: str  # the text of json.dumps([factor.as_json() for factor in factors])
    hard_rules: tuple[str, ...]
    fingerprint: str


def evaluate_for_refresh(inputs: Inputs, rules: Rules) -> Outcome:
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
    # default=str), without asdict's deep copy. Stored fingerprints were taken in this form: any other
    # text would give every supplier a new assessment at the next refresh.
    payload = _FINGERPRINT_JSON.encode({"model": rules.version, "inputs": vars(inputs)})
    fingerprint = hashlib.sha256(payload.encode()).hexdigest()
    factors_json = f"[{', '.join(texts)}]"
    return Outcome(total, score_level, level, tuple(factors), factors_json, hard_rules, fingerprint)


def evaluate(inputs: Inputs, model: RiskModel) -> Evaluation:
    """The model applied to one supplier's inputs; no database access."""
    outcome = evaluate_for_refresh(inputs, Rules(model))
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
