"""What the export of the findings and CAP tracker (``FindingAdmin``) holds.

Columns read attributes only (no queries): the related rows they read are loaded with
``FINDING_SELECT_RELATED``.
"""

from __future__ import annotations

from common.exports import Column, choice_label

FINDING_SELECT_RELATED = ("audit__supplier", "audit__agency", "provision", "cap")

RECTIFICATION_LABELS = {
    "closed_on_time": "Closed on time",
    "closed_late": "Closed late",
    "open_within_deadline": "Open within deadline",
    "overdue": "Overdue",
}


def _cap_status(finding) -> str:
    cap = getattr(finding, "cap", None)
    if cap is None:
        return "No plan yet" if finding.needs_cap else ""
    return cap.get_status_display()


FINDINGS = [
    Column("Finding", "reference"),
    Column("Audit", "audit.reference"),
    Column("Supplier code", "audit.supplier.code"),
    Column("Supplier", "audit.supplier.name"),
    Column("Agency", "audit.agency.name"),
    Column("Audit end", "audit.actual_end"),
    Column("Provision", "provision.code"),
    Column("Provision title", "provision.title"),
    Column("Severity", choice_label("severity")),
    Column("Red line", choice_label("red_line")),
    Column("Description", "description"),
    Column("CAP status", _cap_status),
    Column("CAP planned completion", "cap.planned_completion"),
    Column("CAP due", "cap_due"),
    Column("Rectification due", "rectification_due"),
    Column("Original rectification due", "original_rectification_due"),
    Column(
        "Rectification status today",
        lambda f: RECTIFICATION_LABELS.get(getattr(f, "rectification", "") or "", ""),
    ),
    Column("Closed on", "closed_on"),
]
