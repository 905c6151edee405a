import datetime as dt
import io
import time
import tracemalloc
import zipfile
from pathlib import Path

import openpyxl
import pytest

from common.workbooks import (
    MAX_UNPACKED_BYTES,
    OfficeInfo,
    WorkbookRejected,
    XlsxWorkbook,
    inspect_office,
    read_table,
)
from tests.office_files import (
    SHEET,
    docx_bytes,
    encrypted_workbook,
    externally_linked,
    macro_enabled,
    old_xls,
    ole_file,
    with_dimension,
    with_doctype,
    workbook_bytes,
    zip_bomb_xlsx,
)

TEMPLATES = Path(__file__).resolve().parents[3] / "shared" / "rmi-templates"


def inspect(data: bytes, name: str = "x.xlsx") -> OfficeInfo:
    return inspect_office(io.BytesIO(data), name=name)


def rows(data: bytes, filename: str, **options) -> list:
    table = read_table(io.BytesIO(data), filename=filename, **options)
    return list(table.rows)


# --- inspect_office --------------------------------------------------------------------------------------


def test_a_plain_workbook_is_xlsx_without_external_links():
    assert inspect(workbook_bytes()) == OfficeInfo(kind="xlsx", external_links=False)


@pytest.mark.skipif(
    not TEMPLATES.is_dir(), reason="the RMI templates folder (shared/rmi-templates) is absent"
)
@pytest.mark.parametrize("template", sorted(p.name for p in TEMPLATES.glob("*.xlsx")) or ["none"])
def test_official_rmi_templates_are_plain_xlsx_without_external_links(template):
    with open(TEMPLATES / template, "rb") as fh:
        assert inspect_office(fh, name=template) == OfficeInfo(kind="xlsx", external_links=False)


def test_macro_enabled_workbook_is_named_xlsm_by_content_type_or_vba_project():
    plain = workbook_bytes()

    assert inspect(macro_enabled(plain)).kind == "xlsm"
    assert inspect(macro_enabled(plain, content_type=False)).kind == "xlsm"
    assert inspect(macro_enabled(plain, vba_project=False)).kind == "xlsm"


def test_password_protected_workbook_is_encrypted_not_an_old_xls():
    assert inspect(encrypted_workbook()).kind == "encrypted"


def test_old_binary_formats_are_named():
    assert inspect(old_xls(), "old.xls").kind == "xls"
    assert inspect(ole_file({"WordDocument": b"\xec\xa5" + b"\0" * 100}), "old.doc").kind == "doc"


def test_externally_linked_workbook_is_flagged():
    assert inspect(externally_linked(workbook_bytes())) == OfficeInfo(kind="xlsx", external_links=True)


def test_word_document_and_other_files():
    assert inspect(docx_bytes(), "x.docx").kind == "docx"
    assert inspect(b"%PDF-1.7\n...", "x.pdf").kind is None
    assert inspect(b"code,name\nS1,One\n", "x.csv").kind is None


