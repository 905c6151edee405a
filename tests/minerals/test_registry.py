"""The smelter registry: import from RMI's "Smelter Look-up" sheet and from facility lists, re-imports,
status history, errors, merging duplicates."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from minerals import services
from minerals.models import Declaration, RmapStatus, Smelter, SmelterAlias, SmelterStatusChange
from minerals.smelter_import import SmelterImportError, import_smelters
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "rmi-templates"


def official(name: str) -> Path:
    path = TEMPLATES / name
    if not path.is_file():
        pytest.skip(f"{path} is absent: the official RMI templates are not available here")
    return path


def run(content: bytes, filename: str, by=None):
    return import_smelters(fileobj=io.BytesIO(content), filename=filename, by=by)


def xlsx(rows: list[list], title: str = "Facilities") -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def lookup_workbook(rows: list[list]) -> bytes:
    """A workbook with a Smelter Look-up sheet laid out as RMI's: labels in row 4 (here in Chinese, as in
    the official copies), data from row 5."""
    workbook = openpyxl.Workbook()
    workbook.active.title = "Declaration"
    sheet = workbook.create_sheet("Smelter Look-up")
    sheet["A1"] = "以下目录是截止此模板发布时 RMI 的最新冶炼厂名称"
    sheet.append([])
    sheet.append([])
    sheet.append(
        [
            "金属",
            "冶炼厂查找 (*)",
            "标准冶炼厂名称",
            "国家或地区",
            "冶炼厂 ID",
            "出处",
            "街道",
            "城市",
            "州/省",
        ]
    )
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- Smelter Look-up sheets ---------------------------------------------------------------------------------


def test_official_cmrt_lookup_sheet_fills_the_registry_and_a_reimport_changes_nothing():
    path = official("RMI_CMRT_6.5.xlsx")
    result = run(path.read_bytes(), path.name)

    assert result.ok, result.errors
    assert result.created == Smelter.objects.count() > 300
    gold = Smelter.objects.get(smelter_id="CID002763")
    assert (gold.name, gold.metal, gold.country.code, gold.city) == ("8853 S.p.A.", "gold", "IT", "Pero")
    assert set(Smelter.objects.values_list("metal", flat=True)) == {"gold", "tin", "tantalum", "tungsten"}
    # RMI's long names resolve to ISO codes
    assert not Smelter.objects.filter(country="").exclude(country_name__iexact="unknown").exists()
    assert SmelterAlias.objects.count() >= result.created
    assert not SmelterStatusChange.objects.exists()

    again = run(path.read_bytes(), path.name)
    assert (again.created, again.updated, again.unchanged) == (0, 0, result.created)
    assert Smelter.objects.count() == result.created


def test_official_emrt_lookup_sheet_skips_look_up_names_that_name_two_smelters():
    path = official("RMI_EMRT_2.1.xlsx")
    result = run(path.read_bytes(), path.name)

    assert result.ok, result.errors
    assert {"cobalt", "copper", "lithium", "mica", "nickel"} <= set(
        Smelter.objects.values_list("metal", flat=True)
    )
    assert any("Ruashi II" in warning for warning in result.warnings)
    assert not SmelterAlias.objects.filter(metal="copper", name="Ruashi II").exists()


def test_lookup_sheet_is_read_by_position_whatever_the_header_language():
    content = lookup_workbook(
        [
            [
                "Gold",
                "Aurum Refining",
                "Aurum Refining SA",
                "SWITZERLAND",
                "CID000101",
                "RMI",
                None,
                "Ticino",
                None,
            ],
            [
                "Gold",
                "Aurum SA",
                "Aurum Refining SA",
                "SWITZERLAND",
                "CID000101",
                "RMI",
                None,
                "Ticino",
                None,
            ],
            ["Tin", "PT Timah", "PT Timah Tbk Kundur", "INDONESIA", "CID001477", "RMI", None, None, None],
            ["Tin", "Smelter not listed", None, None, None, None, None, None, None],
            [
                "Cobalt",
                "Lubumbashi Works",
                "Lubumbashi Works",
                "CONGO, DEMOCRATIC REPUBLIC OF THE",
                "CID004000",
            ],
        ]
    )
    result = run(content, "lookup.xlsx")

    assert result.ok, result.errors
    assert result.created == 3
    aurum = Smelter.objects.get(smelter_id="CID000101")
    assert aurum.country.code == "CH" and aurum.name == "Aurum Refining SA"
    assert set(aurum.aliases.values_list("name", flat=True)) == {
        "Aurum Refining",
        "Aurum SA",
        "Aurum Refining SA",
    }
    assert Smelter.objects.get(smelter_id="CID004000").country.code == "CD"


# --- Facility lists -----------------------------------------------------------------------------------------


def test_csv_facility_list_with_its_own_header_names_sets_statuses():
    content = (
        b"Facility ID,Facility Name,Metal,Country Location,Assessment Status,Last Audit Date\n"
        b"CID000201,Northern Tungsten Co.,Tungsten,Viet Nam,Conformant,2025-02-14\n"
        b"CID000202,Southern Tin Ltd.,TIN,BOLIVIA (PLURINATIONAL STATE OF),Active,\n"
        b"CID000203,Eastern Gold,gold,KOREA REPUBLIC OF,Not Enrolled,03/01/2024\n"
    )
    result = run(content, "rmap-facilities.csv")

    assert result.ok, result.errors
    rows = {s.smelter_id: s for s in Smelter.objects.all()}
    assert rows["CID000201"].rmap_status == RmapStatus.CONFORMANT
    assert rows["CID000201"].status_date == dt.date(2025, 2, 14)
    assert rows["CID000201"].country.code == "VN"
    assert rows["CID000202"].rmap_status == RmapStatus.ACTIVE and rows["CID000202"].country.code == "BO"
    assert rows["CID000203"].rmap_status == RmapStatus.NOT_ENROLLED
    assert rows["CID000203"].status_date == dt.date(2024, 3, 1)


def test_xlsx_reimport_updates_in_place_and_records_changed_statuses(esg_manager):
    run(
        b"Smelter ID;Standard Smelter Name;Metal;Country;RMAP Status;Status Date\n"
        b"CID000301;Alpha Tantalum;Tantalum;China;Active;2024-06-01\n"
        b"CID000302;Beta Tin;Tin;Malaysia;Conformant;2024-06-01\n",
        "facilities-2024.csv",
    )
    content = xlsx(
        [
            ["RMAP facility list, exported 2025-04-01"],
            [
                "Smelter Reference ID",
                "Standard Facility Name",
                "Mineral",
                "Country / Region",
                "RMAP Status",
                "Status Date",
            ],
            ["CID000301", "Alpha Tantalum", "Tantalum", "China", "Conformant", dt.datetime(2025, 3, 20)],
            ["CID000302", "Beta Tin", "Tin", "Malaysia", "Conformant", dt.datetime(2024, 6, 1)],
        ]
    )
    result = run(content, "facilities-2025.xlsx", by=esg_manager)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged, result.status_changes) == (0, 1, 1, 1)
    assert Smelter.objects.count() == 2
    change = SmelterStatusChange.objects.get()
    assert (change.smelter.smelter_id, change.from_status, change.to_status) == (
        "CID000301",
        RmapStatus.ACTIVE,
        RmapStatus.CONFORMANT,
    )
    assert change.status_date == dt.date(2025, 3, 20)
    assert change.source_file == "facilities-2025.xlsx" and change.changed_by == esg_manager
    alpha = Smelter.objects.get(smelter_id="CID000301")
    assert alpha.history.first().history_user == esg_manager


def test_errors_name_file_sheet_row_and_column_and_nothing_is_written():
    content = xlsx(
        [
            ["Smelter ID", "Smelter Name", "Metal", "Country", "RMAP Status"],
            ["CID000401", "Good Smelter", "Gold", "Japan", "Conformant"],
            ["CID12", "Short ID", "Gold", "Japan", "Conformant"],
            ["CID000403", "Odd Status", "Gold", "Japan", "Fabulous"],
            ["CID000404", "Odd Metal", "Plutonium", "Japan", "Active"],
        ],
        title="List",
    )
    result = run(content, "bad.xlsx")

    messages = [str(error) for error in result.errors]
    assert messages == [
        "bad.xlsx, sheet 'List', row 3, column A (Smelter ID): 'CID12' is not a smelter ID "
        "(CID and six digits)",
        "bad.xlsx, sheet 'List', row 4, column E (RMAP Status): unknown RMAP status 'Fabulous'; expected "
        "Conformant, Active or Not Enrolled (or Non-Conformant)",
        "bad.xlsx, sheet 'List', row 5, column C (Metal): unknown metal 'Plutonium'; expected one of "
        "tin, tantalum, tungsten, gold, cobalt, mica, copper, graphite, lithium, nickel",
    ]
    assert not Smelter.objects.exists()


def test_status_list_for_smelters_not_in_the_registry_needs_their_name_and_metal():
    result = run(b"CID,RMAP Status\nCID000501,Conformant\n", "statuses.csv")
    assert [str(error) for error in result.errors] == [
        "statuses.csv, row 2, column name, metal: CID000501 is not in the registry yet: its name and metal "
        "are needed"
    ]
    assert not Smelter.objects.exists()


def test_import_smelters_command(tmp_path):
    good = tmp_path / "good.csv"
    good.write_text("Smelter ID,Smelter Name,Metal,Country\nCID000601,Gamma Gold,Gold,Peru\n")
    out = io.StringIO()
    call_command("import_smelters", str(good), stdout=out)
    assert "1 smelters created" in out.getvalue()

    bad = tmp_path / "bad.csv"
    bad.write_text("Smelter ID,Smelter Name,Metal\nXYZ,Nothing,Gold\n")
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_smelters", str(bad), stdout=out)
    assert failed.value.returncode == 1
    assert "bad.csv, row 2, column A (Smelter ID)" in out.getvalue()


# --- Merging duplicates -------------------------------------------------------------------------------------


def test_merging_a_duplicate_moves_aliases_declared_rows_and_history(esg_manager):
    from minerals.models import DeclaredSmelter

    kept = Smelter.objects.create(
        smelter_id="CID000701", name="Delta Gold", name_key="delta gold", metal="gold"
    )
    duplicate = Smelter.objects.create(
        smelter_id="CID000702", name="Delta Gold Refinery", name_key="delta gold refinery", metal="gold"
    )
    SmelterAlias.objects.create(smelter=duplicate, metal="gold", name="Delta Au", name_key="delta au")
    SmelterStatusChange.objects.create(smelter=duplicate, from_status="not_enrolled", to_status="active")
    declaration = Declaration.objects.create(
        supplier=SupplierFactory(),
        year=2025,
        family="CMRT",
        template="CMRT",
        status="accepted",
        sha256="0" * 64,
    )
    row = DeclaredSmelter.objects.create(
        declaration=declaration, row=5, metal="gold", name="Delta", smelter=duplicate, match_method="cid"
    )

    services.smelter_merge(duplicate=duplicate, into=kept, by=esg_manager)

    duplicate.refresh_from_db()
    row.refresh_from_db()
    assert duplicate.merged_into == kept
    assert row.smelter == kept
    assert set(kept.aliases.values_list("name", flat=True)) == {"Delta Au", "Delta Gold Refinery"}
    assert kept.status_changes.count() == 1
    # The old smelter ID still finds the kept smelter.
    rows = [DeclaredSmelter(declared_cid="CID000702", metal="gold", name="", lookup_name="", country="")]
    services.reconcile(rows)
    assert rows[0].smelter == kept


# --- Hostile and unusual files ----------------------------------------------------------------------------


def test_zip_bomb_is_refused_before_it_is_unpacked_and_nothing_is_written():
    from tests.office_files import zip_bomb_xlsx

    with pytest.raises(SmelterImportError) as refused:
        run(zip_bomb_xlsx(unpacked_mb=150, header=("Smelter ID", "Standard Smelter Name")), "bomb.xlsx")

    assert str(refused.value) == (
        "bomb.xlsx: is too large: xl/worksheets/sheet1.xml unpacks to 150.0\xa0MB "
        "(the largest accepted is 100.0\xa0MB)"
    )
    assert not Smelter.objects.exists()


def test_command_reports_a_zip_bomb_and_exits_1(tmp_path):
    from tests.office_files import zip_bomb_xlsx

    path = tmp_path / "bomb.xlsx"
    path.write_bytes(zip_bomb_xlsx(unpacked_mb=150))
    out = io.StringIO()

    with pytest.raises(CommandError):
        call_command("import_smelters", str(path), stdout=out)

    assert out.getvalue().splitlines() == [
        f"{path}: is too large: xl/worksheets/sheet1.xml unpacks to 150.0\xa0MB "
        "(the largest accepted is 100.0\xa0MB)"
    ]


def test_sheet_declaring_a_million_rows_is_refused_before_reading():
    from tests.office_files import with_dimension

    content = with_dimension(xlsx([["Smelter ID", "Metal"], ["CID000001", "Gold"]]), "A1:I1000001")

    with pytest.raises(SmelterImportError) as refused:
        run(content, "facilities.xlsx")

    assert str(refused.value) == (
        "facilities.xlsx, sheet 'Facilities': has 1,000,001 rows; at most 200,000 are accepted "
        "(split it into smaller files)"
    )


def test_rows_over_the_limit_refuse_the_whole_file(settings):
    settings.IMPORT_MAX_ROWS = 3
    content = "Smelter ID,Standard Smelter Name,Metal,Country\n" + "".join(
        f"CID00000{i},Smelter {i},Gold,China\n" for i in range(4)
    )

    with pytest.raises(SmelterImportError, match=r"^facilities.csv: has 5 rows; at most 3 are accepted"):
        run(content.encode(), "facilities.csv")
    assert not Smelter.objects.exists()


@pytest.mark.parametrize(
    ("build", "message"),
    [
        ("encrypted_workbook", "list.xlsx: is password-protected (encrypted); remove the password"),
        ("old_xls", "list.xlsx: is an old Excel 97-2003 workbook (.xls)"),
    ],
)
def test_password_protected_and_old_workbooks_are_named_for_what_they_are(build, message):
    from tests import office_files

    with pytest.raises(SmelterImportError) as refused:
        run(getattr(office_files, build)(), "list.xlsx")

    assert str(refused.value).startswith(message)


def test_truncated_workbook_is_refused_as_damaged():
    content = xlsx([["Smelter ID", "Metal"], ["CID000001", "Gold"]])

    with pytest.raises(SmelterImportError, match=r"^list.xlsx: is damaged or truncated"):
        run(content[: len(content) // 2], "list.xlsx")


def test_gb18030_facility_list_keeps_chinese_names():
    content = "Smelter ID,Smelter Name,Metal,Country\nCID000001,江西铜业股份有限公司,Gold,China\n"

    result = run(content.encode("gb18030"), "facilities.csv")

    assert result.ok, result.errors
    assert Smelter.objects.get(smelter_id="CID000001").name == "江西铜业股份有限公司"
