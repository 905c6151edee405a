"""The audit and deadline policy (CAP and rectification periods, performance bands, report due days) and
the code of conduct provisions findings refer to."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class PerformanceBand(models.TextChoices):
    HIGH = "high", "High performer"
    MEDIUM = "medium", "Medium performer"
    LOW = "low", "Low performer"


def _numbers(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", text))


class CodeProvision(models.Model):
    """A code of conduct provision findings refer to; data, because the numbering changes by version. Its
    title is kept in English and, for the portal and e-mails, in Simplified Chinese (``title_in``)."""

    class Section(models.TextChoices):
        LABOR = "A", _("A Labor")
        HEALTH_SAFETY = "B", _("B Health & Safety")
        ENVIRONMENT = "C", _("C Environment")
        ETHICS = "D", _("D Ethics")
        MANAGEMENT_SYSTEM = "E", _("E Management System")

    code_version = models.CharField(max_length=20, default="RBA 8.0")
    code = models.CharField(max_length=10)
    section = models.CharField(max_length=1, choices=Section.choices)
    title = models.CharField(max_length=150)
    title_zh_hans = models.CharField(
        "title (Simplified Chinese)", max_length=150, blank=True, help_text="Shown to users who read Chinese."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code_version", "section", "code"]
        constraints = [
            models.UniqueConstraint(fields=["code_version", "code"], name="provision_unique_code_per_version")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.title}"

    def title_in(self, language: str) -> str:
        """The title in ``language`` (a code of ``settings.LANGUAGES``): the Chinese one when there is one."""
        if (language or "").lower().startswith("zh") and self.title_zh_hans:
            return self.title_zh_hans
        return self.title

    @classmethod
    def in_use(cls) -> list[CodeProvision]:
        """The provisions a new finding may name: the active ones, of the latest code version that has each
        code (e.g. 'A3' of RBA 8.0 rather than of 7.0 while both are active), in section and number order.
        One query."""
        latest: dict[str, CodeProvision] = {}
        for provision in cls.objects.filter(active=True):
            key = provision.code.upper()
            current = latest.get(key)
            if current is None or (_numbers(provision.code_version), provision.pk) > (
                _numbers(current.code_version),
                current.pk,
            ):
                latest[key] = provision
        return sorted(latest.values(), key=lambda p: (p.section, _numbers(p.code), p.code))


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

    def report_due_after(self, end: dt.date) -> dt.date:
        """The day an agency's report is due for an audit that ended on ``end`` (``Audit.report_due``)."""
        return end + dt.timedelta(days=self.report_due_days)

    def band_for(self, score: Decimal) -> str:
        if score > self.high_performer_above:
            return PerformanceBand.HIGH
        if score >= self.medium_performer_from:
            return PerformanceBand.MEDIUM
        return PerformanceBand.LOW
