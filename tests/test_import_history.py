"""Three years of a programme loaded only through the importers give the onboarding gate's verdicts, the risk
factors and a past year's report figures, exactly as records entered by hand would.

The history (the clock stands at 1 March 2024): twelve suppliers, ten of them production suppliers in mainland
China, Taiwan, Hong Kong and Vietnam, one non-production supplier; their agreements, external assessments,
audits with findings closed on time, late or still open, and the lifecycle steps taken from 2021 to 2023,
two of them rejections for red-line issues. Every figure checked is worked out by hand in the comments.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from audits.importing import AUDIT_COLUMNS, FINDING_COLUMNS, import_audits
from common.importing import after_import
from reports.models import YearEnd
from suppliers import lifecycle, risk
from suppliers.importing import COLUMNS as SUPPLIER_COLUMNS
from suppliers.importing import import_suppliers
from suppliers.importing.agreements import import_agreements
from suppliers.importing.assessments import import_assessments
from suppliers.importing.lifecycle import import_lifecycle
from suppliers.models import StatusTransition, Supplier
from tests.factories import AuditAgencyFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2024, 3, 1, 12, 0, tzinfo=dt.UTC)

# --- The files -------------------------------------------------------------------------------------------

# code, name, category, country
SUPPLIERS = [
    ("CN01", "Shenzhen Precision Parts", "production", "CN"),
    ("CN02", "Dongguan Battery", "production", "CN"),
    ("CN03", "Suzhou Display", "production", "CN"),
    ("CN04", "Huizhou Plating", "production", "CN"),
    ("CN05", "Wuhan Cables", "production", "CN"),
    ("CN06", "Xiamen Packaging", "production", "CN"),
    ("CN07", "Chengdu Assembly", "production", "CN"),
    ("CN08", "Ningbo Moulds", "production", "CN"),
    ("TW01", "Taipei PCB", "production", "Taiwan"),
    ("HK01", "Kowloon Components", "production", "HK"),
    ("VN01", "Hanoi Electronics", "production", "VN"),
    ("NP01", "Beijing Logistics", "non-production", "CN"),
]

ALL_THREE = ("csr_agreement", "code_of_conduct", "integrity_commitment")
# supplier, kind, signed_on, expires_on
AGREEMENTS = [
    *[("CN01", kind, "2021-01-10", "") for kind in ALL_THREE],
    ("CN02", "csr_agreement", "2021-03-01", "2022-06-30"),  # expired before the end of 2022, not renewed
    ("CN02", "code_of_conduct", "2021-03-01", ""),
    ("CN02", "integrity_commitment", "2021-03-01", ""),
    *[("CN03", kind, "2022-01-05", "") for kind in ALL_THREE],
    ("CN04", "csr_agreement", "2022-03-01", ""),
    *[("CN05", kind, "2021-05-01", "") for kind in ALL_THREE],
    *[("CN06", kind, "2021-02-01", "") for kind in ALL_THREE],
    *[("CN07", kind, "2021-01-20", "") for kind in ALL_THREE],
    ("CN08", "csr_agreement", "2021-04-01", "2023-03-31"),  # in force on 31 December 2022
    ("CN08", "code_of_conduct", "2021-04-01", ""),
    ("CN08", "integrity_commitment", "2021-04-01", ""),
    *[("TW01", kind, "2021-06-01", "") for kind in ALL_THREE],
    *[("HK01", kind, "2022-09-01", "") for kind in ALL_THREE],
    *[("VN01", kind, "2023-01-05", "") for kind in ALL_THREE],
    *[("NP01", kind, "2021-02-01", "") for kind in ALL_THREE],
]

# supplier, kind, assessed_on, score, scale_max
ASSESSMENTS = [
    ("CN01", "rba_vap", "2021-01-05", "190", ""),
    ("CN05", "rba_vap", "2023-01-20", "176", ""),
    ("CN06", "rba_vap", "2020-12-01", "150", ""),
    ("CN07", "rba_vap", "2021-01-10", "181", ""),
    ("CN08", "rba_vap", "2021-03-20", "170", ""),
    ("CN08", "ecovadis", "2023-09-01", "62", ""),  # the latest external rating: 62 of 100
    ("TW01", "rba_vap", "2021-05-15", "192", ""),
    ("VN01", "rba_vap", "2022-12-01", "178", ""),
    ("NP01", "rba_vap", "2021-01-15", "175", ""),
]

# reference, supplier, type, day on site (start = end), score, accepted_on
AUDITS = [
    ("A-21-CN02", "CN02", "onboarding", "2021-03-10", "165", "2021-03-25"),  # medium
    ("A-21-CN07", "CN07", "annual", "2021-05-10", "158", "2021-05-25"),  # low
    ("A-21-CN06", "CN06", "annual", "2021-07-05", "182", "2021-07-20"),  # high
    ("A-22-CN03", "CN03", "onboarding", "2022-02-10", "140", "2022-02-20"),  # low
    ("A-22-TW01", "TW01", "annual", "2022-03-15", "195", "2022-03-30"),  # high
    ("A-22-CN04", "CN04", "onboarding", "2022-04-05", "120", "2022-04-15"),  # low
    ("A-22-CN01", "CN01", "annual", "2022-06-10", "185", "2022-06-25"),  # high
    ("A-22-NP01", "NP01", "annual", "2022-08-08", "170", "2022-08-20"),  # medium
    ("A-22-CN02", "CN02", "annual", "2022-09-05", "150", "2022-09-20"),  # low, then followed up:
    ("A-22-HK01", "HK01", "onboarding", "2022-09-10", "181", "2022-09-20"),  # high (above 180)
    ("A-22-CN07", "CN07", "annual", "2022-11-07", "160", "2022-11-20"),  # medium (160 is medium)
    ("A-22-CN02F", "CN02", "follow_up", "2022-12-05", "172", "2022-12-15"),  # medium: CN02's latest of 2022
    ("A-23-CN01", "CN01", "annual", "2023-06-12", "175", "2023-06-30"),  # medium
    ("A-23-VN01", "VN01", "annual", "2023-05-08", "188", "2023-05-20"),  # high
]

# audit, provision, severity, red-line category, closed_on
FINDINGS = [
    ("A-22-CN01", "B2", "minor", "", "2022-08-01"),  # due 2022-10-23 (120 days): closed on time
    ("A-22-CN02", "A4", "major", "", "2023-01-15"),  # due 2022-12-19 (90 days): closed late
    # Underage workers: due 2022-03-22 (30 days), closed late on 2022-05-30; open on 2022-03-01.
    ("A-22-CN03", "A2", "priority", "1", "2022-05-30"),
    ("A-22-CN04", "C6", "priority", "8", ""),  # illegal discharge of hazardous waste: still open
    ("A-22-CN07", "A3", "major", "", ""),  # due 2023-02-18: open, overdue now
]

# supplier, status, at, reason, red_line
LIFECYCLE = [
    ("CN01", "screening", "2021-01-15", "", ""),
    ("CN01", "admitted", "2021-02-01", "", ""),
    ("CN06", "screening", "2021-02-05", "", ""),
    ("CN06", "admitted", "2021-02-20", "", ""),
    ("CN06", "exited", "2022-08-01", "Business ended", ""),
    ("CN07", "screening", "2021-01-25", "", ""),
    ("CN07", "admitted", "2021-02-10", "", ""),
    ("CN07", "suspended", "2023-04-01", "Major finding overdue", ""),
    ("NP01", "screening", "2021-02-01", "", ""),
    ("NP01", "admitted", "2021-02-15", "", ""),
    ("CN02", "screening", "2021-03-02", "", ""),
    ("CN02", "admitted", "2021-04-01", "", ""),  # on its onboarding audit, accepted 2021-03-25
    ("CN08", "screening", "2021-04-05", "", ""),
    ("CN08", "admitted", "2021-04-20", "", ""),
    ("CN05", "screening", "2021-05-10", "", ""),
    ("CN05", "rejected", "2021-06-01", "No ESG evidence", ""),
    ("CN05", "screening", "2023-01-10", "Re-applied with a VAP report", ""),
    ("CN05", "admitted", "2023-02-01", "", ""),
    ("TW01", "screening", "2021-06-02", "", ""),
    ("TW01", "admitted", "2021-06-10", "", ""),
    ("CN03", "screening", "2022-01-10", "", ""),
    # No red-line flag in the file: the finding open on that day makes it a red-line rejection.
    ("CN03", "rejected", "2022-03-01", "Underage workers found at the onboarding audit", ""),
    ("CN03", "screening", "2022-06-01", "Rectified", ""),
    ("CN03", "admitted", "2022-06-15", "", ""),
    ("CN04", "screening", "2022-03-05", "", ""),
    ("CN04", "rejected", "2022-05-01", "Illegal discharge of hazardous waste", "yes"),
    ("HK01", "screening", "2022-09-05", "", ""),
    ("HK01", "admitted", "2022-10-01", "", ""),
    ("VN01", "screening", "2023-01-06", "", ""),
    ("VN01", "admitted", "2023-01-20", "", ""),
]


def csv_file(header: list[str], rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for row in rows:
        writer.writerow([row.get(column, "") for column in header])
    return out.getvalue().encode()


def xlsx_file(sheets: dict[str, tuple[list[str], list[dict]]]) -> bytes:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, (header, rows) in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append(header)
        for row in rows:
            sheet.append([row.get(column, "") for column in header])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def suppliers_csv() -> bytes:
    return csv_file(
        list(SUPPLIER_COLUMNS),
        [
            {"code": code, "name": name, "category": category, "tier": "1", "country": country}
            for code, name, category, country in SUPPLIERS
        ],
    )


def agreements_xlsx() -> bytes:
    header = ["supplier_code", "kind", "text_version", "signed_on", "expires_on", "signed_by"]
    rows = [
        {"supplier_code": c, "kind": k, "signed_on": s, "expires_on": e, "signed_by": "General Manager"}
        for c, k, s, e in AGREEMENTS
    ]
    return xlsx_file({"Agreements": (header, rows)})


def assessments_csv() -> bytes:
    header = ["supplier_code", "kind", "assessed_on", "score", "scale_max", "reference"]
    rows = [
        {"supplier_code": c, "kind": k, "assessed_on": on, "score": s, "scale_max": m, "reference": ref}
        for c, k, on, s, m in ASSESSMENTS
        for ref in [f"{c}-{on}"]
    ]
    return csv_file(header, rows)


def audits_xlsx() -> bytes:
    audit_header = [c.name for c in AUDIT_COLUMNS]
    finding_header = [c.name for c in FINDING_COLUMNS]
    audits = [
        {
            "reference": reference,
            "supplier_code": supplier,
            "agency": "SGS China",
            "type": kind,
            "planned_start": day,
            "planned_end": day,
            "actual_start": day,
            "actual_end": day,
            "score": score,
            "status": "accepted",
            "accepted_on": accepted_on,
        }
        for reference, supplier, kind, day, score, accepted_on in AUDITS
    ]
    findings = [
        {
            "audit_reference": audit,
            "number": "1",
            "provision_code": provision,
            "severity": severity,
            "red_line": red_line,
            "description": f"{severity} finding on {provision}",
            "closed_on": closed_on,
            "verified_by": "desk_review" if closed_on else "",
        }
        for audit, provision, severity, red_line, closed_on in FINDINGS
    ]
    return xlsx_file({"Audits": (audit_header, audits), "Findings": (finding_header, findings)})


def lifecycle_xlsx() -> bytes:
    header = ["supplier_code", "status", "at", "reason", "red_line"]
    rows = [
        {"supplier_code": c, "status": s, "at": at, "reason": reason, "red_line": red_line}
        for c, s, at, reason, red_line in LIFECYCLE
    ]
    return xlsx_file({"Lifecycle": (header, rows)})


# --- Loading -----------------------------------------------------------------------------------------------


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def history(clock, tmp_path):
    """The files loaded in the order the brief gives: suppliers, agreements, assessments, audits (functions),
    then the lifecycle through its command, so that each step is judged at its date on the facts then."""
    manager = UserFactory(username="esg-lead", is_staff=True, is_superuser=True)
    AuditAgencyFactory(code="sgs", name="SGS China")  # agencies are reference data, not imported
    for importer, content, name in (
        (import_suppliers, suppliers_csv(), "suppliers.csv"),
        (import_agreements, agreements_xlsx(), "agreements.xlsx"),
        (import_assessments, assessments_csv(), "assessments.csv"),
        (import_audits, audits_xlsx(), "audit-tracker.xlsx"),
    ):
        result = importer(fileobj=io.BytesIO(content), filename=name, by=manager)
        assert result.errors == [], (name, result.errors)
        assert result.created > 0
    path = tmp_path / "lifecycle.xlsx"
    path.write_bytes(lifecycle_xlsx())
    out = io.StringIO()
    call_command("import_lifecycle", str(path), by="esg-lead", stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == f"created {len(LIFECYCLE)}, updated 0, errors 0"
    return {supplier.code: supplier for supplier in Supplier.objects.all()}


def check(supplier: Supplier, day: str) -> lifecycle.AdmissionCheck:
    return lifecycle.admission_check(supplier=supplier, on=dt.date.fromisoformat(day))


def report(year: int) -> dict:
    out = io.StringIO()
    call_command("esg_report", "--year", str(year), "--format", "json", stdout=out)
    return json.loads(out.getvalue())


# --- The lifecycle as loaded --------------------------------------------------------------------------------


def test_every_supplier_ends_in_the_status_of_its_last_step(history):
    assert {code: s.status for code, s in history.items()} == {
        "CN01": "admitted",
        "CN02": "admitted",
        "CN03": "admitted",
        "CN04": "rejected",
        "CN05": "admitted",
        "CN06": "exited",
        "CN07": "suspended",
        "CN08": "admitted",
        "TW01": "admitted",
        "HK01": "admitted",
        "VN01": "admitted",
        "NP01": "admitted",
    }
    assert history["CN06"].status_changed_at == timezone.make_aware(dt.datetime(2022, 8, 1, 9, 0))


def test_rejections_are_recorded_as_red_line_from_the_facts_of_their_date(history):
    rejected = {
        step.supplier.code: step
        for step in StatusTransition.objects.filter(to_status="rejected").select_related("supplier")
    }
    # CN03's file row says nothing of a red line, and its finding is closed today: the finding was open on
    # 2022-03-01, so the step is a red-line rejection, with the gate's unmet condition kept.
    assert rejected["CN03"].red_line is True
    assert any("Open red-line finding A-22-CN03" in text for text in rejected["CN03"].unmet_conditions)
    assert rejected["CN04"].red_line is True
    assert rejected["CN05"].red_line is False
    assert rejected["CN05"].unmet_conditions[0].startswith("No ESG evidence: no RBA VAP report is on file")


# --- The onboarding gate at dates ---------------------------------------------------------------------------


def test_the_gate_refuses_a_supplier_while_its_red_line_finding_is_open_and_admits_it_once_closed(history):
    cn03 = history["CN03"]
    before = check(cn03, "2022-03-01")
    assert not before.admissible
    assert before.red_line
    assert [c.key for c in before.conditions if not c.met] == ["red_line"]
    after = check(cn03, "2022-06-15")  # closed on 2022-05-30
    assert after.admissible
    assert not after.red_line


def test_the_gate_sees_an_open_red_line_and_missing_agreements_of_a_rejected_supplier(history):
    verdict = check(history["CN04"], "2022-05-01")
    assert not verdict.admissible
    assert {c.key for c in verdict.conditions if not c.met} == {
        "red_line",
        "code_of_conduct",
        "integrity_commitment",
    }
    # The onboarding audit, accepted on 2022-04-15, is its ESG evidence.
    assert {c.key for c in verdict.conditions if c.met} == {"esg_evidence", "csr_agreement"}
    assert check(history["CN04"], "2024-02-29").red_line  # still open


def test_the_gate_asks_for_evidence_until_the_vap_report_or_the_onboarding_audit_is_there(history):
    assert [c.key for c in check(history["CN05"], "2021-06-01").conditions if not c.met] == ["esg_evidence"]
    assert check(history["CN05"], "2023-02-01").admissible  # VAP report of 2023-01-20
    hk01_before = check(history["HK01"], "2022-09-15")  # the onboarding audit is accepted on 2022-09-20
    assert [c.key for c in hk01_before.conditions if not c.met] == ["esg_evidence"]
    assert check(history["HK01"], "2022-10-01").admissible


def test_the_gate_reads_an_agreement_at_its_dates(history):
    cn02 = history["CN02"]
    assert check(cn02, "2021-04-01").admissible
    late = check(cn02, "2022-12-31")
    assert late.unmet == [
        "The Supplier Social Responsibility (CSR) Agreement expired on 2022-06-30 and has not been renewed."
    ]
    assert not check(history["VN01"], "2022-12-31").admissible  # signed its agreements on 2023-01-05


# --- The risk factors ---------------------------------------------------------------------------------------


def factors(supplier: Supplier) -> dict[str, dict]:
    assessment = risk.risk_assess(supplier=supplier)
    return {factor["key"]: factor for factor in assessment.factors}


def test_audit_performance_reads_the_latest_imported_audit_band(history):
    # CN01: high in 2022 (185), medium in 2023 (175): the latest counts, medium = 45 points.
    cn01 = factors(history["CN01"])["audit"]
    assert cn01["score"] == 45
    assert cn01["detail"] == "Latest audit (2023-06-12): medium performer"
    # CN02: low (150) then followed up at 172 in December 2022: medium.
    assert factors(history["CN02"])["audit"]["score"] == 45
    assert factors(history["TW01"])["audit"]["score"] == 10  # high performer (195)
    assert factors(history["CN04"])["audit"]["score"] == 85  # low performer (120)
    assert factors(history["CN08"])["audit"]["score"] == 70  # never audited: elevated


def test_external_rating_reads_the_latest_imported_assessment(history):
    # CN08: EcoVadis 62/100 of 2023-09-01 is later than its VAP (170/200): 100 - 62 = 38 points.
    cn08 = factors(history["CN08"])["external"]
    assert cn08["score"] == 38
    assert cn08["detail"] == "EcoVadis rating of 2023-09-01: 62.0 of 100"
    assert factors(history["CN01"])["external"]["score"] == 5  # VAP 190/200 = 95.0
    assert factors(history["HK01"])["external"]["score"] == 60  # no rating: the model's default


def test_open_imported_findings_and_red_lines_drive_the_level(history):
    cn04 = risk.risk_assess(supplier=history["CN04"])
    assert cn04.level == "high"
    assert any("A-22-CN04" in rule for rule in cn04.hard_rules)
    assert factors(history["CN07"])["findings"]["detail"] == "Open findings: 1 major"


# --- A past year's report -----------------------------------------------------------------------------------


def test_the_2022_report_gives_the_figures_worked_out_by_hand(history):
    figures = report(2022)

    suppliers = figures["suppliers"]
    # Production suppliers admitted at some moment of 2022: CN01, CN02, CN07, CN08, TW01 (admitted all year;
    # CN07 is suspended only in 2023), CN03 (admitted 2022-06-15), CN06 (exited 2022-08-01), HK01 (admitted
    # 2022-10-01). Not: CN04 and CN05 (rejected), VN01 (admitted 2023), NP01 (non-production).
    assert suppliers["production_total"] == 8
    assert suppliers["mainland_china"] == 6  # the CN ones
    assert suppliers["other_regions"] == 2  # Taiwan and Hong Kong count as other regions
    # Rejected in 2022 for red-line issues: CN03 and CN04 (CN05's rejection, of 2021, was not).
    assert suppliers["not_admitted_red_line"] == 2
    # CSR Agreement in force on 2022-12-31: all but CN02 (expired 2022-06-30): 7 of 8.
    assert suppliers["csr_agreement_signed_pct"] == 87.5

    audits = figures["audits"]
    # Suppliers with an accepted audit ending in 2022: CN01, CN02, CN03, CN04, CN07, TW01, HK01, NP01.
    assert audits["completed"] == 8
    # 2021: CN02, CN06, CN07.
    assert audits["completed_prior_year"] == 3
    assert audits["change"] == 5
    # Latest 2022 audit of each: high CN01, TW01, HK01; medium CN02 (follow-up), CN07, NP01; low CN03, CN04.
    assert audits["performance"] == {"high_pct": 37.5, "medium_pct": 37.5, "low_pct": 25.0}

    # Findings of the 2022 audits on 2022-12-31: CN01's closed on time; CN03's red line closed late; CN02's
    # (due 2022-12-19, closed 2023-01-15) and CN04's (due 2022-05-15) overdue; CN07's (due 2023-02-18) open.
    assert figures["rectification"] == {
        "findings": 5,
        "closed_on_time": 1,
        "closed_late": 1,
        "open_within_deadline": 1,
        "overdue": 2,
    }


def test_the_2021_and_2023_reports_count_their_own_years(history):
    suppliers_2021 = report(2021)["suppliers"]
    # 2021: CN01, CN02, CN06, CN07, CN08, TW01 (CN05 was rejected).
    assert (suppliers_2021["production_total"], suppliers_2021["mainland_china"]) == (6, 5)
    assert suppliers_2021["not_admitted_red_line"] == 0
    figures_2023 = report(2023)
    suppliers_2023 = figures_2023["suppliers"]
    # 2023: CN01, CN02, CN03, CN05, CN07 (suspended 2023-04-01), CN08, TW01, HK01, VN01.
    assert (suppliers_2023["production_total"], suppliers_2023["other_regions"]) == (9, 3)
    assert suppliers_2023["not_admitted_red_line"] == 0
    # CSR Agreement on 2023-12-31: CN02 expired 2022, CN08 expired 2023-03-31: 7 of 9 = 77.8 %.
    assert suppliers_2023["csr_agreement_signed_pct"] == 77.8
    audits_2023 = figures_2023["audits"]
    assert (audits_2023["completed"], audits_2023["change"]) == (2, -6)  # CN01 and VN01
    assert audits_2023["performance"] == {"high_pct": 50.0, "medium_pct": 50.0, "low_pct": 0.0}


def test_a_second_load_of_the_same_files_changes_nothing_and_the_report_stays(history):
    before = report(2022)
    manager = history["CN01"].history.first().history_user
    for importer, content, name in (
        (import_suppliers, suppliers_csv(), "suppliers.csv"),
        (import_agreements, agreements_xlsx(), "agreements.xlsx"),
        (import_assessments, assessments_csv(), "assessments.csv"),
        (import_audits, audits_xlsx(), "audit-tracker.xlsx"),
        (import_lifecycle, lifecycle_xlsx(), "lifecycle.xlsx"),
    ):
        result = importer(fileobj=io.BytesIO(content), filename=name, by=manager)
        assert (result.created, result.updated, result.errors) == (0, 0, []), name
    assert report(2022) == before


def test_imported_records_name_the_file_the_row_and_who_imported_them(history):
    cn03 = history["CN03"]
    record = cn03.history.filter(status="rejected").get()
    assert record.history_change_reason == "Imported from lifecycle.xlsx row 23"
    assert record.history_user.username == "esg-lead"
    created = cn03.history.earliest()
    assert created.history_change_reason.startswith("Imported from suppliers.csv")


def test_an_import_into_a_frozen_year_names_it_and_a_refresh_counts_the_new_record(history):
    assert report(2022)["suppliers"]["csr_agreement_signed_pct"] == 87.5  # frozen on first use
    renewal = csv_file(
        ["supplier_code", "kind", "signed_on", "expires_on", "signed_by"],
        [{"supplier_code": "CN02", "kind": "csr_agreement", "signed_on": "2022-07-01", "signed_by": "GM"}],
    )
    result = after_import(import_agreements(fileobj=io.BytesIO(renewal), filename="renewals.csv"))

    assert result.created == 1
    assert any("2022" in note and "frozen" in note for note in result.notes), result.notes
    assert report(2022)["suppliers"]["csr_agreement_signed_pct"] == 87.5  # still the frozen figure
    YearEnd.objects.filter(year=2022).delete()  # the ESG manager refreshes the year
    assert report(2022)["suppliers"]["csr_agreement_signed_pct"] == 100.0
