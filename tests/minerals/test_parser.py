"""The CMRT/EMRT parser on RMI's official templates (filled by the tests) and on workbooks built here."""

import datetime as dt

import pytest
from django.utils import timezone

from minerals.cmrt import ParseResult, UnreadableWorkbook, parse_workbook
from tests.minerals import workbooks as wb

TEMPLATES = wb.template_files()
NO_TEMPLATES = pytest.mark.skip(
    reason="RMI's official templates are not available "
    "(looked in $RMI_TEMPLATES_DIR and ../shared/rmi-templates)"
)
TEMPLATE_PARAMS = [pytest.param(path, id=path.stem) for path in TEMPLATES] or [
    pytest.param(None, id="no-templates", marks=NO_TEMPLATES)
]


def issues_at(result: ParseResult, severity: str | None = None) -> set[tuple[str, str]]:
    return {(i.sheet, i.cell) for i in result.issues if severity is None or i.severity == severity}


def messages(result: ParseResult) -> str:
    return "\n".join(str(issue) for issue in result.issues)


# ---------------------------------------------------------------------------------------------------------
# Official templates
# ---------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module", params=TEMPLATE_PARAMS)
def filled(request, tmp_path_factory):
    """One official template filled three ways: {flavour: (path, expected)}."""
    folder = tmp_path_factory.mktemp(request.param.stem)
    return wb.fill_official_template(request.param, folder, today=timezone.localdate())


@pytest.mark.parametrize("flavour", ["cached", "formulas", "japanese"])
def test_filled_official_template_reads_back_what_was_filled(filled, flavour):
    path, expected = filled[flavour]

    result = parse_workbook(path)

    assert (result.template, result.version) == (expected.template, expected.version)
    company = result.company
    for name, value in expected.company.items():
        assert getattr(company, name) == value, name
    assert result.minerals_in_scope == expected.minerals_in_scope
    assert result.answers == expected.answers
    assert result.comments == expected.comments
    assert result.company_answers == expected.company_answers
    assert [(s.metal, s.smelter_id, s.name, s.country) for s in result.smelters] == expected.smelters
    assert {s.recycled for s in result.smelters if s.smelter_id} == {"no"}
    assert [(p["number"], p["name"]) for p in result.products] == expected.products
    assert [(m["metal"], m["name"]) for m in result.mines] == expected.mines
    assert not result.has_errors, messages(result)
    assert issues_at(result, "warning") == expected.warnings, messages(result)


CMRT_64 = [t for t in TEMPLATES if t.name == "RMI_CMRT_6.4.xlsx"]


@pytest.mark.skipif(
    not CMRT_64, reason="RMI_CMRT_6.4.xlsx (the template that ships leftover values) is absent"
)
def test_leftover_values_in_a_formula_column_never_beat_the_cid_in_column_a(tmp_path):
    """RMI_CMRT_6.4.xlsx ships with leftover values (Tin, Alpha Metals) in Smelter List row 5."""
    path, expected = wb.fill_official_template(CMRT_64[0], tmp_path, today=timezone.localdate())["formulas"]

    result = parse_workbook(path)

    first = result.smelters[0]
    assert (first.row, first.metal, first.smelter_id) == (5, expected.smelters[0][0], expected.smelters[0][1])
    warning = next(i for i in result.issues if i.cell == "B5")
    assert "'Tin'" in warning.message and "column A was used" in warning.message


@pytest.mark.parametrize("template", TEMPLATE_PARAMS)
def test_cell_maps_match_template_labels(template):
    labels = wb.template_labels(template)
    kind = wb.kind_of(template)
    for field_name, label in wb.COMPANY_LABELS.items():
        row = kind.company_cells[field_name][1:]
        assert labels[f"DeclarationB{row}"].strip() == label.strip(), field_name
    for question, row in kind.question_rows.items():
        assert labels[f"DeclarationB{row - 1}"].startswith(f"{question})"), question
    for question, row in {**kind.company_rows, **kind.mineral_company_rows}.items():
        label_row = row - 1 if question in kind.mineral_company_rows else row
        assert labels[f"DeclarationB{label_row}"].startswith(f"{question}."), question


# ---------------------------------------------------------------------------------------------------------
# Workbooks with the CMRT layout built here
# ---------------------------------------------------------------------------------------------------------
TODAY = dt.date(2025, 6, 30)


