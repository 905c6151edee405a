"""Small pieces every portal page shows the same way: a due date with the days left or overdue, and an
escalation stage."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone

from reminders.ladder import due_text, stage_label

register = template.Library()


def days_overdue(due: dt.date | None, today: dt.date | None = None) -> int | None:
    if due is None:
        return None
    return ((today or timezone.localdate()) - due).days


def when_text(days: int) -> str:
    return due_text(days)


def stage_text(stage: int | None) -> str:
    return stage_label(stage)


@register.inclusion_tag("portal/_due.html")
def due(date: dt.date | None, stage: int | None = None):
    """``{% due task.due task.stage %}``: the date, the days left or overdue, and the stage badge."""
    days = days_overdue(date)
    return {
        "date": date,
        "days": days,
        "when": when_text(days) if days is not None else "",
        "state": "overdue"
        if days is not None and days > 0
        else "soon"
        if days is not None and days >= -7
        else "",
        "stage": stage,
        "stage_label": stage_text(stage),
    }


@register.inclusion_tag("portal/_form.html")
def form_fields(form):
    """``{% form_fields form %}``: every field with its label, help, errors, and the form's own errors."""
    return {"form": form}
