import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from suppliers import roles
from suppliers.importing import COLUMNS, ImportFileError, import_suppliers
from suppliers.models import RiskLevel, Supplier
from tests.factories import SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

HEADER = list(COLUMNS)


def row(code, name, **values):
    """One data row in column order; unnamed columns default to a valid tier-1 production supplier."""
    defaults = {"code": code, "name": name, "category": "production", "tier": "1", "country": "CN"}
    cells = {**defaults, **values}
    return [cells.get(column, "") for column in HEADER]


def write_csv(tmp_path, rows, *, name="suppliers.csv", header=HEADER, delimiter=",", encoding="utf-8"):
    path = tmp_path / name
    with open(path, "w", newline="", encoding=encoding) as handle:
        writer = csv.writer(handle, delimiter=delimiter)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(tmp_path, rows, *, name="suppliers.xlsx", header=HEADER, sheet="Suppliers", before=()):
    workbook = openpyxl.Workbook()
    first = workbook.active
    for title in before:  # sheets in front of the supplier sheet
        first.title = title
        first["A1"] = "Read me: the suppliers are on another sheet."
        first = workbook.create_sheet()
    first.title = sheet
    first.append(header)
    for values in rows:
        first.append(values)
    path = tmp_path / name
    workbook.save(path)
    return path


def run(path, *, by=None):
    with open(path, "rb") as handle:
        return import_suppliers(fileobj=handle, filename=path.name, by=by)


@pytest.fixture
def buyer(db):
    return UserFactory(
        username="buyer", email="li.wei@example.com", password=None, role=roles.PROCUREMENT
    )  # no slow hashing


def test_good_csv_creates_suppliers_with_business_units_parent_buyer_and_spend(tmp_path, buyer):
    path = write_csv(
        tmp_path,
        [
            row(
                "SZ-001",
                "Shenzhen Assembly",
                legal_name="Shenzhen Assembly Co., Ltd.",
                business_units="smartphone; TV and large display",
                commodity="Final assembly",
                buyer_email="LI.WEI@example.com",
                annual_spend="1,234,567.89",
                currency="cny",
            ),
            row(
                "TW-002",
                "Taipei Cells",
                tier="2",
                parent_code="SZ-001",
                country="Taiwan",
                commodity="battery",
            ),
            row(
                "HK-003",
                "Harbour Logistics",
                category="Non-Production",
                country="Hong Kong",
                annual_spend="5000",
                currency="HKD",
            ),
        ],
    )

    result = run(path)

    assert result.ok
    assert result.summary == "created 3, updated 0, errors 0"
    assembly = Supplier.objects.get(code="SZ-001")
    assert assembly.legal_name == "Shenzhen Assembly Co., Ltd."
    assert sorted(assembly.business_units.values_list("code", flat=True)) == ["smartphone", "tv"]
    assert assembly.commodity.code == "final-assembly"
    assert assembly.buyer == buyer
    assert assembly.annual_spend == Decimal("1234567.89")
    assert assembly.currency == "CNY"
    assert assembly.status == Supplier.Status.CANDIDATE
    cells = Supplier.objects.get(code="TW-002")
    assert (cells.tier, cells.parent, str(cells.country), cells.commodity.code) == (
        2,
        assembly,
        "TW",
        "battery",
    )
    logistics = Supplier.objects.get(code="HK-003")
    assert (logistics.category, str(logistics.country)) == (Supplier.Category.NON_PRODUCTION, "HK")
    assert logistics.region == "other"


