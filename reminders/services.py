"""The daily reminder run: find the stage every open item has reached, record each (item, stage) once,
flag suppliers at the last stage, and send every recipient one digest.

0. ``take_over_unfinished_runs``: a run that died after recording its reminders (and before its digests were
   finished) never notified them; the next run takes those reminders over and notifies them instead. A
   digest is sent only once its run has finished, so the dead run's digests were never sent: they are
   dropped, and its reminders go into the new run's digests, still once each.
1. ``scan``: for each kind, ``INSERT … SELECT … ON CONFLICT DO NOTHING`` in batches of item ids. The database
   computes the stage and the unique constraint on (kind, item, period, stage) rejects what was already
   recorded: memory stays flat, one query per batch, and two runs at once cannot record a stage twice. A
   reminder belongs to the run that inserted it (or took it over from a run that died), so only that run
   notifies it; runs take turns (a database
   lock), so that one run records all of a day's items and each recipient gets one digest for them.
2. ``flag``: suppliers with items at a stage that flags (stage 3 by default) are flagged for suspension
   review, which raises their risk; the reason is kept in the supplier's history. A batch of reminders
   costs a fixed number of queries (``suppliers.lifecycle``), then the flagged suppliers' risk is refreshed
   in the risk model's batches.
3. ``build_digests``: the run's reminders are fanned out to recipients (the responsible party, the buyer,
   ESG managers, procurement heads, by stage) into one digest per recipient: per batch of reminders a fixed
   number of queries (each kind describes its items as a set) and bulk inserts.
4. ``send_digest``: a digest is sent only by whoever wins an atomic claim; a failure is recorded with its
   error and retried later with backoff; it is marked sent only after the mail server accepted it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Case, Count, Exists, IntegerField, Max, Min, OuterRef, Q, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from suppliers import roles
from suppliers.lifecycle import suppliers_flag_for_suspension_review_in_batches
from suppliers.models import Contact, Supplier, eligible_buyers

from . import registry
from .models import Digest, DigestItem, EscalationStage, Reminder, ReminderRun

logger = logging.getLogger(__name__)

SCAN_BATCH = 200_000  # item ids per INSERT … SELECT
FANOUT_BATCH = 5_000  # reminders per digest-building batch
DESCRIBE_BATCH = 5_000  # item ids per ``describe`` call
MAX_ATTEMPTS = 6
CLAIM_LEASE = dt.timedelta(minutes=15)  # a claim older than this is taken to be a crashed worker's
RUN_LEASE = dt.timedelta(hours=6)  # without the lock (SQLite): an unfinished run older than this is dead
RUN_LOCK = 0x72656D696E646572  # "reminder": the PostgreSQL advisory lock key that runs take turns on


def backoff(attempts: int) -> dt.timedelta:
    """Wait before the next try: 2, 4, 8, 16, 32 times the base (a minute by default)."""
    return dt.timedelta(seconds=settings.REMINDER_RETRY_BASE_SECONDS * 2 ** max(1, attempts))


@dataclass
class Ladder:
    stages: list[EscalationStage]

    @classmethod
    def current(cls) -> Ladder:
        return cls(list(EscalationStage.objects.order_by("stage")))

    def for_kind(self, kind: registry.ItemKind) -> list[tuple[int, int]]:
        """(stage, offset in days from the due date) for this kind, highest first."""
        pairs = []
        for stage in self.stages:
            if stage.stage > kind.max_stage:
                continue
            offset = stage.offset_days
            if stage.stage == 0 and kind.due_soon_days is not None:
                offset = -kind.due_soon_days
            pairs.append((stage.stage, offset))
        return sorted(pairs, reverse=True)

    def by_stage(self) -> dict[int, EscalationStage]:
        return {s.stage: s for s in self.stages}


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


def _stage_expression(*, ladder: list[tuple[int, int]], today: dt.date) -> Case:
    return Case(
        *[When(r_due__lte=today - dt.timedelta(days=offset), then=Value(stage)) for stage, offset in ladder],
        default=Value(None),
        output_field=IntegerField(),
    )


def _staged_items(
    kind: registry.ItemKind, *, pairs: list[tuple[int, int]], today: dt.date, within: registry.IdRange
):
    """The kind's open items with ids in ``within`` that have reached a stage not recorded yet, annotated
    with it. Leaving out what is recorded is only the fast path, read off the unique constraint's index for
    the same range of ids (on most days nearly every item is still at the stage it had yesterday); the
    constraint itself still rejects a stage that another run records meanwhile."""
    lowest_offset = min(offset for _, offset in pairs)
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
        .annotate(r_stage=_stage_expression(ladder=pairs, today=today))
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


def scan_kind(
    kind: registry.ItemKind, *, run: ReminderRun, ladder: Ladder, today: dt.date, batch: int | None = None
) -> int:
    """Record the stage each open item of this kind has reached today; returns the number of new reminders."""
    batch = batch or SCAN_BATCH
    pairs = ladder.for_kind(kind)
    if not pairs:
        return 0
    now = timezone.now()
    table = Reminder._meta.db_table
    columns = "kind, item_id, period, stage, supplier_id, due_date, run_id, created_at"
    created = 0
    for within in _id_ranges(kind.open_items(today).model, batch):
        rows = _staged_items(kind, pairs=pairs, today=today, within=within).values_list(
            Value(kind.key), "r_item", "r_period", "r_stage", "r_supplier", "r_due", Value(run.pk), Value(now)
        )
        select_sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) {select_sql} ON CONFLICT DO NOTHING",
                params,
            )
            created += max(cursor.rowcount, 0)
    return created


def _staff_emails(group: str) -> list[str]:
    return list(
        get_user_model()
        .objects.filter(groups__name=group, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )


_ROW = ("pk", "kind", "item_id", "supplier_id", "stage", "due_date")  # what the run reads of a reminder


def _batched_run_reminders(run: ReminderRun, *, extra: Q | None = None) -> Iterator[list]:
    """The run's reminders in batches, as rows named as in ``_ROW``, read along the primary key within the
    run's id range."""
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


