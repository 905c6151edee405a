"""The risk model's versions (weights, thresholds and factor scores) and the assessments computed with
them; the computation itself is ``suppliers.risk``."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.lookups import Exact
from django.utils import timezone

from .reference import RiskLevel, score_validators
from .supplier import Supplier


class RiskModelQuerySet(models.QuerySet):
    def current(self) -> RiskModel:
        model = self.order_by("-version").first()
        if model is None:
            model = self.create(version=1, note="Default model")
        return model


class RiskModel(models.Model):
    """One version of the risk model. Versions are never edited: every change saves a new version."""

    FACTORS = ("country", "commodity", "audit", "findings", "external", "materiality")

    version = models.PositiveIntegerField(unique=True)
    note = models.CharField(max_length=255, blank=True, help_text="What changed and why.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    weight_country = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    weight_commodity = models.PositiveSmallIntegerField(default=15, validators=score_validators)
    weight_audit = models.PositiveSmallIntegerField(default=25, validators=score_validators)
    weight_findings = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    weight_external = models.PositiveSmallIntegerField(default=10, validators=score_validators)
    weight_materiality = models.PositiveSmallIntegerField(default=10, validators=score_validators)

    medium_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("40"),
        help_text="Scores from this value are medium risk.",
    )
    high_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        help_text="Scores from this value are high risk.",
    )

    default_country_score = models.PositiveSmallIntegerField(
        default=50,
        validators=score_validators,
        help_text="Country factor for a country missing from the table.",
    )
    default_commodity_score = models.PositiveSmallIntegerField(
        default=50, validators=score_validators, help_text="Commodity factor when none is recorded."
    )
    audit_score_high_performer = models.PositiveSmallIntegerField(default=10, validators=score_validators)
    audit_score_medium_performer = models.PositiveSmallIntegerField(default=45, validators=score_validators)
    audit_score_low_performer = models.PositiveSmallIntegerField(default=85, validators=score_validators)
    audit_score_no_audit = models.PositiveSmallIntegerField(
        default=70, validators=score_validators, help_text="No audit yet counts as elevated risk."
    )
    findings_points_priority = models.PositiveSmallIntegerField(default=40, validators=score_validators)
    findings_points_major = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    findings_points_minor = models.PositiveSmallIntegerField(default=5, validators=score_validators)
    external_score_missing = models.PositiveSmallIntegerField(
        default=60, validators=score_validators, help_text="External factor without a valid rating."
    )
    materiality_base = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_tier1 = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_production = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_strategic = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_high_spend = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    high_spend_threshold_usd = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal("1000000"),
        help_text="Annual spend (converted to USD with the rates below) from which spend adds materiality.",
    )
    usd_rates = models.JSONField(
        default=dict,
        blank=True,
        help_text='USD value of one unit of each currency, e.g. {"CNY": 0.14, "EUR": 1.08}. '
        "Spend in a currency missing here does not count towards materiality.",
    )

    objects = RiskModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = "risk model version"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    weight_country__lte=100,
                    weight_commodity__lte=100,
                    weight_audit__lte=100,
                    weight_findings__lte=100,
                    weight_external__lte=100,
                    weight_materiality__lte=100,
                ),
                name="risk_model_weights_at_most_100",
            ),
            models.CheckConstraint(
                condition=Exact(
                    F("weight_country")
                    + F("weight_commodity")
                    + F("weight_audit")
                    + F("weight_findings")
                    + F("weight_external")
                    + F("weight_materiality"),
                    100,
                ),
                name="risk_model_weights_sum_100",
                violation_error_message="The six weights must add up to 100.",
            ),
            models.CheckConstraint(
                condition=Q(
                    medium_threshold__gt=0, medium_threshold__lt=F("high_threshold"), high_threshold__lte=100
                ),
                name="risk_model_thresholds_ordered",
                violation_error_message="Thresholds must satisfy 0 < medium < high ≤ 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk model v{self.version}"

    def weights(self) -> dict[str, int]:
        return {factor: getattr(self, f"weight_{factor}") for factor in self.FACTORS}

    def level_for(self, score: Decimal) -> str:
        if score >= self.high_threshold:
            return RiskLevel.HIGH
        if score >= self.medium_threshold:
            return RiskLevel.MEDIUM
        return RiskLevel.LOW


class RiskAssessment(models.Model):
    """A stored assessment: inputs, each factor's contribution, the hard rules that applied, the model
    version and the time, so that anyone can answer "why is this supplier high risk?"."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="risk_assessments")
    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="assessments")
    computed_at = models.DateTimeField(default=timezone.now)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    score_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, help_text="Level from the score alone."
    )
    level = models.CharField(max_length=10, choices=RiskLevel.choices, help_text="Level after hard rules.")
    factors = models.JSONField(default=list)
    hard_rules = models.JSONField(default=list, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the inputs and the model version.")

    class Meta:
        ordering = ["-computed_at", "-pk"]
        get_latest_by = "computed_at"
        indexes = [models.Index(fields=["supplier", "-computed_at"], name="assessment_supplier_time")]

    def __str__(self) -> str:
        return (
            f"{self.supplier_id}: {self.level} ({self.score}) v{self.model_id} at {self.computed_at:%Y-%m-%d}"
        )
