"""Benchmark of the CMRT parser: ``manage.py bench_cmrt [--rows 500] [--runs 7]``.

Fills RMI's official blank CMRT 6.5 (from --templates, $RMI_TEMPLATES_DIR or ../shared/rmi-templates) with a
complete declaration and N Smelter List rows, saves it to a temporary file once with the values a
spreadsheet program caches in the formula columns and once with formulas only, then parses each file
``--runs`` times and prints the minimum and median time and rows per second. The blank template itself, as
RMI publishes it (saved by a spreadsheet program, so its 2,500 formula rows carry cached values), is timed
too. Nothing is saved anywhere else.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

import openpyxl
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from minerals.cmrt import parse_workbook

TEMPLATE = "RMI_CMRT_6.5.xlsx"
METALS = ("Tantalum", "Tin", "Gold", "Tungsten")


def default_templates_dir() -> Path:
    configured = os.environ.get("RMI_TEMPLATES_DIR")
    return Path(configured) if configured else Path(settings.BASE_DIR).parent / "shared" / "rmi-templates"


def fill(template: Path, dest: Path, *, rows: int, cached: bool) -> None:
    """A complete CMRT 6.5: company, all four metals in use, ``rows`` smelters (by CID, then not listed)."""
    wb = openpyxl.load_workbook(template)
    declaration = wb["Declaration"]
    today = timezone.localdate()
    for cell, value in {
        "D3": "English",
        "D8": "Bench Components Ltd.",
        "D9": "A. Company",
        "D15": "Bench Contact",
        "D16": "contact@bench.example",
        "D17": "+1 555 0100",
        "D18": "Bench Authorizer",
        "D20": "authorizer@bench.example",
        "D22": dt.datetime.combine(today - dt.timedelta(days=7), dt.time()),
        "G77": "https://bench.example/policy",
    }.items():
        declaration[cell] = value
    answers = {26: "Yes", 32: "Yes", 38: "No", 44: "No", 50: "No", 56: "100%", 62: "Yes", 68: "Yes"}
    for first_row, answer in answers.items():
        for offset in range(4):
            declaration[f"D{first_row + offset}"] = answer
    for row in range(75, 90, 2):
        declaration[f"D{row}"] = {83: "Yes, in conformance with IPC1755 (e.g., CMRT)", 89: "No"}.get(
            row, "Yes"
        )

    seen, lookup = set(), []
    for metal, _alias, name, country, cid, source, street, city, state in wb["Smelter Look-up"].iter_rows(
        min_row=5, max_col=9, values_only=True
    ):
        if isinstance(cid, str) and cid.startswith("CID") and cid not in seen:
            seen.add(cid)
            lookup.append((metal, name, country, cid, source, street, city, state))
    smelters = wb["Smelter List"]
    for index in range(rows):
        row = 5 + index
        if index < len(lookup):
            metal, name, country, cid, source, street, city, state = lookup[index]
            smelters[f"A{row}"] = cid
            if cached:
                for column, value in zip(
                    "BCEFGHIJ", (metal, name, country, cid, source, street, city, state), strict=True
                ):
                    smelters[f"{column}{row}"] = value
        else:
            for column, value in zip(
                "BCDE",
                (METALS[index % 4], "Smelter not listed", f"Bench Refinery {index}", "GERMANY"),
                strict=True,
            ):
                smelters[f"{column}{row}"] = value
        smelters[f"P{row}"] = "No"
    wb.save(dest)


class Command(BaseCommand):
    help = "Time the CMRT parser on a filled official CMRT 6.5 with N smelter rows (built in a temp file)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=500)
        parser.add_argument("--runs", type=int, default=7)
        parser.add_argument("--templates", type=Path, default=None, help="Folder of RMI's blank templates.")

    def handle(self, *args, rows: int, runs: int, templates: Path | None, **options):
        template = (templates or default_templates_dir()) / TEMPLATE
        if not template.is_file():
            raise CommandError(f"{template} not found; pass --templates or set RMI_TEMPLATES_DIR")
        self._time(
            template,
            runs,
            f"blank official {TEMPLATE} as published (2,500 formula rows with cached values, no smelters)",
        )
        with tempfile.TemporaryDirectory() as folder:
            for cached in (True, False):
                path = Path(folder) / f"bench-{'cached' if cached else 'formulas'}.xlsx"
                started = time.perf_counter()
                fill(template, path, rows=rows, cached=cached)
                built = time.perf_counter() - started
                self._time(
                    path,
                    runs,
                    f"CMRT 6.5, {rows} smelter rows, {'cached values' if cached else 'formulas only'} "
                    f"({path.stat().st_size / 1e6:.1f} MB, built in {built:.1f} s)",
                )

    def _time(self, path: Path, runs: int, label: str) -> None:
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            result = parse_workbook(path)
            times.append(time.perf_counter() - started)
        fastest, median = min(times), statistics.median(times)
        rate = f", {len(result.smelters) / median:,.0f} rows/s" if result.smelters else ""
        self.stdout.write(
            f"{label}: min {fastest:.3f} s, median {median:.3f} s over {runs} runs{rate}; "
            f"{len(result.smelters)} smelters parsed, "
            f"errors {len(result.errors)}, warnings {len(result.warnings)}"
        )
