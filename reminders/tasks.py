"""Celery tasks of the reminder mechanism: thin wrappers around ``reminders.services``."""

import datetime as dt

from celery import shared_task
from django.db import transaction

from . import services
from .models import Digest


@shared_task(name="reminders.tasks.run_daily_reminders")
def run_daily_reminders(today: str | None = None) -> dict:
    """The daily job: record reached stages, flag suppliers, build digests, then send them."""
    report = services.run_reminders(today=dt.date.fromisoformat(today) if today else None)
    enqueue_due_digests()
    return {
        "run": report.run.pk,
        "reminders": report.created,
        "digests": report.digests,
        "flagged": report.flagged,
    }


@shared_task(
    name="reminders.tasks.send_digest",
    bind=True,
    max_retries=services.MAX_ATTEMPTS - 1,
    acks_late=True,
)
def send_digest(self, digest_id: int) -> bool:
    try:
        return services.send_digest(digest_id=digest_id)
    except Exception as error:
        attempts = Digest.objects.filter(pk=digest_id).values_list("attempts", flat=True).first() or 1
        if attempts >= services.MAX_ATTEMPTS:
            return False
        raise self.retry(exc=error, countdown=services.backoff(attempts).total_seconds()) from error


@shared_task(name="reminders.tasks.send_due_digests")
def enqueue_due_digests() -> int:
    """Queue every digest waiting to be sent (new ones, failed ones whose backoff has passed, and claims
    abandoned by a crashed worker). Sending claims each digest, so queuing one twice is harmless."""
    ids = list(services.digests_to_send().values_list("pk", flat=True)[:10_000])
    for digest_id in ids:
        transaction.on_commit(lambda digest_id=digest_id: send_digest.delay(digest_id))
    return len(ids)
