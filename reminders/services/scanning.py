"""The scan: record the stage every open item has reached today, once per (kind, item, period, stage).

For each kind, one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per batch of item ids: the database works
out the stage (``ladder.stage_reached``) and the unique constraint on (kind, item, period, stage) rejects
what is already recorded, so memory stays flat and two runs at once cannot record a stage twice. A reminder
belongs to the run that inserted it, and only that run notifies it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from django.db import connection
from django.db.models import Exists, Max, Min, OuterRef, Value
from django.utils import timezone

from reminders import registry
from reminders.ladder import Ladder, Rung, stage_reached
from reminders.models import Reminder, ReminderRun

SCAN_BATCH = 200_000  # item ids per INSERT … SELECT


def _staged_items(kind: registry.ItemKind, *, rungs: list[Rung], today: dt.date, within: registry.IdRange):
    """The kind's open items with ids in ``within`` that have reached a stage not recorded yet, annotated
    with it. Leaving out what is recorded only saves work, read off the unique constraint's index for the
    same range of ids (on most days nearly every item is still at yesterday's stage); the constraint itself
    still rejects a stage that another run records meanwhile."""
    lowest_offset = min(offset for _, offset in rungs)
    low, high = within
    recorded = Reminder.objects.filter(
        kind=kind.key,
        item_id__gte=low,
        item_id__lte=high,
        item_id=OuterRef("r_item"),
        period=OuterRef("r_period"),
        stage=OuterRef("r_stage"),
    )
    return (
        kind.open_items(today, within=within)
        .filter(pk__gte=low, pk__lte=high, r_due__lte=today - dt.timedelta(days=lowest_offset))
        .annotate(r_stage=stage_reached(due="r_due", on=today, rungs=rungs))
        .exclude(Exists(recorded))
        .order_by()
    )


def _id_ranges(model, batch: int) -> Iterator[registry.IdRange]:
    bounds = model.objects.aggregate(low=Min("pk"), high=Max("pk"))
    if bounds["low"] is None:
        return
    start = bounds["low"]
    while start <= bounds["high"]:
        yield start, start + batch - 1
        start += batch


def scan_kind(kind: registry.ItemKind, *, run: ReminderRun, ladder: Ladder, today: dt.date) -> int:
    """Record the stage each open item of this kind has reached today; returns the number of new reminders."""
    rungs = ladder.for_kind(kind)
    if not rungs:
        return 0
    now = timezone.now()
    table = Reminder._meta.db_table
    columns = "kind, item_id, period, stage, supplier_id, due_date, run_id, created_at"
    created = 0
    for within in _id_ranges(kind.open_items(today).model, SCAN_BATCH):
        rows = _staged_items(kind, rungs=rungs, today=today, within=within).values_list(
            Value(kind.key), "r_item", "r_period", "r_stage", "r_supplier", "r_due", Value(run.pk), Value(now)
        )
        select_sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql} ON CONFLICT DO NOTHING", params)
            created += max(cursor.rowcount, 0)
    return created


def last_reminder_id() -> int:
    return Reminder.objects.aggregate(last=Max("pk"))["last"] or 0


def scan(*, run: ReminderRun, ladder: Ladder, today: dt.date) -> dict[str, int]:
    """Record the stage every open item has reached; returns the new reminders per kind, and notes on the run
    the range of ids its reminders got, so that the later phases read them back along the primary key."""
    # The start is stored before the first insert, so that if the run dies during or after the scan, the
    # next run knows where its reminders begin. A run that took over earlier runs starts at theirs.
    if run.reminders_from_id is None:
        run.reminders_from_id = last_reminder_id() + 1
    run.save(update_fields=["reminders_from_id"])
    created = {
        kind.key: scan_kind(kind, run=run, ladder=ladder, today=today) for kind in registry.all_kinds()
    }
    # The identity sequence hands out ids in increasing order, one at a time, and runs take turns: so this
    # run's ids all lie above the highest id before the scan and at or below the highest after it. Another
    # run's rows in the range (SQLite, where runs do not take turns) are read past by ``run=``.
    run.reminders_to_id = last_reminder_id()
    run.save(update_fields=["reminders_to_id"])
    return created