def test_reimport_of_changed_file_updates_master_data_without_duplicates_or_touching_status_and_risk(
    tmp_path, buyer
):
    original = [
        row("SZ-001", "Shenzhen Assembly", business_units="smartphone", annual_spend="100", currency="USD"),
        row("SZ-002", "Shenzhen Plastics", commodity="plastics"),
    ]
    assert run(write_csv(tmp_path, original, name="v1.csv")).summary == "created 2, updated 0, errors 0"
    Supplier.objects.filter(code="SZ-001").update(
        status=Supplier.Status.ADMITTED,
        risk_level=RiskLevel.HIGH,
        risk_override_level=RiskLevel.LOW,
        risk_override_reason="Reviewed on site",
        strategic=True,
    )

    changed = [
        row(
            "SZ-001",
            "Shenzhen Assembly Group",
            business_units="tv;laptop",
            annual_spend="250.5",
            currency="USD",
            buyer_email="li.wei@example.com",
        ),
        row("SZ-002", "Shenzhen Plastics", commodity="plastics"),
    ]
    result = run(write_csv(tmp_path, changed, name="v2.csv"))

    assert result.summary == "created 0, updated 1, errors 0"
    assert result.unchanged == 1
    assert Supplier.objects.count() == 2
    assembly = Supplier.objects.get(code="SZ-001")
    assert assembly.name == "Shenzhen Assembly Group"
    assert sorted(assembly.business_units.values_list("code", flat=True)) == ["laptop", "tv"]
    assert assembly.annual_spend == Decimal("250.50")
    assert assembly.buyer == buyer
    assert assembly.status == Supplier.Status.ADMITTED
    assert (assembly.risk_level, assembly.risk_override_level) == (RiskLevel.HIGH, RiskLevel.LOW)
    assert assembly.risk_override_reason == "Reviewed on site"
    assert assembly.strategic is True


def test_columns_missing_from_the_file_leave_existing_values_alone(tmp_path, buyer):
    SupplierFactory(
        code="SZ-001",
        name="Old",
        buyer=buyer,
        annual_spend=Decimal("10"),
        currency="EUR",
        legal_name="Old Legal",
    )
    path = write_csv(
        tmp_path,
        [["SZ-001", "New", "production", "1", "CN"]],
        header=["code", "name", "category", "tier", "country"],
    )

    assert run(path).summary == "created 0, updated 1, errors 0"

    supplier = Supplier.objects.get(code="SZ-001")
    assert (supplier.name, supplier.legal_name, supplier.buyer, supplier.currency) == (
        "New",
        "Old Legal",
        buyer,
        "EUR",
    )


def test_xlsx_with_numeric_and_date_cells_imports_like_csv(tmp_path, buyer):
    path = write_xlsx(
        tmp_path,
        [
            [
                1001,
                "Numbered Parent",
                None,
                "production",
                1,
                None,
                "CN",
                "smartphone",
                None,
                "li.wei@example.com",
                2500000.5,
                "CNY",
            ],
            [None] * len(HEADER),  # blank row in the middle is skipped
            ["T2-A", "Child", None, "production", 2.0, 1001, "DE", None, "pcb", None, 1200, "EUR"],
            [
                "T2-B",
                dt.datetime(2024, 5, 1),
                None,
                "production",
                2,
                "1001",
                "Taiwan",
                None,
                None,
                None,
                None,
                None,
            ],
        ],
        before=["Instructions"],
    )

    result = run(path)

    assert result.summary == "created 3, updated 0, errors 0"
    parent = Supplier.objects.get(code="1001")
    assert (parent.tier, parent.annual_spend, parent.buyer) == (1, Decimal("2500000.50"), buyer)
    child = Supplier.objects.get(code="T2-A")
    assert (child.tier, child.parent, child.annual_spend, child.commodity.code) == (
        2,
        parent,
        Decimal("1200"),
        "pcb",
    )
    assert Supplier.objects.get(code="T2-B").name == "2024-05-01"


def test_xlsx_without_suppliers_sheet_uses_the_first_sheet(tmp_path):
    path = write_xlsx(tmp_path, [row("S1", "First sheet")], sheet="Sheet1")

    assert run(path).summary == "created 1, updated 0, errors 0"


def test_xlsx_row_numbers_in_errors_are_spreadsheet_rows(tmp_path):
    path = write_xlsx(tmp_path, [row("S1", "Good"), [None] * len(HEADER), row("S3", "Bad", tier=7)])

    result = run(path)

    assert [str(error) for error in result.errors] == ["row 4, column tier: must be 1 or 2, not '7'"]


