"""Extensions: the supplier asks for a later rectification due date with a reason; an ESG manager approves
(the due date moves, recorded in the finding's history) or rejects it.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from ..models import ExtensionRequest, Finding
from .shared import Conflict, Invalid, _locked_finding


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
