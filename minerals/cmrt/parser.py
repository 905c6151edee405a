"""Read a CMRT or EMRT workbook into a ``ParseResult``: ``parse_workbook(path_or_file)``.

Data is located by template version and cell address only (labels follow the filler's language). Values
come from the cells' cached results; formula columns of the Smelter List that were never calculated (a file
saved by a program that does not recalculate) are filled from the CID in column A and the workbook's own
Smelter Look-up, and a value left in a formula column never wins over the CID typed in column A.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass

from openpyxl.utils.datetime import CALENDAR_MAC_1904, CALENDAR_WINDOWS_1900, from_excel

from common.workbooks import WorkbookRejected, XlsxWorkbook

from . import layouts, validation
from .layouts import Layout
from .result import ERROR, WARNING, Company, Issue, ParseResult, SmelterRow, UnreadableWorkbook
from .vocabulary import Vocabulary, key

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
DECLARATION = "Declaration"
SMELTER_LIST = "Smelter List"
LOOKUP = "Smelter Look-up"
PRODUCT_LIST = "Product List"
MINE_LIST = "Mine List"
LABELS = "L"

_VERSION = re.compile(r"(\d+)\.(\d+)")
_CID = re.compile(r"CID\d{6}")
_SMELTER_COLUMNS = "ABCDEFGHIJKLMNOPQ"
_MINE_COLUMNS = {
    "metal": "A",
    "smelter_name": "B",
    "name": "C",
    "mine_id": "D",
    "source": "E",
    "country": "F",
    "street": "G",
    "city": "H",
    "state": "I",
    "contact_name": "J",
    "contact_email": "K",
    "next_steps": "L",
    "comments": "M",
}


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


def text(value) -> str:
    """A cell value as trimmed text ("" for empty); whole numbers without ".0"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_workbook(
    source,
    *,
    filename: str | None = None,
    known_smelter_ids: set[str] | None = None,
    max_bytes: int | None = None,
    today: dt.date | None = None,
) -> ParseResult:
    """Parse a CMRT/EMRT from a path or binary file object; raise ``UnreadableWorkbook`` if it is none."""
    name = filename or _source_name(source)
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    size = _size(source, name)
    if size > limit:
        raise UnreadableWorkbook(f"{name} is {_human(size)}; the largest accepted is {_human(limit)}")
    try:
        book = XlsxWorkbook(source, name=name)
    except WorkbookRejected as exc:
        raise UnreadableWorkbook(f"{name} {exc.reason}") from exc
    try:
        return _Parser(book, name=name, known_ids=known_smelter_ids or set(), today=today).parse()
    except WorkbookRejected as exc:
        raise UnreadableWorkbook(f"{name} {exc.reason}") from exc
    finally:
        book.close()


def _source_name(source) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return os.path.basename(str(getattr(source, "name", "") or "")) or "the uploaded file"


def _size(source, name: str) -> int:
    try:
        if isinstance(source, str | os.PathLike):
            return os.stat(source).st_size
        position = source.tell()
        source.seek(0, os.SEEK_END)
        size = source.tell()
        source.seek(position)
        return size
    except FileNotFoundError as exc:
        raise UnreadableWorkbook(f"{name}: no such file") from exc
    except (OSError, AttributeError, ValueError) as exc:
        raise UnreadableWorkbook(f"{name} cannot be read ({exc})") from exc


def _human(size: int) -> str:
    if size >= 1024 * 1024:
        megabytes = size / (1024 * 1024)
        return f"{megabytes:.0f} MB" if megabytes >= 10 or megabytes.is_integer() else f"{megabytes:.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


