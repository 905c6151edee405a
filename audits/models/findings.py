"""Findings of an audit (severity, red-line category, deadlines) with their table-level reads, and the
evidence files attached to them."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common import files

from .agencies import Auditor
from .audit import Audit
from .policy import CodeProvision


class Severity(models.TextChoices):
    PRIORITY = "priority", _("Priority")
    MAJOR = "major", _("Major")
    MINOR = "minor", _("Minor")
    OBSERVATION = "observation", _("Observation (opportunity for improvement)")


# Severities that need corrective action, most severe first.
ACTIONABLE = (Severity.PRIORITY, Severity.MAJOR, Severity.MINOR)


class RedLine(models.TextChoices):
    CHILD_LABOR = "1", _("1 Child labor / protection of underage workers")
    FORCED_LABOR = "2", _("2 Forced labor or violence")
    DISCRIMINATION = "3", _("3 Illegal employment discrimination")
    WORKING_HOUR_RECORDS = "4", _("4 Untrue or unreliable working-hour records")
    WAGES_BELOW_MINIMUM = "5", _("5 Wages below the local legal minimum")
    HEALTH_AND_SAFETY = "6", _("6 Failure to safeguard employees' health and safety")
    FIRE_HAZARDS = "7", _("7 Unmanaged fire hazards")
    HAZARDOUS_WASTE = "8", _("8 Illegal discharge of toxic and hazardous waste")
    BRIBERY = "9", _("9 Commercial bribery in any form")


class FindingQuerySet(models.QuerySet):
    def actionable(self) -> FindingQuerySet:
        return self.exclude(severity=Severity.OBSERVATION)

    def issued(self) -> FindingQuerySet:
        """Findings of reports accepted by the company: they carry deadlines."""
        return self.filter(rectification_due__isnull=False)

    def open(self) -> FindingQuerySet:
        return self.filter(closed_at__isnull=True)

    def overdue(self, *, on: dt.date) -> FindingQuerySet:
        """Findings whose rectification is overdue on ``on`` (``deadlines.rectification_overdue``)."""
        from .. import deadlines  # deadlines reads these models

        return self.filter(deadlines.rectification_overdue(on=on))

    def cap_pending(self, *, finding_ids: tuple[int, int] | None = None) -> FindingQuerySet:
        """Open findings whose corrective action plan is not in yet (``deadlines.cap_pending``)."""
        from .. import deadlines

        return self.filter(deadlines.cap_pending(finding_ids=finding_ids))

    def cap_overdue(self, *, on: dt.date) -> FindingQuerySet:
        """Findings whose corrective action plan is overdue on ``on`` (``deadlines.cap_overdue``)."""
        from .. import deadlines

        return self.filter(deadlines.cap_overdue(on=on))

    def red_line(self) -> FindingQuerySet:
        return self.exclude(red_line="")

    def for_agency_of(self, user) -> FindingQuerySet:
        """Findings of the audits ``AuditQuerySet.for_agency_of`` gives the auditor."""
        return self.filter(audit__agency__auditors__in=Auditor.objects.active().filter(user=user))

    def for_supplier_contact(self, user) -> FindingQuerySet:
        """Findings of the one supplier the user is an active contact of (``suppliers.accounts``)."""
        from suppliers.accounts import supplier_id_of

        return self.filter(audit__supplier_id=supplier_id_of(user))


class Finding(models.Model):
    audit = models.ForeignKey(Audit, on_delete=models.CASCADE, related_name="findings")
    number = models.PositiveIntegerField(editable=False, help_text="Sequence within the audit.")
    provision = models.ForeignKey(CodeProvision, on_delete=models.PROTECT, related_name="findings")
    severity = models.CharField(max_length=20, choices=Severity.choices, db_index=True)
    red_line = models.CharField(
        max_length=2,
        choices=RedLine.choices,
        blank=True,
        help_text="Red-line category, if any (zero tolerance).",
    )
    description = models.TextField()
    evidence_notes = models.TextField(
        blank=True, help_text="What the auditor saw: records, interviews, photos."
    )
    # Fixed when the report is accepted; moved only by an approved extension (recorded).
    cap_due = models.DateField(null=True, blank=True)
    rectification_due = models.DateField(null=True, blank=True, db_index=True)
    original_rectification_due = models.DateField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = FindingQuerySet.as_manager()

    class Meta:
        ordering = ["audit", "number"]
        constraints = [
            models.UniqueConstraint(fields=["audit", "number"], name="finding_unique_number_per_audit"),
            models.CheckConstraint(
                condition=Q(red_line="") | Q(severity="priority"),
                name="finding_red_line_is_priority",
                violation_error_message="A red-line finding is at least priority.",
            ),
            models.CheckConstraint(
                condition=Q(closed_at__isnull=True, closed_on__isnull=True)
                | Q(closed_at__isnull=False, closed_on__isnull=False),
                name="finding_closed_at_and_on_together",
            ),
        ]
        indexes = [
            models.Index(
                fields=["rectification_due"], name="finding_open_due", condition=Q(closed_at__isnull=True)
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.provision.code} ({self.severity})"

    @property
    def reference(self) -> str:
        return self.reference_of(audit_reference=self.audit.reference, number=self.number)

    @staticmethod
    def reference_of(*, audit_reference: str, number: int) -> str:
        """A finding's reference from its audit's and its number, for code that reads them as values."""
        return f"{audit_reference}-F{number:02d}"

    @property
    def is_red_line(self) -> bool:
        return bool(self.red_line)

    @property
    def needs_cap(self) -> bool:
        return self.severity != Severity.OBSERVATION

    @property
    def is_closed(self) -> bool:
        return self.closed_at is not None


def evidence_upload_to(instance: Evidence, filename: str) -> str:
    return f"audits/findings/{instance.finding_id}/evidence/{files.random_name(filename)}"


class Evidence(models.Model):
    """A file attached to a finding: the auditor's evidence, or the supplier's proof of rectification."""

    class Purpose(models.TextChoices):
        FINDING = "finding", "Audit evidence"
        RECTIFICATION = "rectification", "Rectification evidence"
        PROGRESS = "progress", "Progress evidence"

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="evidence")
    purpose = models.CharField(max_length=20, choices=Purpose.choices, default=Purpose.FINDING)
    file = files.PrivateFileField(
        upload_to=evidence_upload_to,
        visible_to="audits.api.permissions.all_evidence_visible_to",
        download_name="original_name",
    )
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    description = models.CharField(max_length=255, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["finding", "uploaded_at"]
        verbose_name_plural = "evidence"

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_purpose_display()})"
