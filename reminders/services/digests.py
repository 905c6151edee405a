"""Digests: the run's reminders fanned out into one digest per recipient, and what a digest shows.

``build_digests`` writes the digests and their items; ``digest_context`` is the presentation the templates
``reminders/digest.txt`` and ``.html`` render: items grouped by supplier, fitted to the reader
(``recipients.audience_of``). Staff read English, what each supplier has not done, with links to the admin
and the reminder log. An outside reader (a supplier contact, an auditor) reads their own language, what they
must do, with links to the portal page of each item and never to the admin.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.db.models import Count, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import ngettext

from reminders import registry
from reminders.ladder import Ladder, due_text, stage_label
from reminders.models import Digest, DigestItem, Reminder, ReminderRun

from . import items
from .recipients import Reader, Staff, reader_of, recipients_for


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
            batch_size=items.FANOUT_BATCH,
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
    reminders: the batch, its items described by kind, the suppliers' contacts and buyers, one insert of the
    digests of recipients new in this batch, and one insert of the batch's digest items."""
    staff = Staff.for_ladder(ladder)
    digest_ids: dict[str, int] = {}
    for batch in items.batched_run_reminders(run):
        fanout = recipients_for(batch, ladder=ladder, staff=staff)
        new = [email for email in fanout if email not in digest_ids]
        if new:  # only this run writes its digests (runs take turns), so they are new: one insert
            created = Digest.objects.bulk_create([Digest(run=run, recipient=email) for email in new])
            digest_ids.update((digest.recipient, digest.pk) for digest in created)
        _insert_digest_items([(digest_ids[email], rid) for email, rids in fanout.items() for rid in rids])
    return Digest.objects.filter(run=run).count()


def _subject(count: int, overdue: int) -> str:
    if overdue:
        return ngettext(
            "Supplier ESG: %(count)d item needs attention (%(overdue)d overdue)",
            "Supplier ESG: %(count)d items need attention (%(overdue)d overdue)",
            count,
        ) % {"count": count, "overdue": overdue}
    return ngettext(
        "Supplier ESG: %(count)d item needs attention", "Supplier ESG: %(count)d items need attention", count
    ) % {"count": count}


def _staff_summary(kind: registry.ItemKind, supplier, when: str) -> str:
    """What staff read of an item: "S-100 Acme has not submitted its corrective action plan (overdue by 12
    days)"."""
    return f"{supplier.code} {supplier.name} {kind.staff_summary} ({when})"


def digest_context(digest: Digest, *, reader: Reader | None = None) -> dict:
    """What a digest shows, its subject included, in the reader's language: items grouped by supplier, with
    links to the admin for staff and to the portal for outside readers. A digest of more than
    ``REMINDER_DIGEST_MAX_ITEMS`` items lists that many, the most escalated and longest overdue first, counts
    them all and links to the rest: the reminder log for staff, the portal for outside readers."""
    reader = reader or reader_of(digest.recipient)
    with translation.override(reader.language):
        return _digest_context(digest, reader)


def _digest_context(digest: Digest, reader: Reader) -> dict:
    outside = reader.outside
    ladder = Ladder.current()
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
    info = items.describe(reminders)
    supplier_url = registry.admin_link("admin:suppliers_supplier_change")
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
                "url": "" if outside else settings.SITE_URL + supplier_url(reminder.supplier_id),
                "items": [],
            },
        )
        when = due_text((digest.run.day - reminder.due_date).days)
        group["items"].append(
            {
                "label": str(kind.label),
                "action": str(kind.action),
                "summary": "" if outside else _staff_summary(kind, reminder.supplier, when),
                "stage": stage_label(reminder.stage) if outside else ladder.name_of(reminder.stage),
                "stage_number": reminder.stage,
                "title": item.title,
                # An item without a page of its own in the portal is acted on from the reader's home.
                "url": settings.SITE_URL + ((item.portal_url or reader.home_url) if outside else item.url),
                "due": reminder.due_date,
                "when": when,
            }
        )
    shown = sum(len(g["items"]) for g in groups.values())
    if capped:
        count, overdue = totals["total"], totals["overdue"]
    else:  # items deleted since the run are left out, and not counted
        count = shown
        overdue = sum(1 for g in groups.values() for i in g["items"] if i["stage_number"] >= 1)
    log_url = f"{settings.SITE_URL}{reverse('admin:reminders_reminder_changelist')}?digest={digest.pk}"
    return {
        "subject": _subject(count, overdue),
        "digest": digest,
        "reader": reader,
        "outside": outside,
        "language": reader.language,
        "groups": list(groups.values()),
        "count": count,
        "shown": shown,
        "capped": capped,
        # Where the whole list is: the reminder log for staff, the portal for outside readers.
        "more_url": settings.SITE_URL + reader.home_url if outside else log_url,
        "home_url": settings.SITE_URL + reader.home_url,
        "day": digest.run.day,
        "site_url": settings.SITE_URL,
    }


def render_digest(digest: Digest) -> tuple[str, str, str]:
    """Subject, plain text and HTML of a digest, in its reader's language."""
    reader = reader_of(digest.recipient)
    with translation.override(reader.language):
        context = _digest_context(digest, reader)
        return (
            context["subject"],
            render_to_string("reminders/digest.txt", context),
            render_to_string("reminders/digest.html", context),
        )
