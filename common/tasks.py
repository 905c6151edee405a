"""Celery tasks of the shared machinery: thin wrappers."""

from celery import shared_task

from .idempotency import purge_idempotency_keys


@shared_task(name="common.tasks.purge_idempotency_keys")
def purge_old_idempotency_keys() -> int:
    """Daily: forget the replayable answers of POSTs older than a day."""
    return purge_idempotency_keys()