def test_semicolon_csv_with_bom_and_loose_header(tmp_path):
    header = [
        "Code",
        " NAME ",
        "Legal Name",
        "category",
        "TIER",
        "Parent Code",
        "Country",
        "Business Units",
        "commodity",
        "buyer_email",
        "Annual Spend",
        "Currency",
    ]
    path = write_csv(
        tmp_path,
        [
            [
                "GZ-9",
                "Zhōngshān 电子",
                "",
                "non_production",
                "1",
                "",
                "china",
                "smartphone;tv",
                "",
                "",
                "1000.00",
                "usd",
            ]
        ],
        header=header,
        delimiter=";",
        encoding="utf-8-sig",
    )
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")

    result = run(path)

    assert result.summary == "created 1, updated 0, errors 0"
    supplier = Supplier.objects.get(code="GZ-9")
    assert supplier.name == "Zhōngshān 电子"
    assert (supplier.category, str(supplier.country), supplier.currency) == ("non_production", "CN", "USD")
    assert supplier.business_units.count() == 2


def test_bad_rows_are_all_reported_by_row_and_column_and_nothing_is_written(tmp_path):
    SupplierFactory(code="KEEP-1", name="Unchanged name")
    path = write_csv(
        tmp_path,
        [
            row("KEEP-1", "Renamed"),  # valid, but the file has errors elsewhere
            row("NEW-1", "Valid new supplier"),
            row("bad code!", "", category="raw materials"),
            row("S-4", "Tier three", tier="3", country="Atlantis"),
            row("S-5", "Negative", annual_spend="-5", currency="USD"),
            row("S-6", "No currency", annual_spend="12,34x"),
            row("S-7", "Spend without currency", annual_spend="100"),
            row("S-8", "Long", legal_name="x" * 300, currency="US"),
        ],
    )

    result = run(path)

    assert not result.ok
    assert [str(error) for error in result.errors] == [
        "row 4, column code: Letters, digits, '.', '_' and '-' only.",
        "row 4, column name: required",
        "row 4, column category: must be production or non-production, not 'raw materials'",
        "row 5, column tier: must be 1 or 2, not '3'",
        "row 5, column country: unknown country 'Atlantis'; "
        "use an ISO 3166 code such as CN or the English name",
        "row 6, column annual_spend: must not be negative, not '-5'",
        "row 7, column annual_spend: not a number: '12,34x' (write e.g. 1234567.89 or 1,234,567.89)",
        "row 7, column currency: Annual spend needs a currency (three-letter ISO 4217 code, e.g. USD).",
        "row 8, column currency: Annual spend needs a currency (three-letter ISO 4217 code, e.g. USD).",
        "row 9, column legal_name: too long: at most 255 characters, not 300",
        "row 9, column currency: Use a three-letter ISO 4217 currency code, e.g. USD.",
    ]
    assert result.summary == "created 0, updated 0, errors 11"
    assert list(Supplier.objects.values_list("code", "name")) == [("KEEP-1", "Unchanged name")]


def test_tier2_parent_later_in_the_same_file_is_linked(tmp_path):
    path = write_csv(
        tmp_path,
        [row("CHILD", "Cell maker", tier="2", parent_code="PARENT"), row("PARENT", "Pack assembler")],
    )

    assert run(path).ok

    assert Supplier.objects.get(code="CHILD").parent == Supplier.objects.get(code="PARENT")


def test_tier2_parent_can_be_an_existing_tier1_supplier(tmp_path):
    parent = SupplierFactory(code="EXIST-1")

    assert run(write_csv(tmp_path, [row("CHILD", "Child", tier=2, parent_code="EXIST-1")])).ok

    assert Supplier.objects.get(code="CHILD").parent == parent


