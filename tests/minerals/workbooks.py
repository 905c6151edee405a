"""Workbooks for the CMRT/EMRT parser tests: RMI's official blank templates filled in with openpyxl, and
CMRT-layout workbooks built from scratch (so the suite covers the parser without the templates).

The cell addresses here are written down from the templates independently of the parser's own cell map;
``test_parser`` also checks them against the labels in each template's sheet L.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path

import openpyxl

REPO = Path(__file__).resolve().parents[2]


def templates_dir() -> Path | None:
    """RMI's official blank templates: $RMI_TEMPLATES_DIR, else ../shared/rmi-templates next to the repo."""
    configured = os.environ.get("RMI_TEMPLATES_DIR")
    folder = Path(configured) if configured else REPO.parent / "shared" / "rmi-templates"
    return folder if folder.is_dir() and any(folder.glob("*.xlsx")) else None


def template_files() -> list[Path]:
    folder = templates_dir()
    return sorted(folder.glob("*.xlsx")) if folder else []


# --------------------------------------------------------------------------------------------------------
# Where the templates keep things (from the official files; see test_cell_maps_match_template_labels).
# --------------------------------------------------------------------------------------------------------
CMRT_COMPANY_CELLS = {
    "name": "D8",
    "scope": "D9",
    "scope_description": "D10",
    "unique_id": "D12",
    "unique_id_authority": "D13",
    "address": "D14",
    "contact_name": "D15",
    "contact_email": "D16",
    "contact_phone": "D17",
    "authorizer": "D18",
    "authorizer_title": "D19",
    "authorizer_email": "D20",
    "authorizer_phone": "D21",
    "effective_date": "D22",
}
EMRT2_COMPANY_CELLS = {
    **{
        name: cell
        for name, cell in CMRT_COMPANY_CELLS.items()
        if name in ("name", "scope", "scope_description")
    },
    "unique_id": "D16",
    "unique_id_authority": "D17",
    "address": "D18",
    "contact_name": "D19",
    "contact_email": "D20",
    "contact_phone": "D21",
    "authorizer": "D22",
    "authorizer_title": "D23",
    "authorizer_email": "D24",
    "authorizer_phone": "D25",
    "effective_date": "D26",
}
# English labels (sheet L, column D) of the company fields, at B<row of the field>.
COMPANY_LABELS = {
    "name": "Company Name (*):",
    "scope": "Declaration Scope or Class (*):",
    "unique_id": "Company Unique ID:",
    "contact_name": "Contact Name (*):",
    "authorizer": "Authorizer (*):",
    "effective_date": "Effective Date (*):",
}


@dataclass
class Kind:
    """One family of template layouts and the answers the tests fill in."""

    company_cells: dict[str, str]
    minerals: tuple[str, ...]  # minerals the test declares (in the order of the Declaration rows)
    question_rows: dict[str, int]  # first answer row per question
    answers: dict[str, str]  # per-mineral answers (English)
    company_rows: dict[str, int]
    company_answers: dict[str, str]
    mineral_company_rows: dict[str, int] = field(default_factory=dict)
    mineral_company_answers: dict[str, dict[str, str]] = field(default_factory=dict)
    fixed_minerals: tuple[str, ...] = ()  # the template's per-metal row order (CMRT, EMRT 1.x)
    selection_cells: dict[str, str] = field(default_factory=dict)  # EMRT 2.x minerals-in-scope cells
    answer_exceptions: dict[tuple[str, str], str] = field(default_factory=dict)  # (mineral, question)
    skip: tuple[tuple[str, str], ...] = ()  # (mineral, question) not asked
    product_comment_column: str = "D"
    has_mine_list: bool = False


