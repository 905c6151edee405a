import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from suppliers import lifecycle
from suppliers.importing.agreements import COLUMNS, agreements_template, import_agreements
from suppliers.models import Agreement, AgreementText, RiskAssessment
from tests.factories import AgreementFactory, SupplierFactory

pytestmark = pytest.mark.django_db

HEADER = [column.name for column in COLUMNS]


def csv_bytes(rows, *, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def write_csv(tmp_path, rows, *, name="agreements.csv", header=HEADER):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, header=header))
    return path


def run(path, *, by=None):
    with open(path, "rb") as handle:
        return import_agreements(fileobj=handle, filename=path.name, by=by)


@pytest.fixture
def suppliers(db):
    return SupplierFactory(code="SZ-001"), SupplierFactory(code="TW-002")


@pytest.fixture
def text_2024(db):
    return AgreementText.objects.create(
        kind=Agreement.Kind.CSR_AGREEMENT,
        version="2024.1",
        title_en="CSR Agreement",
        title_zh="社会责任协议",
        body_en="...",
        body_zh="...",
        published_on=dt.date(2024, 1, 1),
    )


GOOD = [
    ["SZ-001", "csr_agreement", "2024.1", "2024-03-01", "2027-03-01", "Wang Fang, General Manager"],
    ["SZ-001", "Code of Conduct", "", "2024-03-01", "", "Wang Fang"],
    ["TW-002", "INTEGRITY COMMITMENT", "", "", "", ""],  # sent, not signed
]


def test_the_template_has_the_header_an_example_and_a_sheet_explaining_each_column():
    book = openpyxl.load_workbook(io.BytesIO(agreements_template()))
    data = book["Agreements"]
    assert [cell.value for cell in data[1]] == HEADER
    assert data["A2"].value == "SZ-001"
    explained = [row[0] for row in book["Columns"].iter_rows(min_row=4, values_only=True)]
    assert explained == HEADER
    kinds = next(row for row in book["Columns"].iter_rows(values_only=True) if row[0] == "kind")
    assert "csr_agreement, code_of_conduct, integrity_commitment" in kinds[3]


def test_a_good_file_creates_the_agreements_and_a_second_run_changes_nothing(tmp_path, suppliers, text_2024):
    path = write_csv(tmp_path, GOOD)

    result = run(path)

    assert (result.created, result.updated, result.errors) == (3, 0, [])
    csr = Agreement.objects.get(supplier__code="SZ-001", kind="csr_agreement")
    assert (csr.signed_on, csr.expires_on, csr.signed_by, csr.text) == (
        dt.date(2024, 3, 1),
        dt.date(2027, 3, 1),
        "Wang Fang, General Manager",
        text_2024,
    )
    assert Agreement.objects.get(supplier__code="TW-002").signed_on is None
    assert result.years >= {2024, 2025, 2026, 2027}

    again = run(path)

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 3, [])
    assert Agreement.history.count() == 3


def test_an_xlsx_file_with_date_cells_is_read_like_a_csv_file(tmp_path, suppliers):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Agreements"
    sheet.append(["Supplier code", "Kind", "Signed on", "Expires on"])
    sheet.append(["SZ-001", "csr_agreement", dt.datetime(2023, 5, 2), dt.date(2026, 5, 2)])
    path = tmp_path / "agreements.xlsx"
    book.save(path)

    result = run(path)

    assert result.ok, result.errors
    agreement = Agreement.objects.get()
    assert (agreement.signed_on, agreement.expires_on) == (dt.date(2023, 5, 2), dt.date(2026, 5, 2))


def test_a_changed_row_updates_the_agreement_by_its_key_and_history_names_file_row_and_user(
    tmp_path, suppliers, esg_manager, text_2024
):
    assert run(write_csv(tmp_path, GOOD)).ok
    changed = [[*GOOD[0][:5], "Wang Fang, Chairwoman"], *GOOD[1:]]

    result = run(write_csv(tmp_path, changed, name="agreements-2.csv"), by=esg_manager)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 2)
    csr = Agreement.objects.get(kind="csr_agreement")
    assert csr.signed_by == "Wang Fang, Chairwoman"
    latest = csr.history.first()
    assert latest.history_change_reason == "Imported from agreements-2.csv row 2"
    assert latest.history_user == esg_manager
    assert latest.history_type == "~"


def test_an_absent_optional_column_leaves_the_stored_value(tmp_path, suppliers):
    AgreementFactory(
        supplier=suppliers[0], kind="csr_agreement", signed_on=dt.date(2024, 3, 1), signed_by="Li"
    )
    path = write_csv(tmp_path, [["SZ-001", "csr_agreement", "2024-03-01"]], header=[*HEADER[:2], "signed_on"])

    result = run(path)

    assert (result.created, result.updated, result.unchanged) == (0, 0, 1)
    assert Agreement.objects.get().signed_by == "Li"


