"""What every file import shares (suppliers, agreements, assessments, lifecycle history, audits).

- ``Column``: a column declared once, with what it holds, its allowed values and an example; the importer's
  header check, its template and the template's explanations all read the same declaration.
- ``read_rows``: the rows of a CSV or XLSX file (``common.workbooks.read_table``) as ``{column: text}`` by a
  header row matched case- and space-insensitively; header problems are row errors of row 1.
- ``RowError``, ``ImportResult``, ``ImportFileError``: what an import reports (every error by row and column;
  ``created N, updated M, errors K``), and the error for a file that cannot be read at all.
- ``template_workbook``: the downloadable template (the header row, one example row, and a second sheet that
  explains each column and its allowed values).
- ``ImportCommand``: the management command around an importer (files, ``--by``, ``--template``, the summary
  line, exit status 1 on errors).
- ``register_after_import``: what other apps add to a successful import's notes without the importer
  knowing them. An importer puts the years of the dates it wrote in ``ImportResult.years`` (``add_years``);
  the reports app names the finished years among them whose figures are frozen, and where to refresh them.
  The command, the admin upload and the background job run these hooks (``after_import``).
- ``register_importer``: every importer by name (``suppliers``, ``agreements``...), registered by its app in
  ``AppConfig.ready()``, so that a background job (``common.models.ImportJob``, run by
  ``common.tasks.run_import_job``) finds it from the name it stores.
- Progress: ``read_rows(..., progress=callback)`` calls ``callback(rows read)`` every ``PROGRESS_EVERY`` rows
  and at the end; without the argument it reports to the callback that ``reporting_progress`` installed for
  the current job, so importers need not pass anything along. ``count_rows`` estimates a file's rows cheaply
  (to decide whether it runs in the background).

An importer checks every row before it writes anything and writes a file without errors in one transaction:
all or nothing per file.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextvars import ContextVar
from dataclasses import asdict, dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone

from common.workbooks import OLE_MAGIC, ZIP_MAGIC, WorkbookRejected, XlsxWorkbook, read_table

logger = logging.getLogger(__name__)


class ImportFileError(WorkbookRejected):
    """The file cannot be read at all (wrong type, corrupt, empty, too large); ``str()`` names the file (and
    sheet) first."""


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportResult:
    filename: str
    created: int
    updated: int
    errors: list[RowError]
    unchanged: int = 0  # rows equal to what is stored; nothing written
    notes: list[str] = field(default_factory=list)  # what else the import changed (e.g. frozen years)
    years: set[int] = field(default_factory=set)  # years of the dates of the records written

    @property
    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, errors {len(self.errors)}"

    @property
    def ok(self) -> bool:
        return not self.errors

    def add_years(
        self, first: dt.date | dt.datetime | None, last: dt.date | dt.datetime | None = None
    ) -> None:
        """Record that the import wrote something dated ``first`` (every year from ``first`` to ``last`` when
        the record counts until ``last``: an agreement in force until it expires, a status held until
        today). A datetime counts in the project's time zone; None is ignored."""
        if first is None:
            return
        start = _local_date(first).year
        end = _local_date(last).year if last is not None else start
        self.years.update(range(start, max(start, end) + 1))


def _local_date(value: dt.date | dt.datetime) -> dt.date:
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


@dataclass(frozen=True)
class Column:
    name: str
    description: str
    allowed: str = ""
    example: str = ""
    required: bool = False


