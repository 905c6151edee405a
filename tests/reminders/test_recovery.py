"""A run that dies after recording its reminders and before its digests are sent: the next run sends them,
once."""

import datetime as dt
from collections import Counter

import pytest
from django.core import mail

from reminders import services
from reminders.models import Digest, DigestItem, Reminder, ReminderRun
from reminders.services import digests, items, runs
from suppliers.models import Supplier
from tests.factories import ContactFactory, SupplierFactory
from tests.reminders.helpers import accepted_finding, run

pytestmark = pytest.mark.django_db


class WorkerLost(Exception):
    pass


def crash(**kwargs):
    raise WorkerLost("the worker was killed")


def test_a_run_that_died_between_the_scan_and_the_digests_is_sent_by_the_next_run_once(supplier, monkeypatch):
    finding = accepted_finding(supplier)
    due = finding.rectification_due
    with monkeypatch.context() as patch:
        patch.setattr(runs, "flag_suppliers", crash)
        with pytest.raises(WorkerLost):
            run(due)
    assert mail.outbox == []
    assert Reminder.objects.filter(item_id=finding.pk, stage=1).exists()  # recorded, never told
    dead = ReminderRun.objects.get()
    assert dead.finished_at is None

    sent = run(due + dt.timedelta(days=1))  # the next day's run

    assert set(sent) == {"esg@bright.example", "buyer1@company.example"}
    for message in sent.values():
        assert finding.reference in message.body
    # Stage 1, named as the ladder names it for staff, and by its number for the supplier.
    assert "Due today / overdue" in sent["buyer1@company.example"].body
    assert "[Stage 1]" in sent["esg@bright.example"].body
    dead.refresh_from_db()
    assert dead.taken_over_by is not None and dead.taken_over_by.finished_at is not None
    assert run(due + dt.timedelta(days=2)) == {}  # never twice
    assert run(due + dt.timedelta(days=3)) == {}


def test_a_run_that_died_halfway_through_its_digests_leaves_each_recipient_one_digest_with_each_item_once(
    supplier, people, monkeypatch
):
    monkeypatch.setattr(items, "FANOUT_BATCH", 1)
    other = SupplierFactory(code="S-200", buyer=people["buyer"], status=Supplier.Status.ADMITTED)
    ContactFactory(supplier=other, email="csr@other.example")
    findings = [accepted_finding(supplier), accepted_finding(other), accepted_finding(supplier)]
    due = findings[0].rectification_due
    insert = digests._insert_digest_items
    calls = []

    def insert_then_die(pairs):
        calls.append(pairs)
        if len(calls) == 2:
            raise WorkerLost("the worker was killed")
        insert(pairs)

    with monkeypatch.context() as patch:
        patch.setattr(digests, "_insert_digest_items", insert_then_die)
        with pytest.raises(WorkerLost):
            run(due)
    assert mail.outbox == []
    assert Digest.objects.exists()  # the dead run had begun its digests; they are never sent
    assert services.digests_to_send().count() == 0

    sent = run(due + dt.timedelta(days=1))

    assert set(sent) == {"esg@bright.example", "csr@other.example", "buyer1@company.example"}
    assert sent["buyer1@company.example"].subject == "Supplier ESG: 3 items need attention (3 overdue)"
    assert sent["esg@bright.example"].subject == "Supplier ESG: 2 items need attention (2 overdue)"
    assert Counter(Digest.objects.values_list("recipient", flat=True)) == {
        "esg@bright.example": 1,
        "csr@other.example": 1,
        "buyer1@company.example": 1,
    }
    told = Counter(DigestItem.objects.values_list("digest__recipient", "reminder__item_id"))
    assert set(told.values()) == {1}
    assert run(due + dt.timedelta(days=2)) == {}


def test_a_dry_run_after_a_dead_run_shows_its_items_and_writes_nothing(supplier, monkeypatch):
    finding = accepted_finding(supplier)
    with monkeypatch.context() as patch:
        patch.setattr(runs, "build_digests", crash)
        with pytest.raises(WorkerLost):
            run(finding.rectification_due)

    report = services.dry_run(today=finding.rectification_due + dt.timedelta(days=1))

    assert {email for email, *_ in report.would_send} == {"esg@bright.example", "buyer1@company.example"}
    assert ReminderRun.objects.get().taken_over_by is None
    assert Reminder.objects.get().run == ReminderRun.objects.get()


def test_an_item_closed_after_a_run_died_is_not_notified_by_the_next_run(supplier, monkeypatch):
    closed, still_open = accepted_finding(supplier), accepted_finding(supplier)
    due = closed.rectification_due
    with monkeypatch.context() as patch:
        patch.setattr(runs, "flag_suppliers", crash)
        with pytest.raises(WorkerLost):
            run(due)
    closed.closed_on = due  # verified closed the same day, after the run died
    closed.closed_at = dt.datetime.combine(due, dt.time(15, 0), tzinfo=dt.UTC)
    closed.save(update_fields=["closed_on", "closed_at"])

    sent = run(due + dt.timedelta(days=1))

    body = sent["buyer1@company.example"].body
    assert still_open.reference in body
    assert closed.reference not in body
    assert not Reminder.objects.filter(item_id=closed.pk).exists()
