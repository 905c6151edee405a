"""The workbook's own Smelter Look-up sheet: RMI's smelter IDs (CIDs), standard names and look-up names per
metal, which fill the Smelter List's formula columns and check what the filler typed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from common.workbooks import XlsxWorkbook

from . import layouts
from .cells import text
from .vocabulary import key

LOOKUP = "Smelter Look-up"
CID = re.compile(r"CID\d{6}")


@dataclass(frozen=True)
class LookupEntry:
    metal: str
    name: str
    country: str
    cid: str
    source: str
    street: str = ""
    city: str = ""
    state: str = ""


class SmelterLookup:
    """The workbook's own Smelter Look-up: CIDs and look-up names per metal."""

    def __init__(self, entries: list[tuple[str, str, LookupEntry]]):
        self.by_cid: dict[str, LookupEntry] = {}
        self.by_name: dict[tuple[str, str], LookupEntry] = {}
        for metal, alias, entry in entries:
            if entry.cid:
                self.by_cid.setdefault(entry.cid, entry)
            if alias:
                self.by_name.setdefault((metal, key(alias)), entry)
            if entry.name:
                self.by_name.setdefault((metal, key(entry.name)), entry)

    @property
    def metals(self) -> set[str]:
        return {entry.metal for entry in self.by_cid.values()}


def read_lookup(book: XlsxWorkbook) -> SmelterLookup:
    """The Look-up's entries (rows 5 on, columns A to I); an empty look-up when the sheet is missing."""
    entries: list[tuple[str, str, LookupEntry]] = []
    if not book.has_sheet(LOOKUP):
        return SmelterLookup(entries)
    for _row, values in book.rows(LOOKUP, min_row=5, columns="ABCDEFGHI"):
        metal = text(values.get("A")).lower()
        if metal not in layouts.ALL_MINERALS:
            continue
        cid = text(values.get("E")).upper()
        entry = LookupEntry(
            metal=metal,
            name=text(values.get("C")),
            country=text(values.get("D")),
            cid=cid if CID.fullmatch(cid) else "",
            source=text(values.get("F")),
            street=text(values.get("G")),
            city=text(values.get("H")),
            state=text(values.get("I")),
        )
        entries.append((metal, text(values.get("B")), entry))
    return SmelterLookup(entries)


def same_smelter(lookup: SmelterLookup, entry: LookupEntry, name: str) -> bool:
    found = lookup.by_name.get((entry.metal, key(name)))
    return found is not None and found.cid == entry.cid
