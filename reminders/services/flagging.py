"""Flagging: suppliers with an item at a stage that flags (stage 3 by default) are flagged for suspension
review, which raises their risk; the reason, naming the supplier's first such item, goes into its history."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q
from django.utils import timezone, translation

from reminders import registry
from reminders.ladder import Ladder
from reminders.models import ReminderRun
from suppliers.lifecycle import suppliers_flag_for_suspension_review_in_batches
from suppliers.models import Supplier

from .items import batched_run_reminders, describe
from .recipients import STAFF_LANGUAGE


def _flag_reasons(run: ReminderRun, *, flagging: list[int]) -> Iterator[dict[int, str]]:
    """{supplier id: reason} per batch of the run's reminders at a flagging stage, for suppliers not flagged
    yet. A fixed number of queries per batch."""
    seen: set[int] = set()
    for batch in batched_run_reminders(run, extra=Q(stage__in=flagging)):
        first = {}
        for reminder in batch:
            if reminder.supplier_id not in seen:
                first.setdefault(reminder.supplier_id, reminder)
        seen.update(first)
        unflagged = Supplier.objects.filter(pk__in=list(first), suspension_review=False)
        chosen = [first[pk] for pk in unflagged.values_list("pk", flat=True)]
        reasons: dict[int, str] = {}
        with translation.override(STAFF_LANGUAGE):  # kept in the supplier's history, which staff read
            info = describe(chosen)
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
