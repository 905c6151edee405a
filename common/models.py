from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from common import files


class IdempotentRequest(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed when the key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table was created by the audits app, where the model lived first; it kept its name.
        db_table = "audits_idempotentrequest"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class PortalAccount(models.Model):
    """What the portal keeps on an outside user (a supplier contact or an auditor) beyond Django's user: the
    language they read the portal and their e-mails in, and their invitation. Who the user works for is
    elsewhere, and exactly one place: ``suppliers.Contact.user`` or ``audits.Auditor.user``."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        CHINESE = "zh-hans", "简体中文"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal")
    # Empty until chosen: the first visit to the portal stores the browser's language.
    language = models.CharField(max_length=10, choices=Language.choices, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(
        null=True, blank=True, help_text="When the invitee first chose a password."
    )

    def __str__(self) -> str:
        return f"Portal account of {self.user}"


# What an import job accepts: the CSV files and .xlsx workbooks the importers read (``common.importing``).
IMPORT_FILES = files.Accept(frozenset({files.CSV, files.XLSX}))


def import_job_upload_to(job: ImportJob, filename: str) -> str:
    return f"imports/{timezone.now():%Y/%m}/{files.random_name(filename)}"


def import_jobs_visible_to(*, user) -> models.QuerySet[ImportJob]:
    """The jobs whose file ``user`` may download: their own (every job for a superuser)."""
    jobs = ImportJob.objects.all()
    return jobs if user.is_superuser else jobs.filter(user=user)


class ImportJob(models.Model):
    """A file imported in the background (``common.importing.import_job_queue``, run by
    ``common.tasks.run_import_job``): who uploaded it for which importer, how far it got and what came out,
    the first ``common.importing.JOB_ERRORS_KEPT`` errors included."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    importer = models.CharField(max_length=50, help_text="The registered importer's name, e.g. suppliers.")
    file = files.PrivateFileField(
        upload_to=import_job_upload_to,
        accept=IMPORT_FILES,
        visible_to="common.models.import_jobs_visible_to",
        download_name="filename",
    )
    filename = models.CharField(max_length=255, help_text="The name of the uploaded file.")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(default=0, help_text="Estimated when queued; exact when done.")
    rows_done = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    summary = models.TextField(blank=True, help_text="created N, updated M, errors K; or why it failed.")
    errors = models.JSONField(default=list, blank=True, help_text="The first errors: row, column, message.")
    notes = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status"], condition=models.Q(status="queued"), name="import_job_queued")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["queued", "running", "done", "failed"]),
                name="import_job_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.filename} ({self.importer}, {self.get_status_display()})"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.finished:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0
