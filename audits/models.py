"""Third-party audits, their findings and the corrective action that closes them.

Rules live in ``deadlines.py`` (when is what due, what counts as overdue), ``services/`` (every write:
the audit, finding and CAP state machines) and ``selectors.py`` (reads for reports and the supplier seam).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from common import files
from suppliers.models import Supplier


class Severity(models.TextChoices):
    PRIORITY = "priority", "Priority"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    OBSERVATION = "observation", "Observation (opportunity for improvement)"


# Severities that need corrective action, most severe first.
ACTIONABLE = (Severity.PRIORITY, Severity.MAJOR, Severity.MINOR)


class RedLine(models.TextChoices):
    CHILD_LABOR = "1", "1 Child labor / protection of underage workers"
    FORCED_LABOR = "2", "2 Forced labor or violence"
    DISCRIMINATION = "3", "3 Illegal employment discrimination"
    WORKING_HOUR_RECORDS = "4", "4 Untrue or unreliable working-hour records"
    WAGES_BELOW_MINIMUM = "5", "5 Wages below the local legal minimum"
    HEALTH_AND_SAFETY = "6", "6 Failure to safeguard employees' health and safety"
    FIRE_HAZARDS = "7", "7 Unmanaged fire hazards"
    HAZARDOUS_WASTE = "8", "8 Illegal discharge of toxic and hazardous waste"
    BRIBERY = "9", "9 Commercial bribery in any form"


class PerformanceBand(models.TextChoices):
    HIGH = "high", "High performer"
    MEDIUM = "medium", "Medium performer"
    LOW = "low", "Low performer"


class AuditAgency(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "audit agencies"

    def __str__(self) -> str:
        return self.name


class AuditorQuerySet(models.QuerySet):
    def active(self) -> AuditorQuerySet:
        """Auditors who have access now: their login and their agency are active. Everything that
        recognises an auditor (the API's scopes, ``for_agency_of``) goes through this, so that deactivating
        an agency or a user cuts off access at once."""
        return self.filter(agency__active=True, user__is_active=True)


class Auditor(models.Model):
    """An auditor's login and the one agency they work for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auditor")
    agency = models.ForeignKey(AuditAgency, on_delete=models.PROTECT, related_name="auditors")
    qualifications = models.CharField(max_length=255, blank=True)

    objects = AuditorQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency})"


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


def audit_report_upload_to(instance: Audit, filename: str) -> str:
    return f"audits/{instance.pk}/report/{files.random_name(filename)}"


class AuditQuerySet(models.QuerySet):
    def for_agency_of(self, user) -> AuditQuerySet:
        """Audits an auditor may see: those assigned to their agency while they and it are active (none for
        anyone else)."""
        return self.filter(agency__auditors__in=Auditor.objects.active().filter(user=user))

    def completed(self) -> AuditQuerySet:
        return self.filter(status__in=[Audit.Status.ACCEPTED, Audit.Status.CLOSED])


class Audit(models.Model):
    class Type(models.TextChoices):
        ONBOARDING = "onboarding", "Onboarding"
        ANNUAL = "annual", "Annual"
        FOLLOW_UP = "follow_up", "Follow-up / closure"
        SPECIAL = "special", "Special investigation"

    class Protocol(models.TextChoices):
        COMPANY_CSR = "company_csr", "Company CSR audit procedure"
        RBA_VAP = "rba_vap", "RBA VAP"
        SMETA = "smeta", "SMETA"

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        REPORT_SUBMITTED = "report_submitted", "Report submitted"
        ACCEPTED = "accepted", "Accepted"
        CLOSED = "closed", "Closed"
        CANCELLED = "cancelled", "Cancelled"

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
        return self.status in (self.Status.PLANNED, self.Status.IN_PROGRESS)


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
        from . import deadlines  # deadlines reads these models

        return self.filter(deadlines.rectification_overdue(on=on))

    def cap_pending(self, *, finding_ids: tuple[int, int] | None = None) -> FindingQuerySet:
        """Open findings whose corrective action plan is not in yet (``deadlines.cap_pending``)."""
        from . import deadlines

        return self.filter(deadlines.cap_pending(finding_ids=finding_ids))

    def cap_overdue(self, *, on: dt.date) -> FindingQuerySet:
        """Findings whose corrective action plan is overdue on ``on`` (``deadlines.cap_overdue``)."""
        from . import deadlines

        return self.filter(deadlines.cap_overdue(on=on))

    def red_line(self) -> FindingQuerySet:
        return self.exclude(red_line="")

    def for_agency_of(self, user) -> FindingQuerySet:
        """Findings of the audits ``AuditQuerySet.for_agency_of`` gives the auditor."""
        return self.filter(audit__agency__auditors__in=Auditor.objects.active().filter(user=user))

    def for_supplier_contact(self, user) -> FindingQuerySet:
        return self.filter(audit__supplier__contacts__user=user)


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


class CorrectiveActionPlan(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", "Not started"
        SUBMITTED = "submitted", "Submitted"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected (resubmit)"
        IMPLEMENTED = "implemented", "Implemented"
        VERIFIED = "verified", "Verified (closed)"

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="cap")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.NOT_STARTED, db_index=True
    )
    root_cause = models.TextField(blank=True)
    corrective_action = models.TextField(blank=True)
    preventive_action = models.TextField(blank=True)
    owner = models.CharField(max_length=150, blank=True, help_text="Person at the supplier responsible.")
    planned_completion = models.DateField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    review_note = models.TextField(blank=True, help_text="Why the plan was rejected, or notes on approval.")
    implemented_at = models.DateTimeField(null=True, blank=True)
    implementation_note = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = "corrective action plan"

    def __str__(self) -> str:
        return f"CAP for {self.finding_id} ({self.status})"


class ProgressUpdate(models.Model):
    """Monthly progress report on a finding's rectification, due every month until closure."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="progress_updates")
    month = models.DateField(help_text="First day of the month reported on.")
    percent_complete = models.PositiveSmallIntegerField(validators=[MaxValueValidator(100)])
    note = models.TextField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["finding", "month"]
        constraints = [
            models.UniqueConstraint(fields=["finding", "month"], name="progress_one_per_month"),
            models.CheckConstraint(condition=Q(percent_complete__lte=100), name="progress_percent_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.finding_id} {self.month:%Y-%m}: {self.percent_complete}%"


class ExtensionRequest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="extensions")
    previous_due = models.DateField()
    requested_due = models.DateField()
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["finding", "requested_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(requested_due__gt=F("previous_due")), name="extension_moves_due_later"
            ),
            models.UniqueConstraint(
                fields=["finding"], condition=Q(status="pending"), name="extension_one_pending_per_finding"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.finding_id}: {self.previous_due} → {self.requested_due} ({self.status})"


class ClosureVerification(models.Model):
    class Method(models.TextChoices):
        DESK_REVIEW = "desk_review", "Desk review of evidence"
        FOLLOW_UP_AUDIT = "follow_up_audit", "Follow-up audit"

    finding = models.OneToOneField(Finding, on_delete=models.CASCADE, related_name="verification")
    method = models.CharField(max_length=20, choices=Method.choices)
    follow_up_audit = models.ForeignKey(
        Audit, null=True, blank=True, on_delete=models.PROTECT, related_name="verified_findings"
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    verified_at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=~Q(method="follow_up_audit") | Q(follow_up_audit__isnull=False),
                name="verification_follow_up_names_audit",
                violation_error_message="A follow-up audit verification names the follow-up audit.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.finding_id} verified by {self.get_method_display()}"
