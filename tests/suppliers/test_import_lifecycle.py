import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from audits.models import Audit
from suppliers.importing.lifecycle import COLUMNS, import_lifecycle, template
from suppliers.models import Agreement, StatusTransition, Supplier
from tests.factories import (
    AgreementFactory,
    AuditFactory,
    FindingFactory,
    SupplierFactory,
    make_admissible,
    provision,
)

pytestmark = pytest.mark.django_db
Status = Supplier.Status
HEADER = [column.name for column in COLUMNS]
REPORTED = dt.date(2024, 5, 10)


def write_csv(tmp_path, rows, *, name="lifecycle.csv", header=HEADER):
    path = tmp_path / name
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def run(path, *, by=None):
    with open(path, "rb") as handle:
        return import_lifecycle(fileobj=handle, filename=path.name, by=by)


def local(day: dt.date, hour: int = 9, minute: int = 0) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


def red_line_reported(supplier: Supplier, *, on: dt.date = REPORTED) -> None:
    """A red-line finding whose report the agency handed in on ``on`` and which is still open."""
    audit = AuditFactory(
        supplier=supplier,
        status=Audit.Status.ACCEPTED,
        actual_start=on - dt.timedelta(days=10),
        actual_end=on - dt.timedelta(days=8),
        submitted_at=local(on),
        accepted_on=on + dt.timedelta(days=2),
        score=140,
        performance_band="low",
    )
    FindingFactory(audit=audit, provision=provision("A1"), severity="priority", red_line="2")


@pytest.fixture
def supplier():
    return make_admissible(SupplierFactory(code="SUP-1", status=Status.CANDIDATE), on=dt.date(2024, 3, 1))


def history(code="SUP-1"):
    return list(
        StatusTransition.objects.filter(supplier__code=code)
        .order_by("at", "pk")
        .values_list("from_status", "to_status", "at")
    )


# --- template ---------------------------------------------------------------------------------------------


def test_the_template_has_the_header_an_example_and_the_columns_explained():
    book = openpyxl.load_workbook(io.BytesIO(template()))

    data = book["Lifecycle"]
    assert [cell.value for cell in data[1]] == HEADER
    assert [cell.value for cell in data[2]][:3] == ["SUP-0001", "admitted", "2024-03-01"]
    explained = [row[0] for row in book["Columns"].iter_rows(min_row=4, values_only=True)]
    assert explained == HEADER
    status_row = next(row for row in book["Columns"].iter_rows(values_only=True) if row[0] == "status")
    assert "Not admitted" in status_row[3]


# --- steps in time order, judged at their dates -----------------------------------------------------------


def test_steps_are_taken_in_time_order_whatever_the_files_order(tmp_path, supplier, esg_manager):
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "Admitted", "2024-04-02 14:30", "Gate passed", "no"],
            ["SUP-1", "screening", "2024-03-15", "", ""],
        ],
    )

    result = run(path, by=esg_manager)

    assert result.ok, result.errors
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    assert history() == [
        (Status.CANDIDATE, Status.SCREENING, local(dt.date(2024, 3, 15))),
        (Status.SCREENING, Status.ADMITTED, local(dt.date(2024, 4, 2), 14, 30)),
    ]
    supplier.refresh_from_db()
    assert supplier.status == Status.ADMITTED
    assert supplier.status_changed_at == local(dt.date(2024, 4, 2), 14, 30)


def test_a_backdated_admission_before_a_red_line_was_reported_is_admitted(tmp_path, supplier, esg_manager):
    red_line_reported(supplier)
    path = write_csv(
        tmp_path,
        [["SUP-1", "screening", "2024-04-01", "", ""], ["SUP-1", "admitted", "2024-05-09", "", ""]],
    )

    result = run(path, by=esg_manager)

    assert result.ok, result.errors
    step = StatusTransition.objects.get(supplier=supplier, to_status=Status.ADMITTED)
    assert (step.red_line, step.unmet_conditions) == (False, [])