def build(tmp_path, *, declaration=None, smelters=None, **kwargs):
    return wb.build_workbook(
        tmp_path / "cmrt.xlsx",
        declaration=wb.clean_declaration(effective=TODAY - dt.timedelta(days=10))
        if declaration is None
        else declaration,
        smelters=wb.clean_smelters() if smelters is None else smelters,
        **kwargs,
    )


def parse(path, **kwargs) -> ParseResult:
    return parse_workbook(path, today=TODAY, **kwargs)


def test_complete_cmrt_has_no_issues(tmp_path):
    result = parse(build(tmp_path))

    assert result.issues == []
    assert (result.template, result.version) == ("CMRT", "6.5")
    assert result.company.name == "Acme Components Ltd."
    assert result.company.effective_date == TODAY - dt.timedelta(days=10)
    assert result.minerals_in_scope == ["tantalum", "tin", "gold", "tungsten"]
    assert result.answers["tantalum"] == {"1": "No"}
    assert result.answers["gold"]["6"] == "Greater than 90%"
    assert result.company_answers["E"] == "Yes, in conformance with IPC1755 (e.g., CMRT)"
    assert [(s.row, s.metal, s.smelter_id, s.recycled) for s in result.smelters] == [
        (5, "gold", "CID002763", "no"),
        (6, "gold", "CID000015", "no"),
        (7, "tin", "CID000292", "no"),
        (8, "tin", "CID001477", "yes"),
    ]


def test_without_cached_values_the_cid_in_column_a_fills_metal_name_and_country(tmp_path):
    result = parse(build(tmp_path, smelters=wb.clean_smelters(cached=False)))

    assert result.issues == []
    tin = result.smelters[3]
    assert (tin.metal, tin.name, tin.country, tin.smelter_id, tin.source) == (
        "tin",
        "PT Timah Tbk Kundur",
        "INDONESIA",
        "CID001477",
        "RMI",
    )


def test_smelter_picked_by_look_up_name_gets_its_cid_from_the_look_up(tmp_path):
    smelters = {**wb.clean_smelters(), 9: {"B": "Tin", "C": "Alpha"}}
    smelters[7] = {"B": "Tin", "C": "PT Timah Tbk Kundur", "P": "No"}
    del smelters[8]

    result = parse(build(tmp_path, smelters=smelters))

    assert [(s.row, s.smelter_id) for s in result.smelters if s.metal == "tin"] == [
        (7, "CID001477"),
        (9, "CID000292"),
    ]


def test_empty_rows_are_skipped_and_rows_after_a_gap_are_read(tmp_path):
    smelters = {
        5: wb.smelter_row("CID002763"),
        40: wb.smelter_row("CID000292"),
        41: wb.smelter_row("CID001477"),
    }

    result = parse(build(tmp_path, smelters=smelters))

    assert [s.row for s in result.smelters] == [5, 40, 41]


def test_translated_answers_are_stored_in_english(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY)
    declaration.update(
        {"D3": "中文 Chinese", "D26": "否", "D27": "是", "D33": "是", "D57": "大于 90%", "D75": "はい"}
    )

    result = parse(build(tmp_path, declaration=declaration))

    assert result.answers["tantalum"]["1"] == "No"
    assert result.answers["tin"]["1"] == "Yes"
    assert result.answers["tin"]["2"] == "Yes"
    assert result.answers["tin"]["6"] == "Greater than 90%"
    assert result.company_answers["A"] == "Yes"
    assert result.language == "中文 Chinese"
    assert not result.has_errors, messages(result)


def test_missing_required_company_fields_are_errors_naming_their_cells(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY)
    for cell in ("D8", "D15", "D16", "D22"):
        del declaration[cell]
    declaration["D20"] = "not-an-address"

    result = parse(build(tmp_path, declaration=declaration))

    errors = {i.cell: i.message for i in result.errors if i.sheet == "Declaration"}
    assert set(errors) == {"D8", "D15", "D16", "D20", "D22"}
    assert errors["D8"] == "Company name (*) is required"
    assert errors["D22"] == "Effective date (*) is required"
    assert "not an email address" in errors["D20"]


def test_answer_outside_the_allowed_list_is_an_error(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY)
    declaration["D27"] = "Maybe"
    declaration["D83"] = "Sure"

    result = parse(build(tmp_path, declaration=declaration))

    errors = {i.cell: i.message for i in result.errors}
    assert errors["D27"] == "'Maybe' is not an allowed answer to question 1 (tin); allowed: Yes, No"
    assert "question E" in errors["D83"]
    assert result.answers["tin"]["1"] == "Maybe"


