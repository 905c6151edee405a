"""Every write of the audit programme: the audit, its findings, corrective action, extensions, closure.

State machines:
- audit: ``planned → in_progress → report_submitted → accepted → closed``, or ``cancelled``; an ESG manager
  may return a submitted report to the agency (back to ``in_progress``).
- CAP: ``not_started → submitted → approved | rejected (resubmit) → implemented (evidence) → verified``.

Services raise ``Conflict`` (the object's state forbids the change: HTTP 409) or ``Invalid`` (the input is
wrong: HTTP 400), with a message saying which field or state is at fault.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable

from django.core.files.base import File
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from common import exceptions as errors
from common.exceptions import ApplicationError
from common.files import DOCUMENTS, inspect_upload
from suppliers.models import Supplier
from suppliers.tasks import schedule_risk_refresh

from . import deadlines
from .models import (
    ACTIONABLE,
    Audit,
    AuditAgency,
    Auditor,
    AuditPolicy,
    ClosureVerification,
    CodeProvision,
    CorrectiveActionPlan,
    Evidence,
    ExtensionRequest,
    Finding,
    ProgressUpdate,
    Severity,
)

AuditStatus = Audit.Status
CapStatus = CorrectiveActionPlan.Status


class AuditError(ApplicationError):
    """A refusal of the audit programme's services (``common.exceptions``)."""


class Invalid(AuditError, errors.Invalid):
    pass


class Conflict(AuditError, errors.Conflict):
    pass


def _locked_audit(audit: Audit) -> Audit:
    return Audit.objects.select_for_update().get(pk=audit.pk)


def _locked_finding(finding: Finding) -> Finding:
    return Finding.objects.select_for_update().select_related("audit").get(pk=finding.pk)


def _require_auditor_can_edit(audit: Audit) -> None:
    if not audit.is_editable_by_auditor:
        raise Conflict(
            f"Audit {audit.reference} is {audit.get_status_display().lower()}: "
            "it can no longer be changed by the agency."
        )


def _store_file(field, upload, *, name: str) -> None:
    field.save(name, File(upload, name=name), save=False)


def _delete_on_failure(files: list) -> Callable[[], None]:
    def cleanup() -> None:
        for stored in files:
            if stored:
                stored.storage.delete(stored.name)

    return cleanup


# --- Audits --------------------------------------------------------------------------------------------


@transaction.atomic
def audit_create(
    *,
    supplier: Supplier,
    agency: AuditAgency,
    site: str,
    planned_start: dt.date,
    planned_end: dt.date,
    type: str = Audit.Type.ANNUAL,
    protocol: str = Audit.Protocol.COMPANY_CSR,
    lead_auditor: Auditor | None = None,
    by=None,
) -> Audit:
    if planned_end < planned_start:
        raise Invalid("The planned end is before the planned start.", field="planned_end")
    if lead_auditor is not None and lead_auditor.agency_id != agency.pk:
        raise Invalid(f"{lead_auditor} does not work for {agency}.", field="lead_auditor")
    if not agency.active:
        raise Invalid(f"{agency} is not an active agency.", field="agency")
    audit = Audit(
        supplier=supplier,
        agency=agency,
        site=site,
        planned_start=planned_start,
        planned_end=planned_end,
        type=type,
        protocol=protocol,
        lead_auditor=lead_auditor,
        reference=f"PENDING-{uuid.uuid4().hex[:22]}",  # unique until the key is known
    )
    audit._history_user = by
    audit.save()
    audit.reference = f"AUD-{planned_start.year}-{audit.pk:05d}"
    audit.save(update_fields=["reference"])
    return audit


AUDITOR_FIELDS = frozenset({"actual_start", "actual_end", "score", "summary", "site", "lead_auditor"})


@transaction.atomic
def audit_update(*, audit: Audit, by, **changes) -> Audit:
    """The agency's edits while the audit is planned or in progress (dates, score, summary, lead auditor)."""
    locked = _locked_audit(audit)
    _require_auditor_can_edit(locked)
    unknown = set(changes) - AUDITOR_FIELDS
    if unknown:
        raise Invalid(
            f"These fields cannot be changed here: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    if (
        "lead_auditor" in changes
        and locked.lead_auditor
        and locked.lead_auditor.agency_id != locked.agency_id
    ):
        raise Invalid(f"{locked.lead_auditor} does not work for {locked.agency}.", field="lead_auditor")
    if locked.actual_start and locked.actual_end and locked.actual_end < locked.actual_start:
        raise Invalid("The actual end is before the actual start.", field="actual_end")
    if locked.actual_start and locked.status == AuditStatus.PLANNED:
        locked.status = AuditStatus.IN_PROGRESS
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def audit_start(*, audit: Audit, by, on: dt.date | None = None) -> Audit:
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.PLANNED:
        raise Conflict(f"Audit {locked.reference} is {locked.get_status_display().lower()}, not planned.")
    locked.status = AuditStatus.IN_PROGRESS
    locked.actual_start = locked.actual_start or on or timezone.localdate()
    locked._history_user = by
    locked.save()
    return locked


