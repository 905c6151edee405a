from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models, transaction
from django.db.models import F
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


def import_job_stale_after() -> dt.timedelta:
    return dt.timedelta(minutes=settings.IMPORT_JOB_STALE_MINUTES)


class ImportJobQuerySet(models.QuerySet):
    def stale(self, *, now: dt.datetime | None = None) -> ImportJobQuerySet:
        """Jobs still "running" longer than ``IMPORT_JOB_STALE_MINUTES`` (default 30) after they started:
        their worker died (a lost worker leaves the job running, and a second delivery of its task finds it
        claimed). An import writes in one transaction, so such a job wrote nothing."""
        now = now or timezone.now()
        return self.filter(status=ImportJob.Status.RUNNING, started_at__lt=now - import_job_stale_after())


def import_jobs_restart_stale(
    *, job_ids: list[int] | None = None, now: dt.datetime | None = None
) -> list[int]:
    """Put the stale jobs (``ImportJob.objects.stale``; of ``job_ids`` when given) back in the queue and
    enqueue their task once the transaction commits; returns their ids. A job whose worker already died
    ``IMPORT_JOB_MAX_RESTARTS`` times fails instead, saying so.

    Each job is claimed with one atomic UPDATE on the run it was in (status running, that start time), so
    two checks at once (the periodic task and a user on the job page) re-queue it once, and a job that has
    just finished or been restarted is left alone."""
    from common.tasks import run_import_job

    now = now or timezone.now()
    stale = ImportJob.objects.stale(now=now)
    if job_ids is not None:
        stale = stale.filter(pk__in=job_ids)
    restarted: list[int] = []
    for job_id, started_at, restarts in stale.values_list("pk", "started_at", "restarts"):
        claim = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING, started_at=started_at)
        if restarts >= settings.IMPORT_JOB_MAX_RESTARTS:
            claim.update(
                status=ImportJob.Status.FAILED,
                finished_at=now,
                summary=f"The import stopped {restarts + 1} times without finishing: its worker was lost "
                "each time (an administrator finds why in the worker's logs)",
            )
            continue
        if claim.update(
            status=ImportJob.Status.QUEUED, started_at=None, rows_done=0, restarts=F("restarts") + 1
        ):
            restarted.append(job_id)
            transaction.on_commit(lambda job_id=job_id: run_import_job.delay(job_id))
    return restarted


class ImportJob(models.Model):
    """A file imported in the background (``common.importing.import_job_queue``, run by
    ``common.tasks.run_import_job``): who uploaded it for which importer, how far it got and what came out,
    the first ``common.importing.JOB_ERRORS_KEPT`` errors included. A job left running by a worker that died
    is queued again (``import_jobs_restart_stale``: by the periodic task and when its page is opened)."""

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
    restarts = models.PositiveSmallIntegerField(
        default=0, help_text="How often the job was queued again after its worker was lost."
    )

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status"], condition=models.Q(status="queued"), name="import_job_queued"),
            models.Index(
                fields=["started_at"], condition=models.Q(status="running"), name="import_job_running"
            ),
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
