"""The findings workbook of one audit: an .xlsx the agency downloads, fills offline (one row per finding, code
provisions, severities and red-line categories as drop-down lists) and uploads back.

Layout of the sheet ``Findings``: cell A1 holds the audit's reference (an upload for another audit is
refused), row 2 the column headers in the reader's language, findings from row 3. Columns are found by
position, never by header text: A finding no. (filled for the audit's findings, so that uploading the file
again changes them; empty for a new finding), B provision code, C severity, D red-line category,
E description, F auditor notes. The hidden sheet ``Lists`` holds the drop-down lists; ``Help`` explains each
column and its allowed values.

An upload is checked as every office file is (``common.files.inspect_upload``: a macro-enabled, encrypted,
damaged or oversized package, or anything not an .xlsx, is refused naming the file), read with the one table
reader (``common.workbooks.read_table``), and every row is judged by the rule the form and the API use
(``findings.finding_problems``). It is all or nothing: any error, and nothing is saved; every error names its
row and column. Findings are then written by ``finding_create`` / ``finding_update`` in one transaction.
Findings missing from the file are left as they are (the workbook never deletes).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from typing import Any

import openpyxl
from django.db import transaction
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from common import files
from common.workbooks import WorkbookRejected, read_table

from ..models import Audit, CodeProvision, Finding, RedLine, Severity
from .findings import finding_create, finding_problems, finding_update
from .shared import Conflict, Invalid, _require_auditor_can_edit

SHEET = "Findings"
LISTS_SHEET = "Lists"
HELP_SHEET = "Help"
HEADER_ROW = 2
FIRST_ROW = 3
BLANK_ROWS = 100  # empty rows with drop-downs, for new findings
MAX_ROWS = 2_000

# What an upload may be: an .xlsx standing on its own (no macros, no links to other workbooks).
WORKBOOK = files.Accept(frozenset({files.XLSX}), refuse_external_links=True)


@dataclass(frozen=True)
class Column:
    letter: str
    field: str
    label: Any  # lazy: the reader's language
    width: int


COLUMNS = (
    Column("A", "number", gettext_lazy("finding no."), 12),
    Column("B", "provision", gettext_lazy("provision code"), 38),
    Column("C", "severity", gettext_lazy("severity"), 14),
    Column("D", "red_line", gettext_lazy("red-line category"), 40),
    Column("E", "description", gettext_lazy("description"), 60),
    Column("F", "evidence_notes", gettext_lazy("auditor notes"), 50),
)
COLUMN_OF_FIELD = {column.field: column for column in COLUMNS}


@dataclass(frozen=True)
class RowError:
    row: int
    column: str
    name: str
    message: str

    def __str__(self) -> str:
        return _("Row %(row)d, column %(column)s (%(name)s): %(message)s") % {
            "row": self.row,
            "column": self.column,
            "name": self.name,
            "message": self.message,
        }


@dataclass
class WorkbookImport:
    """What an upload did: counts of findings created, updated and left unchanged, or the errors (then
    nothing was saved)."""

    filename: str
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


# --- Building --------------------------------------------------------------------------------------------


def provision_label(provision: CodeProvision, language: str) -> str:
    """How the workbook names a provision: its code, then its title (only the code is read back)."""
    return f"{provision.code} {provision.title_in(language)}"


def _red_line_label(value: str) -> str:
    return str(RedLine(value).label) if value else ""


def _severity_label(value: str, language: str) -> str:
    """A severity as the workbook shows it: its code, followed by its name when the reader's language is not
    English (only the code is read back)."""
    if language.startswith("en"):
        return value
    return f"{value} {Severity(value).label}"


def findings_workbook_build(*, audit: Audit) -> bytes:
    """The audit's findings workbook, in the active language."""
    language = get_language() or "en"
    provisions = CodeProvision.in_use()
    findings = list(Finding.objects.filter(audit=audit).select_related("provision").order_by("number"))
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = SHEET
    lists = book.create_sheet(LISTS_SHEET)
    help_sheet = book.create_sheet(HELP_SHEET)

    bold = Font(bold=True)
    sheet["A1"] = audit.reference
    sheet["A1"].font = bold
    sheet["B1"] = f"{audit.supplier.code} {audit.supplier.name}"
    sheet["D1"] = _(
        "Fill one row per finding, then upload this file on the audit's page. See the sheet Help."
    )
    header_fill = PatternFill("solid", fgColor="DDE6F0")
    for column in COLUMNS:
        cell = sheet[f"{column.letter}{HEADER_ROW}"]
        cell.value = capfirst(str(column.label))
        cell.font = bold
        cell.fill = header_fill
        sheet.column_dimensions[column.letter].width = column.width
    sheet.freeze_panes = f"A{FIRST_ROW}"
    wrap = Alignment(wrap_text=True, vertical="top")
    for row, finding in enumerate(findings, FIRST_ROW):
        values = (
            finding.number,
            provision_label(finding.provision, language),
            _severity_label(finding.severity, language),
            _red_line_label(finding.red_line),
            finding.description,
            finding.evidence_notes,
        )
        for column, value in zip(COLUMNS, values, strict=True):
            cell = sheet[f"{column.letter}{row}"]
            cell.value = value
            cell.alignment = wrap
    last_row = FIRST_ROW + len(findings) + BLANK_ROWS - 1

    # The drop-down lists, on a hidden sheet (a list typed into the validation is limited to 255 characters).
    lists_columns = (
        ("A", _("Provision codes"), [provision_label(p, language) for p in provisions]),
        ("B", _("Severities"), [_severity_label(value, language) for value in Severity.values]),
        ("C", _("Red-line categories"), [str(label) for label in RedLine.labels]),
    )
    for letter, title, values in lists_columns:
        lists[f"{letter}1"] = title
        for row, value in enumerate(values, 2):
            lists[f"{letter}{row}"] = value
        lists.column_dimensions[letter].width = 50
    lists.sheet_state = "hidden"
    for letter, (list_letter, _title, values) in zip("BCD", lists_columns, strict=True):
        validation = DataValidation(
            type="list",
            formula1=f"{LISTS_SHEET}!${list_letter}$2:${list_letter}${len(values) + 1}",
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=_("Not in the list"),
            error=_("Pick a value from the list."),
        )
        validation.add(f"{letter}{FIRST_ROW}:{letter}{last_row}")
        sheet.add_data_validation(validation)
    number = DataValidation(
        type="whole",
        operator="greaterThan",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=_("Finding number"),
        error=_("Leave it empty for a new finding; keep the number of an existing one."),
    )
    number.add(f"A{FIRST_ROW}:A{last_row}")
    sheet.add_data_validation(number)

    _write_help(help_sheet, audit=audit, provisions=provisions, language=language)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _write_help(sheet, *, audit: Audit, provisions: list[CodeProvision], language: str) -> None:
    bold = Font(bold=True)
    wrap = Alignment(wrap_text=True, vertical="top")
    sheet.column_dimensions["A"].width = 24
    sheet.column_dimensions["B"].width = 90
    lines: list[tuple[str, str, bool]] = [
        (_("Findings workbook of audit %(reference)s") % {"reference": audit.reference}, "", True),
        (
            "",
            _(
                "Fill the sheet Findings: one row per finding, from row 3. Rows of findings already "
                "recorded carry their number in column A: change them there. For a new finding leave "
                "column A empty. Then upload the file on the audit's page. If any row has an error, nothing "
                "is saved and every error is listed with its row and column. Findings missing from the file "
                "are not deleted."
            ),
            False,
        ),
        ("", "", False),
        (_("Column"), _("What to enter"), True),
        (
            f"A {capfirst(str(COLUMN_OF_FIELD['number'].label))}",
            _("Filled for recorded findings; empty for a new finding."),
            False,
        ),
        (
            f"B {capfirst(str(COLUMN_OF_FIELD['provision'].label))}",
            _("Required. The code of conduct provision, from the list (only the code, such as A3, is read)."),
            False,
        ),
        (
            f"C {capfirst(str(COLUMN_OF_FIELD['severity'].label))}",
            _("Required. One of: %(choices)s. A red-line finding is priority.")
            % {"choices": ", ".join(Severity.values)},
            False,
        ),
        (
            f"D {capfirst(str(COLUMN_OF_FIELD['red_line'].label))}",
            _("Empty, or a red-line category 1 to 9 from the list (only the number is read)."),
            False,
        ),
        (
            f"E {capfirst(str(COLUMN_OF_FIELD['description'].label))}",
            _("Required. What was found, as the supplier will read it."),
            False,
        ),
        (
            f"F {capfirst(str(COLUMN_OF_FIELD['evidence_notes'].label))}",
            _("Optional. What you saw (records, interviews, photos); the supplier never sees it."),
            False,
        ),
        ("", "", False),
        (_("Severities"), "", True),
        *((value, str(label), False) for value, label in Severity.choices),
        ("", "", False),
        (_("Red-line categories"), "", True),
        *((value, str(label), False) for value, label in RedLine.choices),
        ("", "", False),
        (_("Provision codes"), "", True),
        *((p.code, p.title_in(language), False) for p in provisions),
    ]
    for row, (first, second, strong) in enumerate(lines, 1):
        sheet[f"A{row}"] = first
        sheet[f"B{row}"] = second
        sheet[f"B{row}"].alignment = wrap
        if strong:
            sheet[f"A{row}"].font = bold
            sheet[f"B{row}"].font = bold


