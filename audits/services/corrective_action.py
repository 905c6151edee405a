"""Corrective action of a finding: the supplier submits its plan (again after a rejection), an ESG manager
approves or rejects it, the supplier attaches rectification evidence and reports the plan carried out, and
reports progress monthly (with evidence files, if it has any) until closure.

Refusals are written in the active language (the portal's user's; the API activates none, so it answers in
English).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.files import DOCUMENTS, UploadRejected, inspect_upload

from .. import deadlines
from ..models import CorrectiveActionPlan, Evidence, Finding, ProgressUpdate
from .findings import evidence_attach
from .shared import CapStatus, Conflict, Invalid, _delete_on_failure, _locked_finding

# A plan in one of these states may be (re)submitted: none yet, rejected, or submitted and not reviewed yet.
SUBMITTABLE = (CapStatus.NOT_STARTED, CapStatus.REJECTED, CapStatus.SUBMITTED)


def cap_can_be_submitted(cap: CorrectiveActionPlan | None) -> bool:
    """Whether ``cap_submit`` takes a plan for this finding now, as far as the plan's own state goes."""
    return cap is None or cap.status in SUBMITTABLE


def _cap_for(finding: Finding) -> CorrectiveActionPlan:
    if not finding.needs_cap:
        raise Conflict(
            _("Finding %(finding)s is an observation: it needs no corrective action plan.")
            % {"finding": finding.reference}
        )
    if finding.rectification_due is None:
        raise Conflict(
            _("The report of %(audit)s has not been accepted yet: no CAP is due.")
            % {"audit": finding.audit.reference}
        )
    cap, _created = CorrectiveActionPlan.objects.select_for_update().get_or_create(finding=finding)
    return cap


