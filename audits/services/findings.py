"""Findings: recorded and changed by the agency while the audit is open, and the evidence files attached
to them (the auditor's, and the supplier's rectification and progress evidence).
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from common.files import DOCUMENTS, inspect_upload

from ..models import Audit, CodeProvision, Evidence, Finding, RedLine, Severity
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


def finding_problems(
    *, severity: str, red_line: str, description: str | None, provision: CodeProvision | None
) -> list[Invalid]:
    """Everything wrong with a finding's fields, each refusal naming its field: the one rule for the API, the
    portal's form and the findings workbook (which reports every problem of a row at once). The provision is
    checked only when given (a change that keeps it), the description only when not None."""
    problems: list[Invalid] = []
    if severity not in Severity.values:
        problems.append(
            Invalid(
                _("'%(value)s' is not one of %(choices)s.")
                % {"value": severity, "choices": ", ".join(Severity.values)},
                field="severity",
            )
        )
    if red_line and red_line not in RedLine.values:
        problems.append(
            Invalid(
                _("'%(value)s' is not a red-line category; leave it empty or use 1 to 9.")
                % {"value": red_line},
                field="red_line",
            )
        )
    elif red_line and severity in Severity.values and severity != Severity.PRIORITY:
        problems.append(
            Invalid(
                _("A red-line finding is at least priority: set severity to 'priority'."), field="severity"
            )
        )
    if provision is not None and not provision.active:
        problems.append(
            Invalid(
                _("Provision %(code)s (%(version)s) is no longer in use.")
                % {"code": provision.code, "version": provision.code_version},
                field="provision",
            )
        )
    if description is not None and not description.strip():
        problems.append(Invalid(_("Describe the finding."), field="description"))
    return problems


def _check_finding_fields(
    *, severity: str, red_line: str, provision: CodeProvision | None, description: str | None = None
) -> None:
    problems = finding_problems(
        severity=severity, red_line=red_line, provision=provision, description=description
    )
    if problems:
        raise problems[0]


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
            _("Audit %(reference)s is %(status)s: findings are recorded only while it is in progress.")
            % {"reference": locked.reference, "status": locked.get_status_display().lower()}
        )
    _check_finding_fields(severity=severity, red_line=red_line, provision=provision, description=description)
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
            _("These fields cannot be changed here: %(fields)s.") % {"fields": ", ".join(sorted(unknown))},
            field=sorted(unknown)[0],
        )
    for name, value in changes.items():
        setattr(locked, name, value)
    _check_finding_fields(
        severity=locked.severity,
        red_line=locked.red_line,
        provision=changes.get("provision"),
        description=changes.get("description"),
    )
    if "description" in changes:
        locked.description = locked.description.strip()
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
            raise Conflict(_("Finding %(reference)s is closed.") % {"reference": locked.reference})
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
