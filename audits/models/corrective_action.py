"""What follows a finding until it closes: the corrective action plan, monthly progress updates, deadline
extension requests and the closure verification."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from .audit import Audit
from .findings import Finding


class CorrectiveActionPlan(models.Model):
    class Status(models.TextChoices):
        NOT_STARTED = "not_started", _("Not started")
        SUBMITTED = "submitted", _("Submitted")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected (resubmit)")
        IMPLEMENTED = "implemented", _("Implemented")
        VERIFIED = "verified", _("Verified (closed)")

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
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

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
        DESK_REVIEW = "desk_review", _("Desk review of evidence")
        FOLLOW_UP_AUDIT = "follow_up_audit", _("Follow-up audit")

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
