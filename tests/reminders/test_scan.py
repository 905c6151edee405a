"""The daily scan: batches of item ids, a re-run that finds nothing new, and two runs started at once."""

import datetime as dt
import threading
from collections import Counter

import pytest
from django.db import connection, connections

from audits.models import CorrectiveActionPlan
from reminders import services
from reminders.models import Digest, Reminder
from reminders.services import scanning
from suppliers.models import Supplier
from tests.factories import ContactFactory, SupplierFactory
from tests.reminders.helpers import accepted_finding

pytestmark = pytest.mark.django_db

# The plans were due on 17 March (stage 3 by now); the progress report on April is due today (stage 1).
MAY_5 = dt.date(2026, 5, 5)


def recorded() -> set[tuple[str, int, int]]:
    return set(Reminder.objects.values_list("kind", "item_id", "stage"))


@pytest.mark.parametrize("batch", [1, 2, 1000])
def test_the_scan_chases_the_same_items_whatever_the_size_of_its_batches(supplier, monkeypatch, batch):
    monkeypatch.setattr(scanning, "SCAN_BATCH", batch)
    plan_not_started = accepted_finding(supplier)
    plan_not_started.cap.status = CorrectiveActionPlan.Status.NOT_STARTED
    plan_not_started.cap.save()
    plan_approved = accepted_finding(supplier)
    no_plan = accepted_finding(supplier)
    no_plan.cap.delete()
    plan_rejected = accepted_finding(supplier)
    plan_rejected.cap.status = CorrectiveActionPlan.Status.REJECTED
    plan_rejected.cap.save()
    no_progress_report = accepted_finding(supplier, progress_reported=False)

    report = services.run_reminders(today=MAY_5)

    assert recorded() == {
        ("cap_due", plan_not_started.pk, 3),
        ("cap_due", no_plan.pk, 3),
        ("cap_due", plan_rejected.pk, 3),
        ("progress_missing", no_progress_report.pk, 1),
    }
    assert plan_approved.pk not in {item for _, item, _ in recorded()}
    assert (report.total, report.flagged) == (4, 1)
    assert set(report.run.digests.values_list("recipient", flat=True)) == {
        "esg@bright.example",
        "buyer1@company.example",
        "esg1@company.example",
        "head1@company.example",
    }


def test_a_second_run_the_same_day_records_and_sends_nothing_and_the_next_stage_is_recorded_later(
    supplier, monkeypatch
):
    monkeypatch.setattr(scanning, "SCAN_BATCH", 1)
    findings = [accepted_finding(supplier) for _ in range(3)]
    due = findings[0].rectification_due

    first = services.run_reminders(today=due)
    again = services.run_reminders(today=due)
    later = services.run_reminders(today=due + dt.timedelta(days=14))

    assert (first.total, first.digests) == (3, 2)
    assert (again.total, again.digests) == (0, 0)
    assert (later.total, later.digests) == (3, 3)
    assert later.run.digests.get(recipient="esg1@company.example").reminders.count() == 3
    assert Counter(stage for _, _, stage in recorded()) == {1: 3, 2: 3}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two connections writing at once")
def test_two_runs_started_at_the_same_moment_send_each_recipient_one_digest(people, monkeypatch):
    """In batches of one item, two runs side by side would each record some of the day's items and each
    send the buyer a digest; the second run waits for the first instead, then has nothing new to tell."""
    monkeypatch.setattr(scanning, "SCAN_BATCH", 1)
    suppliers = []
    for n in range(4):
        supplier = SupplierFactory(
            code=f"S-{n}",
            buyer=people["buyer"],
            status=Supplier.Status.ADMITTED,
            category=Supplier.Category.NON_PRODUCTION,
        )
        ContactFactory(supplier=supplier, email=f"csr@s{n}.example")
        suppliers.append(supplier)
    findings = [accepted_finding(supplier) for supplier in suppliers for _ in range(5)]
    due = findings[0].rectification_due
    start = threading.Barrier(2)
    reports = []

    def run():
        try:
            start.wait(timeout=10)
            reports.append(services.run_reminders(today=due))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted((report.total, report.digests) for report in reports) == [(0, 0), (20, 5)]
    assert Counter(Digest.objects.values_list("recipient", flat=True)) == {
        "buyer1@company.example": 1,
        **{f"csr@s{n}.example": 1 for n in range(4)},
    }
    buyer_digest = Digest.objects.get(recipient="buyer1@company.example")
    assert sorted(buyer_digest.reminders.values_list("item_id", flat=True)) == sorted(f.pk for f in findings)