# --- Reading ---------------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    finding: Finding | None
    values: dict[str, Any]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value).strip()


def _severity_value(text: str) -> str:
    """A severity as typed or picked: its code (alone or followed by its name), or its name in the reader's
    language, any case."""
    wanted = text.strip().casefold()
    first = wanted.split()[0] if wanted else ""
    for value, label in Severity.choices:
        if first == value or wanted == str(label).casefold():
            return value
    return text.strip()


_LEADING_NUMBER = re.compile(r"^\s*(\d+)(?:\s|$)")
_REFERENCE = re.compile(r"^[A-Z]+-\d{4}-\d+$")  # an audit's reference, as ``audit_create`` makes it


def _red_line_value(text: str) -> str:
    """A red-line category as typed or picked: its number, alone or followed by the label."""
    match = _LEADING_NUMBER.match(text)
    return match.group(1) if match else text.strip()


class _Rows:
    """The rows of one upload, checked one by one; errors collected with their row and column."""

    def __init__(self, *, audit: Audit, language: str):
        self.audit = audit
        self.existing = {f.number: f for f in Finding.objects.filter(audit=audit).select_related("provision")}
        self.provisions = {p.code.upper(): p for p in CodeProvision.in_use()}
        self.language = language
        self.rows: list[_Row] = []
        self.errors: list[RowError] = []
        self.seen: dict[int, int] = {}

    def error(self, row: int, field_name: str, message: str) -> None:
        column = COLUMN_OF_FIELD[field_name]
        self.errors.append(RowError(row=row, column=column.letter, name=str(column.label), message=message))

    def add(self, row: int, cells: list[Any]) -> None:
        texts = [_text(value) for value in (cells + [None] * len(COLUMNS))[: len(COLUMNS)]]
        if not any(texts):
            return
        number_text, provision_text, severity_text, red_line_text, description, notes = texts
        wrong: set[str] = set()
        finding = self._finding(row, number_text, wrong)
        provision = self._provision(row, provision_text, finding, wrong)
        severity = _severity_value(severity_text)
        if not severity:
            self.error(
                row, "severity", _("Pick a severity: %(choices)s.") % {"choices": ", ".join(Severity.values)}
            )
            wrong.add("severity")
        red_line = _red_line_value(red_line_text)
        for problem in finding_problems(
            severity=severity, red_line=red_line, description=description, provision=provision
        ):
            if problem.field not in wrong:
                self.error(row, problem.field, problem.message)
                wrong.add(problem.field)
        if not wrong:
            values = {
                "provision": provision,
                "severity": severity,
                "red_line": red_line,
                "description": description,
                "evidence_notes": notes,
            }
            self.rows.append(_Row(number=row, finding=finding, values=values))

    def _finding(self, row: int, text: str, wrong: set[str]) -> Finding | None:
        if not text:
            return None
        if not text.isdigit():
            self.error(
                row,
                "number",
                _("'%(value)s' is not a finding number; leave the cell empty for a new finding.")
                % {"value": text},
            )
            wrong.add("number")
            return None
        number = int(text)
        if number not in self.existing:
            self.error(
                row,
                "number",
                _("Audit %(reference)s has no finding %(number)d; leave the cell empty for a new finding.")
                % {"reference": self.audit.reference, "number": number},
            )
            wrong.add("number")
            return None
        if number in self.seen:
            self.error(
                row,
                "number",
                _("Finding %(number)d is on row %(first)d already.")
                % {"number": number, "first": self.seen[number]},
            )
            wrong.add("number")
            return None
        self.seen[number] = row
        return self.existing[number]

    def _provision(
        self, row: int, text: str, finding: Finding | None, wrong: set[str]
    ) -> CodeProvision | None:
        code = text.split()[0].upper() if text.split() else ""
        if not code:
            self.error(row, "provision", _("Pick a provision code from the list."))
            wrong.add("provision")
            return None
        if finding is not None and finding.provision.code.upper() == code:
            return finding.provision  # unchanged, even if its code version is no longer the latest
        provision = self.provisions.get(code)
        if provision is None:
            self.error(
                row,
                "provision",
                _("'%(value)s' is not a code provision in use; pick one from the list.") % {"value": text},
            )
            wrong.add("provision")
        return provision


