"""The findings workbook of an audit: downloaded with drop-down lists and the recorded findings, uploaded back
all or nothing with every error named by row and column, hostile files refused naming the file."""

from __future__ import annotations

import datetime as dt
import io
import re
from html import unescape

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits import services
from audits.models import Audit, Finding
from tests import office_files
from tests.factories import AuditFactory, FindingFactory, provision
from tests.portal.conftest import auditor_login

pytestmark = pytest.mark.django_db

TODAY = dt.date.today()
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def in_progress(agency, **kwargs) -> Audit:
    return AuditFactory(
        agency=agency,
        status=Audit.Status.IN_PROGRESS,
        actual_start=TODAY - dt.timedelta(days=2),
        planned_start=TODAY - dt.timedelta(days=2),
        planned_end=TODAY,
        **kwargs,
    )


def download(side, audit: Audit) -> openpyxl.Workbook:
    response = side.client.get(reverse("portal:agency_workbook", args=[audit.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    assert f'filename="{audit.reference}-findings.xlsx"' in response["Content-Disposition"]
    return openpyxl.load_workbook(io.BytesIO(response.content))


def saved(book: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def upload(side, audit: Audit, data: bytes, *, name: str = "findings.xlsx"):
    return side.client.post(
        reverse("portal:agency_workbook", args=[audit.pk]),
        {"workbook-file": SimpleUploadedFile(name, data, content_type=XLSX)},
        follow=True,
    )


def html(response) -> str:
    return response.content.decode()


def workbook_errors(response) -> list[str]:
    return [
        unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", item)).strip())
        for item in re.findall(r'<li class="workbook-error">(.*?)</li>', html(response), re.S)
    ]


def file_errors(response) -> str:
    match = re.search(r'<div class="field[^"]*" id="field-workbook-file">(.*?)</div>', html(response), re.S)
    assert match
    return unescape(match.group(1))


def validation_of(sheet, column: str):
    [validation] = [
        v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(f"{column}3:")
    ]
    return validation


# --- Download -----------------------------------------------------------------------------------------------


def test_the_workbook_has_drop_down_lists_on_the_provision_severity_and_red_line_columns(agency_a):
    audit = in_progress(agency_a.agency)

    book = download(agency_a, audit)

    sheet, lists = book["Findings"], book["Lists"]
    assert lists.sheet_state == "hidden"
    assert (
        validation_of(sheet, "B").type == "list" and validation_of(sheet, "B").formula1 == "Lists!$A$2:$A$44"
    )
    assert validation_of(sheet, "C").formula1 == "Lists!$B$2:$B$5"
    assert validation_of(sheet, "D").formula1 == "Lists!$C$2:$C$10" and validation_of(sheet, "D").allow_blank
    assert str(validation_of(sheet, "B").sqref) == "B3:B102"
    assert [lists[f"B{row}"].value for row in range(2, 6)] == ["priority", "major", "minor", "observation"]
    assert (
        lists["A2"].value == "A1 Freely Chosen Employment"
        and lists["A44"].value == "E12 Supplier Responsibility"
    )
    assert lists["C2"].value == "1 Child labor / protection of underage workers"
    assert [sheet.cell(2, c).value for c in range(1, 7)] == [
        "Finding no.",
        "Provision code",
        "Severity",
        "Red-line category",
        "Description",
        "Auditor notes",
    ]
    assert "Help" in book.sheetnames and "priority" in [c.value for c in book["Help"]["A"]]


def test_the_workbook_holds_the_recorded_findings_with_their_numbers(agency_a):
    audit = in_progress(agency_a.agency)
    FindingFactory(
        audit=audit, number=1, provision=provision("A3"), severity="major", description="Overtime."
    )
    FindingFactory(
        audit=audit,
        number=2,
        provision=provision("B2"),
        severity="priority",
        red_line="7",
        description="Exit.",
    )

    sheet = download(agency_a, audit)["Findings"]

    assert sheet["A1"].value == audit.reference
    assert [c.value for c in sheet[3]][:5] == [1, "A3 Working Hours", "major", None, "Overtime."]
    assert [c.value for c in sheet[4]][:5] == [
        2,
        "B2 Emergency Preparedness",
        "priority",
        "7 Unmanaged fire hazards",
        "Exit.",
    ]
    assert str(validation_of(sheet, "B").sqref) == "B3:B104"


def test_another_agencys_workbook_is_404_both_ways(agency_a, agency_b):
    audit = in_progress(agency_b.agency)
    url = reverse("portal:agency_workbook", args=[audit.pk])

    assert agency_a.client.get(url).status_code == 404
    assert agency_a.client.post(url, {}).status_code == 404


# --- Upload -------------------------------------------------------------------------------------------------


def test_an_upload_with_errors_names_every_error_by_row_and_column_and_saves_nothing(agency_a):
    audit = in_progress(agency_a.agency)
    FindingFactory(
        audit=audit, number=1, provision=provision("A3"), severity="major", description="Overtime."
    )
    book = download(agency_a, audit)
    sheet = book["Findings"]
    sheet["C3"] = "minor"  # a valid change, not saved because of the errors below
    rows = [
        (None, "B1 Occupational Safety", "major", None, "No guards on presses.", ""),
        (None, "Z9", "big", None, "Unknown code and severity.", ""),
        (
            None,
            "A2 Young Workers",
            "minor",
            "1 Child labor / protection of underage workers",
            "Worker aged 15.",
            "",
        ),
        (7, "A1", "major", None, "", ""),
    ]
    for offset, values in enumerate(rows):
        for column, value in zip("ABCDEF", values, strict=True):
            sheet[f"{column}{4 + offset}"] = value

    response = upload(agency_a, audit, saved(book))

    errors = workbook_errors(response)
    assert (
        "Row 5, column B (provision code): 'Z9' is not a code provision in use; pick one from the list."
        in errors[0]
    )
    assert "Row 5, column C (severity): 'big' is not one of priority, major, minor, observation." in errors[1]
    assert "Row 6, column C (severity): A red-line finding is at least priority" in errors[2]
    assert f"Row 7, column A (finding no.): Audit {audit.reference} has no finding 7" in errors[3]
    assert "Row 7, column E (description): Describe the finding." in errors[4]
    assert len(errors) == 5
    assert "Nothing was saved" in html(response)
    assert list(Finding.objects.filter(audit=audit).values_list("number", "severity")) == [(1, "major")]


def test_a_corrected_upload_creates_and_changes_the_findings(agency_a):
    audit = in_progress(agency_a.agency)
    FindingFactory(
        audit=audit, number=1, provision=provision("A3"), severity="major", description="Overtime."
    )
    FindingFactory(
        audit=audit, number=2, provision=provision("A4"), severity="minor", description="Late pay."
    )
    book = download(agency_a, audit)
    sheet = book["Findings"]
    sheet["B3"], sheet["C3"], sheet["D3"] = "A3", "priority", "4 Untrue or unreliable working-hour records"
    for column, value in zip(
        "ABCDEF",
        (None, "B1 Occupational Safety", "Major", None, "No guards on presses.", "Photo 12"),
        strict=True,
    ):
        sheet[f"{column}5"] = value
    sheet["A6"], sheet["B6"], sheet["C6"], sheet["D6"], sheet["E6"] = (
        None,
        "A2",
        "priority",
        1,
        "Worker aged 15.",
    )

    response = upload(agency_a, audit, saved(book))

    assert not workbook_errors(response)
    assert "findings.xlsx: 2 findings added, 1 changed, 1 unchanged." in [
        str(m) for m in response.context["messages"]
    ]
    findings = {f.number: f for f in Finding.objects.filter(audit=audit).select_related("provision")}
    assert (findings[1].severity, findings[1].red_line) == ("priority", "4")
    assert (findings[2].severity, findings[2].description) == ("minor", "Late pay.")
    assert (findings[3].provision.code, findings[3].severity, findings[3].evidence_notes) == (
        "B1",
        "major",
        "Photo 12",
    )
    assert (findings[4].provision.code, findings[4].red_line) == ("A2", "1")
    assert findings[3].history.latest().history_user == agency_a.user


def test_the_same_finding_twice_in_a_file_is_an_error(agency_a):
    audit = in_progress(agency_a.agency)
    FindingFactory(
        audit=audit, number=1, provision=provision("A3"), severity="major", description="Overtime."
    )
    book = download(agency_a, audit)
    for column, value in zip("ABCDE", (1, "A3", "minor", None, "Again."), strict=True):
        book["Findings"][f"{column}4"] = value

    errors = workbook_errors(upload(agency_a, audit, saved(book)))

    assert len(errors) == 1 and "Row 4, column A (finding no.): Finding 1 is on row 3 already." in errors[0]


def test_a_workbook_of_another_audit_is_refused_naming_the_file(agency_a):
    first, second = in_progress(agency_a.agency), in_progress(agency_a.agency)
    book = download(agency_a, first)
    for column, value in zip("BCE", ("A3", "major", "Overtime."), strict=True):
        book["Findings"][f"{column}3"] = value

    response = upload(agency_a, second, saved(book), name="first.xlsx")

    assert (
        f"first.xlsx is the findings workbook of audit {first.reference}, not of {second.reference}"
        in file_errors(response)
    )
    assert not Finding.objects.exists()


@pytest.mark.parametrize(
    ("name", "content", "words"),
    [
        ("macro.xlsx", lambda: office_files.macro_enabled(office_files.workbook_bytes()), "macro"),
        ("locked.xlsx", office_files.encrypted_workbook, "password"),
        ("bomb.xlsx", lambda: office_files.zip_bomb_xlsx(unpacked_mb=8), "zip bomb"),
        ("old.xlsx", office_files.old_xls, ".xls"),
        ("letter.xlsx", office_files.docx_bytes, "accepted types are XLSX"),
        ("plain.xlsx", lambda: b"finding,provision\n1,A3\n", "accepted types are XLSX"),
    ],
)
def test_a_hostile_or_wrong_file_is_refused_naming_the_file(agency_a, name, content, words):
    audit = in_progress(agency_a.agency)

    response = upload(agency_a, audit, content(), name=name)

    assert response.status_code == 200
    errors = file_errors(response)
    assert f"{name}:" in errors and words in errors, errors
    assert not Finding.objects.exists()


def test_an_upload_after_the_report_is_submitted_is_refused(agency_a):
    audit = in_progress(agency_a.agency)
    book = download(agency_a, audit)
    Audit.objects.filter(pk=audit.pk).update(status=Audit.Status.REPORT_SUBMITTED)

    response = upload(agency_a, audit, saved(book))

    assert "it can no longer be changed by the agency" in html(response)
    assert not Finding.objects.exists()


def test_the_import_service_reports_errors_without_writing(agency_a):
    audit = in_progress(agency_a.agency)
    book = download(agency_a, audit)
    for column, value in zip("BCE", ("A3", "major", ""), strict=True):
        book["Findings"][f"{column}3"] = value

    result = services.findings_workbook_import(
        audit=audit, upload=SimpleUploadedFile("f.xlsx", saved(book)), by=agency_a.user
    )

    assert not result.ok and [(e.row, e.column) for e in result.errors] == [(3, "E")]
    assert not Finding.objects.exists()


# --- Chinese ------------------------------------------------------------------------------------------------


def test_the_workbook_is_in_chinese_for_a_zh_hans_auditor(agency_a):
    auditor = auditor_login(agency_a.agency, email="zhang.wei@alpha-audits.example", language="zh-hans")
    audit = in_progress(agency_a.agency)

    book = download(auditor, audit)

    assert book["Findings"]["C2"].value == "严重程度"
    assert book["Lists"]["A4"].value == "A3 工作时间"
    assert book["Lists"]["B2"].value == "priority 优先"
    assert book["Lists"]["C2"].value.startswith("1 ")
    assert book["Lists"]["C2"].value != "1 Child labor / protection of underage workers"


def test_a_workbook_filled_in_chinese_is_read_back(agency_a):
    auditor = auditor_login(agency_a.agency, email="li.lei@alpha-audits.example", language="zh-hans")
    audit = in_progress(agency_a.agency)
    book = download(auditor, audit)
    lists, sheet = book["Lists"], book["Findings"]
    sheet["B3"], sheet["C3"], sheet["D3"] = lists["A10"].value, lists["B2"].value, lists["C7"].value
    sheet["E3"] = "消防通道堵塞。"

    response = upload(auditor, audit, saved(book))

    assert not workbook_errors(response)
    finding = Finding.objects.get(audit=audit)
    assert (finding.provision.code, finding.severity, finding.red_line) == ("B2", "priority", "6")
    assert finding.description == "消防通道堵塞。"
