"""Fill and update the smelter registry from a file: ``import_smelters(fileobj=..., filename=...)``.

Two kinds of file are read:

- an RMI workbook (CMRT 6.x, EMRT 1.x–2.x) with its "Smelter Look-up" sheet. Every version has the same
  layout: header in row 4, data from row 5, columns A metal, B look-up name, C standard name, D country,
  E smelter ID, F source of the ID, G street, H city, I state/province. The cached header labels follow the
  language the file was saved in, so the sheet is read by position, never by header text. Rows without a
  smelter ID (RMI's "Smelter not listed" and "Smelter not yet identified" placeholders) are skipped. This
  adds smelters, standard names, countries and look-up names; it does not touch RMAP statuses.
- a facility list (CSV, or the first sheet of an XLSX) with a header row naming its columns in any of the
  usual ways (``HEADERS``): smelter ID, standard name, metal, country, RMAP status, status date, and
  optionally look-up name, city, state/province. It also sets RMAP statuses; every status that changes is
  recorded as a ``SmelterStatusChange`` naming the file.

A file is all or nothing: every row is checked first and each problem is reported with the file, sheet,
row and column; only a file without errors is written, in one transaction, in batches. Importing the same
file again changes nothing; a newer file updates smelters in place, never duplicates them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_countries import countries
from openpyxl.utils import get_column_letter
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.history import fit_change_reason
from common.workbooks import WorkbookRejected, read_table

from .models import (
    Mineral,
    RmapStatus,
    Smelter,
    SmelterAlias,
    SmelterStatusChange,
    is_smelter_id,
    name_key,
)

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

HEADER_ROWS = 10  # a facility list's header row is one of its first ten rows
LOOKUP_CHUNK = 1000  # smelter ids or alias names per lookup query
WRITE_BATCH = 500  # rows per bulk statement

# Header names accepted in a facility list (compared case-, space- and punctuation-insensitively).
HEADERS: dict[str, tuple[str, ...]] = {
    "smelter_id": (
        "smelter id",
        "facility id",
        "smelter identification",
        "smelter identification number",
        "smelter reference id",
        "rmi id",
        "cid",
    ),
    "name": (
        "standard smelter name",
        "standard facility name",
        "smelter name",
        "facility name",
        "standard name",
        "name",
    ),
    "metal": ("metal", "mineral", "metal type"),
    "country": (
        "country",
        "country location",
        "smelter country",
        "facility country",
        "country region",
        "country or region",
        "smelter facility location country",
    ),
    "rmap_status": ("rmap status", "assessment status", "conformance status", "audit status", "status"),
    "status_date": (
        "status date",
        "last audit date",
        "last assessment date",
        "audit date",
        "assessment date",
        "rmap status date",
    ),
    "lookup_name": ("smelter look up", "smelter lookup", "look up name", "lookup name", "alias"),
    "city": ("city", "smelter city", "facility city"),
    "state": ("state province", "state", "province", "smelter state province"),
}
_HEADER_OF = {variant: column for column, variants in HEADERS.items() for variant in variants}

_STATUS_WORDS: dict[str, str] = {
    "conformant": RmapStatus.CONFORMANT,
    "rmap conformant": RmapStatus.CONFORMANT,
    "compliant": RmapStatus.CONFORMANT,
    "active": RmapStatus.ACTIVE,
    "rmap active": RmapStatus.ACTIVE,
    "in assessment": RmapStatus.ACTIVE,
    "re audit in progress": RmapStatus.ACTIVE,
    "not enrolled": RmapStatus.NOT_ENROLLED,
    "non conformant": RmapStatus.NOT_ENROLLED,
    "nonconformant": RmapStatus.NOT_ENROLLED,
    "not conformant": RmapStatus.NOT_ENROLLED,
    "outreach required": RmapStatus.NOT_ENROLLED,
    "in communication": RmapStatus.NOT_ENROLLED,
    "communication suspended not interested": RmapStatus.NOT_ENROLLED,
    "rmi due diligence review unable to proceed": RmapStatus.NOT_ENROLLED,
}

# Country names as RMI writes them that django-countries spells differently.
_COUNTRY_ALIASES = {
    "congo democratic republic of the": "CD",
    "democratic republic of the congo": "CD",
    "drc": "CD",
    "korea republic of": "KR",
    "republic of korea": "KR",
    "south korea": "KR",
    "korea": "KR",
    "taiwan province of china": "TW",
    "taiwan": "TW",
    "tanzania united republic of": "TZ",
    "usa": "US",
    "united states": "US",
    "uk": "GB",
    "united kingdom": "GB",
    "russia": "RU",
    "vietnam": "VN",
    "turkiye": "TR",
    "bolivia": "BO",
    "laos": "LA",
    "czech republic": "CZ",
}
_UNKNOWN_COUNTRY = {"", "unknown", "n a", "na", "none"}
_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%d-%b-%Y", "%d %b %Y", "%m/%d/%Y", "%d.%m.%Y", "%b %d, %Y")


def _words(text: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", text.casefold()).split())


@functools.lru_cache(maxsize=1024)
def country_code(text: str) -> str:
    """ISO 3166 code of a country name or code as suppliers and RMI write it; '' when unknown."""
    text = (text or "").strip()
    if _words(text) in _UNKNOWN_COUNTRY:
        return ""
    if len(text) in (2, 3) and text.isalpha():
        code = countries.alpha2(text.upper())
        if code:
            return code
    return (
        countries.by_name(text) or countries.by_name(text.title()) or _COUNTRY_ALIASES.get(_words(text), "")
    )


def metal_of(text: str) -> str:
    """The mineral value of a metal name ('Gold', 'TIN', 'tantalum'), or ''."""
    words = _words(text)
    return words if words in Mineral.values else ""


def rmap_status_of(text: str) -> str | None:
    return _STATUS_WORDS.get(_words(text))


# --- Results ---------------------------------------------------------------------------------------------


class SmelterImportError(Exception):
    """The file cannot be read at all."""

    def __init__(self, message: str, *, filename: str, sheet: str | None = None) -> None:
        self.message = message
        self.filename = filename
        self.sheet = sheet
        where = filename if sheet is None else f"{filename}, sheet {sheet!r}"
        super().__init__(f"{where}: {message}")


@dataclass
class RowError:
    filename: str
    sheet: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        sheet = f", sheet {self.sheet!r}" if self.sheet else ""
        return f"{self.filename}{sheet}, row {self.row}, column {self.column}: {self.message}"


@dataclass
class SmelterImportResult:
    filename: str
    sheet: str
    kind: str  # "lookup" | "facility list"
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    status_changes: int = 0
    aliases_created: int = 0
    aliases_moved: int = 0
    errors: list[RowError] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def summary(self) -> str:
        return (
            f"{self.created} smelters created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.status_changes} status changes, {self.aliases_created} look-up names added"
        )


@dataclass
class _Entry:
    """What the file says about one smelter (fields it does not give are None)."""

    row: int
    smelter_id: str
    name: str | None = None
    metal: str | None = None
    country_name: str | None = None
    city: str | None = None
    state: str | None = None
    rmap_status: str | None = None
    status_date: dt.date | None = None
    aliases: list[str] = field(default_factory=list)


# --- Entry point -----------------------------------------------------------------------------------------


def import_smelters(*, fileobj, filename: str, by=None) -> SmelterImportResult:
    """Check the whole file; when no row has an error, create and update the smelters, their look-up names
    and statuses in one transaction. Raises ``SmelterImportError`` for an unreadable file (including one
    over the size or row limits of ``common.workbooks.read_table``)."""
    try:
        table = read_table(fileobj, filename=filename, sheets=(LOOKUP_SHEET,))
        if table.sheet.strip().casefold() == LOOKUP_SHEET.casefold():
            result = SmelterImportResult(filename=filename, sheet=table.sheet, kind="lookup")
            entries = _lookup_entries(table.rows, result)
        else:
            result = SmelterImportResult(filename=filename, sheet=table.sheet, kind="facility list")
            entries = _facility_entries(table.rows, result)
    except WorkbookRejected as exc:
        raise SmelterImportError(exc.reason, filename=filename, sheet=exc.sheet) from exc
    if result.errors:
        return result
    _write(entries, result, by=by)
    return result


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return " ".join(str(value).split())


# --- The Smelter Look-up sheet -----------------------------------------------------------------------------


def _lookup_entries(rows: Iterable[tuple[int, list[Any]]], result: SmelterImportResult) -> list[_Entry]:
    by_id: dict[str, _Entry] = {}
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
        text = {column: _text(value) for column, value in values.items()}
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
            entry = by_id[smelter_id] = _Entry(
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


# --- Facility lists --------------------------------------------------------------------------------------


def _header_positions(cells: list[Any]) -> dict[str, int]:
    """The column position of each field a row names; a header row names the smelter ID column."""
    positions: dict[str, int] = {}
    for position, value in enumerate(cells):
        column = _HEADER_OF.get(_words(_text(value)))
        if column and column not in positions:
            positions[column] = position
    return positions


def _column_label(header: list[Any], position: int) -> str:
    return f"{get_column_letter(position + 1)} ({_text(header[position])})"


def _parse_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = _text(value)
    for pattern in _DATE_FORMATS:
        with contextlib.suppress(ValueError):
            return dt.datetime.strptime(text, pattern).date()
    raise ValueError(text)


@dataclass
class _Row:
    number: int
    cells: list[Any]
    header: list[Any]
    positions: dict[str, int]
    result: SmelterImportResult

    def cell(self, column: str) -> Any:
        return self.cells[self.positions[column]] if column in self.positions else None

    def text(self, column: str) -> str:
        return _text(self.cell(column))

    def fail(self, column: str, message: str) -> None:
        label = _column_label(self.header, self.positions[column])
        self.result.errors.append(
            RowError(self.result.filename, self.result.sheet, self.number, label, message)
        )


def _facility_row(row: _Row, by_id: dict[str, _Entry]) -> None:
    """Check one row of a facility list; a valid row goes into ``by_id``, problems into the result."""
    positions = row.positions
    smelter_id = row.text("smelter_id").upper()
    if not is_smelter_id(smelter_id):
        row.fail("smelter_id", f"'{row.text('smelter_id')}' is not a smelter ID (CID and six digits)")
        return
    if smelter_id in by_id:
        row.fail("smelter_id", f"{smelter_id} is also in row {by_id[smelter_id].row}")
        return
    entry = _Entry(row=row.number, smelter_id=smelter_id)
    if "metal" in positions:
        entry.metal = metal_of(row.text("metal"))
        if not entry.metal:
            row.fail(
                "metal", f"unknown metal '{row.text('metal')}'; expected one of {', '.join(Mineral.values)}"
            )
            return
    for column in ("name", "country", "city", "state"):
        if column in positions:
            setattr(entry, "country_name" if column == "country" else column, row.text(column))
    if row.text("lookup_name"):
        entry.aliases.append(row.text("lookup_name"))
    if row.text("rmap_status"):
        entry.rmap_status = rmap_status_of(row.text("rmap_status"))
        if entry.rmap_status is None:
            row.fail(
                "rmap_status",
                f"unknown RMAP status '{row.text('rmap_status')}'; expected Conformant, Active or "
                "Not Enrolled (or Non-Conformant)",
            )
            return
    if row.text("status_date"):
        try:
            entry.status_date = _parse_date(row.cell("status_date"))
        except ValueError:
            row.fail("status_date", f"'{row.text('status_date')}' is not a date (use YYYY-MM-DD)")
            return
    by_id[smelter_id] = entry


def _facility_entries(rows: Iterable[tuple[int, list[Any]]], result: SmelterImportResult) -> list[_Entry]:
    """The rows under the header row (the first of the first ten rows naming a smelter ID column)."""
    header: list[Any] | None = None
    header_number, positions = 0, {}
    by_id: dict[str, _Entry] = {}
    for number, cells in rows:
        if header is None:
            if number > HEADER_ROWS:
                break
            positions = _header_positions(cells)
            if "smelter_id" in positions:
                header, header_number = cells, number
            continue
        cells = list(cells) + [None] * (len(header) - len(cells))
        if any(_text(value) for value in cells):
            _facility_row(_Row(number, cells, header, positions, result), by_id)
    if header is None:
        result.errors.append(
            RowError(
                result.filename,
                result.sheet,
                1,
                "(header)",
                "no header row naming the smelter ID column (e.g. 'Smelter ID' or 'Facility ID') in the "
                "first ten rows",
            )
        )
        return []
    if not by_id and not result.errors:
        result.errors.append(
            RowError(
                result.filename, result.sheet, header_number + 1, "(rows)", "no smelter rows under the header"
            )
        )
    return list(by_id.values())


# --- Writing ---------------------------------------------------------------------------------------------


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _existing(smelter_ids: list[str]) -> dict[str, Smelter]:
    found: dict[str, Smelter] = {}
    for chunk in _chunks(smelter_ids, LOOKUP_CHUNK):
        found.update({s.smelter_id: s for s in Smelter.objects.filter(smelter_id__in=chunk)})
    return found


def _check_new(entries: list[_Entry], existing: dict[str, Smelter], result: SmelterImportResult) -> None:
    for entry in entries:
        if entry.smelter_id in existing:
            continue
        missing = [label for label, value in (("name", entry.name), ("metal", entry.metal)) if not value]
        if missing:
            result.errors.append(
                RowError(
                    result.filename,
                    result.sheet,
                    entry.row,
                    ", ".join(missing),
                    f"{entry.smelter_id} is not in the registry yet: its {' and '.join(missing)} "
                    f"{'is' if len(missing) == 1 else 'are'} needed",
                )
            )


def _apply(smelter: Smelter, entry: _Entry, filename: str) -> bool:
    """Copy what the file gives onto the smelter; True when something changed."""
    wanted: dict[str, Any] = {}
    if entry.name:
        wanted["name"] = entry.name
        wanted["name_key"] = name_key(entry.name)
    if entry.metal:
        wanted["metal"] = entry.metal
    if entry.country_name is not None:
        wanted["country_name"] = entry.country_name
        wanted["country"] = country_code(entry.country_name)
    for column, field_name in (("city", "city"), ("state", "state_province")):
        value = getattr(entry, column)
        if value is not None:
            wanted[field_name] = value
    if entry.rmap_status is not None:
        wanted["rmap_status"] = entry.rmap_status
    if entry.status_date is not None:
        wanted["status_date"] = entry.status_date
    changed = False
    for field_name, value in wanted.items():
        current = getattr(smelter, field_name)
        if str(current if current is not None else "") != str(value):
            setattr(smelter, field_name, value)
            changed = True
    if changed:
        smelter.source_file = filename[:255]
    return changed


@transaction.atomic
def _write(entries: list[_Entry], result: SmelterImportResult, *, by) -> None:
    existing = _existing([entry.smelter_id for entry in entries])
    _check_new(entries, existing, result)
    if result.errors:
        return
    now = timezone.now()
    reason = fit_change_reason(f"Imported from {result.filename}")
    to_create: list[Smelter] = []
    to_update: list[Smelter] = []
    changes: list[SmelterStatusChange] = []
    for entry in entries:
        smelter = existing.get(entry.smelter_id)
        if smelter is None:
            smelter = Smelter(smelter_id=entry.smelter_id)
            _apply(smelter, entry, result.filename)
            to_create.append(smelter)
            continue
        before = smelter.rmap_status
        if not _apply(smelter, entry, result.filename):
            result.unchanged += 1
            continue
        to_update.append(smelter)
        if smelter.rmap_status != before:
            changes.append(
                SmelterStatusChange(
                    smelter=smelter,
                    from_status=before,
                    to_status=smelter.rmap_status,
                    status_date=smelter.status_date,
                    source_file=result.filename[:255],
                    changed_at=now,
                    changed_by=by,
                )
            )
    fields = [
        "name",
        "name_key",
        "metal",
        "country",
        "country_name",
        "city",
        "state_province",
        "rmap_status",
        "status_date",
        "source_file",
        "updated_at",
    ]
    for smelter in to_update:
        smelter.updated_at = now
    for chunk in _chunks(to_create, WRITE_BATCH):
        bulk_create_with_history(
            list(chunk), Smelter, batch_size=WRITE_BATCH, default_user=by, default_change_reason=reason
        )
    for chunk in _chunks(to_update, WRITE_BATCH):
        bulk_update_with_history(
            list(chunk),
            Smelter,
            fields,
            batch_size=WRITE_BATCH,
            default_user=by,
            default_change_reason=reason,
        )
    SmelterStatusChange.objects.bulk_create(changes, batch_size=WRITE_BATCH)
    result.created, result.updated, result.status_changes = len(to_create), len(to_update), len(changes)
    _write_aliases(entries, result)


def _write_aliases(entries: list[_Entry], result: SmelterImportResult) -> None:
    wanted: dict[tuple[str, str], tuple[str, str]] = {}  # (metal, key) -> (smelter_id, name)
    for entry in entries:
        metal = entry.metal
        for alias in entry.aliases:
            wanted.setdefault((metal or "", name_key(alias)), (entry.smelter_id, alias))
    if not wanted:
        return
    smelters = _existing(sorted({smelter_id for smelter_id, _ in wanted.values()}))
    wanted = {
        (metal or smelters[smelter_id].metal, key): (smelter_id, alias)
        for (metal, key), (smelter_id, alias) in wanted.items()
    }
    current: dict[tuple[str, str], SmelterAlias] = {}
    keys = sorted({key for _, key in wanted})
    for chunk in _chunks(keys, LOOKUP_CHUNK):
        for alias in SmelterAlias.objects.filter(name_key__in=chunk):
            current[(alias.metal, alias.name_key)] = alias
    to_create, to_move = [], []
    for (metal, key), (smelter_id, name) in wanted.items():
        smelter = smelters[smelter_id]
        alias = current.get((metal, key))
        if alias is None:
            to_create.append(SmelterAlias(smelter=smelter, metal=metal, name=name[:255], name_key=key[:255]))
        elif alias.smelter_id != smelter.pk:
            alias.smelter = smelter
            to_move.append(alias)
    SmelterAlias.objects.bulk_create(to_create, batch_size=WRITE_BATCH)
    SmelterAlias.objects.bulk_update(to_move, ["smelter"], batch_size=WRITE_BATCH)
    result.aliases_created, result.aliases_moved = len(to_create), len(to_move)