def audit_attach_report(*, audit: Audit, upload, by) -> Audit:
    """Store the report file (PDF, DOCX, XLSX or image), checked by size and content before anything is
    saved. A replaced report file is removed once the new one is stored."""
    info = inspect_upload(upload, accept=DOCUMENTS)
    with transaction.atomic():
        locked = _locked_audit(audit)
        _require_auditor_can_edit(locked)
        previous = locked.report.name or None
        _store_file(locked.report, upload, name=info.name)
        locked.report_sha256 = info.sha256
        locked._history_user = by
        try:
            locked.save()
        except Exception:
            _delete_on_failure([locked.report])()
            raise
    if previous and previous != locked.report.name:
        locked.report.storage.delete(previous)
    return locked


@transaction.atomic
def audit_submit(*, audit: Audit, by) -> Audit:
    """The agency hands in its report: the audit must have dates, a score and the report file."""
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.IN_PROGRESS:
        if locked.status == AuditStatus.PLANNED:
            raise Conflict(f"Audit {locked.reference} has not started: set its actual start date first.")
        raise Conflict(f"Audit {locked.reference} is already {locked.get_status_display().lower()}.")
    missing = [
        label
        for label, present in (
            ("actual_start", locked.actual_start),
            ("actual_end", locked.actual_end),
            ("score", locked.score is not None),
            ("report", bool(locked.report)),
        )
        if not present
    ]
    if missing:
        raise Invalid(
            f"Audit {locked.reference} cannot be submitted without: {', '.join(missing)}.", field=missing[0]
        )
    locked.status = AuditStatus.REPORT_SUBMITTED
    locked.submitted_at = timezone.now()
    locked.submitted_by = by
    locked._history_user = by
    locked.save()
    schedule_risk_refresh([locked.supplier_id])  # a submitted red line counts at once
    return locked


@transaction.atomic
def audit_return(*, audit: Audit, by, reason: str) -> Audit:
    """An ESG manager sends a submitted report back to the agency for correction."""
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.REPORT_SUBMITTED:
        raise Conflict(f"Only a submitted report can be returned; {locked.reference} is {locked.status}.")
    if not reason.strip():
        raise Invalid("Returning a report needs a reason.", field="reason")
    locked.status = AuditStatus.IN_PROGRESS
    locked._history_user = by
    locked._change_reason = f"Returned to the agency: {reason.strip()}"
    locked.save()
    return locked


@transaction.atomic
def audit_accept(*, audit: Audit, by, on: dt.date | None = None) -> Audit:
    """Accept a submitted report: fixes every finding's deadlines from today's policy, sets the
    performance band, opens a CAP for each finding that needs one, and refreshes the supplier's risk."""
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.REPORT_SUBMITTED:
        raise Conflict(f"Only a submitted report can be accepted; {locked.reference} is {locked.status}.")
    on = on or timezone.localdate()
    policy = AuditPolicy.current()
    findings = list(Finding.objects.filter(audit=locked).select_for_update())
    for finding in findings:
        fixed = deadlines.deadlines_for(
            severity=finding.severity, red_line=finding.red_line, accepted_on=on, policy=policy
        )
        if fixed is None:
            continue
        finding.cap_due = fixed.cap_due
        finding.rectification_due = fixed.rectification_due
        finding.original_rectification_due = fixed.rectification_due
        finding._history_user = by
        finding._change_reason = f"Deadlines fixed on acceptance of {locked.reference}"
        finding.save(
            update_fields=["cap_due", "rectification_due", "original_rectification_due", "updated_at"]
        )
    CorrectiveActionPlan.objects.bulk_create(
        [CorrectiveActionPlan(finding=f) for f in findings if f.severity in ACTIONABLE], ignore_conflicts=True
    )
    locked.status = AuditStatus.ACCEPTED
    locked.accepted_at = timezone.now()
    locked.accepted_on = on
    locked.accepted_by = by
    locked.performance_band = policy.band_for(locked.score)
    if not any(f.severity in ACTIONABLE for f in findings):
        locked.status = AuditStatus.CLOSED
        locked.closed_at = locked.accepted_at
    locked._history_user = by
    locked.save()
    schedule_risk_refresh([locked.supplier_id])
    return locked