def _describe(reminders: Sequence) -> dict[tuple[str, int], registry.ItemInfo]:
    """Each reminder's item described by its kind: a few queries per kind and ``DESCRIBE_BATCH`` items."""
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


def _flag_reasons(run: ReminderRun, *, flagging: list[int]) -> Iterator[dict[int, str]]:
    """{supplier id: reason} per batch of the run's reminders at a flagging stage, for suppliers not flagged
    yet: the reason names the supplier's first such item. A fixed number of queries per batch."""
    seen: set[int] = set()
    for batch in _batched_run_reminders(run, extra=Q(stage__in=flagging)):
        first = {}
        for reminder in batch:
            if reminder.supplier_id not in seen:
                first.setdefault(reminder.supplier_id, reminder)
        seen.update(first)
        unflagged = Supplier.objects.filter(pk__in=list(first), suspension_review=False)
        chosen = [first[pk] for pk in unflagged.values_list("pk", flat=True)]
        info = _describe(chosen)
        reasons: dict[int, str] = {}
        for reminder in chosen:
            item = info.get((reminder.kind, reminder.item_id))
            label = registry.get(reminder.kind).label
            overdue = (run.day - reminder.due_date).days
            reasons[reminder.supplier_id] = (
                f"{label}: {item.title if item else reminder.item_id}, overdue by {overdue} days "
                f"(due {reminder.due_date:%Y-%m-%d})."
            )
        yield reasons


def flag_suppliers(*, run: ReminderRun, ladder: Ladder) -> int:
    """Flag the suppliers of the run's reminders at a flagging stage for suspension review, and raise their
    risk. Suppliers already flagged are left alone. Returns how many were newly flagged."""
    flagging = [s.stage for s in ladder.stages if s.flag_supplier]
    if not flagging:
        return 0
    return len(
        suppliers_flag_for_suspension_review_in_batches(
            batches=_flag_reasons(run, flagging=flagging), at=timezone.now()
        )
    )


