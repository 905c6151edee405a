"""When corrective action is due, and what counts as on time, late or overdue: the whole rule.

- Deadlines count from the day the report is accepted, per severity (``AuditPolicy``; defaults: CAP within
  7 days; rectification within 30 days for priority and red-line findings, 90 for major, 120 for minor).
- Every rectification is complete within the outer bound (four months by default); a later date needs an
  approved, recorded extension.
- Due dates are fixed on the finding at acceptance; changing the policy later does not move them.
- Observations need no corrective action and have no deadlines.
- Rectification status of a finding on a day: closed on time, closed late, open within deadline, overdue.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models

from .models import AuditPolicy, CorrectiveActionPlan, Finding, Severity


@dataclass(frozen=True)
class Deadlines:
    cap_due: dt.date
    rectification_due: dt.date


def deadlines_for(
    *, severity: str, red_line: str = "", accepted_on: dt.date, policy: AuditPolicy
) -> Deadlines | None:
    """The CAP and rectification due dates of a finding accepted on ``accepted_on``; None for observations."""
    if severity == Severity.OBSERVATION:
        return None
    key = Severity.PRIORITY if red_line else severity
    cap_days = getattr(policy, f"cap_days_{key}")
    rectify_days = min(getattr(policy, f"rectify_days_{key}"), policy.max_rectify_days)
    return Deadlines(
        cap_due=accepted_on + dt.timedelta(days=cap_days),
        rectification_due=accepted_on + dt.timedelta(days=rectify_days),
    )


class RectificationStatus(models.TextChoices):
    CLOSED_ON_TIME = "closed_on_time", "Closed on time"
    CLOSED_LATE = "closed_late", "Closed late"
    OPEN_WITHIN_DEADLINE = "open_within_deadline", "Open within deadline"
    OVERDUE = "overdue", "Overdue"


def rectification_status(*, finding: Finding, on: dt.date) -> RectificationStatus | None:
    """Where a finding stood on ``on``; None without a deadline (observation, report not accepted)."""
    due = finding.rectification_due
    if due is None or finding.severity == Severity.OBSERVATION:
        return None
    if finding.closed_on is not None and finding.closed_on <= on:
        return (
            RectificationStatus.CLOSED_ON_TIME
            if finding.closed_on <= due
            else RectificationStatus.CLOSED_LATE
        )
    return RectificationStatus.OPEN_WITHIN_DEADLINE if on <= due else RectificationStatus.OVERDUE


def rectification_status_expression(*, on: dt.date) -> models.Case:
    """The same rule as ``rectification_status``, as a database expression for counting in bulk."""
    closed_by_then = models.Q(closed_on__isnull=False, closed_on__lte=on)
    return models.Case(
        models.When(
            closed_by_then & models.Q(closed_on__lte=models.F("rectification_due")),
            then=models.Value(RectificationStatus.CLOSED_ON_TIME.value),
        ),
        models.When(closed_by_then, then=models.Value(RectificationStatus.CLOSED_LATE.value)),
        models.When(
            rectification_due__gte=on, then=models.Value(RectificationStatus.OPEN_WITHIN_DEADLINE.value)
        ),
        default=models.Value(RectificationStatus.OVERDUE.value),
        output_field=models.CharField(),
    )


def latest_allowed_completion(*, finding: Finding) -> dt.date | None:
    """The latest planned completion date a CAP may name: the rectification due date, which only an approved
    extension moves."""
    return finding.rectification_due


def is_overdue(*, finding: Finding, on: dt.date) -> bool:
    return rectification_status(finding=finding, on=on) == RectificationStatus.OVERDUE


def is_cap_overdue(*, finding: Finding, on: dt.date) -> bool:
    if finding.cap_due is None or finding.is_closed:
        return False
    cap = getattr(finding, "cap", None)
    waiting = cap is None or cap.status in (
        CorrectiveActionPlan.Status.NOT_STARTED,
        CorrectiveActionPlan.Status.REJECTED,
    )
    return waiting and on > finding.cap_due
