"""Measure declaration imports: ``manage.py bench_cmrt_import --files N [--smelters M] [--template PATH]``.

Builds filled CMRT 6.5 workbooks (from the official blank template when ``--template`` or
``RMI_TEMPLATES_DIR``/RMI_CMRT_6.5.xlsx is found, else a workbook of the same layout built here;
``--variants`` distinct ones, cycled over the N files, as saving a full official template takes seconds),
imports each as the declaration of its own benchmark supplier through ``declaration_import`` (check, parse,
store, match, due diligence), prints files per second, and rolls everything back unless ``--keep`` is given.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import time
from dataclasses import dataclass
from pathlib import Path

import openpyxl
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from minerals import services
from minerals.models import Smelter
from suppliers.models import Supplier

CMRT_TITLE = "Conflict Minerals Reporting Template (CMRT)"
EMRT_TITLE = "Extended Minerals Reporting Template (EMRT)"
REVISIONS = {
    ("CMRT", "6.5"): "Revision 6.5\nApril 25, 2025",
    ("EMRT", "1.3"): "Revision 1.3\nApril 26, 2024",
}
SHEETS = ("Revision", "Instructions", "Definitions", "Declaration", "Smelter List", "Checker", "Product List")
CMRT_METALS = ("Tantalum", "Tin", "Gold", "Tungsten")


@dataclass(frozen=True)
class SmelterEntry:
    metal: str  # "Gold", "Tin", ...
    name: str
    country: str
    smelter_id: str = ""
    source: str = ""
    recycled: str = ""


def _official_template(path: str | None) -> Path | None:
    candidates = [path] if path else []
    folder = os.environ.get("RMI_TEMPLATES_DIR") or str(
        Path(settings.BASE_DIR).parent / "shared" / "rmi-templates"
    )
    candidates.append(os.path.join(folder, "RMI_CMRT_6.5.xlsx"))
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if path:
        raise CommandError(f"--template: {path} does not exist")
    return None


def new_workbook(*, family: str = "CMRT", version: str | None = None) -> openpyxl.Workbook:
    """An empty workbook with the sheets, title and revision cell of an RMI template."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for title in SHEETS:
        workbook.create_sheet(title)
    workbook.create_sheet("Smelter Look-up")
    declaration = workbook["Declaration"]
    declaration["D2"] = EMRT_TITLE if family == "EMRT" else CMRT_TITLE
    version = version or ("1.3" if family == "EMRT" else "6.5")
    declaration["J3"] = REVISIONS.get((family, version), f"Revision {version}\nJanuary 1, 2025")
    smelter_list = workbook["Smelter List"]
    for column, label in zip(
        "ABCDEFGHIJKLMNOPQ",
        (
            "Smelter Identification Number Input Column",
            "Metal (*)",
            "Smelter Look-up (*)",
            "Smelter Name (1)",
            "Smelter Country (*)",
            "Smelter Identification",
            "Source of Smelter Identification Number",
            "Smelter Street",
            "Smelter City",
            "Smelter Facility Location: State / Province",
            "Smelter Contact Name",
            "Smelter Contact Email",
            "Proposed next steps",
            "Name of Mine(s)",
            "Location (Country) of Mine(s)",
            "Does 100% of the smelter's feedstock originate from recycled or scrap sources?",
            "Comments",
        ),
        strict=True,
    ):
        smelter_list[f"{column}4"] = label
    return workbook


# Answer rows of the Declaration sheet: per-mineral questions (first mineral's row) and company questions.
_LAYOUTS = {
    "CMRT": {
        "minerals": ("tantalum", "tin", "gold", "tungsten"),
        "questions": {"1": 26, "2": 32, "3": 38, "4": 44, "5": 50, "6": 56, "7": 62, "8": 68},
        "percent_question": "6",
        "company": {"A": 75, "B": 77, "C": 79, "D": 81, "E": 83, "F": 85, "G": 87, "H": 89},
        "mineral_company": {},
        "format_answer": "Yes, in conformance with IPC1755 (e.g., CMRT)",
    },
    "EMRT": {  # EMRT 1.x
        "minerals": ("cobalt", "mica"),
        "questions": {"1": 26, "2": 32, "3": 38, "4": 44, "5": 50, "6": 56, "7": 62},
        "percent_question": "5",
        "only_cobalt": ("4",),
        "company": {"A": 69, "B": 71, "D": 77, "E": 79, "F": 81, "G": 83},
        "mineral_company": {"C": 74},
        "format_answer": "Yes, in conformance with IPC1755 (e.g. EMRT)",
    },
}


