"""What the export of the supplier list (``SupplierAdmin``) holds.

Columns read attributes only (no queries): the related rows they read are loaded with
``SUPPLIER_SELECT_RELATED`` and ``SUPPLIER_PREFETCH_RELATED``.
"""

from __future__ import annotations

from common.exports import Column, choice_label, local_time

SUPPLIER_SELECT_RELATED = ("buyer", "commodity", "parent")
SUPPLIER_PREFETCH_RELATED = ("business_units",)

SUPPLIERS = [
    Column("Code", "code"),
    Column("Name", "name"),
    Column("Legal name", "legal_name"),
    Column("Category", choice_label("category")),
    Column("Tier", "tier"),
    Column("Tier-1 parent", "parent.code"),
    Column("Country code", lambda s: str(s.country)),
    Column("Country", lambda s: s.country.name),
    Column("Region", lambda s: "Mainland China" if str(s.country) == "CN" else "Other countries and regions"),
    Column("Business units", lambda s: ", ".join(unit.name for unit in s.business_units.all())),
    Column("Commodity / process", "commodity.name"),
    Column("Status", choice_label("status")),
    Column("Status since", local_time("status_changed_at")),
    Column("Risk level", choice_label("risk_level")),
    Column("Risk score", "risk_score"),
    Column("Risk override", choice_label("risk_override_level")),
    Column("Risk override reason", "risk_override_reason"),
    Column("Flagged for suspension review", "suspension_review"),
    Column("Responsible buyer", "buyer.username"),
    Column("Annual spend", "annual_spend"),
    Column("Currency", "currency"),
    Column("Strategic", "strategic"),
]
