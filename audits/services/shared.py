"""What every step of the audit programme's services shares: the refusals (``Invalid`` answers 400,
``Conflict`` 409), the row locks a step takes before it changes an audit or a finding, and storing an uploaded
file so that nothing is left behind when the save fails.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.files.base import File
from django.utils.translation import gettext as _

from common import exceptions as errors
from common.exceptions import ApplicationError

from ..models import Audit, CorrectiveActionPlan, Finding

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
            _("Audit %(reference)s is %(status)s: it can no longer be changed by the agency.")
            % {"reference": audit.reference, "status": audit.get_status_display().lower()}
        )


def _store_file(field, upload, *, name: str) -> None:
    field.save(name, File(upload, name=name), save=False)


def _delete_on_failure(files: list) -> Callable[[], None]:
    def cleanup() -> None:
        for stored in files:
            if stored:
                stored.storage.delete(stored.name)

    return cleanup