def test_truncated_workbook_is_refused_as_damaged():
    data = workbook_bytes()

    with pytest.raises(WorkbookRejected) as refused:
        inspect(data[: len(data) // 2], "cut.xlsx")

    assert refused.value.message == "cut.xlsx: is damaged or truncated (its zip directory is missing)"


def test_entity_declarations_are_refused():
    with pytest.raises(
        WorkbookRejected, match=r"^x.xlsx: is not a valid office file \(\[Content_Types\].xml declares"
    ):
        inspect(with_doctype(workbook_bytes()))


def test_zip_bomb_is_refused_from_the_directory_without_unpacking(tmp_path):
    bomb = zip_bomb_xlsx(unpacked_mb=150)
    assert len(bomb) < 2 * 1024 * 1024

    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(WorkbookRejected) as refused:
            inspect(bomb, "bomb.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert refused.value.message.startswith(
        f"bomb.xlsx: is too large: {SHEET} unpacks to 150.0\xa0MB (the largest accepted is 100.0\xa0MB)"
    )
    assert time.monotonic() - started < 5
    assert peak < 20 * 1024 * 1024


def test_member_compressed_beyond_reason_is_refused_as_a_zip_bomb():
    bomb = zip_bomb_xlsx(unpacked_mb=50)  # under the size limit, but 1,000 to 1

    with pytest.raises(
        WorkbookRejected, match=r"^bomb.xlsx: looks like a zip bomb: xl/worksheets/sheet1.xml unpacks"
    ):
        inspect(bomb, "bomb.xlsx")


def test_position_is_left_at_the_start():
    upload = io.BytesIO(workbook_bytes())
    upload.seek(100)

    inspect_office(upload, name="x.xlsx")

    assert upload.tell() == 0


# --- XlsxWorkbook -----------------------------------------------------------------------------------------


def test_part_failing_its_crc_is_reported_as_damaged():
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(workbook_bytes([["code"], ["UNIQUEVALUE"]]))) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as target,
    ):
        for info in source.infolist():
            target.writestr(info.filename, source.read(info))
    data = out.getvalue().replace(b"UNIQUEVALUE", b"UNIQUEVALUX", 1)

    with pytest.raises(
        WorkbookRejected, match=r"^bad.xlsx, sheet 'Suppliers': is damaged or truncated \(xl/"
    ):
        rows(data, "bad.xlsx")


def test_parts_over_the_limit_are_refused_by_the_reader():
    with pytest.raises(WorkbookRejected, match=r"unpacks to 150\.0\xa0MB"):
        XlsxWorkbook(io.BytesIO(zip_bomb_xlsx(unpacked_mb=150)), name="bomb.xlsx")
    assert MAX_UNPACKED_BYTES == 100 * 1024 * 1024


# --- read_table: XLSX --------------------------------------------------------------------------------------


def test_sheet_values_as_excel_shows_them():
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Data"
    sheet.append(["code", "since", "spend", "ratio", "active", "note"])
    sheet.append(["S1", dt.date(2024, 3, 31), 1200, 0.5, True, "  café 供应商 "])
    sheet.append([])
    sheet.append(["S3", dt.datetime(2025, 1, 2, 13, 30)])
    buffer = io.BytesIO()
    book.save(buffer)

    table = read_table(io.BytesIO(buffer.getvalue()), filename="list.xlsx")

    assert table.sheet == "Data"
    assert list(table.rows) == [
        (1, ["code", "since", "spend", "ratio", "active", "note"]),
        (2, ["S1", dt.datetime(2024, 3, 31), 1200, 0.5, True, "  café 供应商 "]),
        (4, ["S3", dt.datetime(2025, 1, 2, 13, 30)]),
    ]


def test_preferred_sheet_is_found_whatever_its_case():
    book = openpyxl.Workbook()
    book.active.title = "Read me"
    book.active.append(["not this one"])
    book.create_sheet(" suppliers ").append(["code"])
    buffer = io.BytesIO()
    book.save(buffer)

    table = read_table(io.BytesIO(buffer.getvalue()), filename="x.xlsx", sheets=("Suppliers",))

    assert (table.sheet, list(table.rows)) == (" suppliers ", [(1, ["code"])])


def test_sheet_declaring_a_million_rows_is_refused_before_a_row_is_read():
    data = with_dimension(workbook_bytes(), "A1:L1000001")

    with pytest.raises(WorkbookRejected) as refused:
        read_table(io.BytesIO(data), filename="big.xlsx", max_rows=200_000)

    assert refused.value.message == (
        "big.xlsx, sheet 'Suppliers': has 1,000,001 rows; at most 200,000 are accepted "
        "(split it into smaller files)"
    )