def test_parent_rules_are_enforced(tmp_path):
    SupplierFactory(code="EXIST-T2", key_indirect=True)
    path = write_csv(
        tmp_path,
        [
            row("A", "Tier 1 with parent", parent_code="B"),
            row("B", "Tier 2 without parent", tier="2"),
            row("C", "Unknown parent", tier="2", parent_code="NOPE"),
            row("D", "Tier-2 parent in file", tier="2", parent_code="E"),
            row("E", "Tier 2 itself", tier="2", parent_code="A"),
            row("F", "Tier-2 parent in register", tier="2", parent_code="EXIST-T2"),
        ],
    )

    result = run(path)

    assert [str(error) for error in result.errors] == [
        "row 2, column parent_code: A direct (tier 1) supplier has no parent; "
        "use tier 2 for a key indirect supplier.",
        "row 3, column parent_code: A key indirect (tier 2) supplier needs its tier-1 parent: "
        "give the parent's code.",
        "row 4, column parent_code: no supplier with code 'NOPE' in the register or in this file",
        "row 5, column parent_code: E is a key indirect (tier 2) supplier; "
        "the parent must be a direct (tier 1) supplier.",
        "row 7, column parent_code: EXIST-T2 is a key indirect (tier 2) supplier; "
        "the parent must be a direct (tier 1) supplier.",
    ]


def test_tier1_supplier_with_key_indirect_suppliers_outside_the_file_cannot_become_tier2(tmp_path):
    parent = SupplierFactory(code="P-1")
    SupplierFactory(code="KID-1", tier=2, parent=parent)
    SupplierFactory(code="OTHER")
    path = write_csv(tmp_path, [row("P-1", "Parent", tier="2", parent_code="OTHER")])

    result = run(path)

    assert [str(error) for error in result.errors] == [
        "row 2, column tier: P-1 is the parent of key indirect suppliers (KID-1) and must stay a direct "
        "(tier 1) supplier."
    ]
    assert Supplier.objects.get(code="P-1").tier == 1


def test_unknown_business_unit_commodity_buyer_and_country_are_named(tmp_path, buyer):
    path = write_csv(
        tmp_path,
        [
            row(
                "S1",
                "One",
                business_units="smartphone;Spaceships",
                commodity="Unobtainium",
                buyer_email="nobody@example.com",
                country="Narnia",
            ),
        ],
    )

    result = run(path)

    assert [str(error) for error in result.errors] == [
        "row 2, column country: unknown country 'Narnia'; "
        "use an ISO 3166 code such as CN or the English name",
        "row 2, column business_units: unknown business unit 'Spaceships'; use its code or name",
        "row 2, column commodity: unknown commodity 'Unobtainium'; use its code or name",
        "row 2, column buyer_email: no active staff user in the Procurement role has the e-mail address "
        "'nobody@example.com'",
    ]
    assert not Supplier.objects.exists()


def test_duplicate_code_is_reported_on_the_later_row(tmp_path):
    path = write_csv(tmp_path, [row("S1", "First"), row("S2", "Other"), row("S1", "Again")])

    result = run(path)

    assert [str(error) for error in result.errors] == [
        "row 4, column code: duplicate code 'S1': already on row 2"
    ]
    assert not Supplier.objects.exists()


def test_missing_and_unknown_columns_are_reported_once(tmp_path):
    path = write_csv(tmp_path, [["S1", "One", "CN", "x"]], header=["Code", "Name", "Country", "Comodity"])

    result = run(path)

    assert [str(error) for error in result.errors] == [
        "row 1, column Comodity: unknown column; expected one of: " + ", ".join(COLUMNS),
        "row 1, column category, tier: required column(s) missing: category, tier",
    ]
    assert not Supplier.objects.exists()


def test_file_without_header_row_says_so(tmp_path):
    path = tmp_path / "suppliers.csv"
    path.write_text("S1,One,production,1,CN\n", encoding="utf-8")

    result = run(path)

    assert [str(error) for error in result.errors] == [
        "row 1, column (header): row 1 must be the header row with the column names: " + ", ".join(COLUMNS)
    ]