@transaction.atomic
def audit_cancel(*, audit: Audit, by, reason: str) -> Audit:
    locked = _locked_audit(audit)
    if locked.status not in (AuditStatus.PLANNED, AuditStatus.IN_PROGRESS):
        raise Conflict(
            f"Audit {locked.reference} is {locked.get_status_display().lower()}: it cannot be cancelled."
        )
    if not reason.strip():
        raise Invalid("Cancelling an audit needs a reason.", field="reason")
    locked.status = AuditStatus.CANCELLED
    locked.cancelled_reason = reason.strip()
    locked._history_user = by
    locked.save()
    return locked


def _close_audit_if_done(audit: Audit, *, by) -> None:
    if audit.status != AuditStatus.ACCEPTED:
        return
    if Finding.objects.filter(audit=audit, closed_at__isnull=True).actionable().exists():
        return
    audit.status = AuditStatus.CLOSED
    audit.closed_at = timezone.now()
    audit._history_user = by
    audit.save(update_fields=["status", "closed_at", "updated_at"])


# --- Findings ------------------------------------------------------------------------------------------


def _check_finding_fields(*, severity: str, red_line: str, provision: CodeProvision | None) -> None:
    if severity not in Severity.values:
        raise Invalid(
            f"'{severity}' is not a severity; use one of {', '.join(Severity.values)}.", field="severity"
        )
    if red_line and severity != Severity.PRIORITY:
        raise Invalid(
            "A red-line finding is at least priority: set severity to 'priority'.", field="severity"
        )
    if provision is not None and not provision.active:
        raise Invalid(
            f"Provision {provision.code} ({provision.code_version}) is no longer in use.", field="provision"
        )


@transaction.atomic
def finding_create(
    *,
    audit: Audit,
    by,
    provision: CodeProvision,
    severity: str,
    description: str,
    red_line: str = "",
    evidence_notes: str = "",
) -> Finding:
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.IN_PROGRESS:
        raise Conflict(
            f"Audit {locked.reference} is {locked.get_status_display().lower()}: "
            "findings are recorded only while it is in progress."
        )
    _check_finding_fields(severity=severity, red_line=red_line, provision=provision)
    if not description.strip():
        raise Invalid("Describe the finding.", field="description")
    number = (Finding.objects.filter(audit=locked).aggregate(n=Max("number"))["n"] or 0) + 1
    finding = Finding(
        audit=locked,
        number=number,
        provision=provision,
        severity=severity,
        red_line=red_line,
        description=description.strip(),
        evidence_notes=evidence_notes,
    )
    finding._history_user = by
    finding.save()
    return finding


FINDING_FIELDS = frozenset({"provision", "severity", "red_line", "description", "evidence_notes"})


