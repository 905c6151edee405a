"""The daily reminder run: find the stage every open item has reached, record each (item, stage) once,
flag suppliers at the last stage, and send every recipient one digest.

1. ``scan``: for each kind, ``INSERT … SELECT … ON CONFLICT DO NOTHING`` in batches of item ids. The database
   computes the stage and the unique constraint on (kind, item, period, stage) rejects what was already
   recorded: memory stays flat, one query per batch, and two runs at once cannot record a stage twice. A
   reminder belongs to the run that inserted it, so only that run notifies it; runs take turns (a database
   lock), so that one run records all of a day's items and each recipient gets one digest for them.
2. ``flag``: suppliers with items at a stage that flags (stage 3 by default) are flagged for suspension
   review, which raises their risk; the reason is kept in the supplier's history.
3. ``build_digests``: the run's reminders are fanned out to recipients (the responsible party, the buyer,
   ESG managers, procurement heads, by stage) into one digest per recipient.
4. ``send_digest``: a digest is sent only by whoever wins an atomic claim; a failure is recorded with its
   error and retried later with backoff; it is marked sent only after the mail server accepted it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Case, Exists, IntegerField, Max, Min, OuterRef, Q, Value, When
from django.template.loader import render_to_string
from django.utils import timezone

from suppliers import roles
from suppliers.lifecycle import suppliers_flag_for_suspension_review
from suppliers.models import Contact, Supplier

from . import registry
from .models import Digest, DigestItem, EscalationStage, Reminder, ReminderRun

logger = logging.getLogger(__name__)

SCAN_BATCH = 200_000  # item ids per INSERT … SELECT
FANOUT_BATCH = 2_000  # reminders per digest-building batch
MAX_ATTEMPTS = 6
CLAIM_LEASE = dt.timedelta(minutes=15)  # a claim older than this is taken to be a crashed worker's
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


def _batched_run_reminders(run: ReminderRun, *, extra: Q | None = None) -> Iterator[list[Reminder]]:
    """The run's reminders in batches, read along the primary key within the run's id range."""
    if run.reminders_from_id is None or run.reminders_to_id is None:
        return
    reminders = Reminder.objects.filter(extra or Q(), run=run, pk__lte=run.reminders_to_id).order_by("pk")
    last = run.reminders_from_id - 1
    while True:
        batch = list(reminders.filter(pk__gt=last)[:FANOUT_BATCH])
        if not batch:
            return
        yield batch
        last = batch[-1].pk


def _describe(reminders: list[Reminder]) -> dict[tuple[str, int], registry.ItemInfo]:
    by_kind: dict[str, list[int]] = defaultdict(list)
    for reminder in reminders:
        by_kind[reminder.kind].append(reminder.item_id)
    info = {}
    for key, ids in by_kind.items():
        for item_id, item in registry.get(key).describe(ids).items():
            info[(key, item_id)] = item
    return info


def flag_suppliers(*, run: ReminderRun, ladder: Ladder) -> int:
    flagging = [s.stage for s in ladder.stages if s.flag_supplier]
    if not flagging:
        return 0
    flagged = 0
    for batch in _batched_run_reminders(run, extra=Q(stage__in=flagging)):
        info = _describe(batch)
        reasons: dict[int, str] = {}
        for reminder in batch:
            item = info.get((reminder.kind, reminder.item_id))
            label = registry.get(reminder.kind).label
            overdue = (run.day - reminder.due_date).days
            reasons.setdefault(
                reminder.supplier_id,
                f"{label}: {item.title if item else reminder.item_id}, overdue by {overdue} days "
                f"(due {reminder.due_date:%Y-%m-%d}).",
            )
        flagged += suppliers_flag_for_suspension_review(reasons=reasons)
    return flagged


def recipients_for(reminders: list[Reminder], *, ladder: Ladder) -> dict[str, list[int]]:
    """Who is told about which reminders: e-mail → reminder ids. A fixed number of queries per call."""
    stages = ladder.by_stage()
    supplier_ids = {r.supplier_id for r in reminders}
    contacts: dict[int, list[str]] = defaultdict(list)
    for supplier_id, email in Contact.objects.filter(
        supplier_id__in=supplier_ids, receives_reminders=True
    ).values_list("supplier_id", "email"):
        contacts[supplier_id].append(email)
    buyers = dict(
        Supplier.objects.filter(pk__in=supplier_ids, buyer__isnull=False)
        .exclude(buyer__email="")
        .values_list("pk", "buyer__email")
    )
    info = _describe(reminders)
    esg_managers = (
        _staff_emails(roles.ESG_MANAGER) if any(s.notify_esg_managers for s in stages.values()) else []
    )
    heads = (
        _staff_emails(roles.PROCUREMENT_HEAD)
        if any(s.notify_procurement_heads for s in stages.values())
        else []
    )

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


def build_digests(*, run: ReminderRun, ladder: Ladder) -> int:
    """One digest per recipient for this run's reminders; returns how many digests hold items."""
    for batch in _batched_run_reminders(run):
        fanout = recipients_for(batch, ladder=ladder)
        if not fanout:
            continue
        Digest.objects.bulk_create(
            [Digest(run=run, recipient=email) for email in fanout], ignore_conflicts=True
        )
        ids = dict(Digest.objects.filter(run=run, recipient__in=list(fanout)).values_list("recipient", "pk"))
        DigestItem.objects.bulk_create(
            [
                DigestItem(digest_id=ids[email], reminder_id=rid)
                for email, rids in fanout.items()
                for rid in rids
            ],
            ignore_conflicts=True,
        )
    return Digest.objects.filter(run=run).count()


def _last_reminder_id() -> int:
    return Reminder.objects.aggregate(last=Max("pk"))["last"] or 0


def scan(*, run: ReminderRun, ladder: Ladder, today: dt.date) -> dict[str, int]:
    """Record the stage every open item has reached; returns the new reminders per kind. Notes on the run the
    range of ids its reminders got: the table's identity sequence hands out ids in increasing order, one at a
    time (as Django creates it), so they are all above the highest id before the scan, and once the scan's
    inserts are in, none is above the highest id after it. Another run's rows in the range are read past."""
    run.reminders_from_id = _last_reminder_id() + 1
    created = {
        kind.key: scan_kind(kind, run=run, ladder=ladder, today=today) for kind in registry.all_kinds()
    }
    run.reminders_to_id = _last_reminder_id()
    run.save(update_fields=["reminders_from_id", "reminders_to_id"])
    return created


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


def run_reminders(*, today: dt.date | None = None) -> RunReport:
    """The daily job. Safe to run twice, or twice at once: nothing already recorded is notified again, and a
    run that starts while another is under way waits for it, then finds nothing new to tell."""
    today = today or timezone.localdate()
    ladder = Ladder.current()
    run = ReminderRun.objects.create(day=today)
    report = RunReport(run=run)
    with _one_run_at_a_time():
        report.created = scan(run=run, ladder=ladder, today=today)
        report.flagged = flag_suppliers(run=run, ladder=ladder)
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
        report.created = scan(run=run, ladder=ladder, today=today)
        for batch in _batched_run_reminders(run):
            by_pk = {r.pk: r for r in batch}
            info = _describe(batch)
            for email, rids in sorted(recipients_for(batch, ladder=ladder).items()):
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
    """Subject, plain text and HTML of a digest: items grouped by supplier, with links to the admin."""
    stages = {s.stage: s for s in EscalationStage.objects.all()}
    reminders = list(
        digest.reminders.select_related("supplier").order_by("supplier__code", "-stage", "due_date")
    )
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
    count = sum(len(g["items"]) for g in groups.values())
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
