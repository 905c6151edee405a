import csv
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from suppliers import lifecycle
from suppliers.importing.assessments import COLUMNS, assessments_template, import_assessments
from suppliers.models import ExternalAssessment, RiskAssessment
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db

HEADER = [column.name for column in COLUMNS]
# supplier_code, kind, scheme, assessed_on, score, scale_max, band_or_medal, reference, valid_until
GOOD = [
    ["SZ-001", "RBA VAP", "", "2024-03-01", "172.5", "", "medium performer", "VAP-1", "2026-03-01"],
    ["SZ-001", "ecovadis", "", "2024-06-30", "62", "", "silver", "EV-9", ""],
    ["TW-002", "other", "Sedex SMETA", "2023-11-15", "8", "10", "", "", ""],
    ["TW-002", "RBA Self-Assessment Questionnaire", "", "2023-01-10", "88", "", "", "", ""],
]


def csv_bytes(rows, *, header=HEADER) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def write_csv(tmp_path, rows, *, name="assessments.csv", header=HEADER):
    path = tmp_path / name
    path.write_bytes(csv_bytes(rows, header=header))
    return path


def run(path, *, by=None):
    with open(path, "rb") as handle:
        return import_assessments(fileobj=handle, filename=path.name, by=by)


@pytest.fixture
def suppliers(db):
    return SupplierFactory(code="SZ-001"), SupplierFactory(code="TW-002")


def test_the_template_has_the_header_an_example_and_a_sheet_explaining_each_column():
    book = openpyxl.load_workbook(io.BytesIO(assessments_template()))
    data = book["Assessments"]
    assert [cell.value for cell in data[1]] == HEADER
    assert [cell.value for cell in data[2]][:2] == ["SZ-001", "rba_vap"]
    explained = list(book["Columns"].iter_rows(min_row=4, values_only=True))
    assert [row[0] for row in explained] == HEADER
    assert "platinum, gold, silver, bronze" in next(row for row in explained if row[0] == "band_or_medal")[3]


def test_a_good_file_creates_the_assessments_with_each_kinds_scale_and_a_second_run_changes_nothing(
    tmp_path, suppliers
):
    path = write_csv(tmp_path, GOOD)

    result = run(path)

    assert (result.created, result.updated, result.errors) == (4, 0, [])
    vap = ExternalAssessment.objects.get(kind="rba_vap")
    assert (vap.score, vap.scale_max, vap.rating, vap.reference, vap.valid_until) == (
        Decimal("172.5"),
        Decimal("200"),
        "medium performer",
        "VAP-1",
        dt.date(2026, 3, 1),
    )
    assert ExternalAssessment.objects.get(kind="ecovadis").scale_max == 100
    assert ExternalAssessment.objects.get(kind="rba_saq").scale_max == 100
    other = ExternalAssessment.objects.get(kind="other")
    assert (other.scheme, other.score, other.scale_max) == ("Sedex SMETA", 8, 10)

    again = run(path)

    assert (again.created, again.updated, again.unchanged, again.errors) == (0, 0, 4, [])
    assert ExternalAssessment.history.count() == 4


def test_a_changed_row_updates_by_key_and_history_names_file_row_and_user(tmp_path, suppliers, esg_manager):
    run(write_csv(tmp_path, GOOD))
    changed = [[*GOOD[0][:4], "181", "", "high performer", "VAP-1", "2026-03-01"], *GOOD[1:]]

    result = run(write_csv(tmp_path, changed, name="vap-2024.csv"), by=esg_manager)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 3)
    vap = ExternalAssessment.objects.get(kind="rba_vap")
    assert (vap.score, vap.rating) == (Decimal("181"), "high performer")
    latest = vap.history.first()
    assert (latest.history_type, latest.history_user, latest.history_change_reason) == (
        "~",
        esg_manager,
        "Imported from vap-2024.csv row 2",
    )