@transaction.atomic
def finding_update(*, finding: Finding, by, **changes) -> Finding:
    locked = _locked_finding(finding)
    _require_auditor_can_edit(locked.audit)
    unknown = set(changes) - FINDING_FIELDS
    if unknown:
        raise Invalid(
            f"These fields cannot be changed here: {', '.join(sorted(unknown))}.", field=sorted(unknown)[0]
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_finding_fields(
        severity=locked.severity, red_line=locked.red_line, provision=changes.get("provision")
    )
    locked._history_user = by
    locked.save()
    return locked


def evidence_attach(
    *, finding: Finding, upload, by, purpose: str = Evidence.Purpose.FINDING, description: str = ""
) -> Evidence:
    """Attach a file to a finding after checking its size and content type; nothing is kept on failure."""
    info = inspect_upload(upload, accept=DOCUMENTS)
    with transaction.atomic():
        locked = _locked_finding(finding)
        if purpose == Evidence.Purpose.FINDING:
            _require_auditor_can_edit(locked.audit)
        elif locked.is_closed:
            raise Conflict(f"Finding {locked.reference} is closed.")
        evidence = Evidence(
            finding=locked,
            purpose=purpose,
            original_name=info.name,
            content_type=info.content_type,
            size=info.size,
            sha256=info.sha256,
            description=description,
            uploaded_by=by,
        )
        _store_file(evidence.file, upload, name=info.name)
        try:
            evidence.save()
        except Exception:
            _delete_on_failure([evidence.file])()
            raise
    return evidence


# --- Corrective action ---------------------------------------------------------------------------------


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
def closure_verify(
    *,
    finding: Finding,
    by,
    method: str,
    follow_up_audit: Audit | None = None,
    note: str = "",
    on: dt.date | None = None,
) -> ClosureVerification:
    """Verify the rectification (desk review or follow-up audit): the finding is closed on that day."""
    locked = _locked_finding(finding)
    cap = _cap_for(locked)
    if cap.status != CapStatus.IMPLEMENTED:
        raise Conflict(
            f"The CAP of {locked.reference} is {cap.get_status_display().lower()}: only an implemented "
            "plan can be verified."
        )
    if method not in ClosureVerification.Method.values:
        raise Invalid(f"'{method}' is not a verification method.", field="method")
    if method == ClosureVerification.Method.FOLLOW_UP_AUDIT and follow_up_audit is None:
        raise Invalid("Name the follow-up audit that verified the closure.", field="follow_up_audit")
    if method == ClosureVerification.Method.FOLLOW_UP_AUDIT:
        _check_follow_up_audit(follow_up_audit, finding=locked)
    elif follow_up_audit is not None:
        raise Invalid("A desk review names no follow-up audit.", field="follow_up_audit")
    now = timezone.now()
    on = on or timezone.localdate(now)
    verification = ClosureVerification.objects.create(
        finding=locked,
        method=method,
        follow_up_audit=follow_up_audit,
        verified_by=by,
        verified_at=now,
        note=note,
    )
    cap.status = CapStatus.VERIFIED
    cap._history_user = by
    cap.save()
    locked.closed_at, locked.closed_on = now, on
    locked._history_user = by
    locked._change_reason = f"Closed: {verification.get_method_display()}"
    locked.save(update_fields=["closed_at", "closed_on", "updated_at"])
    _close_audit_if_done(locked.audit, by=by)
    schedule_risk_refresh([locked.audit.supplier_id])
    return verification


def _check_follow_up_audit(audit: Audit, *, finding: Finding) -> None:
    """A follow-up audit that verifies a closure is a later audit of the same supplier, not cancelled."""
    if audit.supplier_id != finding.audit.supplier_id:
        raise Invalid(
            f"Audit {audit.reference} is not an audit of {finding.audit.supplier.code}.",
            field="follow_up_audit",
        )
    if audit.pk == finding.audit_id:
        raise Invalid(
            f"Audit {audit.reference} raised the finding; name the follow-up audit.", field="follow_up_audit"
        )
    if audit.status == AuditStatus.CANCELLED:
        raise Invalid(f"Audit {audit.reference} was cancelled.", field="follow_up_audit")


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


# --- Extensions ----------------------------------------------------------------------------------------


@transaction.atomic
def extension_request(*, finding: Finding, by, requested_due: dt.date, reason: str) -> ExtensionRequest:
    locked = _locked_finding(finding)
    if locked.rectification_due is None or locked.is_closed:
        raise Conflict(f"Finding {locked.reference} has no open deadline to extend.")
    if requested_due <= locked.rectification_due:
        raise Invalid(
            f"The requested date must be after the current due date {locked.rectification_due:%Y-%m-%d}.",
            field="requested_due",
        )
    if not reason.strip():
        raise Invalid("An extension needs a reason.", field="reason")
    if locked.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise Conflict(f"Finding {locked.reference} already has a pending extension request.")
    return ExtensionRequest.objects.create(
        finding=locked,
        previous_due=locked.rectification_due,
        requested_due=requested_due,
        reason=reason.strip(),
        requested_by=by,
    )


@transaction.atomic
def extension_decide(*, extension: ExtensionRequest, by, approve: bool, reason: str) -> ExtensionRequest:
    """Approve (the due date moves, recorded in the finding's history) or reject, with a reason."""
    locked = ExtensionRequest.objects.select_for_update().get(pk=extension.pk)
    if locked.status != ExtensionRequest.Status.PENDING:
        raise Conflict(f"This extension request is already {locked.get_status_display().lower()}.")
    if not reason.strip():
        raise Invalid("Give the reason for the decision.", field="reason")
    locked.status = ExtensionRequest.Status.APPROVED if approve else ExtensionRequest.Status.REJECTED
    locked.decided_by, locked.decided_at, locked.decision_reason = by, timezone.now(), reason.strip()
    locked.save()
    if approve:
        finding = _locked_finding(locked.finding)
        finding.rectification_due = locked.requested_due
        finding._history_user = by
        finding._change_reason = (
            f"Extension approved: {locked.previous_due:%Y-%m-%d} → {locked.requested_due:%Y-%m-%d}. "
            f"{reason.strip()}"
        )
        finding.save(update_fields=["rectification_due", "updated_at"])
    return locked