class _Parser:
    def __init__(self, book: XlsxWorkbook, *, name: str, known_ids: set[str], today: dt.date | None):
        self.book = book
        self.name = name
        self.known_ids = {text(cid).upper() for cid in known_ids}
        self.today = today or _today()
        self.issues: list[Issue] = []

    def issue(self, sheet: str, cell: str, severity: str, message: str) -> None:
        self.issues.append(Issue(sheet=sheet, cell=cell, severity=severity, message=message))

    # -- entry point -----------------------------------------------------------------------------------
    def parse(self) -> ParseResult:
        for sheet in (DECLARATION, SMELTER_LIST):
            if not self.book.has_sheet(sheet):
                raise UnreadableWorkbook(
                    f"{self.name} has no {sheet!r} sheet, so it is not a CMRT or EMRT "
                    f"(sheets found: {', '.join(self.book.sheet_names) or 'none'})"
                )
        declaration = self.book.cells(DECLARATION, max_row=140, columns="DEFGJ")
        smelter_rows = list(self.book.rows(SMELTER_LIST, min_row=1, columns=_SMELTER_COLUMNS))
        lookup = self._read_lookup()
        version = self._version(declaration, smelter_rows)
        template = self._template(declaration, lookup, version)
        layout, note = layouts.layout_for(template, version)
        if layout is None:
            raise UnreadableWorkbook(f"{self.name}: {note}")
        if note:
            self.issue(DECLARATION, "J3", WARNING, note)
        self.vocabulary = Vocabulary(self._terms(layout), self._label_rows)
        result = ParseResult(template=template, version=version, language=text(declaration.get("D3")))
        self._declaration(result, layout, declaration)
        result.smelters = self._smelters(layout, smelter_rows, lookup)
        result.products = self._products(layout)
        result.mines = self._mines(layout) if layout.has_mine_list else []
        result.issues = self.issues
        validation.check(result, layout=layout, lookup=lookup, known_ids=self.known_ids, today=self.today)
        return result

    # -- template and version --------------------------------------------------------------------------
    def _version(self, declaration: dict, smelter_rows: list) -> str:
        candidates = [text(declaration.get("J3"))]
        candidates += [text(values.get("Q")) for row, values in smelter_rows if row == 3]
        for candidate in candidates:
            match = _VERSION.search(candidate)
            if match:
                return f"{int(match.group(1))}.{match.group(2)}"
        raise UnreadableWorkbook(
            f'{self.name} has no template revision in Declaration!J3 (e.g. "Revision 6.5"), '
            "so it is not a CMRT or EMRT"
        )

    def _template(self, declaration: dict, lookup: SmelterLookup, version: str) -> str:
        title = text(declaration.get("D2")).upper()
        for template in ("CMRT", "EMRT"):
            if template in title:
                return template
        other = re.search(r"\(([A-Z]{2,5}RT)\)", title)  # e.g. "(AMRT)", "(PRT)"
        if other:
            raise UnreadableWorkbook(f"{self.name} is an {other.group(1)}; only CMRT and EMRT files are read")
        metals = lookup.metals
        if metals & set(layouts.CMRT_MINERALS) and not metals & set(layouts.EMRT2_MINERALS):
            return "CMRT"
        if metals & set(layouts.EMRT2_MINERALS) and not metals & set(layouts.CMRT_MINERALS):
            return "EMRT"
        major = int(version.split(".")[0])
        if self.book.has_sheet(MINE_LIST) or major in (1, 2):
            return "EMRT"
        return "CMRT"

    @staticmethod
    def _terms(layout: Layout) -> set[str]:
        terms = {mineral.capitalize() for mineral in layouts.ALL_MINERALS}
        terms |= {"Smelter not listed", "Smelter not yet identified"}
        for question in (*layout.questions, *layout.company_questions, *layout.mineral_company_questions):
            terms.update(question.options)
            for options in question.per_mineral_options.values():
                terms.update(options)
        return terms

    def _label_rows(self):
        if not self.book.has_sheet(LABELS):
            return []
        return [
            tuple(values.get(column) for column in "DEFGHIJKLM")
            for _row, values in self.book.rows(LABELS, min_row=2, columns="DEFGHIJKLM")
        ]

    # -- Declaration -----------------------------------------------------------------------------------
    def _declaration(self, result: ParseResult, layout: Layout, cells: dict) -> None:
        company = Company()
        for field_name, cell in layout.company_cells.items():
            if field_name == "effective_date":
                company.effective_date = self._date(cells.get(cell), cell)
            elif field_name == "scope":
                company.scope = self._scope(cells.get(cell), cell)
            else:
                setattr(company, field_name, text(cells.get(cell)))
        result.company = company

        if layout.mineral_selection:
            selected = self._selected_minerals(layout, cells)
        else:
            selected = list(layout.minerals)
        ordered = sorted(selected) if layout.block_rows else selected

        for question in layout.questions:
            for mineral, row in layout.mineral_rows(question, ordered).items():
                self._answer(result, cells, layout, question, row, mineral)
        for question in layout.mineral_company_questions:
            for mineral, row in layout.mineral_rows(question, ordered).items():
                self._answer(result, cells, layout, question, row, mineral)
        for question in layout.company_questions:
            self._answer(result, cells, layout, question, question.row, None)

        if layout.not_in_scope_answer:
            selected = [
                m for m in selected if result.answers.get(m, {}).get("1") != layout.not_in_scope_answer
            ]
        result.minerals_in_scope = selected

    def _selected_minerals(self, layout: Layout, cells: dict) -> list[str]:
        selected = []
        for cell, mineral in layout.mineral_selection:
            value = text(cells.get(cell))
            if not value or value.startswith("("):  # blank or "(Delete Cobalt)"
                continue
            english = self.vocabulary.english(value)
            if english is None or english.lower() != mineral:
                self.issue(
                    DECLARATION,
                    cell,
                    ERROR,
                    f"{value!r} is not a choice here; pick {mineral.capitalize()} or "
                    f"(Delete {mineral.capitalize()})",
                )
                continue
            selected.append(mineral)
        return selected

    def _answer(self, result, cells, layout, question, row, mineral) -> None:
        cell = f"{layout.answer_column}{row}"
        comment = text(cells.get(f"{layout.comment_column}{row}"))
        comments_key = mineral or "company"
        if comment:
            result.comments.setdefault(comments_key, {})[question.key] = comment
        raw = cells.get(cell)
        if text(raw) == "":
            return
        options = question.options_for(mineral)
        answer = self._normalise_answer(raw, options)
        if answer is None:
            answer = text(raw)
            subject = f"question {question.key}" + (f" ({mineral})" if mineral else "")
            self.issue(
                DECLARATION,
                cell,
                ERROR,
                f"{answer!r} is not an allowed answer to {subject}; allowed: {', '.join(options)}",
            )
        if mineral:
            result.answers.setdefault(mineral, {})[question.key] = answer
        else:
            result.company_answers[question.key] = answer

    def _normalise_answer(self, raw, options: tuple[str, ...]) -> str | None:
        if isinstance(raw, int | float) and not isinstance(raw, bool) and "100%" in options and raw == 1:
            return "100%"  # the templates' own "100%" option is the number 1 in percent format
        value = text(raw)
        if value in ("1", "100") and "100%" in options:
            return "100%"
        english = self.vocabulary.english(value)
        if english is None:
            return None
        by_key = {key(option): option for option in options}
        return by_key.get(key(english))

    def _scope(self, raw, cell: str) -> str:
        value = text(raw)
        if not value:
            return ""
        letter = value[:1].upper()
        for scope in layouts.SCOPES:
            if scope[0] == letter and (len(value) == 1 or not value[1:2].isalpha()):
                return scope
        self.issue(
            DECLARATION,
            cell,
            ERROR,
            f"{value!r} is not a declaration scope; allowed: {', '.join(layouts.SCOPES)}",
        )
        return value

    def _date(self, raw, cell: str) -> dt.date | None:
        if raw is None or text(raw) == "":
            return None  # reported as a missing required field
        parsed = parse_date(raw, date1904=self.book.date1904)
        if parsed is None:
            self.issue(
                DECLARATION,
                cell,
                ERROR,
                f"effective date {text(raw)!r} is not a date; enter it as a date such as 2025-03-31",
            )
        return parsed

    # -- Smelter Look-up -------------------------------------------------------------------------------
    def _read_lookup(self) -> SmelterLookup:
        entries: list[tuple[str, str, LookupEntry]] = []
        if not self.book.has_sheet(LOOKUP):
            return SmelterLookup(entries)
        for _row, values in self.book.rows(LOOKUP, min_row=5, columns="ABCDEFGHI"):
            metal = text(values.get("A")).lower()
            if metal not in layouts.ALL_MINERALS:
                continue
            cid = text(values.get("E")).upper()
            entry = LookupEntry(
                metal=metal,
                name=text(values.get("C")),
                country=text(values.get("D")),
                cid=cid if _CID.fullmatch(cid) else "",
                source=text(values.get("F")),
                street=text(values.get("G")),
                city=text(values.get("H")),
                state=text(values.get("I")),
            )
            entries.append((metal, text(values.get("B")), entry))
        return SmelterLookup(entries)

    # -- Smelter List ----------------------------------------------------------------------------------
    def _metal(self, raw) -> str:
        value = text(raw)
        if not value:
            return ""
        english = self.vocabulary.english(value)
        if english and english.lower() in layouts.ALL_MINERALS:
            return english.lower()
        return ""

    def _smelters(self, layout: Layout, rows: list, lookup: SmelterLookup) -> list[SmelterRow]:
        return [self._smelter(row, values, lookup) for row, values in rows if row >= layout.smelter_first_row]

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
            self.issue(sheet, f"B{row}", ERROR, f"{metal_given!r} is not a metal this template reports")

        if typed_cid:
            if _CID.fullmatch(typed_cid):
                cid = typed_cid
                entry = lookup.by_cid.get(cid)
            else:
                self.issue(
                    sheet, f"A{row}", ERROR, f"{get('A')!r} is not a smelter ID (CID followed by six digits)"
                )
            if entry is not None:
                if metal and metal != entry.metal:
                    self.issue(
                        sheet,
                        f"B{row}",
                        WARNING,
                        f"metal {metal_given!r} does not match {cid} in A{row}, a {entry.metal} smelter in "
                        f"the Smelter Look-up; the CID in column A was used",
                    )
                metal = entry.metal
                if lookup_name and not _same_smelter(lookup, entry, lookup_name):
                    self.issue(
                        sheet,
                        f"C{row}",
                        WARNING,
                        f"smelter {lookup_name!r} does not match {cid} in A{row} ({entry.name}); "
                        f"the CID in column A was used",
                    )
            if cached_cid and cid and cached_cid != cid:
                self.issue(
                    sheet,
                    f"F{row}",
                    WARNING,
                    f"smelter identification {get('F')!r} does not match {cid} in A{row}; "
                    f"the CID in column A was used",
                )
        elif cached_cid:
            if _CID.fullmatch(cached_cid):
                cid = cached_cid
                entry = lookup.by_cid.get(cid)
            else:
                self.issue(
                    sheet, f"F{row}", ERROR, f"{get('F')!r} is not a smelter ID (CID followed by six digits)"
                )
            if entry is not None and metal and metal != entry.metal:
                self.issue(
                    sheet,
                    f"B{row}",
                    ERROR,
                    f"{cid} in F{row} is a {entry.metal} smelter in the Smelter Look-up, "
                    f"but the row's metal is {metal_given!r}",
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
                f"{cid} is unknown: it is neither in the template's Smelter Look-up "
                "nor in the smelter register",
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
                    f"{recycled_given!r} is not an allowed answer; allowed: Yes, No, Unknown",
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

    # -- Product List and Mine List --------------------------------------------------------------------
    def _products(self, layout: Layout) -> list[dict]:
        if not self.book.has_sheet(PRODUCT_LIST):
            return []
        columns = layout.product_columns
        products = []
        for row, values in self.book.rows(
            PRODUCT_LIST, min_row=layout.product_first_row, columns="".join(columns.values())
        ):
            product = {"row": row, **{name: text(values.get(column)) for name, column in columns.items()}}
            if product["number"].startswith("©"):
                continue  # the template's copyright footer below the list
            if any(product[name] for name in columns):
                products.append(product)
        return products

    def _mines(self, layout: Layout) -> list[dict]:
        if not self.book.has_sheet(MINE_LIST):
            return []
        mines = []
        for row, values in self.book.rows(MINE_LIST, min_row=5, columns="".join(_MINE_COLUMNS.values())):
            mine = {"row": row, **{name: text(values.get(column)) for name, column in _MINE_COLUMNS.items()}}
            if not any(mine[name] for name in _MINE_COLUMNS):
                continue
            metal = self._metal(mine["metal"])
            if mine["metal"] and not metal:
                self.issue(
                    MINE_LIST, f"A{row}", ERROR, f"{mine['metal']!r} is not a metal this template reports"
                )
            mine["metal"] = metal or mine["metal"]
            mines.append(mine)
        return mines


def _same_smelter(lookup: SmelterLookup, entry: LookupEntry, name: str) -> bool:
    found = lookup.by_name.get((entry.metal, key(name)))
    return found is not None and found.cid == entry.cid


_DATE_FORMATS = (
    "%Y-%m-%d",
    "%Y/%m/%d",
    "%Y.%m.%d",
    "%d-%b-%Y",
    "%d %b %Y",
    "%d %B %Y",
    "%b %d, %Y",
    "%B %d, %Y",
    "%d.%m.%Y",
    "%Y%m%d",
)
_SLASHED = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_CJK_DATE = re.compile(r"(\d{4})\s*[年년]\s*(\d{1,2})\s*[月월]\s*(\d{1,2})\s*[日일]?")


def parse_date(raw, *, date1904: bool = False) -> dt.date | None:
    """A date from a date cell, an Excel serial number or common written forms; None if it is none."""
    if isinstance(raw, dt.datetime):
        return raw.date()
    if isinstance(raw, dt.date):
        return raw
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        if not 1 <= raw < 2958466:
            return None
        epoch = CALENDAR_MAC_1904 if date1904 else CALENDAR_WINDOWS_1900
        converted = from_excel(raw, epoch=epoch)
        return converted.date() if isinstance(converted, dt.datetime) else converted
    value = text(raw)
    if "T" in value[:11] or " " in value[10:11]:
        value_date = value[:10]
        try:
            return dt.date.fromisoformat(value_date)
        except ValueError:
            pass
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    match = _CJK_DATE.fullmatch(value)
    if match:
        try:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            return None
    match = _SLASHED.fullmatch(value)
    if match:
        first, second, year = (int(part) for part in match.groups())
        month, day = (second, first) if first > 12 else (first, second)  # US order unless impossible
        try:
            return dt.date(year, month, day)
        except ValueError:
            return None
    return None


def _today() -> dt.date:
    try:
        from django.conf import settings

        if settings.configured:
            from django.utils import timezone

            return timezone.localdate()
    except ImportError:  # pragma: no cover - the parser also runs without Django
        pass
    return dt.date.today()
