"""Read a CMRT or EMRT workbook into a ``ParseResult``: ``parse_workbook(path_or_file)``.

Data is located by template version and cell address only (labels follow the filler's language). Values
come from the cells' cached results; formula columns of the Smelter List that were never calculated (a file
saved by a program that does not recalculate) are filled from the CID in column A and the workbook's own
Smelter Look-up, and a value left in a formula column never wins over the CID typed in column A.

Here: the template and version, the Declaration's company fields and answers, the Product and Mine Lists.
The Smelter List's rows are resolved in ``smelter_list``, the workbook's Smelter Look-up is read in
``lookup``, and cell text and dates in ``cells``.
"""

from __future__ import annotations

import datetime as dt
import os
import re

from django.template.defaultfilters import filesizeformat

from common.workbooks import WorkbookRejected, XlsxWorkbook, source_name

from . import layouts, validation
from .cells import local_today, parse_date, text
from .layouts import Layout
from .lookup import SmelterLookup, read_lookup
from .result import ERROR, WARNING, Company, Issue, ParseResult, UnreadableWorkbook, gettext_noop
from .smelter_list import SMELTER_COLUMNS, SMELTER_LIST, SmelterList, metal_name
from .vocabulary import Vocabulary, key

DEFAULT_MAX_BYTES = 25 * 1024 * 1024
DECLARATION = "Declaration"
PRODUCT_LIST = "Product List"
MINE_LIST = "Mine List"
LABELS = "L"

_VERSION = re.compile(r"(\d+)\.(\d+)")
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


def parse_workbook(
    source,
    *,
    filename: str | None = None,
    known_smelter_ids: set[str] | None = None,
    max_bytes: int | None = None,
    today: dt.date | None = None,
) -> ParseResult:
    """Parse a CMRT/EMRT from a path or binary file object; raise ``UnreadableWorkbook`` if it is none."""
    name = filename or source_name(source)
    limit = DEFAULT_MAX_BYTES if max_bytes is None else max_bytes
    size = _size(source, name)
    if size > limit:
        raise UnreadableWorkbook(
            gettext_noop("%(file)s is %(size)s; the largest accepted is %(limit)s"),
            file=name,
            size=str(filesizeformat(size)),
            limit=str(filesizeformat(limit)),
        )
    try:
        book = XlsxWorkbook(source, name=name)
    except WorkbookRejected as exc:
        raise UnreadableWorkbook(gettext_noop("%(file)s %(reason)s"), file=name, reason=exc.reason) from exc
    try:
        return _Parser(book, name=name, known_ids=known_smelter_ids or set(), today=today).parse()
    except WorkbookRejected as exc:
        raise UnreadableWorkbook(gettext_noop("%(file)s %(reason)s"), file=name, reason=exc.reason) from exc
    finally:
        book.close()


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
        raise UnreadableWorkbook(gettext_noop("%(file)s: no such file"), file=name) from exc
    except (OSError, AttributeError, ValueError) as exc:
        raise UnreadableWorkbook(
            gettext_noop("%(file)s cannot be read (%(reason)s)"), file=name, reason=str(exc)
        ) from exc


class _Parser:
    def __init__(self, book: XlsxWorkbook, *, name: str, known_ids: set[str], today: dt.date | None):
        self.book = book
        self.name = name
        self.known_ids = {text(cid).upper() for cid in known_ids}
        self.today = today or local_today()
        self.issues: list[Issue] = []

    def issue(self, sheet: str, cell: str, severity: str, text: str, /, **params) -> None:
        self.issues.append(Issue.of(sheet, cell, severity, text, **params))

    # -- entry point -----------------------------------------------------------------------------------
    def parse(self) -> ParseResult:
        for sheet in (DECLARATION, SMELTER_LIST):
            if not self.book.has_sheet(sheet):
                raise UnreadableWorkbook(
                    gettext_noop(
                        "%(file)s has no %(sheet)r sheet, so it is not a CMRT or EMRT "
                        "(sheets found: %(sheets)s)"
                    ),
                    file=self.name,
                    sheet=sheet,
                    sheets=", ".join(self.book.sheet_names) or "none",
                )
        declaration = self.book.cells(DECLARATION, max_row=140, columns="DEFGJ")
        smelter_rows = list(self.book.rows(SMELTER_LIST, min_row=1, columns=SMELTER_COLUMNS))
        lookup = read_lookup(self.book)
        version = self._version(declaration, smelter_rows)
        template = self._template(declaration, lookup, version)
        layout, note = layouts.layout_for(template, version)
        if layout is None:
            raise UnreadableWorkbook(gettext_noop("%(file)s: %(note)s"), file=self.name, note=note)
        if note:
            self.issue(DECLARATION, "J3", WARNING, note.text, **note.params)
        self.vocabulary = Vocabulary(self._terms(layout), self._label_rows)
        result = ParseResult(template=template, version=version, language=text(declaration.get("D3")))
        self._declaration(result, layout, declaration)
        smelter_list = SmelterList(
            lookup=lookup, vocabulary=self.vocabulary, known_ids=self.known_ids, issue=self.issue
        )
        result.smelters = smelter_list.rows(layout, smelter_rows)
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
            gettext_noop(
                '%(file)s has no template revision in %(cell)s (e.g. "Revision 6.5"), '
                "so it is not a CMRT or EMRT"
            ),
            file=self.name,
            cell=f"{DECLARATION}!J3",
        )

    def _template(self, declaration: dict, lookup: SmelterLookup, version: str) -> str:
        title = text(declaration.get("D2")).upper()
        for template in ("CMRT", "EMRT"):
            if template in title:
                return template
        other = re.search(r"\(([A-Z]{2,5}RT)\)", title)  # e.g. "(AMRT)", "(PRT)"
        if other:
            raise UnreadableWorkbook(
                gettext_noop("%(file)s is an %(template)s; only CMRT and EMRT files are read"),
                file=self.name,
                template=other.group(1),
            )
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
                    gettext_noop("%(value)r is not a choice here; pick %(mineral)s or (Delete %(mineral)s)"),
                    value=value,
                    mineral=mineral.capitalize(),
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
            allowed = ", ".join(options)
            if mineral:
                self.issue(
                    DECLARATION,
                    cell,
                    ERROR,
                    gettext_noop(
                        "%(value)r is not an allowed answer to question %(question)s (%(mineral)s); "
                        "allowed: %(allowed)s"
                    ),
                    value=answer,
                    question=question.key,
                    mineral=mineral,
                    allowed=allowed,
                )
            else:
                self.issue(
                    DECLARATION,
                    cell,
                    ERROR,
                    gettext_noop(
                        "%(value)r is not an allowed answer to question %(question)s; allowed: %(allowed)s"
                    ),
                    value=answer,
                    question=question.key,
                    allowed=allowed,
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
            gettext_noop("%(value)r is not a declaration scope; allowed: %(allowed)s"),
            value=value,
            allowed=", ".join(layouts.SCOPES),
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
                gettext_noop("effective date %(value)r is not a date; enter it as a date such as 2025-03-31"),
                value=text(raw),
            )
        return parsed

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
            metal = metal_name(self.vocabulary, mine["metal"])
            if mine["metal"] and not metal:
                self.issue(
                    MINE_LIST,
                    f"A{row}",
                    ERROR,
                    gettext_noop("%(value)r is not a metal this template reports"),
                    value=mine["metal"],
                )
            mine["metal"] = metal or mine["metal"]
            mines.append(mine)
        return mines