def test_a_bad_file_names_every_error_by_row_and_column_and_writes_nothing(tmp_path, suppliers):
    path = write_csv(
        tmp_path,
        [
            GOOD[0],
            ["XX-404", "rba_vap", "", "2024-03-01", "150", "", "", "", ""],
            ["SZ-001", "sgs", "", "01/03/2024", "abc", "", "", "", ""],
            ["SZ-001", "rba_vap", "", "2024-04-01", "201", "", "", "", "2024-03-31"],
            ["SZ-001", "other", "", "2024-05-01", "5", "", "", "", ""],
            ["SZ-001", "ecovadis", "EcoVadis", "2024-05-01", "", "0", "x" * 31, "", ""],
            ["SZ-001", "rba_vap", "", "2024-03-01", "160", "", "", "", ""],
        ],
    )

    result = run(path)

    assert [(error.row, error.column) for error in result.errors] == [
        (3, "supplier_code"),
        (4, "kind"),
        (4, "assessed_on"),
        (4, "score"),
        (5, "score"),
        (5, "valid_until"),
        (6, "scheme"),
        (6, "scale_max"),
        (7, "scheme"),
        (7, "score"),
        (7, "scale_max"),
        (7, "band_or_medal"),
        (8, "assessed_on"),
    ]
    messages = {(error.row, error.column): error.message for error in result.errors}
    assert messages[4, "assessed_on"] == "'01/03/2024' is not a date (YYYY-MM-DD)"
    assert messages[5, "score"] == "must be from 0 to scale_max (200), not 201"
    assert messages[5, "valid_until"] == "must be on or after assessed_on (2024-04-01)"
    assert messages[6, "scheme"] == "required for kind other: the name of the scheme"
    assert messages[7, "band_or_medal"] == "too long: at most 30 characters, not 31"
    assert messages[8, "assessed_on"].endswith("is already on row 2")
    assert not ExternalAssessment.objects.exists()


def test_the_command_prints_the_summary_and_exits_1_on_errors(tmp_path, suppliers, capsys):
    call_command("import_assessments", str(write_csv(tmp_path, GOOD)))
    assert capsys.readouterr().out.splitlines()[-1] == "created 4, updated 0, errors 0"

    bad = write_csv(tmp_path, [["SZ-001", "rba_vap", "", "2024-03-01", "", "", "", "", ""]], name="bad.csv")
    with pytest.raises(CommandError) as refused:
        call_command("import_assessments", str(bad))
    assert refused.value.returncode == 1
    out = capsys.readouterr().out
    assert f"{bad}: row 2, column score: required: a number from 0 to scale_max" in out
    assert out.splitlines()[-1] == "created 0, updated 0, errors 1"

    target = tmp_path / "template.xlsx"
    call_command("import_assessments", "--template", str(target))
    assert openpyxl.load_workbook(target).sheetnames == ["Assessments", "Columns"]


def test_the_admin_uploads_a_file_and_offers_the_template(client, suppliers, procurement_user):
    client.force_login(procurement_user)
    listing = client.get(reverse("admin:suppliers_externalassessment_changelist"))
    assert reverse("admin:suppliers_externalassessment_import").encode() in listing.content
    template = client.get(reverse("admin:suppliers_externalassessment_import_template"))
    assert openpyxl.load_workbook(io.BytesIO(template.content)).sheetnames == ["Assessments", "Columns"]

    upload = SimpleUploadedFile("assessments.csv", csv_bytes(GOOD))
    response = client.post(
        reverse("admin:suppliers_externalassessment_import"), {"file": upload}, follow=True
    )

    assert b"ssessments.csv: created 4, updated 0, errors 0" in response.content  # capitalised
    history = ExternalAssessment.history.get(kind="rba_vap")
    assert (history.history_user, history.history_change_reason) == (
        procurement_user,
        "Imported from assessments.csv row 2",
    )


def test_an_imported_vap_is_esg_evidence_at_the_gate_and_feeds_the_external_rating_factor(
    tmp_path, suppliers, django_capture_on_commit_callbacks
):
    today = timezone.localdate()
    vap = ["SZ-001", "rba_vap", "", f"{today - dt.timedelta(days=30):%Y-%m-%d}", "190", "", "", "", ""]
    with django_capture_on_commit_callbacks(execute=True):
        assert run(write_csv(tmp_path, [vap])).ok

    check = lifecycle.admission_check(supplier=suppliers[0])
    evidence = next(c for c in check.conditions if c.key == "esg_evidence")
    assert evidence.met
    assessment = RiskAssessment.objects.get(supplier=suppliers[0])  # the refresh after the import
    external = next(f for f in assessment.factors if f["key"] == "external")
    assert external["score"] == 5  # 190/200 = 95 %, as for a VAP entered by hand
