"""Reminders and escalation: which item reached which stage, and the digests that told people.

- ``Reminder``: one (kind, item, period, stage), unique in the database, so that two workers, a retried task
  or a second run on the same day cannot notify the same stage twice. ``period`` is the due date the ladder
  counts from (or the month of a progress report), so that a moved deadline starts a fresh ladder.
- ``Digest``: everything one recipient is told by one run, sent as one e-mail, with its delivery status.
- ``EscalationStage``: the ladder (offsets and recipients), edited by ESG managers.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from suppliers.models import Supplier


class EscalationStage(models.Model):
    """A rung of the ladder: when it is reached, relative to the due date, and who is told."""

    stage = models.PositiveSmallIntegerField(unique=True)
    name = models.CharField(max_length=60)
    offset_days = models.SmallIntegerField(
        help_text="Days after the due date when this stage is reached (negative: before it)."
    )
    notify_responsible = models.BooleanField(
        default=True, help_text="The party that must act: the supplier's contacts, or the audit agency."
    )
    notify_buyer = models.BooleanField(default=False)
    notify_esg_managers = models.BooleanField(default=False)
    notify_procurement_heads = models.BooleanField(default=False)
    flag_supplier = models.BooleanField(
        default=False, help_text="Flag the supplier for suspension review and raise its risk."
    )

    class Meta:
        ordering = ["stage"]

    def __str__(self) -> str:
        return f"Stage {self.stage}: {self.name}"


class ReminderRun(models.Model):
    """One run of the daily job (scheduled or by command)."""

    day = models.DateField(db_index=True)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    reminders_created = models.PositiveIntegerField(default=0)
    digests_created = models.PositiveIntegerField(default=0)
    suppliers_flagged = models.PositiveIntegerField(default=0)
    # Where this run's reminders are in the log: their ids lie in this range (noted as the scan starts and
    # ends), so that the run reads them back along the primary key instead of keeping an index on the run.
    reminders_from_id = models.BigIntegerField(null=True, blank=True, editable=False)
    reminders_to_id = models.BigIntegerField(null=True, blank=True, editable=False)
    # A run that died before finishing (the worker lost, the database gone) is taken over by the next run,
    # which notifies its reminders instead (``services.take_over_unfinished_runs``).
    taken_over_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="took_over", editable=False
    )

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"Run of {self.day} ({self.started_at:%Y-%m-%d %H:%M})"


class Reminder(models.Model):
    kind = models.CharField(max_length=40)
    item_id = models.BigIntegerField()
    period = models.DateField(help_text="Due date the ladder counts from, or the month reported on.")
    stage = models.PositiveSmallIntegerField()
    # The daily scan writes up to millions of rows in one statement per batch, so this log table keeps no
    # per-row database foreign-key checks (the rows come from joins on existing suppliers and the run being
    # written; deletes cascade through the ORM) and no index that no read needs: a run finds its reminders
    # by their id range (``ReminderRun.reminders_from_id``), and the supplier page reads only escalations.
    supplier = models.ForeignKey(
        Supplier, on_delete=models.CASCADE, related_name="reminders", db_index=False, db_constraint=False
    )
    due_date = models.DateField()
    run = models.ForeignKey(
        ReminderRun, on_delete=models.CASCADE, related_name="reminders", db_index=False, db_constraint=False
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "item_id", "period", "stage"], name="reminder_once_per_stage"
            ),
        ]
        indexes = [
            # ``selectors.open_escalations``: a supplier's items at stage 1 or more.
            models.Index(fields=["supplier"], name="reminder_supplier_escalated", condition=Q(stage__gte=1)),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.item_id} stage {self.stage}"


class Digest(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (will retry)"
        GAVE_UP = "gave_up", "Failed (gave up)"

    run = models.ForeignKey(ReminderRun, on_delete=models.CASCADE, related_name="digests")
    recipient = models.EmailField()
    reminders = models.ManyToManyField(Reminder, through="DigestItem", related_name="digests")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    subject = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-run__started_at", "recipient"]
        constraints = [
            models.UniqueConstraint(fields=["run", "recipient"], name="digest_one_per_recipient_per_run")
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                name="digest_to_send",
                condition=Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"Digest to {self.recipient} ({self.status})"


class DigestItem(models.Model):
    # A daily run over a million items writes millions of these in bulk, so, as for ``Reminder``, no per-row
    # database foreign-key checks (the service writes ids it has just read; deletes cascade through the ORM)
    # and no index of its own on the digest: the unique constraint's index leads with it.
    digest = models.ForeignKey(
        Digest, on_delete=models.CASCADE, related_name="items", db_index=False, db_constraint=False
    )
    reminder = models.ForeignKey(
        Reminder, on_delete=models.CASCADE, related_name="digest_items", db_constraint=False
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["digest", "reminder"], name="digest_item_unique")]

    def __str__(self) -> str:
        return f"{self.digest_id}:{self.reminder_id}"
