"""What the phases after the scan read: the run's reminders in batches, and their items described by kind."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from django.db.models import Q

from reminders import registry
from reminders.models import Reminder, ReminderRun

FANOUT_BATCH = 5_000  # reminders per batch of the phases that read the run's reminders back
DESCRIBE_BATCH = 5_000  # item ids per ``describe`` call

_ROW = ("pk", "kind", "item_id", "supplier_id", "stage", "due_date")  # what the run reads of a reminder


def batched_run_reminders(run: ReminderRun, *, extra: Q | None = None) -> Iterator[list]:
    """The run's reminders in batches, as rows named as in ``_ROW``, read along the primary key within the
    run's id range (the run has no index of its own)."""
    if run.reminders_from_id is None or run.reminders_to_id is None:
        return
    reminders = (
        Reminder.objects.filter(extra or Q(), run=run, pk__lte=run.reminders_to_id)
        .order_by("pk")
        .values_list(*_ROW, named=True)
    )
    last = run.reminders_from_id - 1
    while True:
        batch = list(reminders.filter(pk__gt=last)[:FANOUT_BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def describe(reminders: Sequence) -> dict[tuple[str, int], registry.ItemInfo]:
    """Each reminder's item described by its kind, keyed by (kind, item id): a few queries per kind and
    ``DESCRIBE_BATCH`` items. Items deleted since are left out."""
    by_kind: dict[str, set[int]] = defaultdict(set)
    for reminder in reminders:
        by_kind[reminder.kind].add(reminder.item_id)
    info = {}
    for key, ids in by_kind.items():
        kind, ids = registry.get(key), sorted(ids)
        for start in range(0, len(ids), DESCRIBE_BATCH):
            for item_id, item in kind.describe(ids[start : start + DESCRIBE_BATCH]).items():
                info[(key, item_id)] = item
    return info