def test_a_bad_file_names_every_error_by_row_and_column_and_writes_nothing(tmp_path, suppliers, text_2024):
    path = write_csv(
        tmp_path,
        [
            GOOD[0],
            ["XX-404", "csr_agreement", "", "2024-03-01", "", ""],
            ["SZ-001", "nda", "", "2024-13-01", "", ""],
            ["TW-002", "csr_agreement", "2019.9", "2024-03-01", "2024-02-01", ""],
            ["TW-002", "code_of_conduct", "", "2024-03-01", "", "x" * 151],
            ["SZ-001", "CSR agreement", "", "2024-03-01", "", ""],
            ["", "", "", "", "", "someone"],
            ["SZ-001", "csr_agreement", "2024.1", "2023-12-31", "", ""],
        ],
    )

    result = run(path)

    assert not result.ok
    assert [(error.row, error.column) for error in result.errors] == [
        (3, "supplier_code"),
        (4, "kind"),
        (4, "signed_on"),
        (5, "text_version"),
        (5, "expires_on"),
        (6, "signed_by"),
        (7, "signed_on"),
        (8, "supplier_code"),
        (8, "kind"),
        (9, "text_version"),
    ]
    messages = {(error.row, error.column): error.message for error in result.errors}
    assert messages[3, "supplier_code"] == "no supplier with code 'XX-404' in the register"
    assert messages[4, "signed_on"] == "'2024-13-01' is not a date (YYYY-MM-DD)"
    assert messages[5, "expires_on"] == "The expiry date must be after the signing date."
    assert messages[5, "text_version"] == (
        "no Supplier Social Responsibility (CSR) Agreement text has the version '2019.9'"
    )
    assert messages[7, "signed_on"].endswith("is already on row 2")
    assert "published on 2024-01-01, after signed_on (2023-12-31)" in messages[9, "text_version"]
    assert result.summary == "created 0, updated 0, errors 10"
    assert not Agreement.objects.exists()


def test_a_header_without_the_required_columns_is_refused(tmp_path, suppliers):
    result = run(write_csv(tmp_path, [["SZ-001"]], header=["supplier_code"]))

    assert [(error.row, error.column) for error in result.errors] == [(1, "(header)")]
    assert "kind" in result.errors[0].message


def test_an_agreement_signed_online_is_not_changed_by_an_import(tmp_path, suppliers, text_2024):
    AgreementFactory(
        supplier=suppliers[0],
        kind="csr_agreement",
        signed_on=dt.date(2024, 3, 1),
        signed_by="Wang Fang",
        text=text_2024,
        signed_at=dt.datetime(2024, 3, 1, 9, tzinfo=dt.UTC),
    )

    result = run(write_csv(tmp_path, [["SZ-001", "csr_agreement", "2024.1", "2024-03-01", "", "Somebody"]]))

    assert [(error.row, error.column) for error in result.errors] == [(2, "signed_by")]
    assert "signed online" in result.errors[0].message
    assert Agreement.objects.get().signed_by == "Wang Fang"


def test_the_command_prints_the_summary_and_exits_1_on_errors(tmp_path, suppliers, capsys):
    call_command("import_agreements", str(write_csv(tmp_path, GOOD[1:])))
    assert capsys.readouterr().out.splitlines()[-1] == "created 2, updated 0, errors 0"

    bad = write_csv(tmp_path, [["XX-404", "csr_agreement", "", "", "", ""]], name="bad.csv")
    with pytest.raises(CommandError) as refused:
        call_command("import_agreements", str(bad))
    assert refused.value.returncode == 1
    out = capsys.readouterr().out
    assert f"{bad}: row 2, column supplier_code: no supplier with code 'XX-404' in the register" in out
    assert out.splitlines()[-1] == "created 0, updated 0, errors 1"


def test_the_command_writes_the_template(tmp_path):
    target = tmp_path / "template.xlsx"
    call_command("import_agreements", "--template", str(target))
    assert openpyxl.load_workbook(target).sheetnames == ["Agreements", "Columns"]


def test_the_admin_uploads_a_file_and_offers_the_template(client, suppliers, procurement_user):
    client.force_login(procurement_user)
    listing = client.get(reverse("admin:suppliers_agreement_changelist"))
    assert reverse("admin:suppliers_agreement_import").encode() in listing.content

    template = client.get(reverse("admin:suppliers_agreement_import_template"))
    assert template.status_code == 200
    assert openpyxl.load_workbook(io.BytesIO(template.content)).sheetnames == ["Agreements", "Columns"]

    upload = SimpleUploadedFile("agreements.csv", csv_bytes(GOOD[1:]), content_type="text/csv")
    response = client.post(reverse("admin:suppliers_agreement_import"), {"file": upload}, follow=True)

    assert b"greements.csv: created 2, updated 0, errors 0" in response.content  # capitalised
    history = Agreement.history.filter(kind="code_of_conduct").get()
    assert (history.history_user, history.history_change_reason) == (
        procurement_user,
        "Imported from agreements.csv row 2",
    )


def test_the_admin_shows_every_error_and_writes_nothing(client, suppliers, procurement_user):
    client.force_login(procurement_user)
    upload = SimpleUploadedFile("agreements.csv", csv_bytes([["XX-404", "nda", "", "", "", ""]]))

    response = client.post(reverse("admin:suppliers_agreement_import"), {"file": upload})

    assert response.status_code == 200
    assert b"XX-404" in response.content and b"nda" in response.content
    assert not Agreement.objects.exists()


def test_the_gate_counts_an_imported_csr_agreement_from_the_day_it_was_signed(tmp_path, suppliers):
    run(write_csv(tmp_path, [["SZ-001", "csr_agreement", "", "2024-03-01", "2027-03-01", "Wang Fang"]]))
    supplier = suppliers[0]

    def csr(on):
        check = lifecycle.admission_check(supplier=supplier, on=on)
        return next(c for c in check.conditions if c.key == "csr_agreement")

    assert csr(dt.date(2024, 3, 1)).met
    assert csr(dt.date(2024, 3, 1)).message == (
        "Supplier Social Responsibility (CSR) Agreement signed on 2024-03-01."
    )
    assert not csr(dt.date(2024, 2, 29)).met
    assert not csr(dt.date(2027, 3, 2)).met


def test_a_successful_import_reassesses_the_touched_suppliers(
    tmp_path, suppliers, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        run(write_csv(tmp_path, GOOD[1:2]))

    assert set(RiskAssessment.objects.values_list("supplier__code", flat=True)) == {"SZ-001"}