def fill(
    workbook: openpyxl.Workbook,
    *,
    company: str,
    smelters: list[SmelterEntry],
    effective_date: dt.date | None = None,
    contact_email: str = "minerals@example.com",
    clear_rows: int = 0,
) -> bytes:
    """Fill the company fields and answer the questions as a complete declaration would (minerals with
    smelters in use, the others not), write the smelter rows from row 5 (and blank ``clear_rows`` rows
    after them), and return the saved workbook. CMRT 6.x and EMRT 1.x layouts."""
    declaration = workbook["Declaration"]
    layout = _LAYOUTS["EMRT" if "EMRT" in str(declaration["D2"].value or "") else "CMRT"]
    values = {
        "D8": company,
        "D9": "A. Company",
        "D12": company.upper().replace(" ", "-")[:20] if company else None,
        "D15": "Responsible Minerals Officer",
        "D16": contact_email,
        "D17": "+86 755 0000 0000",
        "D18": "General Manager",
        "D20": contact_email,
        "D22": effective_date or dt.date.today() - dt.timedelta(days=30),
    }
    used = {entry.metal.lower() for entry in smelters}
    for index, mineral in enumerate(layout["minerals"]):
        for key, row in layout["questions"].items():
            answer = None
            if key == "1":
                answer = "Yes" if mineral in used else "No"
            elif mineral in used and not (key in layout.get("only_cobalt", ()) and mineral != "cobalt"):
                answer = "100%" if key == layout["percent_question"] else "Yes"
            values[f"D{row + index}"] = answer
        for row in layout["mineral_company"].values():
            values[f"D{row + index}"] = "Yes" if mineral in used else None
    for key, row in layout["company"].items():
        values[f"D{row}"] = layout["format_answer"] if key == "E" else ("No" if key == "H" else "Yes")
    values[f"G{layout['company']['B']}"] = "https://example.com/responsible-minerals-policy"
    for cell, value in values.items():
        declaration[cell] = value
    return _write_smelters(workbook, workbook["Smelter List"], smelters, clear_rows)


def _write_smelters(
    workbook: openpyxl.Workbook, sheet, smelters: list[SmelterEntry], clear_rows: int
) -> bytes:
    for row in range(5, 5 + len(smelters) + clear_rows):
        for column in "ABCDEFGP":
            sheet[f"{column}{row}"] = None
    for row, entry in enumerate(smelters, start=5):
        sheet[f"A{row}"] = entry.smelter_id or None
        sheet[f"B{row}"] = entry.metal
        sheet[f"C{row}"] = entry.name if entry.smelter_id else "Smelter not listed"
        sheet[f"D{row}"] = entry.name
        sheet[f"E{row}"] = entry.country
        sheet[f"F{row}"] = entry.smelter_id or None
        sheet[f"G{row}"] = entry.source or ("RMI" if entry.smelter_id else None)
        sheet[f"P{row}"] = entry.recycled or None
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Build N filled CMRT workbooks, import them as declarations and print files per second."

    def add_arguments(self, parser):
        parser.add_argument("--files", type=int, default=20, metavar="N")
        parser.add_argument("--smelters", type=int, default=60, metavar="M", help="Smelter rows per file.")
        parser.add_argument("--year", type=int, default=dt.date.today().year - 1)
        parser.add_argument("--template", metavar="PATH", help="The official blank RMI_CMRT_6.5.xlsx.")
        parser.add_argument(
            "--variants",
            type=int,
            default=3,
            metavar="V",
            help="Distinct workbooks built (saving a full official template takes seconds); files cycle "
            "through them.",
        )
        parser.add_argument("--keep", action="store_true", help="Keep the suppliers and declarations.")

    def handle(self, *args, files, smelters, year, variants, template=None, keep=False, **options):
        if files < 1 or variants < 1:
            raise CommandError("--files and --variants must be at least 1")
        official = _official_template(template)
        registry = list(
            Smelter.objects.current().filter(metal__in=["gold", "tin", "tantalum", "tungsten"])[
                : smelters * 2
            ]
        )
        started = time.perf_counter()
        if official:
            workbook = openpyxl.load_workbook(official)
            source = f"official template {official.name}"
        else:
            workbook = new_workbook()
            source = "built CMRT 6.5 layout"
        contents = []
        for number in range(min(files, variants)):
            entries = []
            for index in range(smelters):
                if registry and index % 4:
                    smelter = registry[(number + index) % len(registry)]
                    entries.append(
                        SmelterEntry(
                            smelter.metal.title(), smelter.name, smelter.country_name, smelter.smelter_id
                        )
                    )
                else:
                    entries.append(SmelterEntry(CMRT_METALS[index % 4], f"Bench Smelter {index}", "CHINA"))
            contents.append(fill(workbook, company=f"Bench Supplier {number + 1}", smelters=entries))
        contents = [contents[number % len(contents)] for number in range(files)]
        built = time.perf_counter() - started
        self.stdout.write(
            f"built {min(files, variants)} distinct workbook(s) from the {source} in {built:.2f} s"
        )
        accepted = rejected = 0
        stored = []
        with transaction.atomic():
            suppliers = [
                Supplier.objects.get_or_create(
                    code=f"BENCH-{number + 1:05d}",
                    defaults={
                        "name": f"Bench Supplier {number + 1}",
                        "category": "production",
                        "country": "CN",
                    },
                )[0]
                for number in range(files)
            ]
            started = time.perf_counter()
            for number, (supplier, content) in enumerate(zip(suppliers, contents, strict=True)):
                declaration = services.declaration_import(
                    supplier=supplier,
                    year=year,
                    upload=ContentFile(content, name=f"{supplier.code}_CMRT_{year}_{number + 1}.xlsx"),
                    by=None,
                )
                stored.append(declaration.file)
                accepted += declaration.status == "accepted"
                rejected += declaration.status == "rejected"
            elapsed = time.perf_counter() - started
            if not keep:
                transaction.set_rollback(True)
        if not keep:
            for file in stored:
                file.storage.delete(file.name)
        self.stdout.write(
            f"imported {files} file(s) ({accepted} accepted, {rejected} rejected) in {elapsed:.2f} s: "
            f"{files / elapsed:.1f} files per second" + ("" if keep else "; rolled back")
        )
