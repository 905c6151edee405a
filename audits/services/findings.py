"""Findings: recorded and changed by the agency while the audit is open, and the evidence files attached
to them (the auditor's, and the supplier's rectification and progress evidence).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max

from common.files import DOCUMENTS, inspect_upload

from ..models import Audit, CodeProvision, Evidence, Finding, Severity
from .shared import (
    AuditStatus,
    Conflict,
    Invalid,
    _delete_on_failure,
    _locked_audit,
    _locked_finding,
    _require_auditor_can_edit,
    _store_file,
)


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
