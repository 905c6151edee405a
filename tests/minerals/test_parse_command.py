"""``parse_cmrt FILE [--json]``: output, exit status, and files that are not a readable CMRT/EMRT."""

import datetime as dt
import io
import json
import os

import openpyxl
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from minerals.cmrt import UnreadableWorkbook, parse_workbook
from minerals.cmrt.cli import main, run
from tests.minerals import workbooks as wb


def cli(*argv) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main([str(arg) for arg in argv], stdout=out, stderr=err)
    return status, out.getvalue(), err.getvalue()


@pytest.fixture
def clean_file(tmp_path):
    effective = timezone.localdate() - dt.timedelta(days=10)
    return wb.build_workbook(
        tmp_path / "clean.xlsx",
        declaration=wb.clean_declaration(effective=effective),
        smelters=wb.clean_smelters(),
    )


@pytest.fixture
def file_with_errors(tmp_path):
    declaration = wb.clean_declaration(effective=timezone.localdate())
    del declaration["D8"]
    return wb.build_workbook(tmp_path / "errors.xlsx", declaration=declaration, smelters=wb.clean_smelters())


def test_clean_file_exits_0_and_prints_a_summary(clean_file):
    status, out, err = cli(clean_file)

    assert status == 0
    assert err == ""
    assert f"{clean_file}: CMRT 6.5 (English)" in out
    assert "smelters: 4 (gold 2, tin 2)" in out
    assert "errors: 0; warnings: 0" in out


def test_file_with_errors_exits_1_and_lists_them(file_with_errors):
    status, out, _err = cli(file_with_errors)

    assert status == 1
    assert "  error: Declaration!D8: Company name (*) is required" in out


def test_json_output_has_the_documented_shape(clean_file):
    status, out, _err = cli(clean_file, "--json")

    data = json.loads(out)
    assert status == 0
    assert data["template"] == "CMRT"
    assert data["version"] == "6.5"
    assert data["company"]["name"] == "Acme Components Ltd."
    assert data["company"]["effective_date"] == (timezone.localdate() - dt.timedelta(days=10)).isoformat()
    assert data["minerals_in_scope"] == ["tantalum", "tin", "gold", "tungsten"]
    assert data["answers"]["tin"]["1"] == "Yes"
    assert data["company_answers"]["A"] == "Yes"
    assert {
        k: data["smelters"][0][k] for k in ("metal", "name", "country", "smelter_id", "source", "recycled")
    } == {
        "metal": "gold",
        "name": "8853 S.p.A.",
        "country": "ITALY",
        "smelter_id": "CID002763",
        "source": "RMI",
        "recycled": "no",
    }
    assert data["products"] == []
    assert data["issues"] == []


def test_json_issues_carry_sheet_cell_severity_and_message(file_with_errors):
    status, out, _err = cli(file_with_errors, "--json")

    assert status == 1
    assert json.loads(out)["issues"] == [
        {"sheet": "Declaration", "cell": "D8", "severity": "error", "message": "Company name (*) is required"}
    ]


def _assert_unreadable(path, fragment, *, before=None):
    before = sorted(os.listdir(path.parent)) if before is None else before
    status, out, err = cli(path)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert fragment in err
    assert sorted(os.listdir(path.parent)) == before  # nothing written next to it


def test_text_file_is_not_an_xlsx(tmp_path):
    path = tmp_path / "notes.xlsx"
    path.write_text("company,metal\nAcme,tin\n")

    _assert_unreadable(path, f"{path} is not an Excel .xlsx workbook")


def test_old_binary_xls_is_named_as_such(tmp_path):
    path = tmp_path / "old.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 512)

    _assert_unreadable(path, "is an old Excel 97-2003 workbook (.xls); save it as an Excel Workbook (.xlsx)")


def test_xlsx_without_the_template_sheets(tmp_path):
    path = tmp_path / "other.xlsx"
    book = openpyxl.Workbook()
    book.active.title = "Suppliers"
    book.save(path)

    _assert_unreadable(
        path, "has no 'Declaration' sheet, so it is not a CMRT or EMRT (sheets found: Suppliers)"
    )


def test_truncated_xlsx(tmp_path, clean_file):
    data = clean_file.read_bytes()
    path = tmp_path / "truncated.xlsx"
    path.write_bytes(data[: len(data) // 2])

    _assert_unreadable(path, "is damaged or truncated (its zip directory is missing)")


def test_missing_file(tmp_path):
    status, _out, err = cli(tmp_path / "nowhere.xlsx")

    assert status == 2
    assert err.strip() == f"{tmp_path / 'nowhere.xlsx'}: no such file"


def test_file_over_the_default_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "huge.xlsx"
    with open(path, "wb") as fh:
        fh.truncate(26 * 1024 * 1024)  # sparse: cheap to make

    _assert_unreadable(path, f"{path} is 26.0\xa0MB; the largest accepted is 25.0\xa0MB")


def test_max_bytes_applies_to_paths_and_file_objects(clean_file):
    with pytest.raises(
        UnreadableWorkbook, match=r"clean.xlsx is [\d.]+\xa0KB; the largest accepted is 1000\xa0bytes"
    ):
        parse_workbook(clean_file, max_bytes=1000)
    with (
        open(clean_file, "rb") as fh,
        pytest.raises(UnreadableWorkbook, match=r"the largest accepted is 1\.0\xa0KB"),
    ):
        parse_workbook(fh, max_bytes=1024)


def test_file_object_and_path_give_the_same_result(clean_file):
    with open(clean_file, "rb") as fh:
        from_object = parse_workbook(fh, filename="upload.xlsx")

    assert from_object.to_json() == parse_workbook(clean_file).to_json()


def test_run_writes_unreadable_reason_to_stderr(tmp_path):
    path = tmp_path / "x.xlsx"
    path.write_text("nope")
    out, err = io.StringIO(), io.StringIO()

    assert run(str(path), stdout=out, stderr=err) == 2
    assert err.getvalue() == f"{path} is not an Excel .xlsx workbook\n"


needs_app = pytest.mark.skipif(
    "minerals" not in settings.INSTALLED_APPS, reason="the minerals app is not in INSTALLED_APPS yet"
)


@needs_app
def test_management_command_prints_json_and_exits_with_the_status(clean_file, file_with_errors, tmp_path):
    out = io.StringIO()
    call_command("parse_cmrt", str(clean_file), "--json", stdout=out)
    assert json.loads(out.getvalue())["template"] == "CMRT"

    with pytest.raises(SystemExit) as exited:
        call_command("parse_cmrt", str(file_with_errors), stdout=io.StringIO())
    assert exited.value.code == 1

    bad = tmp_path / "bad.xlsx"
    bad.write_text("nope")
    err = io.StringIO()
    with pytest.raises(SystemExit) as exited:
        call_command("parse_cmrt", str(bad), stdout=io.StringIO(), stderr=err)
    assert exited.value.code == 2
    assert err.getvalue().strip() == f"{bad} is not an Excel .xlsx workbook"