def test_unanswered_follow_up_questions_are_errors_only_for_minerals_in_use(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY)
    del declaration["D63"]  # question 7, tin (in use)

    result = parse(build(tmp_path, declaration=declaration))

    assert issues_at(result, "error") == {("Declaration", "D63")}


def test_policy_url_is_required_when_the_policy_is_public(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY)
    del declaration["G77"]

    result = parse(build(tmp_path, declaration=declaration))

    assert issues_at(result, "error") == {("Declaration", "G77")}


def test_bad_cid_format_is_an_error(tmp_path):
    smelters = {
        **wb.clean_smelters(),
        9: {"A": "CID12", "P": "No"},
        10: {"B": "Tin", "F": "242332", "D": "X"},
    }

    result = parse(build(tmp_path, smelters=smelters))

    errors = {i.cell: i.message for i in result.errors}
    assert errors["A9"] == "'CID12' is not a smelter ID (CID followed by six digits)"
    assert "'242332' is not a smelter ID" in errors["F10"]


def test_cid_of_another_metal_is_a_metal_smelter_mismatch(tmp_path):
    smelters = {**wb.clean_smelters(), 9: {"B": "Tin", "C": "8853 S.p.A.", "F": "CID002763"}}

    result = parse(build(tmp_path, smelters=smelters))

    error = next(i for i in result.errors if i.cell == "B9")
    assert error.sheet == "Smelter List"
    assert (
        error.message
        == "CID002763 in F9 is a gold smelter in the Smelter Look-up, but the row's metal is 'Tin'"
    )


def test_leftover_metal_next_to_a_typed_cid_is_a_warning_and_the_cid_wins(tmp_path):
    smelters = wb.clean_smelters()
    smelters[5] = {**wb.smelter_row("CID002763"), "B": "Tin", "C": "Alpha Metals", "F": 242332}

    result = parse(build(tmp_path, smelters=smelters))

    assert result.smelters[0].metal == "gold"
    assert result.smelters[0].smelter_id == "CID002763"
    assert issues_at(result) == {("Smelter List", "B5"), ("Smelter List", "C5"), ("Smelter List", "F5")}
    assert not result.has_errors


def test_duplicate_smelter_rows_are_warnings(tmp_path):
    smelters = {**wb.clean_smelters(), 9: wb.smelter_row("CID000292")}

    result = parse(build(tmp_path, smelters=smelters))

    warning = next(i for i in result.warnings if i.cell == "A9")
    assert warning.message == "CID000292 (tin) is listed again; first in row 7"


def test_unknown_cid_is_a_warning_unless_the_register_knows_it(tmp_path):
    smelters = {**wb.clean_smelters(), 9: {"A": "CID999999", "B": "Tin", "P": "No"}}
    path = build(tmp_path, smelters=smelters)

    unknown = parse(path)
    known = parse(path, known_smelter_ids={"CID999999"})

    assert [i.message for i in unknown.warnings if i.cell == "A9"] == [
        "CID999999 is unknown: it is neither in the template's Smelter Look-up nor in the smelter register"
    ]
    assert known.issues == []


def test_smelter_not_listed_needs_name_and_country(tmp_path):
    smelters = {**wb.clean_smelters(), 9: {"B": "Gold", "C": "Smelter not listed"}}

    result = parse(build(tmp_path, smelters=smelters))

    assert issues_at(result, "error") == {("Smelter List", "D9"), ("Smelter List", "E9")}


def test_mineral_in_use_without_smelters_is_an_error(tmp_path):
    smelters = {5: wb.smelter_row("CID002763")}

    result = parse(build(tmp_path, smelters=smelters))

    error = next(i for i in result.errors if i.sheet == "Smelter List")
    assert (
        error.message
        == "tin is declared in use (questions 1 and 2 answered Yes) but no tin smelter is listed"
    )


def test_product_scope_needs_products(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY)
    declaration["D9"] = "B. Product (or List of Products)"

    without = parse(build(tmp_path, declaration=declaration))
    with_products = parse(build(tmp_path, declaration=declaration, products={6: {"B": "P-1", "C": "Cable"}}))

    assert issues_at(without) == {("Product List", "B6")}
    assert with_products.issues == []
    assert with_products.products == [{"row": 6, "number": "P-1", "name": "Cable", "comments": ""}]


