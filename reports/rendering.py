"""The annual ESG report as a file: JSON, XLSX (a sheet per section) or CSV (rows section,metric,value)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

from openpyxl import Workbook

from common.exports import csv_safe, xlsx_cell

REPORT_FORMATS = ("json", "xlsx", "csv")
CONTENT_TYPES = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv; charset=utf-8",
}

SECTIONS = {
    "suppliers": "Suppliers",
    "audits": "Audits",
    "rectification": "Rectification",
    "minerals": "Minerals",
}
LABELS = {
    "suppliers": {
        "production_total": "Production suppliers",
        "mainland_china": "Mainland China",
        "other_regions": "Other countries and regions",
        "by_risk_level.low": "Low risk (at year end)",
        "by_risk_level.medium": "Medium risk (at year end)",
        "by_risk_level.high": "High risk (at year end)",
        "not_admitted_red_line": "Not admitted for red-line issues",
        "csr_agreement_signed_pct": "CSR Agreement signed (%)",
    },
    "audits": {
        "completed": "Suppliers audited (report accepted)",
        "completed_prior_year": "Suppliers audited in the prior year",
        "change": "Change on the prior year",
        "performance.high_pct": "High performers (%)",
        "performance.medium_pct": "Medium performers (%)",
        "performance.low_pct": "Low performers (%)",
    },
    "rectification": {
        "findings": "Findings needing corrective action",
        "closed_on_time": "Closed on time",
        "closed_late": "Closed late",
        "open_within_deadline": "Open within deadline",
        "overdue": "Overdue",
    },
    "minerals": {
        "smelters_total": "Smelters and refiners",
        "countries": "Countries and regions",
        "conformant_pct": "RMAP conformant (%)",
    },
}
MINERAL_COLUMNS = ("Mineral", "Smelters and refiners", "RMAP conformant", "RMAP conformant (%)")


def _flatten(prefix: str, value) -> Iterator[tuple[str, object]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _flatten(f"{prefix}.{key}" if prefix else str(key), item)
    else:
        yield prefix, value


def report_rows(report: dict) -> Iterator[tuple[str, str, object]]:
    """``(section, metric, value)`` for every figure; nested metrics are dotted, e.g.
    ``by_mineral.cobalt.smelters``."""
    yield "report", "year", report["year"]
    for section in SECTIONS:
        for metric, value in _flatten("", report[section]):
            yield section, metric, value


def report_json(report: dict) -> bytes:
    return (json.dumps(report, indent=2) + "\n").encode()


def report_csv(report: dict) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "metric", "value"])
    for section, metric, value in report_rows(report):
        writer.writerow([section, csv_safe(metric), value])
    return out.getvalue().encode()


def report_xlsx(report: dict) -> bytes:
    workbook = Workbook(write_only=True)
    for section, title in SECTIONS.items():
        sheet = workbook.create_sheet(title=title)
        figures = dict(_flatten("", {k: v for k, v in report[section].items() if k != "by_mineral"}))
        sheet.append([xlsx_cell(sheet, f"ESG report {report['year']}: {title.lower()}")])
        sheet.append([xlsx_cell(sheet, "Figure"), xlsx_cell(sheet, "Value")])
        for metric, value in figures.items():
            label = LABELS[section].get(metric, metric)
            sheet.append([xlsx_cell(sheet, label), xlsx_cell(sheet, value)])
        if section == "minerals":
            sheet.append([])
            sheet.append([xlsx_cell(sheet, header) for header in MINERAL_COLUMNS])
            for mineral, row in sorted(report[section].get("by_mineral", {}).items()):
                sheet.append(
                    [
                        xlsx_cell(sheet, mineral),
                        xlsx_cell(sheet, row.get("smelters", 0)),
                        xlsx_cell(sheet, row.get("conformant", 0)),
                        xlsx_cell(sheet, row.get("conformant_pct", 0.0)),
                    ]
                )
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


RENDERERS = {"json": report_json, "xlsx": report_xlsx, "csv": report_csv}


def report_file(*, report: dict, fmt: str) -> bytes:
    """The report in ``fmt`` (one of ``REPORT_FORMATS``)."""
    return RENDERERS[fmt](report)


def report_filename(*, year: int, fmt: str) -> str:
    return f"esg-report-{year}.{fmt}"
