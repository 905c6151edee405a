"""The daily reminder job end to end: sent through Redis as the scheduler sends it, run by a real Celery
worker on PostgreSQL, its mails read from the worker's mail directory.

The worker runs in real time, so the data is built relative to today: findings whose rectification is due
today (stage 1) or was due 14 days ago (stage 2).
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict

import pytest
from django.db.models import Max
from django.utils import timezone
from django_celery_beat.models import PeriodicTask
from django_celery_beat.schedulers import ModelEntry

from audits.models import Audit, CorrectiveActionPlan, Finding
from config.celery import app as celery_app
from reminders.models import Digest, EscalationStage, Reminder, ReminderRun
from reminders.services.items import FANOUT_BATCH
from suppliers import roles
from suppliers.models import Supplier
from tests.factories import AuditFactory, ContactFactory, FindingFactory, SupplierFactory, UserFactory

from .conftest import Worker, wait_for
from .mail_backends import attempts_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

DAILY_JOB = "Daily reminders and escalation"
RETRY_JOB = "Retry failed reminder digests"


def accepted_finding(supplier: Supplier, *, rectification_due: dt.date) -> Finding:
    """A finding of an accepted audit whose plan is approved: only its rectification deadline is chased.
    The audit was accepted 20 days ago, after last month began, so no monthly progress report is due yet."""
    today = timezone.localdate()
    audit = AuditFactory(
        supplier=supplier,
        status=Audit.Status.ACCEPTED,
        planned_start=today - dt.timedelta(days=30),
        planned_end=today - dt.timedelta(days=28),
        actual_start=today - dt.timedelta(days=30),
        actual_end=today - dt.timedelta(days=29),
        accepted_on=today - dt.timedelta(days=20),
        score=150,
        performance_band="low",
    )
    finding = FindingFactory(
        audit=audit,
        severity="major",
        cap_due=today - dt.timedelta(days=13),
        rectification_due=rectification_due,
    )
    CorrectiveActionPlan.objects.create(finding=finding, status=CorrectiveActionPlan.Status.APPROVED)
    return finding


@pytest.fixture
def overdue_findings() -> dict[str, list[tuple[Finding, int]]]:
    """Two suppliers sharing a buyer; three findings at stage 1 or 2. Returns {recipient: [(finding, stage)]}
    as the escalation ladder says: who each stage tells."""
    today = timezone.localdate()
    buyer = UserFactory(username="buyer1", email="buyer1@company.example", role=roles.PROCUREMENT)
    esg = UserFactory(username="esg1", email="esg1@company.example", role=roles.ESG_MANAGER)
    UserFactory(username="head1", email="head1@company.example", role=roles.PROCUREMENT_HEAD)  # stage 3 only
    # Non-production suppliers owe no minerals declaration: only the findings below are chased.
    admitted = {
        "buyer": buyer,
        "status": Supplier.Status.ADMITTED,
        "category": Supplier.Category.NON_PRODUCTION,
    }
    bright = SupplierFactory(code="S-100", name="Shenzhen Bright Circuits", **admitted)
    plastics = SupplierFactory(code="S-200", name="Dongguan Plastics", **admitted)
    ContactFactory(supplier=bright, email="esg@bright.example")
    ContactFactory(supplier=plastics, email="csr@plastics.example")

    staged = [
        (accepted_finding(bright, rectification_due=today), 1),
        (accepted_finding(plastics, rectification_due=today - dt.timedelta(days=14)), 2),
        (accepted_finding(plastics, rectification_due=today), 1),
    ]
    ladder = {stage.stage: stage for stage in EscalationStage.objects.all()}
    expected: dict[str, list[tuple[Finding, int]]] = defaultdict(list)
    for finding, stage_number in staged:
        stage = ladder[stage_number]
        supplier = finding.audit.supplier
        emails = set()
        if stage.notify_responsible:
            emails.update(supplier.contacts.filter(receives_reminders=True).values_list("email", flat=True))
        if stage.notify_buyer:
            emails.add(supplier.buyer.email)
        if stage.notify_esg_managers:
            emails.add(esg.email)
        assert not stage.notify_procurement_heads
        for email in emails:
            expected[email].append((finding, stage_number))
    # The ladder as seeded: the contacts and the buyer from stage 1, ESG managers from stage 2.
    assert {email: len(items) for email, items in expected.items()} == {
        "esg@bright.example": 1,
        "csr@plastics.example": 2,
        "buyer1@company.example": 3,
        "esg1@company.example": 1,
    }
    return dict(expected)


def send_scheduled(name: str, **kwargs):
    """Publish the task of the seeded schedule entry ``name`` as celery beat does, with ``kwargs`` added."""
    entry = ModelEntry(PeriodicTask.objects.get(name=name), app=celery_app)
    options = entry.options.copy()
    options["headers"] = {**options.get("headers", {}), "celery_beat_task": True}
    return celery_app.send_task(entry.task, entry.args, {**entry.kwargs, **kwargs}, **options)


def send_daily_job(*, today: dt.date):
    return send_scheduled(DAILY_JOB, today=today.isoformat())


def runs_finished(count: int) -> bool:
    return ReminderRun.objects.filter(finished_at__isnull=False).count() >= count


def all_sent(expected) -> bool:
    digests = Digest.objects.all()
    return len(digests) >= len(expected) and all(d.status == Digest.Status.SENT for d in digests)


def assert_one_digest_each(worker: Worker, expected: dict[str, list[tuple[Finding, int]]]) -> None:
    mails = worker.mails()
    by_recipient = defaultdict(list)
    for message in mails:
        assert len(message["to"]) == 1, message["to"]
        by_recipient[message["to"][0]].append(message)
    assert {email: len(messages) for email, messages in by_recipient.items()} == dict.fromkeys(expected, 1)

    for email, items in expected.items():
        message = by_recipient[email][0]
        overdue = sum(1 for _, stage in items if stage >= 1)
        plural = "s" if len(items) != 1 else ""
        verb = "need" if plural else "needs"
        assert (
            message["subject"]
            == f"Supplier ESG: {len(items)} item{plural} {verb} attention ({overdue} overdue)"
        )
        told = {finding.reference for finding, _ in items}
        for finding in Finding.objects.select_related("audit"):
            assert (finding.reference in message["body"]) == (finding.reference in told), (email, finding)
        assert "Rectification due" in message["body"]
        if any(stage == 2 for _, stage in items):
            assert "overdue by 14 days" in message["body"]
        if any(stage == 1 for _, stage in items):
            assert "due today" in message["body"]

    digests = {d.recipient: d for d in Digest.objects.all()}
    assert set(digests) == set(expected)
    for email, digest in digests.items():
        assert (digest.status, digest.attempts, digest.last_error) == ("sent", 1, ""), email
        assert digest.subject == by_recipient[email][0]["subject"]
        assert digest.sent_at is not None


def assert_each_stage_recorded_once(expected) -> None:
    staged = {(finding.pk, stage) for items in expected.values() for finding, stage in items}
    reminders = list(Reminder.objects.values_list("kind", "item_id", "stage"))
    assert sorted(reminders) == sorted(("rectification_due", pk, stage) for pk, stage in staged)


def test_the_daily_job_sends_each_recipient_one_digest_and_a_rerun_the_same_day_sends_nothing(
    worker, overdue_findings
):
    today = timezone.localdate()

    send_daily_job(today=today)

    wait_for(lambda: runs_finished(1) and all_sent(overdue_findings), what="the digests", worker=worker)
    worker.wait_idle()
    assert_one_digest_each(worker, overdue_findings)
    assert_each_stage_recorded_once(overdue_findings)
    run = ReminderRun.objects.get()
    assert (run.day, run.reminders_created, run.digests_created) == (today, 3, 4)
    assert "head1@company.example" not in {m["to"][0] for m in worker.mails()}

    # Later the same day (a manual re-run, or the schedule firing again): nothing new is recorded or sent.
    first = worker.mails()
    send_daily_job(today=today)

    wait_for(lambda: runs_finished(2), what="the second run", worker=worker)
    worker.wait_idle()
    assert worker.mails() == first
    second = ReminderRun.objects.order_by("-pk").first()
    assert (second.day, second.reminders_created, second.digests_created) == (today, 0, 0)
    assert Digest.objects.count() == len(overdue_findings)
    assert_each_stage_recorded_once(overdue_findings)


def test_the_job_sent_twice_at_once_still_sends_one_digest_each(worker, overdue_findings):
    today = timezone.localdate()

    send_daily_job(today=today)
    send_daily_job(today=today)

    wait_for(lambda: runs_finished(2) and all_sent(overdue_findings), what="both runs", worker=worker)
    worker.wait_idle()
    assert_one_digest_each(worker, overdue_findings)
    assert_each_stage_recorded_once(overdue_findings)
    runs = list(ReminderRun.objects.order_by("pk"))
    assert len(runs) == 2
    # Each stage belongs to the run that recorded it first; the other run has nothing to tell.
    assert sorted((run.reminders_created, run.digests_created) for run in runs) == [(0, 0), (3, 4)]
    # The two runs overlapped in time: each started before the other finished.
    assert max(run.started_at for run in runs) < min(run.finished_at for run in runs), [
        (run.started_at, run.finished_at) for run in runs
    ]


def test_a_failed_send_is_retried_and_each_recipient_gets_one_mail(flaky_worker, overdue_findings):
    send_daily_job(today=timezone.localdate())

    wait_for(lambda: all_sent(overdue_findings), what="the retried digests", worker=flaky_worker)
    flaky_worker.wait_idle()
    mails = flaky_worker.mails()
    assert sorted(m["to"][0] for m in mails) == sorted(overdue_findings)
    for email in overdue_findings:
        assert attempts_for(flaky_worker.mail_dir, email) == 2, email
    for digest in Digest.objects.all():
        assert (digest.status, digest.attempts, digest.last_error) == ("sent", 2, ""), digest.recipient
    assert_each_stage_recorded_once(overdue_findings)
    assert "SMTPServerDisconnected" in flaky_worker.log(since_test=True)


def test_the_retry_job_during_a_long_run_does_not_send_half_built_digests(worker, overdue_findings):
    today = timezone.localdate()
    # More items than one digest-building batch holds, so that the run builds its digests in two steps.
    audit = Finding.objects.filter(audit__supplier__code="S-100").select_related("audit").first().audit
    provision = Finding.objects.first().provision
    first = Finding.objects.filter(audit=audit).aggregate(n=Max("number"))["n"] + 1
    extra = Finding.objects.bulk_create(
        Finding(audit=audit, number=first + n, provision=provision, severity="major", description="Overtime.",
                cap_due=today - dt.timedelta(days=13), rectification_due=today)
        for n in range(FANOUT_BATCH)
    )  # fmt: skip
    CorrectiveActionPlan.objects.bulk_create(
        CorrectiveActionPlan(finding=f, status=CorrectiveActionPlan.Status.APPROVED) for f in extra
    )

    send_daily_job(today=today)
    wait_for(Digest.objects.exists, what="the run to start building digests", worker=worker)
    send_scheduled(RETRY_JOB)  # the every-ten-minutes retry schedule, arriving while the run is busy

    wait_for(lambda: runs_finished(1) and all_sent(overdue_findings), what="the digests", worker=worker)
    worker.wait_idle()
    told = {email: len(items) for email, items in overdue_findings.items()}
    told["esg@bright.example"] += len(extra)
    told["buyer1@company.example"] += len(extra)
    mails = worker.mails()
    assert sorted(m["to"][0] for m in mails) == sorted(told)
    assert {m["to"][0]: int(re.match(r"Supplier ESG: (\d+) items? ", m["subject"])[1]) for m in mails} == told
