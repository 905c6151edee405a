"""Reads of the reminder log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max

from . import registry
from .ladder import Ladder
from .models import Reminder


@dataclass(frozen=True)
class Escalation:
    kind: str
    stage: int
    stage_name: str
    title: str
    url: str
    due: dt.date
    notified_on: dt.date


def open_escalations(*, supplier_id: int, today: dt.date) -> list[Escalation]:
    """The supplier's items that are overdue (stage 1 or more) and still open, each at its highest stage.
    A fixed number of queries: one for the log, then one or two per kind that has entries."""
    latest = (
        Reminder.objects.filter(supplier_id=supplier_id, stage__gte=1)
        .values("kind", "item_id", "period")
        .annotate(stage=Max("stage"), due=Max("due_date"), notified=Max("created_at"))
        .order_by("-stage", "due")
    )
    rows = list(latest[:500])
    by_kind: dict[str, set[int]] = {}
    for row in rows:
        by_kind.setdefault(row["kind"], set()).add(row["item_id"])
    still_open: set[tuple[str, int, dt.date]] = set()
    info: dict[tuple[str, int], registry.ItemInfo] = {}
    for key, ids in by_kind.items():
        kind = registry.get(key)
        for item, period in kind.open_items(today).filter(r_item__in=ids).values_list("r_item", "r_period"):
            still_open.add((key, item, period))
        info.update({(key, item_id): item for item_id, item in kind.describe(list(ids)).items()})
    ladder = Ladder.current()
    return [
        Escalation(
            kind=registry.get(row["kind"]).label,
            stage=row["stage"],
            stage_name=ladder.name_of(row["stage"]),
            title=info[(row["kind"], row["item_id"])].title,
            url=info[(row["kind"], row["item_id"])].url,
            due=row["due"],
            notified_on=row["notified"].date(),
        )
        for row in rows
        if (row["kind"], row["item_id"], row["period"]) in still_open
        and (row["kind"], row["item_id"]) in info
    ]