def test_a_step_after_the_red_line_was_reported_is_refused_with_the_gates_words(
    tmp_path, supplier, esg_manager
):
    red_line_reported(supplier)
    path = write_csv(
        tmp_path,
        [["SUP-1", "screening", "2024-04-01", "", ""], ["SUP-1", "admitted", "2024-05-11", "", ""]],
    )

    result = run(path, by=esg_manager)

    assert [(e.row, e.column) for e in result.errors] == [(3, "status")]
    message = result.errors[0].message
    assert "SUP-1 cannot be admitted" in message
    assert "Open red-line finding AUD-" in message
    assert "red line 2 Forced labor or violence" in message
    assert "2024-05-11 09:00" in message
    assert history() == []  # all or nothing: the screening step is rolled back too


def test_a_rejection_while_a_red_line_was_open_records_the_red_line(tmp_path, supplier, esg_manager):
    red_line_reported(supplier)
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "screening", "2024-04-01", "", ""],
            ["SUP-1", "not admitted", "2024-06-01", "Forced overtime; red line open", "no"],
        ],
    )

    assert run(path, by=esg_manager).ok
    assert StatusTransition.objects.get(supplier=supplier, to_status=Status.REJECTED).red_line is True


def test_the_file_can_say_a_rejection_was_for_a_red_line_issue(tmp_path, supplier, esg_manager):
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "screening", "2024-04-01", "", ""],
            ["SUP-1", "rejected", "2024-06-01", "Child labour seen on a customer visit", "yes"],
        ],
    )

    assert run(path, by=esg_manager).ok
    assert StatusTransition.objects.get(supplier=supplier, to_status=Status.REJECTED).red_line is True


def test_an_agreement_that_expired_before_the_steps_date_fails_the_step(tmp_path, esg_manager):
    supplier = make_admissible(SupplierFactory(code="SUP-2", status=Status.SCREENING), on=dt.date(2022, 3, 1))
    supplier.agreements.filter(kind=Agreement.Kind.CSR_AGREEMENT).update(expires_on=dt.date(2023, 1, 31))
    path = write_csv(tmp_path, [["SUP-2", "admitted", "2023-02-01", "", ""]])

    result = run(path, by=esg_manager)

    assert [(e.row, e.column) for e in result.errors] == [(2, "status")]
    assert "expired on 2023-01-31 and has not been renewed" in result.errors[0].message
    assert not StatusTransition.objects.filter(supplier=supplier).exists()

    AgreementFactory(
        supplier=supplier,
        kind=Agreement.Kind.CSR_AGREEMENT,
        signed_on=dt.date(2023, 1, 20),
        expires_on=dt.date(2026, 1, 20),
    )
    assert run(path, by=esg_manager).ok


def test_a_procurement_user_may_not_import_admissions(tmp_path, supplier, procurement_user):
    path = write_csv(
        tmp_path,
        [["SUP-1", "screening", "2024-04-01", "", ""], ["SUP-1", "admitted", "2024-04-02", "", ""]],
    )

    result = run(path, by=procurement_user)

    assert [(e.row, e.column, e.message) for e in result.errors] == [
        (3, "status", "You may not move suppliers to 'Admitted'. (step of 2024-04-02 09:00)")
    ]
    assert history() == []


# --- errors by row and column -----------------------------------------------------------------------------


def test_every_error_is_named_by_row_and_column_and_nothing_is_written(tmp_path, supplier, esg_manager):
    other = make_admissible(SupplierFactory(code="SUP-3", status=Status.CANDIDATE), on=dt.date(2024, 3, 1))
    future = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "screening", "2024-03-15", "", ""],  # fine, but rolled back
            ["SUP-404", "screening", "2024-03-15", "", ""],
            ["SUP-3", "approved", "2024-13-01", "", "maybe"],
            ["SUP-3", "screening", "2024-03-15", "", ""],  # not tried: row 4 of SUP-3 is unreadable
            ["", "screening", future, "", ""],
            ["SUP-1", "rejected", "2024-04-01", "", ""],  # needs a reason
        ],
    )

    result = run(path, by=esg_manager)

    assert [(e.row, e.column) for e in result.errors] == [
        (3, "supplier_code"),
        (4, "status"),
        (4, "at"),
        (4, "red_line"),
        (6, "supplier_code"),
        (6, "at"),
        (7, "reason"),
    ]
    assert "'2024-13-01' is not a date" in result.errors[2].message
    assert "is in the future" in result.errors[5].message
    assert "SUP-3: no step was tried, as row(s) 4 could not be read" in result.notes
    assert (result.created, result.updated) == (0, 0)
    assert result.summary == "created 0, updated 0, errors 7"
    assert not StatusTransition.objects.exists()
    other.refresh_from_db()
    assert other.status == Status.CANDIDATE


