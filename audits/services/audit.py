"""The audit itself: planned, started, edited by its agency, its report attached and submitted, returned to
the agency, accepted (which fixes every finding's deadlines) or cancelled.
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from common.files import DOCUMENTS, inspect_upload
from suppliers.models import Supplier
from suppliers.tasks import schedule_risk_refresh

from .. import deadlines
from ..models import ACTIONABLE, Audit, AuditAgency, Auditor, AuditPolicy, CorrectiveActionPlan, Finding
from .shared import (
    AuditStatus,
    Conflict,
    Invalid,
    _delete_on_failure,
    _locked_audit,
    _require_auditor_can_edit,
    _store_file,
)


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
        raise Invalid(_("The planned end is before the planned start."), field="planned_end")
    if lead_auditor is not None and lead_auditor.agency_id != agency.pk:
        raise Invalid(
            _("%(auditor)s does not work for %(agency)s.") % {"auditor": lead_auditor, "agency": agency},
            field="lead_auditor",
        )
    if not agency.active:
        raise Invalid(_("%(agency)s is not an active agency.") % {"agency": agency}, field="agency")
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
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    if (
        "lead_auditor" in changes
        and locked.lead_auditor
        and locked.lead_auditor.agency_id != locked.agency_id
    ):
        raise Invalid(
            _("%(auditor)s does not work for %(agency)s.")
            % {"auditor": locked.lead_auditor, "agency": locked.agency},
            field="lead_auditor",
        )
    if locked.actual_start and locked.actual_end and locked.actual_end < locked.actual_start:
        raise Invalid(_("The actual end is before the actual start."), field="actual_end")
    if locked.actual_start and locked.status == AuditStatus.PLANNED:
        locked.status = AuditStatus.IN_PROGRESS
    locked._history_user = by
    locked.save()
    return locked


@transaction.atomic
def audit_start(*, audit: Audit, by, on: dt.date | None = None) -> Audit:
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.PLANNED:
        raise Conflict(
            _("Audit %(reference)s is %(status)s, not planned.")
            % {"reference": locked.reference, "status": locked.get_status_display().lower()}
        )
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


def _submission_label(field: str) -> str:
    """How a field missing for submission is named: its name in English (the API's callers read field
    names), its translation in the portal."""
    labels = {
        "actual_start": pgettext("audit field", "actual_start"),
        "actual_end": pgettext("audit field", "actual_end"),
        "score": pgettext("audit field", "score"),
        "report": pgettext("audit field", "report"),
    }
    return labels[field]


@transaction.atomic
def audit_submit(*, audit: Audit, by) -> Audit:
    """The agency hands in its report: the audit must have dates, a score and the report file."""
    locked = _locked_audit(audit)
    if locked.status != AuditStatus.IN_PROGRESS:
        if locked.status == AuditStatus.PLANNED:
            raise Conflict(
                _("Audit %(reference)s has not started: set its actual start date first.")
                % {"reference": locked.reference}
            )
        raise Conflict(
            _("Audit %(reference)s is already %(status)s.")
            % {"reference": locked.reference, "status": locked.get_status_display().lower()}
        )
    missing = [
        field
        for field, present in (
            ("actual_start", locked.actual_start),
            ("actual_end", locked.actual_end),
            ("score", locked.score is not None),
            ("report", bool(locked.report)),
        )
        if not present
    ]
    if missing:
        raise Invalid(
            _("Audit %(reference)s cannot be submitted without: %(missing)s.")
            % {"reference": locked.reference, "missing": ", ".join(_submission_label(f) for f in missing)},
            field=missing[0],
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
        raise Conflict(
            _("Only a submitted report can be returned; %(reference)s is %(status)s.")
            % {"reference": locked.reference, "status": locked.status}
        )
    if not reason.strip():
        raise Invalid(_("Returning a report needs a reason."), field="reason")
    locked.status = AuditStatus.IN_PROGRESS
    locked.returned_at = timezone.now()
    locked.returned_by = by
    locked.returned_reason = reason.strip()
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
        raise Conflict(
            _("Only a submitted report can be accepted; %(reference)s is %(status)s.")
            % {"reference": locked.reference, "status": locked.status}
        )
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
            _("Audit %(reference)s is %(status)s: it cannot be cancelled.")
            % {"reference": locked.reference, "status": locked.get_status_display().lower()}
        )
    if not reason.strip():
        raise Invalid(_("Cancelling an audit needs a reason."), field="reason")
    locked.status = AuditStatus.CANCELLED
    locked.cancelled_reason = reason.strip()
    locked._history_user = by
    locked.save()
    return locked