def _required_plan_texts() -> dict[str, str]:
    return {
        "root_cause": _("The plan needs a root cause."),
        "corrective_action": _("The plan needs a corrective action."),
        "preventive_action": _("The plan needs a preventive action."),
        "owner": _("The plan needs an owner."),
    }


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
    if not cap_can_be_submitted(cap):
        raise Conflict(
            _("The CAP of %(finding)s is %(status)s: it cannot be resubmitted.")
            % {"finding": locked.reference, "status": cap.get_status_display().lower()}
        )
    missing = _required_plan_texts()
    for field_name, value in (
        ("root_cause", root_cause),
        ("corrective_action", corrective_action),
        ("preventive_action", preventive_action),
        ("owner", owner),
    ):
        if not (value or "").strip():
            raise Invalid(missing[field_name], field=field_name)
    latest = deadlines.latest_allowed_completion(finding=locked)
    if planned_completion > latest:
        raise Invalid(
            _(
                "Planned completion %(planned)s is after the rectification due date %(due)s of %(finding)s; "
                "request an extension first."
            )
            % {
                "planned": f"{planned_completion:%Y-%m-%d}",
                "due": f"{latest:%Y-%m-%d}",
                "finding": locked.reference,
            },
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
        raise Conflict(
            _("The CAP of %(finding)s is %(status)s, not submitted.")
            % {"finding": locked.reference, "status": cap.get_status_display().lower()}
        )
    if not approve and not note.strip():
        raise Invalid(_("Say why the plan is rejected, so the supplier can resubmit."), field="note")
    cap.status = CapStatus.APPROVED if approve else CapStatus.REJECTED
    cap.reviewed_at, cap.reviewed_by, cap.review_note = timezone.now(), by, note.strip()
    cap._history_user = by
    cap._change_reason = "Approved" if approve else f"Rejected: {note.strip()}"
    cap.save()
    return cap


def _checked_uploads(uploads: Sequence) -> list:
    """The uploads, each checked like every evidence file (``evidence_attach``), before anything is stored:
    one refused file refuses them all, with a message naming it."""
    uploads = [upload for upload in uploads if upload]
    for upload in uploads:
        try:
            inspect_upload(upload, accept=DOCUMENTS)
        except UploadRejected as refused:
            raise Invalid(refused.message, field="evidence") from refused
    return uploads


def _attach_all(*, finding: Finding, uploads: Sequence, by, purpose: str, description: str) -> list[Evidence]:
    """Attach every file or none: the files already stored are deleted when a later one fails."""
    attached: list[Evidence] = []
    try:
        for upload in uploads:
            attached.append(
                evidence_attach(
                    finding=finding, upload=upload, by=by, purpose=purpose, description=description
                )
            )
    except Exception:
        _delete_on_failure([evidence.file for evidence in attached])()
        raise
    return attached


@transaction.atomic
def rectification_evidence_attach(
    *, finding: Finding, by, uploads: Sequence, description: str = ""
) -> list[Evidence]:
    """The supplier's proof of rectification: one or more files, all kept or none."""
    uploads = _checked_uploads(uploads)
    if not uploads:
        raise Invalid(_("Choose at least one file."), field="evidence")
    locked = _locked_finding(finding)
    if not locked.needs_cap or locked.rectification_due is None:
        raise Conflict(
            _("Finding %(finding)s has no rectification under way.") % {"finding": locked.reference}
        )
    return _attach_all(
        finding=locked,
        uploads=uploads,
        by=by,
        purpose=Evidence.Purpose.RECTIFICATION,
        description=description.strip(),
    )


@transaction.atomic
def cap_implement(*, finding: Finding, by, note: str = "") -> CorrectiveActionPlan:
    """The supplier reports the plan carried out; rectification evidence must be attached first."""
    locked = _locked_finding(finding)
    cap = _cap_for(locked)
    if cap.status != CapStatus.APPROVED:
        raise Conflict(
            _("The CAP of %(finding)s is %(status)s: only an approved plan can be reported implemented.")
            % {"finding": locked.reference, "status": cap.get_status_display().lower()}
        )
    if not locked.evidence.filter(purpose=Evidence.Purpose.RECTIFICATION).exists():
        raise Invalid(
            _("Attach rectification evidence to %(finding)s first.") % {"finding": locked.reference},
            field="evidence",
        )
    cap.status = CapStatus.IMPLEMENTED
    cap.implemented_at, cap.implementation_note = timezone.now(), note.strip()
    cap._history_user = by
    cap.save()
    return cap


@transaction.atomic
def progress_submit(
    *, finding: Finding, by, month: dt.date, percent_complete: int, note: str, evidence: Sequence = ()
) -> ProgressUpdate:
    """The monthly progress report, with evidence files if any (checked like every evidence file, kept all or
    none); one report per month, a second one for the same month replaces the first (its files are added)."""
    uploads = _checked_uploads(evidence)
    locked = _locked_finding(finding)
    if locked.rectification_due is None or not locked.needs_cap:
        raise Conflict(
            _("Finding %(finding)s has no rectification under way.") % {"finding": locked.reference}
        )
    if locked.is_closed:
        raise Conflict(
            _("Finding %(finding)s is closed: no more progress reports are due.")
            % {"finding": locked.reference}
        )
    if not 0 <= percent_complete <= 100:
        raise Invalid(_("Percent complete is between 0 and 100."), field="percent_complete")
    if not note.strip():
        raise Invalid(_("Describe the progress made."), field="note")
    month = month.replace(day=1)
    if month > timezone.localdate().replace(day=1):
        raise Invalid(_("%(month)s is in the future.") % {"month": f"{month:%Y-%m}"}, field="month")
    update, _created = ProgressUpdate.objects.update_or_create(
        finding=locked,
        month=month,
        defaults={
            "percent_complete": percent_complete,
            "note": note.strip(),
            "submitted_by": by,
            "submitted_at": timezone.now(),
        },
    )
    _attach_all(
        finding=locked,
        uploads=uploads,
        by=by,
        purpose=Evidence.Purpose.PROGRESS,
        description=f"Progress report {month:%Y-%m}",
    )
    return update
