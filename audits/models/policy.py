"""The audit and deadline policy (CAP and rectification periods, performance bands, report due days) and
the code of conduct provisions findings refer to."""

from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords


class PerformanceBand(models.TextChoices):
    HIGH = "high", "High performer"
    MEDIUM = "medium", "Medium performer"
    LOW = "low", "Low performer"


class CodeProvision(models.Model):
    """A code of conduct provision findings refer to; data, because the numbering changes by version."""

    class Section(models.TextChoices):
        LABOR = "A", "A Labor"
        HEALTH_SAFETY = "B", "B Health & Safety"
        ENVIRONMENT = "C", "C Environment"
        ETHICS = "D", "D Ethics"
        MANAGEMENT_SYSTEM = "E", "E Management System"

    code_version = models.CharField(max_length=20, default="RBA 8.0")
    code = models.CharField(max_length=10)
    section = models.CharField(max_length=1, choices=Section.choices)
    title = models.CharField(max_length=150)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code_version", "section", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code_version", "code"], name="provision_unique_code_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class AuditPolicy(models.Model):
    """Deadlines and performance bands; one row, edited by ESG managers. Due dates are fixed on each finding
    when its report is accepted, so later changes here never move existing deadlines."""

    cap_days_priority = models.PositiveSmallIntegerField(default=7)
    cap_days_major = models.PositiveSmallIntegerField(default=7)
    cap_days_minor = models.PositiveSmallIntegerField(default=7)
    rectify_days_priority = models.PositiveSmallIntegerField(default=30)
    rectify_days_major = models.PositiveSmallIntegerField(default=90)
    rectify_days_minor = models.PositiveSmallIntegerField(default=120)
    max_rectify_days = models.PositiveSmallIntegerField(
        default=120, help_text="Outer bound for every rectification (four months); later needs an extension."
    )
    high_performer_above = models.DecimalField(
        max_digits=5, decimal_places=1, default=Decimal("180"), help_text="Scores above this: high performer."
    )
    medium_performer_from = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        default=Decimal("160"),
        help_text="Scores from this value up to the high threshold: medium performer; below: low performer.",
    )
    report_due_days = models.PositiveSmallIntegerField(
        default=14, help_text="Days after an audit's end by which the agency must submit its report."
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "audit and deadline policy"
        verbose_name_plural = "audit and deadline policy"
        constraints = [
            models.CheckConstraint(
                condition=Q(medium_performer_from__lte=F("high_performer_above")),
                name="audit_policy_bands_ordered",
                violation_error_message="The medium threshold cannot be above the high threshold.",
            ),
            models.CheckConstraint(
                condition=Q(rectify_days_priority__lte=F("max_rectify_days"))
                & Q(rectify_days_major__lte=F("max_rectify_days"))
                & Q(rectify_days_minor__lte=F("max_rectify_days")),
                name="audit_policy_rectify_within_outer_bound",
                violation_error_message="No rectification period may exceed the outer bound.",
            ),
        ]

    def __str__(self) -> str:
        return "Audit and deadline policy"

    @classmethod
    def current(cls) -> AuditPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    def band_for(self, score: Decimal) -> str:
        if score > self.high_performer_above:
            return PerformanceBand.HIGH
        if score >= self.medium_performer_from:
            return PerformanceBand.MEDIUM
        return PerformanceBand.LOW