CMRT = Kind(
    company_cells=CMRT_COMPANY_CELLS,
    minerals=("tantalum", "tin", "gold", "tungsten"),
    fixed_minerals=("tantalum", "tin", "gold", "tungsten"),
    question_rows={"1": 26, "2": 32, "3": 38, "4": 44, "5": 50, "6": 56, "7": 62, "8": 68},
    answers={
        "1": "Yes",
        "2": "Yes",
        "3": "No",
        "4": "No",
        "5": "Unknown",
        "6": "Greater than 90%",
        "7": "Yes",
        "8": "Yes",
    },
    company_rows={"A": 75, "B": 77, "C": 79, "D": 81, "E": 83, "F": 85, "G": 87, "H": 89},
    company_answers={
        "A": "Yes",
        "B": "Yes",
        "C": "No",
        "D": "Yes",
        "E": "Yes, in conformance with IPC1755 (e.g., CMRT)",
        "F": "Yes",
        "G": "No",
        "H": "No",
    },
)
EMRT1 = Kind(
    company_cells=CMRT_COMPANY_CELLS,
    minerals=("cobalt", "mica"),
    fixed_minerals=("cobalt", "mica"),
    question_rows={"1": 26, "2": 32, "3": 38, "4": 44, "5": 50, "6": 56, "7": 62},
    answers={
        "1": "Yes",
        "2": "Yes",
        "3": "No",
        "4": "Unknown",
        "5": "Greater than 75%",
        "6": "Yes",
        "7": "Yes",
    },
    answer_exceptions={("mica", "3"): "India and/or Madagascar only"},
    skip=(("mica", "4"),),
    company_rows={"A": 69, "B": 71, "D": 77, "E": 79, "F": 81, "G": 83},
    company_answers={
        "A": "Yes",
        "B": "No",
        "D": "Yes",
        "E": "Yes, Using Other Format (Describe)",
        "F": "Yes",
        "G": "Yes",
    },
    mineral_company_rows={"C": 74},
    mineral_company_answers={"C": {"cobalt": "Yes", "mica": "Yes, when more processors are validated"}},
)
EMRT2 = Kind(
    company_cells=EMRT2_COMPANY_CELLS,
    minerals=("cobalt", "lithium", "nickel"),
    selection_cells={
        "cobalt": "D12",
        "copper": "E12",
        "graphite": "G12",
        "lithium": "D13",
        "mica": "E13",
        "nickel": "G13",
    },
    question_rows={"1": 30, "2": 42, "3": 54, "4": 66, "5": 78, "6": 90, "7": 102},
    answers={"1": "Yes", "2": "Yes", "3": "No", "4": "Unknown", "5": "Did not survey", "6": "Yes", "7": "No"},
    company_rows={"A": 115, "B": 117, "D": 131, "E": 133, "F": 135, "G": 137},
    company_answers={"A": "Yes", "B": "No", "D": "Yes", "E": "No", "F": "Yes", "G": "No"},
    mineral_company_rows={"C": 120},
    mineral_company_answers={
        "C": {"cobalt": "Yes", "lithium": "Yes, when more processors are validated", "nickel": "No"}
    },
    has_mine_list=True,
)

JAPANESE = {"Yes": "はい", "No": "いいえ"}


def kind_of(path: Path) -> Kind:
    name = path.name
    if "CMRT" in name:
        return CMRT
    return EMRT1 if "EMRT_1." in name else EMRT2


def version_of(path: Path) -> str:
    return path.stem.rsplit("_", 1)[1]


@dataclass
class Expected:
    template: str
    version: str
    company: dict
    minerals_in_scope: list[str]
    answers: dict[str, dict[str, str]]
    comments: dict[str, dict[str, str]]
    company_answers: dict[str, str]
    smelters: list[tuple[str, str, str, str]]  # (metal, CID, name, country) in row order
    products: list[tuple[str, str]]
    mines: list[tuple[str, str]]  # (metal, mine name)
    warnings: set[tuple[str, str]] = field(default_factory=set)  # (sheet, cell)


def company_values(effective: dt.date) -> dict:
    return {
        "name": "Acme Components Ltd.",
        "scope": "B. Product (or List of Products)",
        "scope_description": "",
        "unique_id": "123456789",
        "unique_id_authority": "DUNS",
        "address": "1 Harbour Road, Singapore",
        "contact_name": "Mei Tan",
        "contact_email": "mei.tan@acme.example",
        "contact_phone": "+65 6000 0000",
        "authorizer": "Lee Wong",
        "authorizer_title": "Director",
        "authorizer_email": "lee.wong@acme.example",
        "authorizer_phone": "+65 6000 0001",
        "effective_date": effective,
    }