def test_the_content_not_the_name_tells_a_workbook_from_csv(tmp_path, db):
    workbook = write_xlsx(tmp_path, [row("WB-1", "Named as CSV")], name="export.csv")
    text = write_csv(tmp_path, [row("TX-1", "Named as workbook")], name="export.xlsx")

    assert run(workbook).ok and run(text).ok
    assert set(Supplier.objects.values_list("code", flat=True)) >= {"WB-1", "TX-1"}


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("suppliers.xlsx", b"PK\x03\x04 this zip is broken", "is damaged or truncated (its zip directory is"),
        ("suppliers.csv", bytes(range(256)) * 4, "this is not a CSV text file (it contains binary data)"),
        ("suppliers.csv", "code,name\nS1,Caf\xe9\n".encode("latin-1"), "this is not UTF-8 or GB18030 text"),
        (
            "suppliers.csv",
            "code,name\nS1,One\n".encode("utf-16"),
            "this is UTF-16 text; save the file as 'CSV UTF-8'",
        ),
        ("suppliers.csv", b"", "the file is empty"),
        ("suppliers.csv", b"  \n\n", "the file is empty"),
        (
            "suppliers.csv",
            b"%PDF-1.7\n%\xe2\xe3",
            "its content is PDF, neither CSV text nor an Excel workbook",
        ),
    ],
)
def test_unreadable_files_raise_a_clear_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)

    with pytest.raises(ImportFileError) as excinfo:
        run(path)

    assert str(excinfo.value).startswith(f"{name}: {message}")


def test_oversize_file_is_refused(tmp_path, settings):
    settings.UPLOAD_MAX_BYTES = 1024
    path = write_csv(tmp_path, [row(f"S{i}", "A supplier with a long enough name") for i in range(100)])

    with pytest.raises(
        ImportFileError, match=r"^suppliers.csv: the file is larger than the upload limit of 1.0\xa0KB"
    ):
        run(path)
    assert not Supplier.objects.exists()


def test_empty_xlsx_sheet_is_refused_naming_the_sheet(tmp_path):
    workbook = openpyxl.Workbook()
    workbook.active.title = "Suppliers"
    path = tmp_path / "empty.xlsx"
    workbook.save(path)

    with pytest.raises(ImportFileError, match=r"^empty.xlsx, sheet 'Suppliers': the sheet is empty"):
        run(path)