@dataclass(frozen=True)
class _Staff:
    """The e-mails of the staff told by role, read once per run."""

    esg_managers: list[str]
    procurement_heads: list[str]

    @classmethod
    def for_ladder(cls, ladder: Ladder) -> _Staff:
        stages = ladder.stages
        return cls(
            esg_managers=_staff_emails(roles.ESG_MANAGER)
            if any(s.notify_esg_managers for s in stages)
            else [],
            procurement_heads=_staff_emails(roles.PROCUREMENT_HEAD)
            if any(s.notify_procurement_heads for s in stages)
            else [],
        )


def recipients_for(
    reminders: Sequence, *, ladder: Ladder, staff: _Staff | None = None
) -> dict[str, list[int]]:
    """Who is told about which reminders (rows or ``Reminder`` objects): e-mail → reminder ids. Reminders
    whose item is gone are left out. A fixed number of queries per call (and per kind)."""
    stages = ladder.by_stage()
    staff = staff or _Staff.for_ladder(ladder)
    supplier_ids = {r.supplier_id for r in reminders}
    contacts: dict[int, list[str]] = defaultdict(list)
    for supplier_id, email in Contact.objects.filter(
        supplier_id__in=supplier_ids, receives_reminders=True
    ).values_list("supplier_id", "email"):
        contacts[supplier_id].append(email)
    # A buyer who is no longer eligible (left, deactivated, moved out of procurement) is told nothing.
    buyers = dict(
        Supplier.objects.filter(pk__in=supplier_ids, buyer__in=eligible_buyers())
        .exclude(buyer__email="")
        .values_list("pk", "buyer__email")
    )
    info = _describe(reminders)
    esg_managers, heads = staff.esg_managers, staff.procurement_heads

    fanout: dict[str, list[int]] = defaultdict(list)
    for reminder in reminders:
        stage = stages.get(reminder.stage)
        if stage is None:
            continue
        item = info.get((reminder.kind, reminder.item_id))
        if item is None:  # the item is gone
            continue
        emails: set[str] = set()
        if stage.notify_responsible:
            emails.update(
                item.responsible if item.responsible is not None else contacts.get(reminder.supplier_id, [])
            )
        if stage.notify_buyer and reminder.supplier_id in buyers:
            emails.add(buyers[reminder.supplier_id])
        if stage.notify_esg_managers:
            emails.update(esg_managers)
        if stage.notify_procurement_heads:
            emails.update(heads)
        for email in emails:
            fanout[email.strip().lower()].append(reminder.pk)
    return fanout


def _insert_digest_items(pairs: list[tuple[int, int]]) -> None:
    """Insert (digest id, reminder id) pairs: on PostgreSQL one statement of two array parameters (no
    per-row parameters for the driver to prepare), elsewhere ``bulk_create``."""
    if not pairs:
        return
    pairs.sort()  # in the order of the unique constraint's index
    if connection.vendor != "postgresql":
        DigestItem.objects.bulk_create(
            [DigestItem(digest_id=digest, reminder_id=reminder) for digest, reminder in pairs],
            ignore_conflicts=True,
            batch_size=FANOUT_BATCH,
        )
        return
    meta = DigestItem._meta
    quote = connection.ops.quote_name
    digest, reminder = (quote(meta.get_field(name).column) for name in ("digest", "reminder"))
    with connection.cursor() as cursor:
        # Table and column names come from the model, never from input.
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({digest}, {reminder}) "  # noqa: S608
            "SELECT * FROM unnest(CAST(%s AS bigint[]), CAST(%s AS bigint[])) ON CONFLICT DO NOTHING",
            [[d for d, _ in pairs], [r for _, r in pairs]],
        )