def _lookup_rows(wb) -> list[tuple]:
    rows = []
    for values in wb["Smelter Look-up"].iter_rows(min_row=5, max_col=9, values_only=True):
        metal, _alias, name, country, cid, source, street, city, state = values
        if isinstance(cid, str) and cid.startswith("CID") and isinstance(metal, str):
            rows.append((metal.lower(), name, country, cid, source, street, city, state))
    return rows


def _set(ws, cell: str, value) -> None:
    ws[cell] = value


def fill_official_template(
    template: Path, folder: Path, *, today: dt.date
) -> dict[str, tuple[Path, Expected]]:
    """Fill ``template`` three ways and save each: English with the cached values a spreadsheet program
    would store, English with formulas only (no cached values, as saved by openpyxl), and Japanese with
    translated Yes/No answers and no cached values. Returns {flavour: (path, expected)}."""
    kind = kind_of(template)
    version = version_of(template)
    wb = openpyxl.load_workbook(template)
    languages = [v for v in next(wb["L"].iter_rows(min_row=1, max_row=1, values_only=True)) if v]
    english = next(v for v in languages if v == "English")
    japanese = next(v for v in languages if "Japanese" in v)
    declaration = wb["Declaration"]
    smelter_list = wb["Smelter List"]
    smelter_list.delete_rows(306, smelter_list.max_row)  # 300 formula rows are plenty and save much faster

    effective = today - dt.timedelta(days=30)
    company = company_values(effective)
    for name, cell in kind.company_cells.items():
        value = company[name]
        if value == "":
            continue
        _set(
            declaration, cell, dt.datetime.combine(value, dt.time()) if isinstance(value, dt.date) else value
        )

    for mineral, cell in kind.selection_cells.items():
        _set(
            declaration,
            cell,
            mineral.capitalize() if mineral in kind.minerals else f"(Delete {mineral.capitalize()})",
        )
    row_order = list(kind.fixed_minerals) or sorted(kind.minerals)

    answers: dict[str, dict[str, str]] = {}
    comments: dict[str, dict[str, str]] = {}
    answer_cells: list[tuple[str, str]] = []  # (cell, English answer) — for the translated flavour
    for question, first_row in kind.question_rows.items():
        for index, mineral in enumerate(row_order):
            if mineral not in kind.minerals or (mineral, question) in kind.skip:
                continue
            answer = kind.answer_exceptions.get((mineral, question), kind.answers[question])
            cell = f"D{first_row + index}"
            _set(declaration, cell, answer)
            answer_cells.append((cell, answer))
            answers.setdefault(mineral, {})[question] = answer
            if question == "1":
                _set(declaration, f"G{first_row + index}", f"{mineral} is used in plating")
                comments.setdefault(mineral, {})["1"] = f"{mineral} is used in plating"
    for question, first_row in kind.mineral_company_rows.items():
        for index, mineral in enumerate(row_order):
            if mineral in kind.minerals:
                answer = kind.mineral_company_answers[question][mineral]
                _set(declaration, f"D{first_row + index}", answer)
                answer_cells.append((f"D{first_row + index}", answer))
                answers[mineral][question] = answer
    for question, row in kind.company_rows.items():
        _set(declaration, f"D{row}", kind.company_answers[question])
        answer_cells.append((f"D{row}", kind.company_answers[question]))
    _set(declaration, f"G{kind.company_rows['B']}", "https://acme.example/minerals-policy")
    comments["company"] = {"B": "https://acme.example/minerals-policy"}

    # Smelters: two per declared mineral from the template's own look-up, then one "Smelter not listed".
    lookup = _lookup_rows(wb)
    chosen = []
    for mineral in kind.minerals:
        cids = list(dict.fromkeys(r[3] for r in lookup if r[0] == mineral))[:2]
        chosen += [next(r for r in lookup if r[3] == cid) for cid in cids]
    first = 5
    for offset, (_metal, _name, _country, cid, *_rest) in enumerate(chosen):
        _set(smelter_list, f"A{first + offset}", cid)
        _set(smelter_list, f"P{first + offset}", "No")
    not_listed_row = first + len(chosen)
    not_listed_metal = kind.minerals[0]
    for column, value in zip(
        "BCDE",
        (not_listed_metal.capitalize(), "Smelter not listed", "Example Refinery GmbH", "GERMANY"),
        strict=True,
    ):
        _set(smelter_list, f"{column}{not_listed_row}", value)
    smelters = [(metal, cid, name, country) for metal, name, country, cid, *_ in chosen]
    smelters.append((not_listed_metal, "", "Example Refinery GmbH", "GERMANY"))

    products_sheet = wb["Product List"]
    for row, (number, name) in enumerate((("P-100", "Connector"), ("P-200", "Cable assembly")), start=6):
        _set(products_sheet, f"B{row}", number)
        _set(products_sheet, f"C{row}", name)
    mines = []
    if kind.has_mine_list:
        mine_list = wb["Mine List"]
        metal, name, country = chosen[0][0], chosen[0][1], chosen[0][2]
        for column, value in zip(
            "ABCDF", (metal.capitalize(), name, "Example Mine", "M-001", country), strict=True
        ):
            _set(mine_list, f"{column}5", value)
        mines.append((metal, "Example Mine"))

    expected = Expected(
        template="CMRT" if "CMRT" in template.name else "EMRT",
        version=version,
        company={**company, "effective_date": effective},
        minerals_in_scope=list(kind.minerals),
        answers=answers,
        comments=comments,
        company_answers=dict(kind.company_answers),
        smelters=smelters,
        products=[("P-100", "Connector"), ("P-200", "Cable assembly")],
        mines=mines,
    )
    results: dict[str, tuple[Path, Expected]] = {}

    # 1. Formulas only: B-J keep the template's formulas, which openpyxl saves without cached values.
    _set(declaration, "D3", english)
    formulas_expected = Expected(**expected.__dict__)
    if version == "6.4":  # the blank 6.4 holds leftover values in B5, C5 and F5
        formulas_expected.warnings = {("Smelter List", "B5"), ("Smelter List", "C5"), ("Smelter List", "F5")}
    path = folder / f"{template.stem}-formulas.xlsx"
    wb.save(path)
    results["formulas"] = (path, formulas_expected)

    # 2. Japanese selection, translated Yes/No answers, still no cached values.
    _set(declaration, "D3", japanese)
    for cell, answer in answer_cells:
        if answer in JAPANESE:
            _set(declaration, cell, JAPANESE[answer])
    for offset in range(len(chosen)):
        _set(smelter_list, f"P{first + offset}", JAPANESE["No"])
    path = folder / f"{template.stem}-japanese.xlsx"
    wb.save(path)
    results["japanese"] = (path, Expected(**formulas_expected.__dict__))

    # 3. English with cached values: B-J hold plain values, as a spreadsheet program caches them.
    _set(declaration, "D3", english)
    for cell, answer in answer_cells:
        _set(declaration, cell, answer)
    for offset, (metal, name, country, cid, source, street, city, state) in enumerate(chosen):
        row = first + offset
        for column, value in zip(
            "BCDEFGHIJ",
            (metal.capitalize(), name, None, country, cid, source, street, city, state),
            strict=True,
        ):
            _set(smelter_list, f"{column}{row}", value)
        _set(smelter_list, f"P{row}", "No")
    path = folder / f"{template.stem}-cached.xlsx"
    wb.save(path)
    results["cached"] = (path, Expected(**expected.__dict__))
    return results