def test_uploaded_file_object_is_read_too(tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = io.StringIO()
    csv.writer(content).writerows([HEADER, row("UP-1", "Uploaded")])
    upload = SimpleUploadedFile("upload.csv", content.getvalue().encode(), content_type="text/csv")

    result = import_suppliers(fileobj=upload, filename=upload.name)

    assert result.summary == "created 1, updated 0, errors 0"


def test_history_records_name_the_file_and_the_user(tmp_path, buyer):
    SupplierFactory(code="OLD", name="Before")
    path = write_csv(tmp_path, [row("OLD", "After"), row("NEW", "Brand new")], name="march.csv")

    run(path, by=buyer)

    latest = {
        record.code: record
        for record in Supplier.history.filter(history_change_reason="Imported from march.csv")
    }
    assert set(latest) == {"OLD", "NEW"}
    assert (latest["NEW"].history_type, latest["NEW"].history_user) == ("+", buyer)
    assert (latest["OLD"].history_type, latest["OLD"].name, latest["OLD"].history_user) == (
        "~",
        "After",
        buyer,
    )


def test_successful_import_schedules_risk_reassessment(tmp_path, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path, [row("S1", "One", commodity="battery"), row("S2", "Two", country="DE")])

    with django_capture_on_commit_callbacks(execute=True):
        run(path)

    assert set(Supplier.objects.values_list("risk_level", flat=True)) <= set(RiskLevel.values)
    assert not Supplier.objects.filter(risk_assessment=None).exists()


def test_failed_import_schedules_nothing(tmp_path, django_capture_on_commit_callbacks):
    path = write_csv(tmp_path, [row("S1", "One", tier="9")])

    with django_capture_on_commit_callbacks() as callbacks:
        run(path)

    assert callbacks == []


def test_command_prints_errors_and_final_line_and_exits_with_status_1(tmp_path):
    path = write_csv(tmp_path, [row("S1", "One"), row("S2", "Two", category="??")])
    out = io.StringIO()

    with pytest.raises(CommandError) as excinfo:
        call_command("import_suppliers", str(path), stdout=out)

    assert excinfo.value.returncode == 1
    assert out.getvalue().splitlines() == [
        f"{path}: row 3, column category: must be production or non-production, not '??'",
        "created 0, updated 0, errors 1",
    ]
    assert not Supplier.objects.exists()


def test_command_imports_several_files_and_prints_each_and_the_total(tmp_path):
    first = write_csv(tmp_path, [row("S1", "One"), row("S2", "Two")], name="a.csv")
    second = write_xlsx(tmp_path, [row("S3", "Three")], name="b.xlsx")
    out = io.StringIO()

    call_command("import_suppliers", str(first), str(second), stdout=out)

    assert out.getvalue().splitlines() == [
        f"{first}: created 2, updated 0, errors 0",
        f"{second}: created 1, updated 0, errors 0",
        "created 3, updated 0, errors 0",
    ]
    assert Supplier.objects.count() == 3


def test_command_reports_unreadable_file_and_still_imports_the_good_one(tmp_path):
    good = write_csv(tmp_path, [row("S1", "One")], name="good.csv")
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"PK\x03\x04 cut off in the middle of the download")
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_suppliers", str(good), str(bad), stdout=out)

    lines = out.getvalue().splitlines()
    assert lines[-1] == "created 1, updated 0, errors 1"
    assert f"{bad}: created 0, updated 0, errors 1" in lines
    assert any(line.startswith(f"{bad}: is damaged or truncated") for line in lines)
    assert Supplier.objects.filter(code="S1").exists()


def _big_file(tmp_path, count, *, name):
    rows = []
    for i in range(count):
        if i % 10 == 0:
            rows.append(
                row(
                    f"P{i:05d}",
                    f"Parent {i}",
                    business_units="smartphone;tv",
                    commodity="pcb",
                    buyer_email="li.wei@example.com",
                    annual_spend="1,000.00",
                    currency="USD",
                )
            )
        else:
            rows.append(
                row(
                    f"C{i:05d}",
                    f"Child {i}",
                    tier="2",
                    parent_code=f"P{i - i % 10:05d}",
                    business_units="laptop",
                    country="Vietnam",
                )
            )
    return write_csv(tmp_path, rows, name=name)


# One fixed bound for 50 and 500 rows: about a dozen statements on PostgreSQL. SQLite's 999-variable limit
# makes Django split each bulk statement into pieces of a few dozen rows, so its count sits higher but far
# below one query per row.
MAX_IMPORT_QUERIES = 45


@pytest.mark.parametrize("count", [50, 500])
def test_query_count_does_not_grow_with_the_number_of_rows(
    tmp_path, buyer, count, django_assert_max_num_queries
):
    path = _big_file(tmp_path, count, name="big.csv")
    with django_assert_max_num_queries(MAX_IMPORT_QUERIES):
        assert run(path).summary == f"created {count}, updated 0, errors 0"

    # Re-import with changes: the update path is bounded as well.
    SupplierFactory(code="UNRELATED")
    changed = path.read_text(encoding="utf-8").replace("Child", "Kid").replace("laptop", "wearables")
    path.write_text(changed, encoding="utf-8")
    with django_assert_max_num_queries(MAX_IMPORT_QUERIES):
        assert run(path).summary == f"created 0, updated {count - count // 10}, errors 0"
    assert Supplier.objects.filter(business_units__code="wearables").count() == count - count // 10


# --- Hostile and unusual files: refused fast and clearly, nothing written -----------------------------------


