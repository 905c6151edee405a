"""Large imports run in the background: the job, its task, its progress and its page in the admin."""

import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import path, reverse
from django.utils import timezone

from common import importing
from common.admin import ImportMixin
from common.importing import Column, ImportCommand, ImportResult, RowError, count_rows, read_rows
from common.models import ImportJob, import_jobs_restart_stale
from common.tasks import restart_stale_import_jobs, run_import_job
from suppliers.importing import COLUMNS, import_suppliers, suppliers_template
from suppliers.models import Supplier
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


# --- An admin with the import upload, on a site of its own -------------------------------------------------


class SupplierImportAdmin(ImportMixin, admin.ModelAdmin):
    import_title = "Import suppliers"
    import_permission = "suppliers.import_suppliers"
    import_function = staticmethod(import_suppliers)
    import_template = staticmethod(lambda: b"")


site = admin.AdminSite(name="admin")
site.register(Supplier, SupplierImportAdmin)
urlpatterns = [path("admin/", site.urls)]


@pytest.fixture
def admin_site_here(settings):
    settings.ROOT_URLCONF = __name__


@pytest.fixture
def staff(db):
    return UserFactory(username="importer", is_staff=True, is_superuser=True)


def supplier_csv(count: int, *, prefix: str = "S") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    cells = {"category": "production", "tier": "1", "country": "CN"}
    for number in range(count):
        writer.writerow(
            [
                {"code": f"{prefix}{number:05d}", "name": f"Supplier {number}", **cells}.get(c, "")
                for c in COLUMNS
            ]
        )
    return out.getvalue().encode()


def queued_job(content: bytes, *, name="suppliers.csv", importer="suppliers", by=None) -> ImportJob:
    return importing.import_job_queue(
        importer_name=importer, fileobj=io.BytesIO(content), filename=name, by=by, rows_total=0
    )


# --- Progress and row counts ---------------------------------------------------------------------------


def test_read_rows_reports_progress_every_thousand_rows_and_at_the_end():
    seen = []
    rows = read_rows(
        io.BytesIO(supplier_csv(2500)),
        filename="s.csv",
        columns=[Column(name, "") for name in COLUMNS],
        progress=seen.append,
    )
    assert sum(1 for _ in rows) == 2500
    assert seen == [1000, 2000, 2500]


def test_read_rows_reports_to_the_running_jobs_callback_when_given_none():
    seen = []
    with importing.reporting_progress(seen.append):
        rows = read_rows(
            io.BytesIO(supplier_csv(3)), filename="s.csv", columns=[Column(c, "") for c in COLUMNS]
        )
        list(rows)
    assert seen == [3]


def test_count_rows_of_a_csv_file_and_of_a_workbook():
    assert count_rows(io.BytesIO(supplier_csv(40)), filename="s.csv") == 41
    book = openpyxl.Workbook()
    for number in range(12):
        book.active.append([f"code{number}", "x"])
    book.create_sheet("Findings").append(["a"])
    buffer = io.BytesIO()
    book.save(buffer)
    assert count_rows(buffer, filename="s.xlsx") == 13
    assert count_rows(io.BytesIO(b"PK\x03\x04 broken"), filename="bad.xlsx") is None


# --- The task ------------------------------------------------------------------------------------------


def test_a_queued_job_imports_its_file_with_the_uploader_as_author_and_stores_the_result(staff):
    job = queued_job(supplier_csv(30), by=staff)

    assert run_import_job.delay(job.pk).get() is True

    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert (job.created, job.updated, job.error_count) == (30, 0, 0)
    assert job.summary == "created 30, updated 0, errors 0"
    assert job.rows_done == job.rows_total == 30
    assert job.started_at and job.finished_at
    assert Supplier.objects.count() == 30
    assert Supplier.history.filter(history_user=staff).count() == 30


def test_a_job_runs_once_however_often_its_task_is_delivered(staff):
    job = queued_job(supplier_csv(3), by=staff)
    assert run_import_job(job.pk) is True
    Supplier.objects.all().delete()

    assert run_import_job(job.pk) is False
    assert not Supplier.objects.exists()


