"""What the export of the smelter and refiner list (``SmelterAdmin``) holds.

Columns read attributes only (no queries): the related rows they read are loaded with
``SMELTER_SELECT_RELATED``.
"""

from __future__ import annotations

from common.exports import Column, choice_label

SMELTER_SELECT_RELATED = ("merged_into",)

SMELTERS = [
    Column("Smelter ID", "smelter_id"),
    Column("Name", "name"),
    Column("Metal", choice_label("metal")),
    Column("Country code", lambda s: str(s.country)),
    Column("Country", lambda s: s.country.name if s.country else s.country_name),
    Column("City", "city"),
    Column("State / province", "state_province"),
    Column("RMAP status", choice_label("rmap_status")),
    Column("Status date", "status_date"),
    Column("Merged into", "merged_into.smelter_id"),
]
