"""The escalation ladder, and the one rule for the stage an item has reached on it.

An item has reached the highest stage whose offset from its due date has passed: escalation never steps
back down, whatever order an ESG manager gives the offsets. ``stage_reached`` says this as a query
expression; the daily scan records it and the report counts overdue findings by it. ``stage_label`` names a
stage for outside readers, in their language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import registry
from .models import EscalationStage

Rung = tuple[int, int]  # (stage, days after the due date when it is reached; negative: before it)


def stage_reached(*, due: str, on: dt.date, rungs: Iterable[Rung]) -> Case:
    """The highest stage of ``rungs`` reached on ``on`` by an item due on the date in field ``due``, or None
    when it has reached none of them."""
    return Case(
        *[
            When(**{f"{due}__lte": on - dt.timedelta(days=offset)}, then=Value(stage))
            for stage, offset in sorted(rungs, reverse=True)
        ],
        default=Value(None),
        output_field=IntegerField(),
    )


@dataclass
class Ladder:
    """The ladder as edited in the admin, read once per run."""

    stages: list[EscalationStage]

    @classmethod
    def current(cls) -> Ladder:
        return cls(list(EscalationStage.objects.order_by("stage")))

    def for_kind(self, kind: registry.ItemKind) -> list[Rung]:
        """The rungs this kind climbs, highest stage first: up to its last stage, and stage 0 (due soon) as
        many days ahead as the kind says, where it says."""
        rungs = []
        for stage in self.stages:
            if stage.stage > kind.max_stage:
                continue
            offset = stage.offset_days
            if stage.stage == 0 and kind.due_soon_days is not None:
                offset = -kind.due_soon_days
            rungs.append((stage.stage, offset))
        return sorted(rungs, reverse=True)

    def by_stage(self) -> dict[int, EscalationStage]:
        return {s.stage: s for s in self.stages}

    def name_of(self, stage: int) -> str:
        """The stage's name, or "Stage n" for one removed from the ladder since it was recorded."""
        return next((s.name for s in self.stages if s.stage == stage), f"Stage {stage}")


def stage_label(stage: int | None) -> str:
    """A stage as an outside reader (supplier contact, auditor) sees it, in the active language. The ladder's
    names are data, edited in English by ESG managers for staff ("Overdue 14 days", ``Ladder.name_of``), so
    the portal and the e-mails to outside readers name a stage by its number instead."""
    if stage is None:
        return ""
    if stage <= 0:
        return _("Due soon")
    return _("Stage %(stage)d") % {"stage": stage}


def due_text(days_overdue: int) -> str:
    """ "overdue by 12 days", "due today", "due in 7 days", in the active language: how the digests and the
    portal say how an item stands against its due date."""
    if days_overdue > 0:
        return ngettext("overdue by %(days)d day", "overdue by %(days)d days", days_overdue) % {
            "days": days_overdue
        }
    if days_overdue == 0:
        return _("due today")
    return ngettext("due in %(days)d day", "due in %(days)d days", -days_overdue) % {"days": -days_overdue}