def test_zip_bomb_is_refused_before_it_is_unpacked_and_nothing_is_written(tmp_path):
    from tests.office_files import zip_bomb_xlsx

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb_xlsx(unpacked_mb=150, header=HEADER))

    with pytest.raises(ImportFileError) as refused:
        run(path)

    assert str(refused.value) == (
        "bomb.xlsx: is too large: xl/worksheets/sheet1.xml unpacks to 150.0\xa0MB "
        "(the largest accepted is 100.0\xa0MB)"
    )
    assert not Supplier.objects.exists()


def test_command_reports_a_zip_bomb_in_one_line_and_exits_1(tmp_path):
    from tests.office_files import zip_bomb_xlsx

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb_xlsx(unpacked_mb=150, header=HEADER))
    out = io.StringIO()

    with pytest.raises(CommandError) as failed:
        call_command("import_suppliers", str(path), stdout=out)

    assert failed.value.returncode == 1
    assert out.getvalue().splitlines() == [
        f"{path}: is too large: xl/worksheets/sheet1.xml unpacks to 150.0\xa0MB "
        "(the largest accepted is 100.0\xa0MB)",
        "created 0, updated 0, errors 1",
    ]


def test_sheet_declaring_a_million_rows_is_refused_before_reading(tmp_path):
    from tests.office_files import with_dimension

    path = write_xlsx(tmp_path, [row("S1", "One")])
    path.write_bytes(with_dimension(path.read_bytes(), "A1:L1000001"))

    with pytest.raises(ImportFileError) as refused:
        run(path)

    assert str(refused.value) == (
        "suppliers.xlsx, sheet 'Suppliers': has 1,000,001 rows; at most 200,000 are accepted "
        "(split it into smaller files)"
    )
    assert not Supplier.objects.exists()


def test_rows_over_the_limit_refuse_the_whole_file(tmp_path, settings):
    settings.IMPORT_MAX_ROWS = 4
    path = write_csv(tmp_path, [row(f"S{i}", f"Supplier {i}") for i in range(5)])

    with pytest.raises(ImportFileError, match=r"^suppliers.csv: has 6 rows; at most 4 are accepted"):
        run(path)
    assert not Supplier.objects.exists()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (
            "encrypted_workbook",
            "suppliers.xlsx: is password-protected (encrypted); remove the password",
        ),
        (
            "old_xls",
            "suppliers.xlsx: is an old Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx)",
        ),
        ("macro", "suppliers.xlsx: is a macro-enabled workbook (.xlsm); save it as an Excel Workbook"),
        ("truncated", "suppliers.xlsx: is damaged or truncated (its zip directory is missing)"),
    ],
)
def test_workbooks_that_cannot_be_read_are_named_for_what_they_are(tmp_path, build, message):
    from tests import office_files

    path = write_xlsx(tmp_path, [row("S1", "One")])
    data = path.read_bytes()
    content = {
        "macro": lambda: office_files.macro_enabled(data),
        "truncated": lambda: data[: len(data) // 2],
    }.get(build) or getattr(office_files, build)
    path.write_bytes(content())

    with pytest.raises(ImportFileError) as refused:
        run(path)

    assert str(refused.value).startswith(message)
    assert not Supplier.objects.exists()


def test_csv_saved_by_chinese_excel_in_gb18030_keeps_the_chinese_names(tmp_path):
    path = write_csv(
        tmp_path,
        [row("SZ-1", "深圳市精密电子有限公司", legal_name="深圳市精密电子有限公司（集团）")],
        encoding="gb18030",
    )

    result = run(path)

    assert result.summary == "created 1, updated 0, errors 0"
    assert Supplier.objects.get(code="SZ-1").legal_name == "深圳市精密电子有限公司（集团）"


def test_csv_in_utf8_with_a_byte_order_mark_reads_the_first_column(tmp_path):
    path = write_csv(tmp_path, [row("BOM-1", "Müller GmbH", country="DE")], encoding="utf-8-sig")

    result = run(path)

    assert result.summary == "created 1, updated 0, errors 0"
    assert Supplier.objects.get(code="BOM-1").name == "Müller GmbH"
