"""An RMI workbook's "Smelter Look-up" sheet (CMRT 6.x, EMRT 1.x-2.x): smelters, standard names, countries
and look-up names, read by column position (the header labels follow the file's language)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..models import Mineral, is_smelter_id, name_key
from .result import Entry, RowError, SmelterImportResult
from .values import cell_text, metal_of

LOOKUP_SHEET = "Smelter Look-up"
LOOKUP_FIRST_ROW = 5
LOOKUP_COLUMNS = (
    "metal",
    "lookup_name",
    "name",
    "country",
    "smelter_id",
    "source",
    "street",
    "city",
    "state",
)
LOOKUP_LETTERS = dict(zip(LOOKUP_COLUMNS, "ABCDEFGHI", strict=True))


def lookup_entries(rows: Iterable[tuple[int, list[Any]]], result: SmelterImportResult) -> list[Entry]:
    by_id: dict[str, Entry] = {}
    alias_owner: dict[tuple[str, str], str] = {}
    ambiguous: dict[tuple[str, str], str] = {}  # (metal, key) -> the name as written

    def fail(row: int, column: str, message: str) -> None:
        result.errors.append(
            RowError(result.filename, result.sheet, row, f"{LOOKUP_LETTERS[column]} ({column})", message)
        )

    for number, cells in rows:
        if number < LOOKUP_FIRST_ROW:
            continue  # title and header rows
        values = dict(zip(LOOKUP_COLUMNS, (list(cells) + [None] * 9)[:9], strict=True))
        text = {column: cell_text(value) for column, value in values.items()}
        if not text["smelter_id"]:
            continue  # a placeholder row ("Smelter not listed") or an empty row
        smelter_id = text["smelter_id"].upper()
        if not is_smelter_id(smelter_id):
            fail(number, "smelter_id", f"'{text['smelter_id']}' is not a smelter ID (CID and six digits)")
            continue
        metal = metal_of(text["metal"])
        if not metal:
            fail(
                number,
                "metal",
                f"unknown metal '{text['metal']}'; expected one of {', '.join(Mineral.values)}",
            )
            continue
        if not text["name"]:
            fail(number, "name", f"the standard name of {smelter_id} is empty")
            continue
        entry = by_id.get(smelter_id)
        if entry is None:
            entry = by_id[smelter_id] = Entry(
                row=number,
                smelter_id=smelter_id,
                name=text["name"],
                metal=metal,
                country_name=text["country"],
                city=text["city"],
                state=text["state"],
            )
        elif entry.metal != metal:
            fail(number, "metal", f"{smelter_id} is {entry.metal} in row {entry.row} but {metal} here")
            continue
        for alias in {text["lookup_name"], text["name"]} - {""}:
            key = (metal, name_key(alias))
            owner = alias_owner.setdefault(key, smelter_id)
            if owner != smelter_id:
                ambiguous.setdefault(key, alias)
            elif alias not in entry.aliases:
                entry.aliases.append(alias)
    if not by_id and not result.errors:
        result.errors.append(
            RowError(result.filename, result.sheet, LOOKUP_FIRST_ROW, "E (smelter_id)", "no smelter ID found")
        )
    for (metal, key), written in sorted(ambiguous.items()):
        result.warnings.append(
            f"{result.filename}, sheet {result.sheet!r}: the look-up name '{written}' ({metal}) names "
            "several smelters; it is not used for matching"
        )
        for entry in by_id.values():
            if entry.metal == metal:
                entry.aliases = [alias for alias in entry.aliases if name_key(alias) != key]
    return list(by_id.values())