def template_labels(template: Path) -> dict[str, str]:
    """Sheet L of an official template: {"Declaration" + "B8": English label}."""
    wb = openpyxl.load_workbook(template, read_only=True)
    try:
        return {
            f"{sheet}{cell}": str(english)
            for _formula, sheet, cell, english, *_ in wb["L"].iter_rows(min_row=2, values_only=True)
            if sheet and cell and english is not None
        }
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------------------
# CMRT-layout workbooks built from scratch
# --------------------------------------------------------------------------------------------------------
LOOKUP = [
    # metal, look-up name, standard name, country, CID, source, street, city, state
    ("Gold", "8853 S.p.A.", "8853 S.p.A.", "ITALY", "CID002763", "RMI", None, "Pero", "Lombardia"),
    (
        "Gold",
        "Advanced Chemical Company",
        "Advanced Chemical Company",
        "UNITED STATES OF AMERICA",
        "CID000015",
        "RMI",
        None,
        "Warwick",
        "Rhode Island",
    ),
    (
        "Tin",
        "Alpha",
        "Alpha",
        "UNITED STATES OF AMERICA",
        "CID000292",
        "RMI",
        None,
        "Altoona",
        "Pennsylvania",
    ),
    (
        "Tin",
        "PT Timah Tbk Kundur",
        "PT Timah Tbk Kundur",
        "INDONESIA",
        "CID001477",
        "RMI",
        None,
        "Kundur",
        "Kepulauan Riau",
    ),
    (
        "Tantalum",
        "AMG Brasil",
        "AMG Brasil",
        "BRAZIL",
        "CID001076",
        "RMI",
        None,
        "Sao Joao del Rei",
        "Minas Gerais",
    ),
    (
        "Tungsten",
        "Kennametal Huntsville",
        "Kennametal Huntsville",
        "UNITED STATES OF AMERICA",
        "CID000105",
        "RMI",
        None,
        "Huntsville",
        "Alabama",
    ),
    ("Tin", "Smelter not listed", None, None, None, None, None, None, None),
    ("Tin", "Smelter not yet identified", "Unknown", "Unknown", None, None, None, None, None),
]
LOOKUP_BY_CID = {row[4]: row for row in LOOKUP if row[4]}