def test_steps_after_a_failed_one_are_not_tried_and_said_so(tmp_path, supplier, esg_manager):
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "admitted", "2024-03-15", "", ""],  # a candidate cannot be admitted
            ["SUP-1", "suspended", "2024-06-01", "Fire exits locked", ""],
        ],
    )

    result = run(path, by=esg_manager)

    assert [(e.row, e.column) for e in result.errors] == [(2, "status")]
    assert "cannot move to 'Admitted'" in result.errors[0].message
    assert result.notes == [
        "SUP-1: the steps of rows 3 were not tried, as they follow the step of row 2, which failed"
    ]


def test_a_step_dated_before_the_last_recorded_step_is_refused(tmp_path, supplier, esg_manager):
    assert run(write_csv(tmp_path, [["SUP-1", "screening", "2024-04-01", "", ""]]), by=esg_manager).ok

    result = run(write_csv(tmp_path, [["SUP-1", "candidate", "2024-03-01", "", ""]], name="b.csv"))

    assert [(e.row, e.column) for e in result.errors] == [(2, "at")]
    assert "last recorded step is of 2024-04-01 09:00" in result.errors[0].message


def test_a_file_without_the_required_columns_is_refused_by_its_header(tmp_path):
    result = run(write_csv(tmp_path, [["SUP-1", "screening"]], header=["supplier_code", "status"]))

    assert [(e.row, e.column) for e in result.errors] == [(1, "(header)")]
    assert "at" in result.errors[0].message


# --- idempotent ---------------------------------------------------------------------------------------------


def test_a_second_import_of_the_same_file_changes_nothing(tmp_path, supplier, esg_manager):
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "screening", "2024-03-15", "", ""],
            ["SUP-1", "admitted", "2024-04-02", "Gate passed", ""],
        ],
    )
    assert run(path, by=esg_manager).ok
    before = history()
    records = supplier.history.count()

    again = run(path, by=esg_manager)

    assert again.ok, again.errors
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert history() == before
    assert supplier.history.count() == records


def test_a_changed_reason_updates_the_recorded_step(tmp_path, supplier, esg_manager):
    rows = [
        ["SUP-1", "screening", "2024-03-15", "", ""],
        ["SUP-1", "admitted", "2024-04-02", "Gate passed", ""],
    ]
    assert run(write_csv(tmp_path, rows), by=esg_manager).ok
    rows[1][3] = "Gate passed: VAP 2024 and agreements signed"

    result = run(write_csv(tmp_path, rows, name="again.csv"), by=esg_manager)

    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    step = StatusTransition.objects.get(supplier=supplier, to_status=Status.ADMITTED)
    assert step.reason == "Gate passed: VAP 2024 and agreements signed"


# --- history, command, admin ---------------------------------------------------------------------------


def test_history_names_the_file_the_row_and_who_imported_it(tmp_path, supplier, esg_manager):
    path = write_csv(tmp_path, [["SUP-1", "screening", "2024-03-15", "Documents received", ""]])

    assert run(path, by=esg_manager).ok

    record = supplier.history.latest("history_id")
    assert record.history_change_reason == "Imported from lifecycle.csv row 2"
    assert record.history_user == esg_manager
    step = StatusTransition.objects.get(supplier=supplier)
    assert (step.by, step.reason) == (esg_manager, "Documents received")


def test_an_xlsx_file_with_excel_dates_is_read(tmp_path, supplier, esg_manager):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Lifecycle"
    sheet.append(HEADER)
    sheet.append(["SUP-1", "screening", dt.datetime(2024, 3, 15), None, None])
    sheet.append(["SUP-1", "admitted", dt.datetime(2024, 4, 2, 16, 45), "Gate passed", "no"])
    path = tmp_path / "lifecycle.xlsx"
    book.save(path)

    result = run(path, by=esg_manager)

    assert result.ok, result.errors
    assert [row[2] for row in history()] == [local(dt.date(2024, 3, 15)), local(dt.date(2024, 4, 2), 16, 45)]


