"""Sending: a digest goes out only from whoever wins an atomic claim on it; a failure is recorded with its
error and retried later with backoff; it is marked sent only after the mail server accepted it."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from reminders.models import Digest, ReminderRun

from .digests import render_digest

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
CLAIM_LEASE = dt.timedelta(minutes=15)  # a claim older than this is taken to be a crashed worker's


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try: 2, 4, 8, 16, 32 times the base (a minute by default)."""
    return dt.timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS * 2 ** max(1, attempts))


def digests_to_send(*, now: dt.datetime | None = None):
    now = now or timezone.now()
    # Only digests of finished runs: a run still building its digests adds items to them in batches. The
    # runs are a subquery, not a join: Django turns an UPDATE with a join into "WHERE id IN (SELECT ...)",
    # which PostgreSQL does not check again against a row another claim has just changed, so two workers
    # could both win the claim (``_claim``) and send the same digest twice.
    return Digest.objects.filter(
        Q(status__in=[Digest.Status.PENDING, Digest.Status.FAILED], next_attempt_at__lte=now)
        | Q(status=Digest.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE),
        run_id__in=ReminderRun.objects.filter(finished_at__isnull=False).values("pk"),
    )


def _claim(digest_id: int, now: dt.datetime) -> bool:
    return bool(
        digests_to_send(now=now).filter(pk=digest_id).update(status=Digest.Status.SENDING, claimed_at=now)
    )


def send_digest(*, digest_id: int, now: dt.datetime | None = None) -> bool:
    """Send one digest if this caller wins the claim. Returns True when it was sent now; raises the mail
    error after recording it (status failed, next attempt later) so that the caller can retry."""
    now = now or timezone.now()
    if not _claim(digest_id, now):
        return False
    digest = Digest.objects.select_related("run").get(pk=digest_id)
    try:
        subject, text, html = render_digest(digest)
        message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [digest.recipient])
        message.attach_alternative(html, "text/html")
        message.send(fail_silently=False)
    except Exception as error:
        attempts = digest.attempts + 1
        Digest.objects.filter(pk=digest_id).update(
            status=Digest.Status.GAVE_UP if attempts >= MAX_ATTEMPTS else Digest.Status.FAILED,
            attempts=attempts,
            last_error=f"{type(error).__name__}: {error}"[:2000],
            next_attempt_at=now + backoff(attempts),
            claimed_at=None,
        )
        logger.warning(
            "Digest %s to %s failed (attempt %s): %s", digest_id, digest.recipient, attempts, error
        )
        raise
    Digest.objects.filter(pk=digest_id).update(
        status=Digest.Status.SENT,
        sent_at=timezone.now(),
        attempts=digest.attempts + 1,
        subject=subject,
        last_error="",
    )
    return True
