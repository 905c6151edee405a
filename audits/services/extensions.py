"""Extensions: the supplier asks for a later rectification due date with a reason; an ESG manager approves
(the due date moves, recorded in the finding's history) or rejects it.

Refusals are written in the active language (the portal's user's; the API activates none, so it answers in
English).
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from ..models import ExtensionRequest, Finding
from .shared import Conflict, Invalid, _locked_finding


@transaction.atomic
def extension_request(*, finding: Finding, by, requested_due: dt.date, reason: str) -> ExtensionRequest:
    locked = _locked_finding(finding)
    if locked.rectification_due is None or locked.is_closed:
        raise Conflict(
            _("Finding %(finding)s has no open deadline to extend.") % {"finding": locked.reference}
        )
    if requested_due <= locked.rectification_due:
        raise Invalid(
            _("The requested date must be after the current due date %(due)s.")
            % {"due": f"{locked.rectification_due:%Y-%m-%d}"},
            field="requested_due",
        )
    if not reason.strip():
        raise Invalid(_("An extension needs a reason."), field="reason")
    if locked.extensions.filter(status=ExtensionRequest.Status.PENDING).exists():
        raise Conflict(
            _("Finding %(finding)s already has a pending extension request.") % {"finding": locked.reference}
        )
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
        raise Conflict(
            _("This extension request is already %(status)s.")
            % {"status": locked.get_status_display().lower()}
        )
    if not reason.strip():
        raise Invalid(_("Give the reason for the decision."), field="reason")
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