def cell_text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def normalize_header(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", cell_text(value).lower())


# --- Progress -------------------------------------------------------------------------------------------

PROGRESS_EVERY = 1000  # rows between two progress reports
_progress: ContextVar[Callable[[int], None] | None] = ContextVar("import_progress", default=None)


@contextlib.contextmanager
def reporting_progress(callback: Callable[[int], None]):
    """Within the block, ``read_rows`` (and ``Progress()``) report the rows read to ``callback``."""
    token = _progress.set(callback)
    try:
        yield
    finally:
        _progress.reset(token)


class Progress:
    """Counts rows read and reports the count every ``every`` rows and at the end, to ``callback`` or else to
    the one ``reporting_progress`` installed (nothing when there is none)."""

    def __init__(self, callback: Callable[[int], None] | None = None, *, every: int = PROGRESS_EVERY):
        self.callback = callback or _progress.get()
        self.every = every
        self.done = 0

    def step(self, rows: int = 1) -> None:
        before = self.done
        self.done += rows
        if self.callback is not None and self.done // self.every != before // self.every:
            self.callback(self.done)

    def finish(self) -> None:
        if self.callback is not None:
            self.callback(self.done)


@dataclass
class Rows:
    """The data rows of one sheet, read lazily, and the header's problems (``errors``: empty when the header
    is fine; then no row is read)."""

    columns: list[str]
    errors: list[RowError]
    _rows: Iterator[tuple[int, list[Any]]]
    _progress: Progress | None = None

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        if self.errors:
            return
        progress = self._progress or Progress()
        for number, cells in self._rows:
            progress.step()
            values = {
                column: cell_text(cells[index]) if index < len(cells) else ""
                for index, column in enumerate(self.columns)
                if column
            }
            if any(values.values()):
                yield number, values
        progress.finish()


def read_rows(
    fileobj,
    *,
    filename: str,
    columns: Sequence[Column],
    sheet: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Rows:
    """The rows of ``sheet`` (the first sheet, or the only table of a CSV file) under the header in row 1.
    ``progress``: called with the number of rows read every ``PROGRESS_EVERY`` rows and at the end (default:
    the callback of ``reporting_progress``, if any). Raises ``ImportFileError`` for a file that cannot be
    read."""
    try:
        table = read_table(fileobj, filename=filename, sheets=(sheet,) if sheet else ())
    except WorkbookRejected as error:
        raise ImportFileError(error.reason, filename=error.filename, sheet=error.sheet) from error
    rows = iter(table.rows)
    first = next(rows, None)
    known = {column.name for column in columns}
    errors: list[RowError] = []
    header = [normalize_header(value) for value in (first[1] if first and first[0] == 1 else [])]
    if not any(name in known for name in header):
        errors.append(
            RowError(1, "(header)", "row 1 must be the header row with the column names: " + ", ".join(known))
        )
    else:
        missing = [column.name for column in columns if column.required and column.name not in header]
        if missing:
            errors.append(RowError(1, "(header)", "required column(s) missing: " + ", ".join(missing)))
        unknown = [name for name in header if name and name not in known]
        if unknown:
            errors.append(RowError(1, "(header)", "unknown column(s): " + ", ".join(unknown)))
        repeated = sorted({name for name in header if name and header.count(name) > 1})
        if repeated:
            errors.append(RowError(1, "(header)", "column(s) given twice: " + ", ".join(repeated)))
    return Rows(columns=header, errors=errors, _rows=rows, _progress=Progress(progress))


def count_rows(fileobj, *, filename: str) -> int | None:
    """About how many rows the file holds (every sheet of a workbook, header rows included), read cheaply:
    the line count of a CSV file, the rows each sheet declares or holds. None when the file cannot be read
    (the import itself then says why)."""
    try:
        fileobj.seek(0)
        head = fileobj.read(8)
        fileobj.seek(0)
        if head.startswith((ZIP_MAGIC, OLE_MAGIC)):
            book = XlsxWorkbook(fileobj, name=filename)
            try:
                return sum(book.declared_rows(sheet) or book.last_row(sheet) for sheet in book.sheet_names)
            finally:
                book.close()
        lines = 0
        for chunk in iter(lambda: fileobj.read(1 << 20), b""):
            lines += chunk.count(b"\n") if isinstance(chunk, bytes) else chunk.count("\n")
        return lines
    except (WorkbookRejected, OSError, ValueError):
        return None
    finally:
        with contextlib.suppress(OSError, ValueError):
            fileobj.seek(0)


def template_workbook(
    *,
    sheet: str,
    columns: Sequence[Column],
    title: str,
    more: Sequence[tuple[str, Sequence[Column], str]] = (),
) -> bytes:
    """An .xlsx with the header row and one example row on ``sheet`` (and on each further ``(sheet, columns,
    title)`` of ``more``), and a sheet "Columns" that explains each column of each sheet under its title
    (required or not, what it holds, its allowed values)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    book = Workbook()
    book.remove(book.active)
    bold = Font(bold=True)
    sheets = [(sheet, columns, title), *more]
    for name, sheet_columns, _title in sheets:
        data = book.create_sheet(name)
        for index, column in enumerate(sheet_columns, 1):
            header = data.cell(row=1, column=index, value=column.name)
            header.font = bold
            data.cell(row=2, column=index, value=column.example or None)
            width = max(12, len(column.name) + 2, len(column.example) + 2)
            data.column_dimensions[header.column_letter].width = width
        data.freeze_panes = "A2"
    explained = book.create_sheet("Columns")
    for position, (_name, sheet_columns, sheet_title) in enumerate(sheets):
        if position:
            explained.append([])
        explained.append([sheet_title])
        explained.cell(row=explained.max_row, column=1).font = Font(bold=True, size=12)
        explained.append([])
        explained.append(["Column", "Required", "What it holds", "Allowed values", "Example"])
        for cell in explained[explained.max_row]:
            cell.font = bold
        for column in sheet_columns:
            required = "yes" if column.required else "no"
            explained.append([column.name, required, column.description, column.allowed, column.example])
            for cell in explained[explained.max_row]:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for letter, width in zip("ABCDE", (22, 10, 60, 50, 24), strict=True):
        explained.column_dimensions[letter].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


class ImportCommand(BaseCommand):
    """A command that imports files with ``importer(fileobj=, filename=, by=) -> ImportResult``, each file all
    or nothing: prints every error as ``<file>: row R, column C: message``, ends with ``created N, updated M,
    errors K`` and exits with status 1 when any file has errors or cannot be read. ``--template PATH`` writes
    the importer's template instead."""

    noun = "records"
    importer: Callable[..., ImportResult]
    template: Callable[[], bytes] | None = None

    def add_arguments(self, parser):
        parser.add_argument("files", nargs="*", metavar="FILE", help="A .csv or .xlsx file.")
        parser.add_argument("--by", metavar="USERNAME", help="User recorded as the author of the changes.")
        if self.template is not None:
            parser.add_argument(
                "--template", metavar="PATH", help="Write the .xlsx template to PATH and stop."
            )

    def handle(self, *args, files, by=None, template=None, **options):
        if template:
            with open(template, "wb") as handle:
                handle.write(type(self).template())
            self.stdout.write(f"template written to {template}")
            return
        if not files:
            raise CommandError("name at least one FILE (or --template PATH)")
        user = None
        if by:
            user = get_user_model()._default_manager.filter(username=by).first()
            if user is None:
                raise CommandError(f"--by: no user named {by!r}")
        several = len(files) > 1
        created = updated = errors = failed = 0
        for path in files:
            try:
                with open(path, "rb") as fileobj:
                    result = type(self).importer(fileobj=fileobj, filename=path, by=user)
            except (ImportFileError, OSError) as exc:
                message = str(exc) if isinstance(exc, ImportFileError) else f"{path}: {exc.strerror}"
                self.stdout.write(message)
                errors += 1
                failed += 1
                if several:
                    self.stdout.write(f"{path}: created 0, updated 0, errors 1")
                continue
            after_import(result)
            for error in result.errors:
                self.stdout.write(f"{path}: {error}")
            for note in result.notes:
                self.stdout.write(f"{path}: {note}")
            if several:
                self.stdout.write(f"{path}: {result.summary}")
            created += result.created
            updated += result.updated
            errors += len(result.errors)
            failed += not result.ok
        self.stdout.write(f"created {created}, updated {updated}, errors {errors}")
        if failed:
            raise CommandError(
                f"{failed} of {len(files)} file(s) not imported; nothing was written from them", returncode=1
            )


# --- After a successful import ----------------------------------------------------------------------------

AfterImport = Callable[[ImportResult], Iterable[str]]
_after_import: list[AfterImport] = []


def register_after_import(hook: AfterImport) -> None:
    """Have ``hook(result)`` run after every successful import; the lines it returns are added to the result's
    notes (the reports app names the frozen years the import changed). Registered once per process, in an
    ``AppConfig.ready()``."""
    if hook not in _after_import:
        _after_import.append(hook)


def after_import(result: ImportResult) -> ImportResult:
    """Run the hooks of ``register_after_import`` on a successful result and add their notes to it (each
    note once). A failed import wrote nothing: nothing to add."""
    if not result.ok:
        return result
    for hook in _after_import:
        for note in hook(result):
            if note not in result.notes:
                result.notes.append(note)
    return result


# --- Importers by name -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Importer:
    name: str
    function: Callable[..., ImportResult]
    template: Callable[[], bytes] | None = None


_importers: dict[str, Importer] = {}


def register_importer(
    name: str, function: Callable[..., ImportResult], template: Callable[[], bytes] | None = None
) -> None:
    """Make ``function(*, fileobj, filename, by)`` known as ``name`` (e.g. "agreements"), with its template
    (``template()`` -> .xlsx bytes), for the background jobs and the benchmark. Each app registers its own
    importers in ``AppConfig.ready()``."""
    _importers[name] = Importer(name=name, function=function, template=template)


def importer(name: str) -> Importer:
    """The importer registered as ``name``; ``KeyError`` when there is none."""
    return _importers[name]


def importers() -> dict[str, Importer]:
    """Every registered importer by name."""
    return dict(_importers)


def importer_name(function: Callable | None) -> str | None:
    """The name ``function`` is registered under, if it is."""
    return next((entry.name for entry in _importers.values() if entry.function is function), None)


# --- Background jobs ---------------------------------------------------------------------------------------

# The job's errors keep the first ones only: the page shows them, the file has them all.
JOB_ERRORS_KEPT = 500


def import_job_queue(*, importer_name: str, fileobj, filename: str, by, rows_total: int | None = None):
    """Store the file and queue it as an ``ImportJob`` for ``common.tasks.run_import_job``, enqueued once the
    transaction commits. Raises ``common.files.UploadRejected`` for a file that is neither CSV nor .xlsx."""
    from common.models import ImportJob
    from common.tasks import run_import_job

    importer(importer_name)  # an unknown name fails here, not in the worker
    job = ImportJob(
        importer=importer_name,
        filename=os.path.basename(filename) or filename,
        user=by,
        rows_total=rows_total or 0,
    )
    job.file.save(job.filename, fileobj, save=False)
    job.save()
    transaction.on_commit(lambda job_id=job.pk: run_import_job.delay(job_id))
    return job


def import_job_run(job_id: int) -> bool:
    """Run a queued job's import once: only the caller that moves it from queued to running (one atomic
    UPDATE) imports the file, so a task delivered twice does nothing the second time. Progress is stored
    every ``PROGRESS_EVERY`` rows; the result, the first ``JOB_ERRORS_KEPT`` errors and the notes when it
    ends. Returns whether this call ran it."""
    from common.models import ImportJob

    jobs = ImportJob.objects.filter(pk=job_id)
    if not jobs.filter(status=ImportJob.Status.QUEUED).update(
        status=ImportJob.Status.RUNNING, started_at=timezone.now()
    ):
        return False
    job = jobs.select_related("user").get()

    def progress(done: int) -> None:
        jobs.update(rows_done=done)

    try:
        with job.file.open("rb") as handle, reporting_progress(progress):
            result = importer(job.importer).function(fileobj=handle, filename=job.filename, by=job.user)
    except ImportFileError as error:
        _job_finish(job, status=ImportJob.Status.FAILED, summary=str(error))
    except Exception:
        logger.exception("import job %s (%s, %s) failed", job.pk, job.importer, job.filename)
        _job_finish(
            job,
            status=ImportJob.Status.FAILED,
            summary="The import stopped on an unexpected error; nothing was written. The error is logged.",
        )
    else:
        after_import(result)
        _job_finish(
            job,
            status=ImportJob.Status.DONE if result.ok else ImportJob.Status.FAILED,
            summary=result.summary,
            result=result,
        )
    return True


def _job_finish(job, *, status: str, summary: str, result: ImportResult | None = None) -> None:
    from common.models import ImportJob

    values: dict[str, Any] = {"status": status, "summary": summary, "finished_at": timezone.now()}
    if result is not None:
        values.update(
            created=result.created,
            updated=result.updated,
            unchanged=result.unchanged,
            error_count=len(result.errors),
            errors=[asdict(error) for error in result.errors[:JOB_ERRORS_KEPT]],
            notes=list(result.notes),
        )
        if result.ok:  # every row was read: the count is the total, whatever the estimate said
            written = result.created + result.updated + result.unchanged
            values["rows_done"] = values["rows_total"] = Greatest(F("rows_done"), Value(written))
    # Only this run's outcome: a slow worker whose job was restarted meanwhile must not overwrite the new run.
    ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.RUNNING, started_at=job.started_at).update(
        **values
    )
