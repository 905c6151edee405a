"""The Smelter List: each row's smelter resolved from the CID typed in column A, else the cached CID in
column F, else the look-up name in column C, against the workbook's own Smelter Look-up; formula columns
never calculated are filled from the Look-up, and a value left in a formula column never wins over column A.
"""

from __future__ import annotations

from collections.abc import Callable

from . import layouts
from .cells import text
from .layouts import Layout
from .lookup import CID, SmelterLookup, same_smelter
from .result import ERROR, WARNING, SmelterRow, gettext_noop
from .vocabulary import Vocabulary, key

SMELTER_LIST = "Smelter List"
LOOKUP_SHEET = "Smelter Look-up"
SMELTER_COLUMNS = "ABCDEFGHIJKLMNOPQ"
NOT_A_SMELTER_ID = gettext_noop("%(value)r is not a smelter ID (CID followed by six digits)")


def metal_name(vocabulary: Vocabulary, raw) -> str:
    """The mineral a metal cell names, in any of the template's languages; "" when it names none."""
    value = text(raw)
    if not value:
        return ""
    english = vocabulary.english(value)
    if english and english.lower() in layouts.ALL_MINERALS:
        return english.lower()
    return ""


class SmelterList:
    """Reads the Smelter List's rows; each problem goes to ``issue(sheet, cell, severity, text, **params)``
    (``text`` marked with ``gettext_noop``)."""

    def __init__(
        self,
        *,
        lookup: SmelterLookup,
        vocabulary: Vocabulary,
        known_ids: set[str],
        issue: Callable[..., None],
    ):
        self.lookup = lookup
        self.vocabulary = vocabulary
        self.known_ids = known_ids
        self.issue = issue

    def rows(self, layout: Layout, rows: list) -> list[SmelterRow]:
        """One ``SmelterRow`` per row from the layout's first smelter row on."""
        lookup = self.lookup
        return [self._smelter(row, values, lookup) for row, values in rows if row >= layout.smelter_first_row]

    def _metal(self, raw) -> str:
        return metal_name(self.vocabulary, raw)

    def _smelter(self, row: int, values: dict, lookup: SmelterLookup) -> SmelterRow:
        def get(column: str) -> str:
            return text(values.get(column))

        sheet = SMELTER_LIST
        typed_cid = get("A").upper()
        metal_given = get("B")
        metal = self._metal(metal_given)
        lookup_name = get("C")
        cached_cid = get("F").upper()
        entry = None
        cid = ""

        if metal_given and not metal:
            self.issue(
                sheet,
                f"B{row}",
                ERROR,
                gettext_noop("%(value)r is not a metal this template reports"),
                value=metal_given,
            )

        if typed_cid:
            if CID.fullmatch(typed_cid):
                cid = typed_cid
                entry = lookup.by_cid.get(cid)
            else:
                self.issue(sheet, f"A{row}", ERROR, NOT_A_SMELTER_ID, value=get("A"))
            if entry is not None:
                if metal and metal != entry.metal:
                    self.issue(
                        sheet,
                        f"B{row}",
                        WARNING,
                        gettext_noop(
                            "metal %(value)r does not match %(cid)s in %(cell)s, a %(mineral)s smelter "
                            "in the %(sheet)s; the CID in column %(column)s was used"
                        ),
                        value=metal_given,
                        cid=cid,
                        cell=f"A{row}",
                        mineral=entry.metal,
                        sheet=LOOKUP_SHEET,
                        column="A",
                    )
                metal = entry.metal
                if lookup_name and not same_smelter(lookup, entry, lookup_name):
                    self.issue(
                        sheet,
                        f"C{row}",
                        WARNING,
                        gettext_noop(
                            "smelter %(value)r does not match %(cid)s in %(cell)s (%(name)s); "
                            "the CID in column %(column)s was used"
                        ),
                        value=lookup_name,
                        cid=cid,
                        cell=f"A{row}",
                        name=entry.name,
                        column="A",
                    )
            if cached_cid and cid and cached_cid != cid:
                self.issue(
                    sheet,
                    f"F{row}",
                    WARNING,
                    gettext_noop(
                        "smelter identification %(value)r does not match %(cid)s in %(cell)s; "
                        "the CID in column %(column)s was used"
                    ),
                    value=get("F"),
                    cid=cid,
                    cell=f"A{row}",
                    column="A",
                )
        elif cached_cid:
            if CID.fullmatch(cached_cid):
                cid = cached_cid
                entry = lookup.by_cid.get(cid)
            else:
                self.issue(sheet, f"F{row}", ERROR, NOT_A_SMELTER_ID, value=get("F"))
            if entry is not None and metal and metal != entry.metal:
                self.issue(
                    sheet,
                    f"B{row}",
                    ERROR,
                    gettext_noop(
                        "%(cid)s in %(cell)s is a %(mineral)s smelter in the %(sheet)s, "
                        "but the row's metal is %(value)r"
                    ),
                    cid=cid,
                    cell=f"F{row}",
                    mineral=entry.metal,
                    sheet=LOOKUP_SHEET,
                    value=metal_given,
                )
            if entry is not None and not metal:
                metal = entry.metal
        elif (
            lookup_name
            and metal
            and key(lookup_name) not in (key("Smelter not listed"), key("Smelter not yet identified"))
        ):
            entry = lookup.by_name.get((metal, key(lookup_name)))
            if entry is not None:
                cid = entry.cid

        if cid and cid not in lookup.by_cid and cid not in self.known_ids:
            self.issue(
                sheet,
                f"{'A' if typed_cid else 'F'}{row}",
                WARNING,
                gettext_noop(
                    "%(cid)s is unknown: it is neither in the template's %(sheet)s "
                    "nor in the smelter register"
                ),
                cid=cid,
                sheet=LOOKUP_SHEET,
            )
        special = key(lookup_name) in (key("Smelter not listed"), key("Smelter not yet identified"))
        name = get("D") or (entry.name if entry else "") or ("" if special else lookup_name)
        if typed_cid and entry is not None:
            country = entry.country or get("E")
            source = entry.source or get("G")
        else:
            country = get("E") or (entry.country if entry else "")
            source = get("G") or (entry.source if entry else "")
        recycled_given = get("P")
        recycled = ""
        if recycled_given:
            english = self.vocabulary.english(recycled_given)
            recycled = layouts.RECYCLED.get((english or "").lower(), "")
            if english is None or english.lower() not in layouts.RECYCLED:
                self.issue(
                    sheet,
                    f"P{row}",
                    ERROR,
                    gettext_noop("%(value)r is not an allowed answer; allowed: %(allowed)s"),
                    value=recycled_given,
                    allowed="Yes, No, Unknown",
                )
        return SmelterRow(
            row=row,
            metal=metal,
            name=name,
            country=country,
            smelter_id=cid,
            source=source,
            recycled=recycled,
            lookup_name=lookup_name,
            street=get("H") or (entry.street if entry and typed_cid else ""),
            city=get("I") or (entry.city if entry and typed_cid else ""),
            state=get("J") or (entry.state if entry and typed_cid else ""),
            contact_name=get("K"),
            contact_email=get("L"),
            next_steps=get("M"),
            mine_name=get("N"),
            mine_country=get("O"),
            comments=get("Q"),
        )