SMELTER_FORMULAS = {
    "B": "=IF(LEN(A{r})=0,\"\",INDEX('Smelter Look-up'!$A:$A,MATCH($A{r},'Smelter Look-up'!$E:$E,0)))",
    "C": "=IF(LEN(A{r})=0,\"\",INDEX('Smelter Look-up'!$C:$C,MATCH($A{r},'Smelter Look-up'!$E:$E,0)))",
    "E": '=IF(ISERROR($V{r}),"",OFFSET(\'Smelter Look-up\'!$D$4,$V{r}-4,0)&"")',
    "F": "=IF(ISERROR($V{r}),\"\",OFFSET('Smelter Look-up'!$E$4,$V{r}-4,0))",
    "G": "=IF(ISERROR($V{r}),\"\",OFFSET('Smelter Look-up'!$F$4,$V{r}-4,0))",
}


def clean_declaration(*, effective: dt.date, version: str = "6.5") -> dict[str, object]:
    """Declaration cells of a complete, consistent CMRT: tin and gold used, tantalum and tungsten not."""
    cells: dict[str, object] = {
        "D2": "Conflict Minerals Reporting Template (CMRT)",
        "D3": "English",
        "J3": f"Revision {version}\nApril 25, 2025",
    }
    company = company_values(effective)
    company["scope"] = "A. Company"
    for name, cell in CMRT_COMPANY_CELLS.items():
        cells[cell] = company[name] or None
    cells["D22"] = dt.datetime.combine(effective, dt.time())
    used = {"tin", "gold"}
    for index, mineral in enumerate(CMRT.fixed_minerals):
        cells[f"D{26 + index}"] = "Yes" if mineral in used else "No"
        if mineral in used:
            for question, row in CMRT.question_rows.items():
                if question != "1":
                    cells[f"D{row + index}"] = CMRT.answers[question]
    for question, row in CMRT.company_rows.items():
        cells[f"D{row}"] = CMRT.company_answers[question]
    cells["G77"] = "https://acme.example/minerals-policy"
    return cells


def smelter_row(cid: str, *, cached: bool = True, recycled: str = "No") -> dict[str, object]:
    """Column values of a Smelter List row typed by CID; ``cached`` adds the values B-J would show."""
    metal, _alias, name, country, _cid, source, street, city, state = LOOKUP_BY_CID[cid]
    row: dict[str, object] = {"A": cid, "P": recycled}
    if cached:
        row.update(
            {"B": metal, "C": name, "E": country, "F": cid, "G": source, "H": street, "I": city, "J": state}
        )
    else:
        row.update(SMELTER_FORMULAS)
    return row


def clean_smelters(*, cached: bool = True) -> dict[int, dict[str, object]]:
    return {
        5: smelter_row("CID002763", cached=cached),
        6: smelter_row("CID000015", cached=cached),
        7: smelter_row("CID000292", cached=cached),
        8: smelter_row("CID001477", cached=cached, recycled="Yes"),
    }


