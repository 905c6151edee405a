"""Celery tasks of the shared machinery: thin wrappers."""

from celery import shared_task

from . import importing
from .idempotency import purge_idempotency_keys
from .models import import_jobs_restart_stale


@shared_task(name="common.tasks.purge_idempotency_keys")
def purge_old_idempotency_keys() -> int:
    """Daily: forget the replayable answers of POSTs older than a day."""
    return purge_idempotency_keys()


@shared_task(name="common.tasks.run_import_job")
def run_import_job(job_id: int) -> bool:
    """Import a queued file (``common.models.ImportJob``); a second delivery of the same job does nothing."""
    return importing.import_job_run(job_id)


@shared_task(name="common.tasks.restart_stale_import_jobs")
def restart_stale_import_jobs() -> int:
    """Every few minutes: queue again the import jobs left running by a worker that died."""
    return len(import_jobs_restart_stale())
