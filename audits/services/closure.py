"""Closure: an ESG manager or the agency verifies the rectification (desk review or follow-up audit), the
finding is closed, and the audit closes with its last open finding.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suppliers.tasks import schedule_risk_refresh

from ..models import Audit, ClosureVerification, Finding
from .corrective_action import _cap_for
from .shared import AuditStatus, CapStatus, Conflict, Invalid, _locked_finding


def _close_audit_if_done(audit: Audit, *, by) -> None:
    if audit.status != AuditStatus.ACCEPTED:
        return
    if Finding.objects.filter(audit=audit, closed_at__isnull=True).actionable().exists():
        return
    audit.status = AuditStatus.CLOSED
    audit.closed_at = timezone.now()
    audit._history_user = by
    audit.save(update_fields=["status", "closed_at", "updated_at"])


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
            _("The CAP of %(reference)s is %(status)s: only an implemented plan can be verified.")
            % {"reference": locked.reference, "status": cap.get_status_display().lower()}
        )
    if method not in ClosureVerification.Method.values:
        raise Invalid(_("'%(method)s' is not a verification method.") % {"method": method}, field="method")
    if method == ClosureVerification.Method.FOLLOW_UP_AUDIT and follow_up_audit is None:
        raise Invalid(_("Name the follow-up audit that verified the closure."), field="follow_up_audit")
    if method == ClosureVerification.Method.FOLLOW_UP_AUDIT:
        _check_follow_up_audit(follow_up_audit, finding=locked)
    elif follow_up_audit is not None:
        raise Invalid(_("A desk review names no follow-up audit."), field="follow_up_audit")
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
            _("Audit %(reference)s is not an audit of %(supplier)s.")
            % {"reference": audit.reference, "supplier": finding.audit.supplier.code},
            field="follow_up_audit",
        )
    if audit.pk == finding.audit_id:
        raise Invalid(
            _("Audit %(reference)s raised the finding; name the follow-up audit.")
            % {"reference": audit.reference},
            field="follow_up_audit",
        )
    if audit.status == AuditStatus.CANCELLED:
        raise Invalid(
            _("Audit %(reference)s was cancelled.") % {"reference": audit.reference}, field="follow_up_audit"
        )
