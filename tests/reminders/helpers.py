"""Data and clock helpers for the reminder tests."""

import datetime as dt

import time_machine
from django.core import mail

from audits.models import Audit, CorrectiveActionPlan, ProgressUpdate
from reminders import services
from tests.factories import AuditFactory, FindingFactory

ACCEPTED = dt.date(2026, 3, 10)


def accepted_finding(supplier, *, progress_reported=True, **kwargs):
    audit = AuditFactory(
        supplier=supplier,
        status=Audit.Status.ACCEPTED,
        actual_start=dt.date(2026, 3, 2),
        actual_end=dt.date(2026, 3, 3),
        accepted_on=ACCEPTED,
        score=150,
        performance_band="low",
    )
    finding = FindingFactory(
        audit=audit,
        severity="major",
        cap_due=ACCEPTED + dt.timedelta(days=7),
        rectification_due=ACCEPTED + dt.timedelta(days=90),
        **kwargs,
    )
    CorrectiveActionPlan.objects.create(finding=finding, status=CorrectiveActionPlan.Status.APPROVED)
    if progress_reported:  # monthly reports kept up to date, so that only the kind under test is chased
        for month in range(3, 13):
            ProgressUpdate.objects.create(
                finding=finding, month=dt.date(2026, month, 1), percent_complete=10, note="On plan"
            )
    return finding


def run(day: dt.date):
    """One scheduled run on ``day``, sending its digests; returns {recipient: body} of the mails sent."""
    mail.outbox.clear()
    with time_machine.travel(dt.datetime.combine(day, dt.time(6, 0), tzinfo=dt.UTC), tick=False):
        report = services.run_reminders()
        for digest_id in report.run.digests.values_list("pk", flat=True):
            services.send_digest(digest_id=digest_id)
    return {message.to[0]: message for message in mail.outbox}
