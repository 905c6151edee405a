"""What the exports of the admin lists hold: the supplier list, the findings and CAP tracker, the smelters.

Columns read attributes only (no queries): each list's admin names the related rows to load with
``export_select_related`` / ``export_prefetch_related``.
"""

from __future__ import annotations

from django.utils import timezone

from .exports import Column


def _label(choices_attr: str):
    """The display text of a choices field (``get_<field>_display``); empty when the field is blank."""

    def value(obj):
        return getattr(obj, f"get_{choices_attr}_display")() if getattr(obj, choices_attr) else ""

    return value


def _local(attr: str):
    def value(obj):
        at = getattr(obj, attr)
        return timezone.localtime(at) if at else None

    return value


# --- Suppliers (SupplierAdmin) ---------------------------------------------------------------------------

SUPPLIER_SELECT_RELATED = ("buyer", "commodity", "parent")
SUPPLIER_PREFETCH_RELATED = ("business_units",)

SUPPLIERS = [
    Column("Code", "code"),
    Column("Name", "name"),
    Column("Legal name", "legal_name"),
    Column("Category", _label("category")),
    Column("Tier", "tier"),
    Column("Tier-1 parent", "parent.code"),
    Column("Country code", lambda s: str(s.country)),
    Column("Country", lambda s: s.country.name),
    Column("Region", lambda s: "Mainland China" if str(s.country) == "CN" else "Other countries and regions"),
    Column("Business units", lambda s: ", ".join(unit.name for unit in s.business_units.all())),
    Column("Commodity / process", "commodity.name"),
    Column("Status", _label("status")),
    Column("Status since", _local("status_changed_at")),
    Column("Risk level", _label("risk_level")),
    Column("Risk score", "risk_score"),
    Column("Risk override", _label("risk_override_level")),
    Column("Risk override reason", "risk_override_reason"),
    Column("Flagged for suspension review", "suspension_review"),
    Column("Responsible buyer", "buyer.username"),
    Column("Annual spend", "annual_spend"),
    Column("Currency", "currency"),
    Column("Strategic", "strategic"),
]


# --- Findings and corrective action (FindingAdmin) ------------------------------------------------------

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
    Column("Severity", _label("severity")),
    Column("Red line", _label("red_line")),
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


# --- Smelters and refiners (minerals' SmelterAdmin) ----------------------------------------------------

SMELTER_SELECT_RELATED = ("merged_into",)

SMELTERS = [
    Column("Smelter ID", "smelter_id"),
    Column("Name", "name"),
    Column("Metal", _label("metal")),
    Column("Country code", lambda s: str(s.country)),
    Column("Country", lambda s: s.country.name if s.country else s.country_name),
    Column("City", "city"),
    Column("State / province", "state_province"),
    Column("RMAP status", _label("rmap_status")),
    Column("Status date", "status_date"),
    Column("Merged into", "merged_into.smelter_id"),
]
