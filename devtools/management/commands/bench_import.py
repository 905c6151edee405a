"""Measure an importer on a large file: ``manage.py bench_import --rows 100000 [--importer suppliers]``.

Generates a CSV file of N valid rows for the importer (``suppliers``, ``agreements``, ``assessments``,
``lifecycle``; for ``audits`` a workbook, a tenth of its rows on the Audits sheet and the rest on the Findings
sheet; those that need suppliers get them first, from a supplier file imported before the clock
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
from decimal import Decimal

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
    "audits": "audits.importing.import_audits",
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


# --- audits: one workbook, an Audits and a Findings sheet ---------------------------------------------------

AUDIT_PROVISIONS = ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "B1", "B2", "B3", "B4", "C1", "C2", "D1", "E1")
# Audit status by number modulo 20: mostly completed, some under way, a few planned or cancelled.
AUDIT_STATUS = (
    ("planned", "in_progress", "report_submitted", "cancelled") + ("accepted",) * 6 + ("closed",) * 10
)


def audit_counts(rows: int) -> tuple[int, int, int]:
    """(audits, findings, suppliers) for a file of ``rows`` rows: a tenth audits, two audits a supplier."""
    audits = max(1, rows // 10)
    return audits, rows - audits, max(1, (audits + 1) // 2)


def _audit_reference(number: int) -> str:
    return f"BENCH-AUD-{number:07d}"


def _audit(number: int) -> tuple[list[str], str, dt.date]:
    """The Audits row of audit ``number`` (of supplier ``number // 2``, whose two audits are a year apart),
    its status and the day its report was accepted (where it has one)."""
    status = AUDIT_STATUS[number % len(AUDIT_STATUS)]
    start = dt.date(2021 + number % 2, 1, 4) + dt.timedelta(days=(number * 7) % 300)
    end = start + dt.timedelta(days=2)
    accepted = end + dt.timedelta(days=10 + number % 20)
    started = status not in ("planned", "cancelled")
    reported = status in ("report_submitted", "accepted", "closed")
    row = [
        _audit_reference(number),
        _code(number // 2),
        "bench" if number % 3 else "Benchmark Agency",
        ("annual", "annual", "onboarding", "follow_up", "special")[number % 5],
        ("company_csr", "rba_vap", "smeta", "")[number % 4],
        "" if number % 2 else f"Plant {number % 7}, Benchmark Road {number}",
        start.isoformat(),
        end.isoformat(),
        start.isoformat() if started else "",
        end.isoformat() if started else "",
        str(Decimal(100 + number % 1000 / 10).quantize(Decimal("0.1"))) if reported else "",
        status,
        accepted.isoformat() if status in ("accepted", "closed") else "",
    ]
    return row, status, accepted


def _finding(number: int, audit: int, status: str, accepted: dt.date, *, audits: int) -> list[str]:
    """The Findings row ``number`` of ``audit``: severities mixed (a red line now and then); on a completed
    audit plans submitted and approved, deadlines from the file for some, closures verified by desk review,
    by a person or by the supplier's other audit; every finding of a closed audit closed."""
    severity = ("minor", "major", "minor", "observation", "major", "priority", "minor", "major")[number % 8]
    red_line = str(1 + number % 9) if severity == "priority" and number % 3 == 0 else ""
    row = {
        "audit_reference": _audit_reference(audit),
        "provision_code": AUDIT_PROVISIONS[number % len(AUDIT_PROVISIONS)],
        "severity": severity,
        "red_line": red_line,
        "description": f"Benchmark finding {number}: records kept for {number % 12 + 1} months only.",
    }
    if status in ("accepted", "closed"):
        actionable = severity != "observation"
        closed = status == "closed" or number % 3 == 0
        if actionable:
            if number % 5 == 0:
                row["cap_due"] = (accepted + dt.timedelta(days=10)).isoformat()
                row["rectification_due"] = (accepted + dt.timedelta(days=75)).isoformat()
            if closed or number % 4:
                row["cap_submitted_on"] = (accepted + dt.timedelta(days=3 + number % 5)).isoformat()
            if closed or number % 4 == 1:
                row["cap_approved_on"] = (accepted + dt.timedelta(days=9 + number % 5)).isoformat()
        if closed:
            row["closed_on"] = (accepted + dt.timedelta(days=30 + number % 120)).isoformat()
            other = audit ^ 1  # the supplier's other audit
            if number % 7 == 0 and other < audits and AUDIT_STATUS[other % len(AUDIT_STATUS)] != "cancelled":
                row["verified_by"] = "follow_up_audit"
                row["follow_up_audit"] = _audit_reference(other)
            else:
                row["verified_by"] = ("desk_review", "", "Wang Fang", "bench-verifier")[number % 4]
    return [row.get(name, "") for name in AUDIT_FINDING_HEADER]


AUDIT_HEADER = [
    "reference", "supplier_code", "agency", "type", "protocol", "site", "planned_start", "planned_end",
    "actual_start", "actual_end", "score", "status", "accepted_on",
]  # fmt: skip
AUDIT_FINDING_HEADER = [
    "audit_reference", "provision_code", "severity", "red_line", "description", "cap_due",
    "rectification_due", "cap_submitted_on", "cap_approved_on", "closed_on", "verified_by", "follow_up_audit",
]  # fmt: skip


def audit_file(rows: int) -> bytes:
    """A workbook of ``rows`` rows: a tenth on the Audits sheet (statuses mixed as ``AUDIT_STATUS``), the rest
    on the Findings sheet, spread over the audits that may have findings."""
    from openpyxl import Workbook

    audits, findings, _ = audit_counts(rows)
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Audits")
    sheet.append(AUDIT_HEADER)
    with_findings = []
    for number in range(audits):
        row, status, accepted = _audit(number)
        sheet.append(row)
        if status not in ("planned", "cancelled"):
            with_findings.append((number, status, accepted))
    sheet = book.create_sheet("Findings")
    sheet.append(AUDIT_FINDING_HEADER)
    for number in range(findings):
        if with_findings:
            sheet.append(_finding(number, *with_findings[number % len(with_findings)], audits=audits))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def audit_setup(rows: int) -> None:
    """What an audit file names besides suppliers: its agency and a verifying user."""
    from django.contrib.auth import get_user_model

    from audits.models import AuditAgency

    AuditAgency.objects.get_or_create(code="bench", defaults={"name": "Benchmark Agency"})
    get_user_model()._default_manager.get_or_create(username="bench-verifier")


# Importer name -> (file of N rows, whether it needs N suppliers first).
FILES: dict[str, tuple[Callable[[int], bytes], bool]] = {
    "suppliers": (supplier_file, False),
    "agreements": (agreement_file, True),
    "assessments": (assessment_file, True),
    "lifecycle": (lifecycle_file, True),
    "audits": (audit_file, True),
}
# Importers whose file is a workbook, how many suppliers they need for N rows (default N), and what else they
# need before the clock starts.
WORKBOOKS = {"audits"}
SUPPLIERS: dict[str, Callable[[int], int]] = {"audits": lambda rows: audit_counts(rows)[2]}
SETUP: dict[str, Callable[[int], None]] = {"audits": audit_setup}


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
        filename = f"bench-{importer}.{'xlsx' if importer in WORKBOOKS else 'csv'}"
        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        with transaction.atomic():
            if needs_suppliers:
                suppliers = SUPPLIERS.get(importer, lambda n: n)(rows)
                setup = _importer("suppliers")(
                    fileobj=io.BytesIO(supplier_file(suppliers)), filename="bench.csv"
                )
                if not setup.ok:
                    raise CommandError(f"benchmark suppliers: {setup.errors[0]}")
            if importer in SETUP:
                SETUP[importer](rows)
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
