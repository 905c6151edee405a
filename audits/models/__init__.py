"""Third-party audits, their findings and the corrective action that closes them.

Rules live in ``deadlines.py`` (when is what due, what counts as overdue), ``services/`` (every write:
the audit, finding and CAP state machines) and ``selectors.py`` (reads for reports and the supplier seam).
The modules, by what a reader looks for:

- ``agencies``: audit agencies and their auditors;
- ``policy``: the audit and deadline policy, performance bands and code of conduct provisions;
- ``audit``: the audit and which audits an auditor may see;
- ``findings``: severities, red-line categories, findings and their evidence files;
- ``corrective_action``: corrective action plans, progress updates, extension requests and closure
  verifications.

Every model and every name other code imports is importable from ``audits.models``; migrations refer to
``audits.models.audit_report_upload_to`` and ``audits.models.evidence_upload_to``.
"""

from .agencies import AuditAgency, Auditor, AuditorQuerySet
from .audit import Audit, AuditQuerySet, audit_report_upload_to
from .corrective_action import ClosureVerification, CorrectiveActionPlan, ExtensionRequest, ProgressUpdate
from .findings import (
    ACTIONABLE,
    Evidence,
    Finding,
    FindingQuerySet,
    RedLine,
    Severity,
    evidence_upload_to,
)
from .policy import AuditPolicy, CodeProvision, PerformanceBand

__all__ = [
    "ACTIONABLE",
    "Audit",
    "AuditAgency",
    "AuditPolicy",
    "AuditQuerySet",
    "Auditor",
    "AuditorQuerySet",
    "ClosureVerification",
    "CodeProvision",
    "CorrectiveActionPlan",
    "Evidence",
    "ExtensionRequest",
    "Finding",
    "FindingQuerySet",
    "PerformanceBand",
    "ProgressUpdate",
    "RedLine",
    "Severity",
    "audit_report_upload_to",
    "evidence_upload_to",
]