def build_digests(*, run: ReminderRun, ladder: Ladder) -> int:
    """One digest per recipient for this run's reminders; returns how many digests hold items. Per batch of
    reminders: the batch, its items described by kind (``DESCRIBE_BATCH`` at a time), the suppliers' contacts
    and buyers, one insert of the digests of recipients new in this batch, and one insert of the batch's
    digest items."""
    staff = _Staff.for_ladder(ladder)
    digest_ids: dict[str, int] = {}
    for batch in _batched_run_reminders(run):
        fanout = recipients_for(batch, ladder=ladder, staff=staff)
        new = [email for email in fanout if email not in digest_ids]
        if new:  # only this run writes its digests (runs take turns), so they are new: one insert
            created = Digest.objects.bulk_create([Digest(run=run, recipient=email) for email in new])
            digest_ids.update((digest.recipient, digest.pk) for digest in created)
        _insert_digest_items([(digest_ids[email], rid) for email, rids in fanout.items() for rid in rids])
    return Digest.objects.filter(run=run).count()


def _last_reminder_id() -> int:
    return Reminder.objects.aggregate(last=Max("pk"))["last"] or 0


def scan(*, run: ReminderRun, ladder: Ladder, today: dt.date) -> dict[str, int]:
    """Record the stage every open item has reached; returns the new reminders per kind. Notes on the run the
    range of ids its reminders got: the table's identity sequence hands out ids in increasing order, one at a
    time (as Django creates it), so they are all above the highest id before the scan, and once the scan's
    inserts are in, none is above the highest id after it. Another run's rows in the range are read past.

    The start of the range is stored before the first insert, so that if the run dies during or after the
    scan, the next run knows where its reminders begin (``take_over_unfinished_runs``). A run that took over
    earlier runs' reminders already starts its range at theirs."""
    if run.reminders_from_id is None:
        run.reminders_from_id = _last_reminder_id() + 1
    run.save(update_fields=["reminders_from_id"])
    created = {
        kind.key: scan_kind(kind, run=run, ladder=ladder, today=today) for kind in registry.all_kinds()
    }
    run.reminders_to_id = _last_reminder_id()
    run.save(update_fields=["reminders_to_id"])
    return created


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
def _one_run_at_a_time() -> Iterator[None]:
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


Phase = Callable[[str], AbstractContextManager]


def _no_phase(name: str) -> AbstractContextManager:
    return nullcontext()


def run_reminders(*, today: dt.date | None = None, phase: Phase = _no_phase) -> RunReport:
    """The daily job. Safe to run twice, or twice at once: nothing already recorded is notified again, and a
    run that starts while another is under way waits for it, then finds nothing new to tell. A run that died
    before finishing is taken over by the next one. ``phase(name)`` wraps each step (for timing them)."""
    today = today or timezone.localdate()
    ladder = Ladder.current()
    run = ReminderRun.objects.create(day=today)
    report = RunReport(run=run)
    with _one_run_at_a_time():
        with phase("take over"):
            report.taken_over = take_over_unfinished_runs(run=run)
        with phase("scan"):
            report.created = scan(run=run, ladder=ladder, today=today)
        with phase("flag"):
            report.flagged = flag_suppliers(run=run, ladder=ladder)
        with phase("digests"):
            report.digests = build_digests(run=run, ladder=ladder)
        run.reminders_created = report.total
        run.digests_created = report.digests
        run.suppliers_flagged = report.flagged
        run.finished_at = timezone.now()
        run.save(update_fields=["reminders_created", "digests_created", "suppliers_flagged", "finished_at"])
    return report


def dry_run(*, today: dt.date | None = None) -> RunReport:
    """What a run would send today, to whom, without writing anything."""
    today = today or timezone.localdate()
    ladder = Ladder.current()
    report = RunReport(run=None)
    stages = ladder.by_stage()
    with transaction.atomic(), _one_run_at_a_time():
        run = ReminderRun.objects.create(day=today)
        report.taken_over = take_over_unfinished_runs(run=run)
        report.created = scan(run=run, ladder=ladder, today=today)
        staff = _Staff.for_ladder(ladder)
        for batch in _batched_run_reminders(run):
            by_pk = {r.pk: r for r in batch}
            info = _describe(batch)
            for email, rids in sorted(recipients_for(batch, ladder=ladder, staff=staff).items()):
                for rid in rids:
                    r = by_pk[rid]
                    item = info[(r.kind, r.item_id)]
                    report.would_send.append((email, r.kind, stages[r.stage].name, r.stage, item.title))
        transaction.set_rollback(True)
    return report


