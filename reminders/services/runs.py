"""The daily run: its phases in order, the lock runs take turns on, and the take-over of runs that died.

A run takes over the reminders of earlier runs that died before notifying them, scans, flags suppliers and
builds its digests (``PHASES``), each phase one call. Runs take turns, so that one run records all of a
day's items and each recipient gets one digest for them. Digests are sent afterwards (``sending``), only
once their run has finished.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from reminders import registry
from reminders.ladder import Ladder
from reminders.models import Digest, Reminder, ReminderRun

from .digests import build_digests
from .flagging import flag_suppliers
from .items import batched_run_reminders, describe
from .recipients import Staff, recipients_for
from .scanning import scan

logger = logging.getLogger(__name__)

RUN_LEASE = dt.timedelta(hours=6)  # without the lock (SQLite): an unfinished run older than this is dead
RUN_LOCK = 0x72656D696E646572  # "reminder": the PostgreSQL advisory lock key that runs take turns on


@dataclass
class RunReport:
    run: ReminderRun | None
    created: dict[str, int] = field(default_factory=dict)
    flagged: int = 0
    digests: int = 0
    taken_over: int = 0  # reminders of earlier runs that died before notifying them
    would_send: list[tuple[str, str, str, int, str]] = field(default_factory=list)  # dry run

    @property
    def total(self) -> int:
        return sum(self.created.values())


def take_over_unfinished_runs(*, run: ReminderRun) -> int:
    """Make ``run`` notify the reminders of earlier runs that died before finishing; returns how many.

    Called with the run lock held: any other run that is unfinished and has begun its scan (it noted where
    its reminders begin) is dead, since runs scan, flag and build digests only while holding the lock; a
    run still waiting for the lock has not begun its scan. A dead run's digests were never sent (a digest is
    sent only once its run has finished) and may hold some of its reminders: they are deleted, so that
    every reminder of the dead run is in no digest, then its reminders become this run's, and this run's
    range of ids starts at theirs. All in one transaction: if this run dies too, the next one takes over
    both. Each reminder is still notified at most once: it belongs to one run, and only a finished run's
    digests are sent. On SQLite (development), where runs do not take turns, only runs older than
    ``RUN_LEASE`` are taken to be dead."""
    unfinished = ReminderRun.objects.filter(
        finished_at=None, taken_over_by=None, reminders_from_id__isnull=False
    ).exclude(pk=run.pk)
    if connection.vendor != "postgresql":
        unfinished = unfinished.filter(started_at__lt=timezone.now() - RUN_LEASE)
    dead = dict(unfinished.values_list("pk", "reminders_from_id"))
    if not dead:
        return 0
    start = min(dead.values())
    with transaction.atomic():
        Digest.objects.filter(run__in=list(dead)).delete()
        theirs = Reminder.objects.filter(pk__gte=start, run__in=list(dead))
        withdrawn = _withdraw_closed(theirs, today=run.day)
        taken = theirs.update(run=run)
        ReminderRun.objects.filter(pk__in=list(dead)).update(taken_over_by=run)
    run.reminders_from_id = start
    logger.warning(
        "Run %s took over %s reminders of unfinished runs %s (%s withdrawn: their items closed since)",
        run.pk,
        taken,
        sorted(dead),
        withdrawn,
    )
    return taken


def _withdraw_closed(reminders, *, today: dt.date) -> int:
    """Delete the never-notified ``reminders`` whose item has been closed (or its deadline moved) since they
    were recorded: closing an item stops its reminders, those of a dead run included. One DELETE per kind."""
    withdrawn = 0
    for kind in registry.all_kinds():
        still_open = kind.open_items(today).filter(r_item=OuterRef("item_id"), r_period=OuterRef("period"))
        stale = reminders.filter(kind=kind.key).exclude(Exists(still_open))
        withdrawn += stale.delete()[1].get(Reminder._meta.label, 0)
    return withdrawn


@contextmanager
def one_run_at_a_time() -> Iterator[None]:
    """Runs take turns, so that the items of a day are all recorded by whichever run comes first, and one
    recipient gets one digest for them, even when two runs start at the same moment. On PostgreSQL this is an
    advisory lock, which the database releases if the worker dies; inside a transaction it is held until the
    transaction ends (the run's rows are invisible to others until then anyway). On SQLite, for development,
    runs do not wait for each other.
    """
    if connection.vendor != "postgresql":
        yield
        return
    if connection.in_atomic_block:
        _with_run_lock("SELECT pg_advisory_xact_lock(%s)")
        yield
        return
    _with_run_lock("SELECT pg_advisory_lock(%s)")
    try:
        yield
    finally:
        _with_run_lock("SELECT pg_advisory_unlock(%s)")


def _with_run_lock(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, [RUN_LOCK])


# --- The phases, in order ------------------------------------------------------------------------------


def _take_over(report: RunReport, ladder: Ladder) -> None:
    report.taken_over = take_over_unfinished_runs(run=report.run)


def _scan(report: RunReport, ladder: Ladder) -> None:
    report.created = scan(run=report.run, ladder=ladder, today=report.run.day)


def _flag(report: RunReport, ladder: Ladder) -> None:
    report.flagged = flag_suppliers(run=report.run, ladder=ladder)


def _digests(report: RunReport, ladder: Ladder) -> None:
    report.digests = build_digests(run=report.run, ladder=ladder)


Phase = Callable[[RunReport, Ladder], None]
PHASES: tuple[tuple[str, Phase], ...] = (
    ("take over", _take_over),
    ("scan", _scan),
    ("flag", _flag),
    ("digests", _digests),
)


def start_run(*, today: dt.date | None = None) -> tuple[RunReport, Ladder]:
    """A new run for ``today`` (default: today), and the ladder it climbs."""
    run = ReminderRun.objects.create(day=today or timezone.localdate())
    return RunReport(run=run), Ladder.current()


def finish_run(report: RunReport) -> None:
    """Note the run's figures and that it finished: from now on its digests may be sent."""
    run = report.run
    run.reminders_created = report.total
    run.digests_created = report.digests
    run.suppliers_flagged = report.flagged
    run.finished_at = timezone.now()
    run.save(update_fields=["reminders_created", "digests_created", "suppliers_flagged", "finished_at"])


def run_reminders(*, today: dt.date | None = None) -> RunReport:
    """The daily job. Safe to run twice, or twice at once: nothing already recorded is notified again, and a
    run that starts while another is under way waits for it, then finds nothing new to tell. A run that died
    before finishing is taken over by the next one."""
    report, ladder = start_run(today=today)
    with one_run_at_a_time():
        for _name, phase in PHASES:
            phase(report, ladder)
        finish_run(report)
    return report


def dry_run(*, today: dt.date | None = None) -> RunReport:
    """What a run would send today, to whom, without writing anything."""
    with transaction.atomic(), one_run_at_a_time():
        report, ladder = start_run(today=today)
        _take_over(report, ladder)
        _scan(report, ladder)
        stages, staff = ladder.by_stage(), Staff.for_ladder(ladder)
        for batch in batched_run_reminders(report.run):
            by_pk = {r.pk: r for r in batch}
            info = describe(batch)
            for email, rids in sorted(recipients_for(batch, ladder=ladder, staff=staff).items()):
                for rid in rids:
                    r = by_pk[rid]
                    item = info[(r.kind, r.item_id)]
                    report.would_send.append((email, r.kind, stages[r.stage].name, r.stage, item.title))
        transaction.set_rollback(True)
    report.run = None  # rolled back
    return report
