"""Every write of the audit programme: the audit, its findings, corrective action, extensions, closure.

State machines:
- audit: ``planned → in_progress → report_submitted → accepted → closed``, or ``cancelled``; an ESG manager
  may return a submitted report to the agency (back to ``in_progress``).
- CAP: ``not_started → submitted → approved | rejected (resubmit) → implemented (evidence) → verified``.

Services raise ``Conflict`` (the object's state forbids the change: HTTP 409) or ``Invalid`` (the input is
wrong: HTTP 400), with a message saying which field or state is at fault.

The modules, by workflow step (callers import the services from this package):

- ``audit``: planning, the agency's edits and report, submission, return, acceptance (deadlines fixed),
  cancellation;
- ``findings``: recording and changing findings (``finding_problems``: the one rule on their fields),
  attaching evidence;
- ``workbook``: the findings workbook of an audit, downloaded, filled offline and uploaded back;
- ``corrective_action``: the CAP submitted, reviewed and implemented, and monthly progress reports;
- ``extensions``: a later rectification due date requested and decided;
- ``auditors``: inviting an agency's auditors to the portal;
- ``closure``: verifying the rectification, which closes the finding (and the audit with its last one);
- ``shared``: the refusals, row locks and file storage the steps share.
"""

from .audit import (
    AUDITOR_FIELDS,
    audit_accept,
    audit_attach_report,
    audit_cancel,
    audit_create,
    audit_return,
    audit_start,
    audit_submit,
    audit_update,
)
from .auditors import auditor_invite
from .closure import closure_verify
from .corrective_action import (
    cap_can_be_submitted,
    cap_implement,
    cap_review,
    cap_submit,
    progress_submit,
    rectification_evidence_attach,
)
from .extensions import extension_decide, extension_request
from .findings import FINDING_FIELDS, evidence_attach, finding_create, finding_problems, finding_update
from .shared import AuditError, AuditStatus, CapStatus, Conflict, Invalid
from .workbook import WorkbookImport, findings_workbook_build, findings_workbook_import

__all__ = [
    "AUDITOR_FIELDS",
    "FINDING_FIELDS",
    "AuditError",
    "AuditStatus",
    "CapStatus",
    "Conflict",
    "Invalid",
    "WorkbookImport",
    "audit_accept",
    "audit_attach_report",
    "audit_cancel",
    "audit_create",
    "audit_return",
    "audit_start",
    "audit_submit",
    "audit_update",
    "auditor_invite",
    "cap_can_be_submitted",
    "cap_implement",
    "cap_review",
    "cap_submit",
    "closure_verify",
    "evidence_attach",
    "extension_decide",
    "extension_request",
    "finding_create",
    "finding_problems",
    "finding_update",
    "findings_workbook_build",
    "findings_workbook_import",
    "progress_submit",
    "rectification_evidence_attach",
]
