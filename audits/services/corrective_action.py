"""Corrective action of a finding: the supplier submits its plan (again after a rejection), an ESG manager
approves or rejects it, the supplier reports it carried out, and reports progress monthly until closure.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from .. import deadlines
from ..models import CorrectiveActionPlan, Evidence, Finding, ProgressUpdate
from .shared import CapStatus, Conflict, Invalid, _locked_finding


def _cap_for(finding: Finding) -> CorrectiveActionPlan:
    if not finding.needs_cap:
        raise Conflict(f"Finding {finding.reference} is an observation: it needs no corrective action plan.")
    if finding.rectification_due is None:
        raise Conflict(f"The report of {finding.audit.reference} has not been accepted yet: no CAP is due.")
    cap, _ = CorrectiveActionPlan.objects.select_for_update().get_or_create(finding=finding)
    return cap


@transaction.atomic
def cap_submit(
    *,
    finding: Finding,
    by,
    root_cause: str,
    corrective_action: str,
    preventive_action: str,
    owner: str,
    planned_completion: dt.date,
) -> CorrectiveActionPlan:
    """The supplier proposes (or, after a rejection, re-proposes) its plan. The planned completion may not
    be later than the rectification due date, which only an approved extension moves."""
    locked = _locked_finding(finding)
    cap = _cap_for(locked)
    if cap.status not in (CapStatus.NOT_STARTED, CapStatus.REJECTED, CapStatus.SUBMITTED):
        raise Conflict(
            f"The CAP of {locked.reference} is {cap.get_status_display().lower()}: it cannot be resubmitted."
        )
    for field_name, value in (
        ("root_cause", root_cause),
        ("corrective_action", corrective_action),
        ("preventive_action", preventive_action),
        ("owner", owner),
    ):
        if not (value or "").strip():
            raise Invalid(f"The plan needs a {field_name.replace('_', ' ')}.", field=field_name)
    latest = deadlines.latest_allowed_completion(finding=locked)
    if planned_completion > latest:
        raise Invalid(
            f"Planned completion {planned_completion:%Y-%m-%d} is after the rectification due date "
            f"{latest:%Y-%m-%d} "
            f"of {locked.reference}; request an extension first.",
            field="planned_completion",
        )
    now = timezone.now()
    cap.root_cause, cap.corrective_action = root_cause.strip(), corrective_action.strip()
    cap.preventive_action, cap.owner = preventive_action.strip(), owner.strip()
    cap.planned_completion = planned_completion
    cap.status = CapStatus.SUBMITTED
    cap.submitted_at, cap.submitted_by = now, by
    cap.first_submitted_at = cap.first_submitted_at or now
    cap._history_user = by
    cap.save()
    return cap


@transaction.atomic
def cap_review(*, finding: Finding, by, approve: bool, note: str = "") -> CorrectiveActionPlan:
    locked = _locked_finding(finding)
    cap = _cap_for(locked)
    if cap.status != CapStatus.SUBMITTED:
        raise Conflict(f"The CAP of {locked.reference} is {cap.get_status_display().lower()}, not submitted.")
    if not approve and not note.strip():
        raise Invalid("Say why the plan is rejected, so the supplier can resubmit.", field="note")
    cap.status = CapStatus.APPROVED if approve else CapStatus.REJECTED
    cap.reviewed_at, cap.reviewed_by, cap.review_note = timezone.now(), by, note.strip()
    cap._history_user = by
    cap._change_reason = "Approved" if approve else f"Rejected: {note.strip()}"
    cap.save()
    return cap


@transaction.atomic
def cap_implement(*, finding: Finding, by, note: str = "") -> CorrectiveActionPlan:
    """The supplier reports the plan carried out; rectification evidence must be attached first."""
    locked = _locked_finding(finding)
    cap = _cap_for(locked)
    if cap.status != CapStatus.APPROVED:
        raise Conflict(
            f"The CAP of {locked.reference} is {cap.get_status_display().lower()}: only an approved plan "
            "can be reported implemented."
        )
    if not locked.evidence.filter(purpose=Evidence.Purpose.RECTIFICATION).exists():
        raise Invalid(f"Attach rectification evidence to {locked.reference} first.", field="evidence")
    cap.status = CapStatus.IMPLEMENTED
    cap.implemented_at, cap.implementation_note = timezone.now(), note.strip()
    cap._history_user = by
    cap.save()
    return cap


@transaction.atomic
def progress_submit(
    *, finding: Finding, by, month: dt.date, percent_complete: int, note: str
) -> ProgressUpdate:
    """The monthly progress report; one per month, a second one for the same month replaces the first."""
    locked = _locked_finding(finding)
    if locked.rectification_due is None or not locked.needs_cap:
        raise Conflict(f"Finding {locked.reference} has no rectification under way.")
    if locked.is_closed:
        raise Conflict(f"Finding {locked.reference} is closed: no more progress reports are due.")
    if not 0 <= percent_complete <= 100:
        raise Invalid("Percent complete is between 0 and 100.", field="percent_complete")
    if not note.strip():
        raise Invalid("Describe the progress made.", field="note")
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise Invalid(f"{month:%Y-%m} is in the future.", field="month")
    update, _ = ProgressUpdate.objects.update_or_create(
        finding=locked,
        month=month,
        defaults={
            "percent_complete": percent_complete,
            "note": note.strip(),
            "submitted_by": by,
            "submitted_at": timezone.now(),
        },
    )
    return update
