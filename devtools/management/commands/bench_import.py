"""Measure an importer on a large file: ``manage.py bench_import --rows 100000 [--importer suppliers]``.

Generates a CSV file of N valid rows for the importer (``suppliers``, ``agreements``, ``assessments``,
``lifecycle``; those that need suppliers get them first, from a supplier file imported before the clock
starts), imports it through the importer registered under that name (``common.importing.register_importer``)
and prints rows, seconds, rows per second and the number of database queries. Everything is rolled back
unless ``--keep`` is given, so it can run against a database with data in it. Issue 13 asks for 100,000 rows
of any importer in under 60 s on PostgreSQL.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
from collections.abc import Callable, Iterator

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils.module_loading import import_string

from common import importing

PREFIX = "BENCH-"
# Importers whose app may not register them yet: where they live.
FALLBACK = {
    "suppliers": "suppliers.importing.import_suppliers",
    "agreements": "suppliers.importing.agreements.import_agreements",
    "assessments": "suppliers.importing.assessments.import_assessments",
    "lifecycle": "suppliers.importing.lifecycle.import_lifecycle",
}


def _code(number: int) -> str:
    return f"{PREFIX}{number:07d}"


def _csv(header: list[str], rows: Iterator[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def supplier_file(rows: int) -> bytes:
    header = ["code", "name", "category", "tier", "country", "annual_spend", "currency"]
    return _csv(
        header,
        (
            [_code(n), f"Benchmark supplier {n}", "production", "1", "CN" if n % 9 else "VN", str(n), "USD"]
            for n in range(rows)
        ),
    )


def agreement_file(rows: int) -> bytes:
    header = ["supplier_code", "kind", "signed_on", "expires_on", "signed_by"]
    signed = dt.date(2022, 1, 3)
    return _csv(
        header,
        (
            [_code(n), "csr_agreement", (signed + dt.timedelta(days=n % 700)).isoformat(), "", f"Signer {n}"]
            for n in range(rows)
        ),
    )


def assessment_file(rows: int) -> bytes:
    header = ["supplier_code", "kind", "assessed_on", "score", "scale_max", "reference", "valid_until"]
    day = dt.date(2023, 1, 2)
    return _csv(
        header,
        (
            [
                _code(n),
                "rba_vap",
                (day + dt.timedelta(days=n % 300)).isoformat(),
                str(120 + n % 80),
                "200",
                f"VAP-{n}",
                (day + dt.timedelta(days=n % 300 + 730)).isoformat(),
            ]
            for n in range(rows)
        ),
    )


def lifecycle_file(rows: int) -> bytes:
    header = ["supplier_code", "status", "at", "reason", "red_line"]
    day = dt.date(2022, 1, 3)
    return _csv(
        header,
        (
            [_code(n), "screening", (day + dt.timedelta(days=n % 365)).isoformat(), "Benchmark", "no"]
            for n in range(rows)
        ),
    )


# Importer name -> (file of N rows, whether it needs N suppliers first).
FILES: dict[str, tuple[Callable[[int], bytes], bool]] = {
    "suppliers": (supplier_file, False),
    "agreements": (agreement_file, True),
    "assessments": (assessment_file, True),
    "lifecycle": (lifecycle_file, True),
}


def _importer(name: str) -> Callable[..., importing.ImportResult]:
    try:
        return importing.importer(name).function
    except KeyError:
        pass
    try:
        return import_string(FALLBACK[name])
    except (KeyError, ImportError) as exc:
        raise CommandError(f"--importer {name}: no such importer is installed") from exc


class Command(BaseCommand):
    help = "Import N generated rows with one importer; print rows, seconds, rows per second and queries."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=100_000)
        parser.add_argument("--importer", default="suppliers", choices=sorted(FILES))
        parser.add_argument("--keep", action="store_true", help="Keep what was imported.")

    def handle(self, *args, rows, importer, keep=False, **options):
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        make_file, needs_suppliers = FILES[importer]
        function = _importer(importer)
        content = make_file(rows)
        filename = f"bench-{importer}.csv"
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        with transaction.atomic():
            if needs_suppliers:
                setup = _importer("suppliers")(fileobj=io.BytesIO(supplier_file(rows)), filename="bench.csv")
                if not setup.ok:
                    raise CommandError(f"benchmark suppliers: {setup.errors[0]}")
            with connection.execute_wrapper(count):
                started = time.perf_counter()
                result = function(fileobj=io.BytesIO(content), filename=filename)
                elapsed = time.perf_counter() - started
            if not keep:
                transaction.set_rollback(True)
        if not result.ok:
            raise CommandError(f"{filename}: {result.summary}; first: {result.errors[0]}")
        self.stdout.write(
            f"{importer}: {rows} rows in {elapsed:.1f} s, {rows / elapsed:,.0f} rows per second, "
            f"{queries} queries ({connection.vendor}); {result.summary}" + ("" if keep else "; rolled back")
        )