@pytest.mark.parametrize("declared", [None, "A1:A2"])
def test_sheet_with_more_rows_than_it_declares_is_refused_before_reading(settings, declared):
    settings.IMPORT_MAX_ROWS = 5
    data = with_dimension(workbook_bytes([["code"]] + [[f"S{i}"] for i in range(9)]), declared)

    with pytest.raises(WorkbookRejected, match=r"^x.xlsx, sheet 'Suppliers': has 10 rows; at most 5 are"):
        read_table(io.BytesIO(data), filename="x.xlsx")


def test_zip_bomb_table_is_refused_fast_with_little_memory():
    bomb = zip_bomb_xlsx(unpacked_mb=150)

    tracemalloc.start()
    try:
        with pytest.raises(
            WorkbookRejected, match=r"^bomb.xlsx: is too large: xl/worksheets/sheet1.xml unpacks"
        ):
            rows(bomb, "bomb.xlsx")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20 * 1024 * 1024


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (encrypted_workbook, "x.xlsx: is password-protected (encrypted); remove the password"),
        (old_xls, "x.xlsx: is an old Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx)"),
        (lambda: macro_enabled(workbook_bytes()), "x.xlsx: is a macro-enabled workbook (.xlsm); save it as"),
        (docx_bytes, "x.xlsx: this is not an Excel workbook (.xlsx)"),
    ],
)
def test_what_is_not_a_plain_workbook_is_named(content, message):
    with pytest.raises(WorkbookRejected) as refused:
        read_table(io.BytesIO(content()), filename="x.xlsx")

    assert refused.value.message.startswith(message)


def test_externally_linked_workbook_is_read_from_its_cached_values():
    data = externally_linked(workbook_bytes([["code"], ["S1"]]))

    assert rows(data, "x.xlsx") == [(1, ["code"]), (2, ["S1"])]


# --- read_table: CSV ---------------------------------------------------------------------------------------


def test_csv_in_utf8_with_bom():
    data = "\ufeffcode,name\nS1,Café\n".encode()

    assert rows(data, "x.csv") == [(1, ["code", "name"]), (2, ["S1", "Café"])]


def test_csv_saved_by_chinese_excel_is_read_as_gb18030():
    data = "code,name\nS1,深圳市精密电子有限公司\nS2,东莞塑胶\n".encode("gb18030")

    assert rows(data, "x.csv") == [
        (1, ["code", "name"]),
        (2, ["S1", "深圳市精密电子有限公司"]),
        (3, ["S2", "东莞塑胶"]),
    ]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_sniffed(delimiter):
    data = (
        delimiter.join(["code", "name", "tier"]).encode()
        + b"\n"
        + delimiter.join(["S1", "One", "1"]).encode()
    )

    assert rows(data, "x.csv") == [(1, ["code", "name", "tier"]), (2, ["S1", "One", "1"])]


def test_csv_in_no_known_encoding_is_refused_naming_the_line():
    data = b"code,name\nS1,One\nS2,\xff\xfe\xfd\n"

    with pytest.raises(WorkbookRejected) as refused:
        rows(data, "x.csv")

    assert refused.value.message == (
        "x.csv: this is not UTF-8 or GB18030 text (first bad byte on line 3); save the file as 'CSV UTF-8'"
    )


def test_csv_with_more_rows_than_the_limit_is_refused_naming_both(settings):
    settings.IMPORT_MAX_ROWS = 3
    data = b"code\n" + b"".join(b"S%d\n" % i for i in range(6))

    with pytest.raises(WorkbookRejected, match=r"^x.csv: has 7 rows; at most 3 are accepted"):
        read_table(io.BytesIO(data), filename="x.csv")  # before a row is read


def test_workbook_named_csv_and_oversized_files_are_refused(settings):
    # Content decides, not the name: a workbook named .csv is read as the workbook it is.
    assert rows(workbook_bytes(), "x.csv")[0] == (1, ["code", "name"])
    settings.UPLOAD_MAX_BYTES = 10
    with pytest.raises(
        WorkbookRejected, match=r"^x.csv: the file is larger than the upload limit of 10\xa0bytes"
    ):
        rows(b"code,name\nS1,One\n", "x.csv")