@pytest.mark.parametrize(
    ("value", "severity", "message"),
    [
        (None, "error", "Effective date (*) is required"),
        ("soon", "error", "effective date 'soon' is not a date; enter it as a date such as 2025-03-31"),
        (dt.datetime(2025, 7, 15), "error", "effective date 2025-07-15 is in the future"),
        (dt.datetime(2003, 1, 1), "error", "effective date 2003-01-01 is before 2006-12-31"),
        (
            dt.datetime(2023, 5, 1),
            "warning",
            "effective date 2023-05-01 is more than a year old; ask for a current declaration",
        ),
    ],
)
def test_effective_date_problems(tmp_path, value, severity, message):
    declaration = wb.clean_declaration(effective=TODAY)
    declaration["D22"] = value

    result = parse(build(tmp_path, declaration=declaration))

    assert [(i.sheet, i.cell, i.severity, i.message) for i in result.issues] == [
        ("Declaration", "D22", severity, message)
    ]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2025-03-01", dt.date(2025, 3, 1)),
        ("March 1, 2025", dt.date(2025, 3, 1)),
        ("01-Mar-2025", dt.date(2025, 3, 1)),
        ("2025年3月1日", dt.date(2025, 3, 1)),
        ("25/03/2025", dt.date(2025, 3, 25)),
        (45717, dt.date(2025, 3, 1)),
    ],
)
def test_effective_date_written_as_text_or_number(tmp_path, value, expected):
    declaration = wb.clean_declaration(effective=TODAY)
    declaration["D22"] = value

    result = parse(build(tmp_path, declaration=declaration))

    assert result.company.effective_date == expected


def test_template_is_recognised_from_its_look_up_and_unsupported_revisions_are_refused(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY, version="5.12")
    del declaration["D2"]

    with pytest.raises(UnreadableWorkbook, match=r"CMRT revision 5\.12 is not supported"):
        parse(build(tmp_path, declaration=declaration))


def test_unchecked_revision_of_a_known_series_is_read_with_a_warning(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY, version="6.6")

    result = parse(build(tmp_path, declaration=declaration))

    assert result.version == "6.6"
    assert [(i.cell, i.severity) for i in result.issues] == [("J3", "warning")]
    assert len(result.smelters) == 4


def test_to_json_shape(tmp_path):
    data = parse(build(tmp_path)).to_json()

    assert set(data) >= {
        "template",
        "version",
        "company",
        "minerals_in_scope",
        "answers",
        "comments",
        "company_answers",
        "smelters",
        "products",
        "mines",
        "issues",
    }
    assert data["company"]["effective_date"] == (TODAY - dt.timedelta(days=10)).isoformat()
    assert set(data["company"]) >= {
        "name",
        "scope",
        "scope_description",
        "unique_id",
        "contact_name",
        "contact_email",
        "authorizer",
        "effective_date",
    }
    assert set(data["smelters"][0]) >= {"metal", "name", "country", "smelter_id", "source", "recycled"}


@pytest.mark.parametrize("template", TEMPLATE_PARAMS)
def test_blank_official_template_as_published(template):
    """The published files carry the cached values of a spreadsheet program (labels in Chinese)."""
    result = parse_workbook(template)

    assert (result.template, result.version) == (
        "CMRT" if "CMRT" in template.name else "EMRT",
        wb.version_of(template),
    )
    assert result.language == "中文 Chinese"
    assert result.products == []  # the copyright line under the Product List is not a product
    assert ("Declaration", wb.kind_of(template).company_cells["name"]) in issues_at(result, "error")
    if wb.version_of(template) == "6.4":  # leftover Tin / Alpha Metals / 242332 in Smelter List row 5
        assert [(s.row, s.metal, s.smelter_id) for s in result.smelters] == [(5, "tin", "")]
        assert ("Smelter List", "F5") in issues_at(result, "error")
    else:
        assert result.smelters == []


@pytest.mark.parametrize("dialect", [wb.without_cell_references, wb.with_namespace_prefix])
def test_sheets_written_in_other_xml_dialects_read_the_same(tmp_path, dialect):
    path = build(tmp_path)
    expected = parse(path).to_json()

    for part in ("xl/worksheets/sheet1.xml", "xl/worksheets/sheet2.xml"):  # Declaration, Smelter List
        wb.rewrite_part(path, part, dialect)

    assert parse(path).to_json() == expected


def test_other_rmi_templates_are_refused(tmp_path):
    declaration = wb.clean_declaration(effective=TODAY, version="1.3")
    declaration["D2"] = "Additional Minerals Reporting Template (AMRT)"

    with pytest.raises(UnreadableWorkbook, match="is an AMRT; only CMRT and EMRT files are read"):
        parse(build(tmp_path, declaration=declaration))
