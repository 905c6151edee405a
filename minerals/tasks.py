"""Celery tasks of responsible minerals: thin wrappers around ``minerals.services``. They take ids and are
idempotent: a file of a batch is imported once however often its task is delivered."""

from celery import shared_task

from . import services


@shared_task(name="minerals.tasks.import_batch_file")
def import_batch_file(file_id: int) -> bool:
    """Import one file of a declaration import batch."""
    return services.import_batch_file_process(file_id=file_id)