def test_the_job_is_queued_only_after_the_transaction_commits(staff, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        job = queued_job(supplier_csv(2), by=staff)
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.QUEUED
    assert len(callbacks) == 1
    callbacks[0]()
    assert ImportJob.objects.get(pk=job.pk).status == ImportJob.Status.DONE


def test_a_file_with_errors_fails_and_keeps_the_first_500_errors(monkeypatch):
    def many_errors(*, fileobj, filename, by=None):
        errors = [RowError(row, "code", "bad") for row in range(2, 702)]
        return ImportResult(filename=filename, created=0, updated=0, errors=errors)

    monkeypatch.setitem(importing._importers, "broken", importing.Importer("broken", many_errors))
    job = queued_job(b"code\nx\n", importer="broken")

    run_import_job(job.pk)

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.error_count == 700
    assert len(job.errors) == 500
    assert job.errors[0] == {"row": 2, "column": "code", "message": "bad"}


def test_a_file_the_importer_cannot_read_fails_saying_why(settings):
    settings.IMPORT_MAX_ROWS = 5
    job = queued_job(supplier_csv(10))
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "at most 5 are accepted" in job.summary


def test_an_unexpected_error_fails_the_job_and_writes_nothing(monkeypatch):
    def crashes(*, fileobj, filename, by=None):
        raise RuntimeError("boom")

    monkeypatch.setitem(importing._importers, "crash", importing.Importer("crash", crashes))
    job = queued_job(b"code\nx\n", importer="crash")
    run_import_job(job.pk)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "unexpected error" in job.summary


def test_the_job_runs_the_after_import_hooks(monkeypatch):
    monkeypatch.setattr(importing, "_after_import", [lambda result: [f"years {sorted(result.years)}"]])
    job = queued_job(supplier_csv(1))
    run_import_job(job.pk)
    job.refresh_from_db()
    assert len(job.notes) == 1 and job.notes[0].startswith("years [")


def test_the_supplier_importer_is_registered_by_name():
    assert importing.importer("suppliers").function is import_suppliers
    assert importing.importer_name(import_suppliers) == "suppliers"


# --- The command ---------------------------------------------------------------------------------------


def test_the_command_prints_the_notes_of_the_after_import_hooks(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(importing, "_after_import", [lambda result: ["a note from another app"]])
    path = tmp_path / "suppliers.csv"
    path.write_bytes(supplier_csv(1))

    class Command(ImportCommand):
        importer = staticmethod(import_suppliers)

    out = io.StringIO()
    call_command(Command(), str(path), stdout=out)
    assert f"{path}: a note from another app" in out.getvalue()


# --- The admin -----------------------------------------------------------------------------------------


def upload(client, content: bytes, name="suppliers.csv"):
    url = reverse("admin:suppliers_supplier_import")
    return client.post(url, {"file": SimpleUploadedFile(name, content, content_type="text/csv")})


def test_a_small_file_is_imported_at_once(client, staff, admin_site_here, settings):
    settings.IMPORT_ASYNC_ROWS = 10
    client.force_login(staff)
    response = upload(client, supplier_csv(5))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:suppliers_supplier_changelist")
    assert Supplier.objects.count() == 5
    assert not ImportJob.objects.exists()


def test_a_large_file_runs_as_a_job_whose_page_shows_progress_then_the_result(
    client, staff, admin_site_here, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 10
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = upload(client, supplier_csv(20))
    job = ImportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:suppliers_supplier_import_job", args=[job.pk])
    assert (job.importer, job.filename, job.user, job.rows_total) == ("suppliers", "suppliers.csv", staff, 21)

    page = client.get(response["Location"])
    assert b'<meta http-equiv="refresh" content="2">' in page.content
    assert b"Queued" in page.content

    for callback in callbacks:
        callback()
    page = client.get(response["Location"])
    assert b"http-equiv" not in page.content
    assert b"suppliers.csv: created 20, updated 0, errors 0" in page.content
    assert Supplier.objects.count() == 20


def test_the_job_page_lists_the_errors_of_a_failed_file(
    client, staff, admin_site_here, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_ASYNC_ROWS = 10
    content = supplier_csv(20).replace(b",production,", b",food,", 1)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(client, content)
    page = client.get(response["Location"])
    assert b"errors 1" in page.content
    assert b'id="import-errors"' in page.content
    assert b"category" in page.content
    assert not Supplier.objects.exists()


def test_a_file_that_is_neither_csv_nor_xlsx_is_refused_on_the_form(client, staff, admin_site_here, settings):
    settings.IMPORT_ASYNC_ROWS = 1
    client.force_login(staff)
    response = upload(client, b"%PDF-1.4\n" + b"x\n" * 50, name="suppliers.pdf")
    assert response.status_code == 200
    assert not ImportJob.objects.exists()


def test_only_users_who_may_import_see_a_job(client, staff, admin_site_here):
    job = queued_job(supplier_csv(1), by=staff)
    client.force_login(UserFactory(username="viewer", is_staff=True))
    assert client.get(reverse("admin:suppliers_supplier_import_job", args=[job.pk])).status_code == 403


# --- The benchmark -------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["suppliers", "agreements"])
def test_the_benchmark_prints_rows_seconds_speed_and_queries_and_rolls_back(name):
    out = io.StringIO()
    call_command("bench_import", rows=20, importer=name, stdout=out)
    assert f"{name}: 20 rows in " in out.getvalue()
    assert "rows per second" in out.getvalue() and "queries" in out.getvalue()
    assert "created 20, updated 0, errors 0; rolled back" in out.getvalue()
    assert not Supplier.objects.exists()


# --- A job left running by a worker that died -------------------------------------------------------------


def running_job(staff, *, minutes_ago: int, restarts: int = 0) -> ImportJob:
    """A job whose worker claimed it ``minutes_ago`` and then died: the task's claim is spent."""
    job = queued_job(supplier_csv(3), by=staff)
    started = timezone.now() - dt.timedelta(minutes=minutes_ago)
    ImportJob.objects.filter(pk=job.pk).update(
        status=ImportJob.Status.RUNNING, started_at=started, rows_done=2, restarts=restarts
    )
    return job


def test_a_job_running_longer_than_the_bound_is_queued_again_and_its_task_imports_it(
    staff, django_capture_on_commit_callbacks
):
    job = running_job(staff, minutes_ago=31)
    assert run_import_job(job.pk) is False  # a second delivery of the lost task does nothing

    with django_capture_on_commit_callbacks(execute=True):
        assert import_jobs_restart_stale() == [job.pk]

    job.refresh_from_db()
    assert (job.status, job.restarts) == (ImportJob.Status.DONE, 1)
    assert job.summary == "created 3, updated 0, errors 0"
    assert Supplier.objects.count() == 3


def test_a_job_running_within_the_bound_is_left_alone(staff, settings):
    job = running_job(staff, minutes_ago=29)
    assert import_jobs_restart_stale() == []
    settings.IMPORT_JOB_STALE_MINUTES = 10
    assert list(ImportJob.objects.stale()) == [job]


def test_two_checks_at_once_queue_the_job_once(staff, django_capture_on_commit_callbacks, monkeypatch):
    job = running_job(staff, minutes_ago=45)
    # What the first check read, before the second one claimed the job.
    seen = list(ImportJob.objects.stale().values_list("pk", "started_at", "restarts"))

    class ReadBeforeTheOtherCheck:
        def values_list(self, *fields):
            return seen

    def stale_then_taken(**kwargs):
        monkeypatch.undo()
        import_jobs_restart_stale(job_ids=[job.pk])  # the other check wins the claim meanwhile
        return ReadBeforeTheOtherCheck()

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        monkeypatch.setattr(ImportJob.objects, "stale", stale_then_taken, raising=False)
        restarted = import_jobs_restart_stale()
    assert restarted == []  # its claim on the run it saw found the job queued already
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert (job.status, job.restarts, job.started_at) == (ImportJob.Status.QUEUED, 1, None)


def test_a_job_whose_worker_died_again_and_again_fails_saying_so(staff, settings):
    settings.IMPORT_JOB_MAX_RESTARTS = 2
    job = running_job(staff, minutes_ago=40, restarts=2)

    assert import_jobs_restart_stale() == []

    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.summary.startswith("The import stopped 3 times without finishing: its worker was lost")
    assert job.finished_at is not None


def test_the_periodic_task_is_scheduled_and_restarts_stale_jobs(staff):
    from django_celery_beat.models import PeriodicTask

    task = PeriodicTask.objects.get(task="common.tasks.restart_stale_import_jobs")
    assert (task.interval.every, task.interval.period) == (5, "minutes")
    running_job(staff, minutes_ago=60)
    assert restart_stale_import_jobs() == 1


def test_the_job_page_queues_a_stale_job_again_and_says_so(
    client, staff, admin_site_here, django_capture_on_commit_callbacks
):
    job = running_job(staff, minutes_ago=90)
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        page = client.get(reverse("admin:suppliers_supplier_import_job", args=[job.pk]))
    assert b"The worker importing this file was lost; the file has been queued again." in page.content
    assert b'id="import-job-status">Queued' in page.content
    assert len(callbacks) == 1


# --- The list of import jobs in the admin ---------------------------------------------------------------


def test_the_admin_lists_import_jobs_read_only_with_status_progress_who_and_the_job_page(
    client, staff, django_assert_max_num_queries
):
    done = queued_job(supplier_csv(4), by=staff)
    run_import_job(done.pk)
    waiting = queued_job(supplier_csv(2), name="second.csv", by=staff)
    client.force_login(staff)

    with django_assert_max_num_queries(12):
        page = client.get(reverse("admin:common_importjob_changelist"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "import-job-done" in html and "import-job-queued" in html
    assert "4 of 4 (100 %)" in html
    assert "importer" in html  # the uploader's user name
    for job in (done, waiting):
        assert reverse("admin:suppliers_supplier_import_job", args=[job.pk]) in html
    assert client.get(reverse("admin:common_importjob_add")).status_code == 403
    detail = client.get(reverse("admin:common_importjob_change", args=[done.pk]))
    assert detail.status_code == 200 and b'name="_save"' not in detail.content


# --- The supplier importer on the shared upload ------------------------------------------------------------


def test_the_supplier_template_has_the_header_an_example_and_explains_each_column():
    book = openpyxl.load_workbook(io.BytesIO(suppliers_template()))

    assert book.sheetnames == ["Suppliers", "Columns"]
    assert tuple(cell.value for cell in book["Suppliers"][1]) == COLUMNS
    assert book["Suppliers"]["A2"].value == "SZ-001"
    explained = {row[0]: row for row in book["Columns"].iter_rows(min_row=4, values_only=True)}
    assert set(explained) == set(COLUMNS)
    assert explained["category"][1] == "yes"
    assert "non-production" in explained["category"][3]
    assert importing.importer("suppliers").template is suppliers_template


def test_the_supplier_template_imports_as_it_is():
    result = import_suppliers(fileobj=io.BytesIO(suppliers_template()), filename="suppliers-template.xlsx")
    assert (result.created, result.errors) == (1, [])
    assert Supplier.objects.get(code="SZ-001").country == "CN"


def test_the_supplier_command_writes_the_template(tmp_path):
    path = tmp_path / "suppliers.xlsx"
    out = io.StringIO()
    call_command("import_suppliers", "--template", str(path), stdout=out)
    assert path.read_bytes()[:2] == b"PK"
    assert f"template written to {path}" in out.getvalue()


def test_the_supplier_list_uploads_on_the_shared_page_with_its_template(client, staff):
    client.force_login(staff)
    changelist = client.get(reverse("admin:suppliers_supplier_changelist"))
    assert b'id="import-link">Import suppliers</a>' in changelist.content
    page = client.get(reverse("admin:suppliers_supplier_import"))
    assert b'id="import-template"' in page.content and b"Supplier list" in page.content

    template = client.get(reverse("admin:suppliers_supplier_import_template"))

    assert template["Content-Disposition"] == 'attachment; filename="suppliers-template.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(template.content))
    assert tuple(cell.value for cell in book["Suppliers"][1]) == COLUMNS
