"""The audit: its supplier, site, agency and lead auditor, its status, score and report file, and which
audits an auditor may see."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common import files
from suppliers.models import Supplier

from .agencies import AuditAgency, Auditor
from .policy import AuditPolicy, PerformanceBand


def audit_report_upload_to(instance: Audit, filename: str) -> str:
    return f"audits/{instance.pk}/report/{files.random_name(filename)}"


class AuditQuerySet(models.QuerySet):
    def for_agency_of(self, user) -> AuditQuerySet:
        """Audits an auditor may see: those assigned to their agency while they and it are active (none for
        anyone else)."""
        return self.filter(agency__auditors__in=Auditor.objects.active().filter(user=user))

    def completed(self) -> AuditQuerySet:
        return self.filter(status__in=[Audit.Status.ACCEPTED, Audit.Status.CLOSED])

    def awaiting_report(self) -> AuditQuerySet:
        """Audits whose agency has still to submit the report (``Audit.report_due``)."""
        return self.filter(status__in=Audit.AWAITING_REPORT)


class Audit(models.Model):
    class Type(models.TextChoices):
        ONBOARDING = "onboarding", _("Onboarding")
        ANNUAL = "annual", _("Annual")
        FOLLOW_UP = "follow_up", _("Follow-up / closure")
        SPECIAL = "special", _("Special investigation")

    class Protocol(models.TextChoices):
        COMPANY_CSR = "company_csr", _("Company CSR audit procedure")
        RBA_VAP = "rba_vap", "RBA VAP"
        SMETA = "smeta", "SMETA"

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        IN_PROGRESS = "in_progress", _("In progress")
        REPORT_SUBMITTED = "report_submitted", _("Report submitted")
        ACCEPTED = "accepted", _("Accepted")
        CLOSED = "closed", _("Closed")
        CANCELLED = "cancelled", _("Cancelled")

    # The agency has still to hand in its report: it may edit the audit, and the report can be late.
    AWAITING_REPORT = (Status.PLANNED, Status.IN_PROGRESS)

    reference = models.CharField(max_length=30, unique=True, editable=False)
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="audits")
    site = models.CharField(max_length=255, help_text="Site audited: name and address.")
    agency = models.ForeignKey(AuditAgency, on_delete=models.PROTECT, related_name="audits")
    lead_auditor = models.ForeignKey(
        Auditor, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_audits"
    )
    type = models.CharField(max_length=20, choices=Type.choices, default=Type.ANNUAL)
    protocol = models.CharField(max_length=20, choices=Protocol.choices, default=Protocol.COMPANY_CSR)
    planned_start = models.DateField()
    planned_end = models.DateField()
    actual_start = models.DateField(null=True, blank=True)
    actual_end = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True)
    score = models.DecimalField(
        max_digits=5,
        decimal_places=1,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(200)],
        help_text="0–200, VAP style.",
    )
    performance_band = models.CharField(max_length=10, choices=PerformanceBand.choices, blank=True)
    report = files.PrivateFileField(
        upload_to=audit_report_upload_to,
        blank=True,
        visible_to="audits.api.permissions.audits_visible_to",
        download_name="report_download_name",
    )
    report_sha256 = models.CharField(max_length=64, blank=True)
    summary = models.TextField(blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_at = models.DateTimeField(null=True, blank=True)
    returned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    returned_reason = models.TextField(
        blank=True,
        help_text="Why the report was last returned to the agency; the agency reads it in the portal.",
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_on = models.DateField(null=True, blank=True, help_text="Day the deadlines count from.")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    cancelled_reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-planned_start", "-pk"]
        permissions = [
            ("accept_audit", "Can accept audit reports (fixes deadlines)"),
            ("plan_audits", "Can create the annual audit plan"),
        ]
        indexes = [
            models.Index(fields=["supplier", "status", "actual_end"], name="audit_supplier_status_end"),
            models.Index(fields=["agency", "status"], name="audit_agency_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__gte=0, score__lte=200), name="audit_score_0_200"
            ),
            models.CheckConstraint(
                condition=Q(planned_end__gte=F("planned_start")), name="audit_planned_ordered"
            ),
            models.CheckConstraint(
                condition=Q(actual_end__isnull=True)
                | Q(actual_start__isnull=True)
                | Q(actual_end__gte=F("actual_start")),
                name="audit_actual_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.supplier.code}" if self.supplier_id else self.reference

    @property
    def report_download_name(self) -> str:
        return f"{self.reference}-report"

    @property
    def is_editable_by_auditor(self) -> bool:
        return self.status in self.AWAITING_REPORT

    @property
    def is_returned(self) -> bool:
        """The company returned the report and the agency has not submitted it again yet."""
        return self.status == self.Status.IN_PROGRESS and self.returned_at is not None

    def report_due(self, *, policy: AuditPolicy) -> dt.date | None:
        """When the agency's report is due (reminder kind ``report_late``): ``policy.report_due_days`` after
        the audit's end, the actual end once known, else the planned one; None once the report is in (or
        the audit is cancelled)."""
        if self.status not in self.AWAITING_REPORT:
            return None
        return policy.report_due_after(self.actual_end or self.planned_end)