class _RollBack(Exception):
    pass


def findings_workbook_import(*, audit: Audit, upload, by) -> WorkbookImport:
    """Create and change the audit's findings from an uploaded workbook, all or nothing. Raises ``Invalid``
    (field ``file``) for a file that cannot be read or is not this audit's workbook, and ``Conflict`` when
    the audit can no longer be changed by the agency; row problems come back in ``errors``."""
    name = os.path.basename(getattr(upload, "name", "") or "") or "upload"
    _require_auditor_can_edit(audit)
    try:
        files.inspect_upload(upload, accept=WORKBOOK)
    except files.UploadRejected as refused:
        raise Invalid(refused.message, field="file") from refused
    rows = _Rows(audit=audit, language=get_language() or "en")
    reference = ""
    try:
        table = read_table(upload, filename=name, sheets=(SHEET,), max_rows=MAX_ROWS)
        for number, cells in table.rows:
            if number == 1:
                reference = _text(cells[0] if cells else None)
            elif number >= FIRST_ROW:
                rows.add(number, cells)
    except WorkbookRejected as refused:
        raise Invalid(refused.message, field="file") from refused
    if reference != audit.reference:
        if _REFERENCE.match(reference):
            message = _(
                "%(name)s is the findings workbook of audit %(other)s, not of %(reference)s: download this "
                "audit's workbook and fill it in."
            ) % {"name": name, "other": reference[:40], "reference": audit.reference}
        else:
            message = _(
                "%(name)s is not a findings workbook (cell A1 of the sheet Findings holds the audit's "
                "reference): download the audit's workbook and fill it in."
            ) % {"name": name}
        raise Invalid(message, field="file")
    result = WorkbookImport(filename=name)
    if rows.errors:
        result.errors = sorted(rows.errors, key=lambda e: (e.row, e.column))
        return result
    try:
        with transaction.atomic():
            for row in rows.rows:
                _write_row(row, audit=audit, by=by, result=result)
    except _RollBack:
        return WorkbookImport(filename=name, errors=result.errors)
    return result


def _write_row(row: _Row, *, audit: Audit, by, result: WorkbookImport) -> None:
    try:
        if row.finding is None:
            finding_create(audit=audit, by=by, **row.values)
            result.created += 1
            return
        changes = {name: value for name, value in row.values.items() if getattr(row.finding, name) != value}
        if not changes:
            result.unchanged += 1
            return
        finding_update(finding=row.finding, by=by, **changes)
        result.updated += 1
    except Conflict:
        raise
    except Invalid as refused:
        column = COLUMN_OF_FIELD.get(refused.field or "", COLUMN_OF_FIELD["number"])
        result.errors.append(
            RowError(row=row.number, column=column.letter, name=str(column.label), message=refused.message)
        )
        raise _RollBack from refused