def build_workbook(
    path: Path,
    *,
    declaration: dict[str, object],
    smelters: dict[int, dict[str, object]] | None = None,
    products: dict[int, dict[str, object]] | None = None,
    lookup: list[tuple] | None = None,
    labels: list[tuple] | None = None,
    sheets: tuple[str, ...] = (
        "Declaration",
        "Smelter List",
        "Checker",
        "Product List",
        "Smelter Look-up",
        "L",
    ),
) -> Path:
    """Save a workbook with the CMRT sheet layout: values by cell address, rows by number."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name in sheets:
        wb.create_sheet(name)
    if "Declaration" in sheets:
        for cell, value in declaration.items():
            wb["Declaration"][cell] = value
    if "Smelter List" in sheets:
        ws = wb["Smelter List"]
        for column, header in zip(
            "ABCDEFG",
            (
                "Smelter Identification Number Input Column",
                "Metal (*)",
                "Smelter Look-up (*)",
                "Smelter Name (1)",
                "Smelter Country (*)",
                "Smelter Identification",
                "Source",
            ),
            strict=True,
        ):
            ws[f"{column}4"] = header
        for row, values in (smelters or {}).items():
            for column, value in values.items():
                ws[f"{column}{row}"] = (
                    value.format(r=row) if isinstance(value, str) and value.startswith("=") else value
                )
    if "Product List" in sheets:
        for row, values in (products or {}).items():
            for column, value in values.items():
                wb["Product List"][f"{column}{row}"] = value
    if "Smelter Look-up" in sheets:
        ws = wb["Smelter Look-up"]
        for index, values in enumerate(LOOKUP if lookup is None else lookup, start=5):
            for column, value in zip("ABCDEFGHI", values, strict=False):
                ws[f"{column}{index}"] = value
    if "L" in sheets:
        ws = wb["L"]
        ws.append([None, "Sheets", "Cells", "English", "中文 Chinese", "日本語 Japanese"])
        for sheet, cell, *texts in labels or [
            ("Declaration", "B96", "Yes", "是", "はい"),
            ("Declaration", "B97", "No", "否", "いいえ"),
            ("Declaration", "B100", "Greater than 90%", "大于 90%", "90%超"),
        ]:
            ws.append([None, sheet, cell, *texts])
    wb.save(path)
    return path


def rewrite_part(path: Path, part: str, change) -> Path:
    """Rewrite one XML part of a saved .xlsx with ``change(text) -> text`` (other writers' dialects)."""
    import zipfile

    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    parts[part] = change(parts[part].decode()).encode()
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in parts.items():
            target.writestr(name, data)
    return path


def without_cell_references(xml: str) -> str:
    """Write rows and cells without their optional r="A1" attributes, as some writers do: every row from
    row 1 and every cell from column A is then written, empty ones included (position is all there is)."""
    import re

    from openpyxl.utils.cell import column_index_from_string, coordinate_from_string

    rows: dict[int, dict[int, str]] = {}
    for match in re.finditer(r"<c\b[^>]*?\br=\"([A-Z]+[0-9]+)\"[^>]*?(?:/>|>.*?</c>)", xml, re.S):
        column, row = coordinate_from_string(match.group(1))
        cell = re.sub(r' r="[A-Z]+[0-9]+"', "", match.group(0), count=1)
        rows.setdefault(row, {})[column_index_from_string(column)] = cell
    last_row = max(rows, default=0)
    body = "".join(
        "<row>"
        + "".join(rows.get(r, {}).get(c, "<c/>") for c in range(1, max(rows.get(r, {0: ""}), default=0) + 1))
        + "</row>"
        for r in range(1, last_row + 1)
    )
    start, end = xml.index("<sheetData"), xml.index("</sheetData>") + len("</sheetData>")
    return xml[:start] + f"<sheetData>{body}</sheetData>" + xml[end:]


def with_namespace_prefix(xml: str) -> str:
    """Write every element with an "x:" prefix instead of the default namespace."""
    import re

    xml = xml.replace(
        'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        'xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"',
        1,
    )
    return re.sub(r"<(/?)(?!\?)([A-Za-z]+)([\s/>])", r"<\1x:\2\3", xml)