def test_the_command_prints_the_summary_and_exits_1_on_errors(tmp_path, supplier, esg_manager):
    good = write_csv(tmp_path, [["SUP-1", "screening", "2024-03-15", "", ""]])
    out = io.StringIO()
    call_command("import_lifecycle", str(good), "--by", esg_manager.username, stdout=out)
    assert out.getvalue().splitlines()[-1] == "created 1, updated 0, errors 0"

    bad = write_csv(tmp_path, [["SUP-1", "rejected", "2024-04-15", "", ""]], name="bad.csv")
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_lifecycle", str(bad), "--by", esg_manager.username, stdout=out)

    assert failed.value.returncode == 1
    assert (
        f"{bad}: row 2, column reason: Moving a supplier to 'Not admitted' needs a reason." in out.getvalue()
    )
    assert out.getvalue().splitlines()[-1] == "created 0, updated 0, errors 1"


def test_the_command_writes_the_template(tmp_path):
    target = tmp_path / "template.xlsx"
    call_command("import_lifecycle", "--template", str(target), stdout=io.StringIO())
    assert openpyxl.load_workbook(target).sheetnames == ["Lifecycle", "Columns"]


def test_an_esg_manager_uploads_a_file_in_the_admin(client, tmp_path, supplier, esg_manager):
    client.force_login(esg_manager)
    changelist = reverse("admin:suppliers_statustransition_changelist")
    upload = reverse("admin:suppliers_statustransition_import")

    assert upload in client.get(changelist).content.decode()
    assert client.get(reverse("admin:suppliers_statustransition_import_template")).status_code == 200

    bad = write_csv(tmp_path, [["SUP-1", "admitted", "2024-03-15", "", ""]], name="bad.csv")
    with open(bad, "rb") as handle:
        response = client.post(upload, {"file": handle})
    assert response.status_code == 200
    assert "cannot move to" in response.content.decode()

    good = write_csv(tmp_path, [["SUP-1", "screening", "2024-03-15", "", ""]])
    with open(good, "rb") as handle:
        response = client.post(upload, {"file": handle})
    assert response.status_code == 302
    assert history() == [(Status.CANDIDATE, Status.SCREENING, local(dt.date(2024, 3, 15)))]


def test_a_procurement_user_has_no_import_page(client, procurement_user):
    client.force_login(procurement_user)
    assert client.get(reverse("admin:suppliers_statustransition_import")).status_code == 403


def test_the_result_names_the_years_whose_figures_the_steps_change(tmp_path, supplier, esg_manager):
    path = write_csv(tmp_path, [["SUP-1", "screening", "2024-03-15", "", ""]])

    result = run(path, by=esg_manager)

    assert result.years == set(range(2024, timezone.localdate().year + 1))
    assert run(path, by=esg_manager).years == set()


def test_each_imported_step_has_its_own_history_record_naming_its_row(tmp_path, supplier, esg_manager):
    path = write_csv(
        tmp_path,
        [
            ["SUP-1", "admitted", "2024-04-02", "Gate passed", ""],
            ["SUP-1", "screening", "2024-03-15", "", ""],
        ],
    )

    assert run(path, by=esg_manager).ok

    records = supplier.history.filter(history_type="~").order_by("history_id")
    assert [(r.status, r.history_change_reason, r.history_user) for r in records] == [
        (Status.SCREENING, "Imported from lifecycle.csv row 3", esg_manager),
        (Status.ADMITTED, "Imported from lifecycle.csv row 2", esg_manager),
    ]
    assert [r.status_changed_at for r in records] == [
        local(dt.date(2024, 3, 15)),
        local(dt.date(2024, 4, 2)),
    ]


def test_a_larger_file_costs_no_more_queries(tmp_path, esg_manager):
    def queries_for(count: int, name: str) -> int:
        codes = [f"{name}-{n}" for n in range(count)]
        for code in codes:
            make_admissible(SupplierFactory(code=code, status=Status.CANDIDATE), on=dt.date(2024, 3, 1))
        rows = [[code, "screening", "2024-03-15", "", ""] for code in codes]
        rows += [[code, "admitted", "2024-04-02", "Gate passed", ""] for code in codes]
        path = write_csv(tmp_path, rows, name=f"{name}.csv")
        esg_manager.has_perm("suppliers.approve_supplier")  # the permission cache, filled once
        with CaptureQueriesContext(connection) as queries:
            result = run(path, by=esg_manager)
        assert result.ok, result.errors
        assert result.created == 2 * count
        return len(queries)

    assert queries_for(3, "few") == queries_for(40, "many")
