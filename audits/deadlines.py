"""When corrective action is due, and what counts as on time, late or overdue: the whole rule.

- Deadlines count from the day the report is accepted, per severity (``AuditPolicy``; defaults: CAP within
  7 days; rectification within 30 days for priority and red-line findings, 90 for major, 120 for minor).
- Every rectification is complete within the outer bound (four months by default); a later date needs an
  approved, recorded extension.
- Due dates are fixed on the finding at acceptance; changing the policy later does not move them.
- Observations need no corrective action and have no deadlines.
- Rectification status of a finding on a day: closed on time, closed late, open within deadline, overdue.
- A CAP is overdue after its due date while the finding is open and its plan is not in (none yet, or one not
  started or rejected); a rectification is overdue after its due date while the finding is not closed.

Each rule is written once for one finding (``rectification_status``, ``is_cap_overdue``) and once as a query
expression for lists and counts (``rectification_status_expression``, ``rectification_overdue``,
``cap_pending``, ``cap_overdue``); ``FindingQuerySet``, the reminders and the report use these.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import models
from django.db.models import Exists, OuterRef, Q

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


# A plan in one of these states is not in: the CAP deadline still runs.
CAP_NOT_IN = (CorrectiveActionPlan.Status.NOT_STARTED, CorrectiveActionPlan.Status.REJECTED)


def _has_deadlines() -> Q:
    """Findings with deadlines: corrective action needed (not an observation), report accepted."""
    return ~Q(severity=Severity.OBSERVATION) & Q(rectification_due__isnull=False)


def rectification_overdue(*, on: dt.date) -> Q:
    """Findings whose rectification is overdue on ``on``: ``rectification_status`` is ``OVERDUE``."""
    open_on = Q(closed_on__isnull=True) | Q(closed_on__gt=on)
    return _has_deadlines() & open_on & Q(rectification_due__lt=on)


def cap_pending(*, finding_ids: tuple[int, int] | None = None) -> Q:
    """Open findings with a CAP deadline whose plan is not in: none yet, or one not started or rejected.

    ``finding_ids`` (lowest, highest, both included) bounds the look-up of plans to those findings, for a
    scan in batches of finding ids: PostgreSQL does not carry the batch's range into the correlated
    subquery by itself."""
    plans_in = CorrectiveActionPlan.objects.filter(finding=OuterRef("pk")).exclude(status__in=CAP_NOT_IN)
    if finding_ids is not None:
        low, high = finding_ids
        plans_in = plans_in.filter(finding__gte=low, finding__lte=high)
    return _has_deadlines() & Q(~Exists(plans_in), cap_due__isnull=False, closed_at__isnull=True)


def cap_overdue(*, on: dt.date) -> Q:
    """Findings whose CAP is overdue on ``on``: ``is_cap_overdue`` as a query expression."""
    return cap_pending() & Q(cap_due__lt=on)


def is_cap_overdue(*, finding: Finding, on: dt.date) -> bool:
    """The plan is not in and its due date has passed: ``cap_overdue`` for one finding."""
    if finding.cap_due is None or finding.is_closed or not finding.needs_cap:
        return False
    cap = getattr(finding, "cap", None)
    return (cap is None or cap.status in CAP_NOT_IN) and on > finding.cap_due