# --- Sending -------------------------------------------------------------------------------------------


def digests_to_send(*, now: dt.datetime | None = None):
    now = now or timezone.now()
    # Only digests of finished runs: a run still building its digests adds items to them in batches.
    return Digest.objects.filter(
        Q(status__in=[Digest.Status.PENDING, Digest.Status.FAILED], next_attempt_at__lte=now)
        | Q(status=Digest.Status.SENDING, claimed_at__lt=now - CLAIM_LEASE),
        run__finished_at__isnull=False,
    )


def _claim(digest_id: int, now: dt.datetime) -> bool:
    return bool(
        digests_to_send(now=now).filter(pk=digest_id).update(status=Digest.Status.SENDING, claimed_at=now)
    )


def render_digest(digest: Digest) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest: items grouped by supplier, with links to the admin. A digest
    of more than ``REMINDER_DIGEST_MAX_ITEMS`` items lists that many, the most escalated and longest
    overdue first, counts them all in its subject and links to the reminder log for the rest."""
    stages = {s.stage: s for s in EscalationStage.objects.all()}
    limit = settings.REMINDER_DIGEST_MAX_ITEMS
    totals = digest.reminders.aggregate(total=Count("pk"), overdue=Count("pk", filter=Q(stage__gte=1)))
    capped = totals["total"] > limit
    by_supplier = ("supplier__code", "-stage", "due_date")
    if capped:
        most_pressing = digest.reminders.order_by("-stage", "due_date", "pk").values("pk")[:limit]
        reminders = list(
            Reminder.objects.filter(pk__in=most_pressing).select_related("supplier").order_by(*by_supplier)
        )
    else:
        reminders = list(digest.reminders.select_related("supplier").order_by(*by_supplier))
    info = _describe(reminders)
    groups: dict[int, dict] = {}
    for reminder in reminders:
        item = info.get((reminder.kind, reminder.item_id))
        if item is None:
            continue
        kind = registry.get(reminder.kind)
        group = groups.setdefault(
            reminder.supplier_id,
            {
                "supplier": reminder.supplier,
                "url": settings.SITE_URL + f"/admin/suppliers/supplier/{reminder.supplier_id}/change/",
                "items": [],
            },
        )
        days = (digest.run.day - reminder.due_date).days
        group["items"].append(
            {
                "label": kind.label,
                "action": kind.action,
                "stage": stages[reminder.stage].name
                if reminder.stage in stages
                else f"Stage {reminder.stage}",
                "stage_number": reminder.stage,
                "title": item.title,
                "url": settings.SITE_URL + item.url,
                "due": reminder.due_date,
                "when": f"overdue by {days} days"
                if days > 0
                else ("due today" if days == 0 else f"due in {-days} days"),
            }
        )
    shown = sum(len(g["items"]) for g in groups.values())
    if capped:
        count, overdue = totals["total"], totals["overdue"]
    else:  # items deleted since the run are left out, and not counted
        count = shown
        overdue = sum(1 for g in groups.values() for i in g["items"] if i["stage_number"] >= 1)
    subject = (
        f"Supplier ESG: {count} items need attention"
        if count != 1
        else "Supplier ESG: 1 item needs attention"
    )
    if overdue:
        subject += f" ({overdue} overdue)"
    context = {
        "digest": digest,
        "groups": list(groups.values()),
        "count": count,
        "shown": shown,
        "capped": capped,
        "log_url": f"{settings.SITE_URL}{reverse('admin:reminders_reminder_changelist')}?digest={digest.pk}",
        "day": digest.run.day,
        "site_url": settings.SITE_URL,
    }
    return (
        subject,
        render_to_string("reminders/digest.txt", context),
        render_to_string("reminders/digest.html", context),
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
