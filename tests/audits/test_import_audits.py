import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
import time_machine
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from audits.importing import AUDIT_COLUMNS, FINDING_COLUMNS, import_audits, import_template
from audits.models import Audit, ClosureVerification, CorrectiveActionPlan, Finding
from reports import selectors
from suppliers import lifecycle, risk
from tests.factories import AuditAgencyFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

AUDIT_HEADER = [c.name for c in AUDIT_COLUMNS if c.name not in ("protocol", "site")]
FINDING_HEADER = [c.name for c in FINDING_COLUMNS if c.name not in ("number", "follow_up_audit")]


def audit(reference, supplier, status, *, start, score="", accepted_on="", type="annual", **extra):
    values = {
        "reference": reference,
        "supplier_code": supplier,
        "agency": "SGS China",
        "type": type,
        "planned_start": start,
        "planned_end": start,
        "actual_start": start if status != "planned" else "",
        "actual_end": start if status != "planned" else "",
        "score": score,
        "status": status,
        "accepted_on": accepted_on,
        **extra,
    }
    return [values.get(column, "") for column in AUDIT_HEADER]


def finding(reference, severity="major", *, provision="A3", red_line="", **extra):
    values = {
        "audit_reference": reference,
        "provision_code": provision,
        "severity": severity,
        "red_line": red_line,
        "description": f"{severity} finding on {provision}",
        **extra,
    }
    return [values.get(column, "") for column in FINDING_HEADER]


# A small history: two suppliers, three audits over two years, findings closed on time, late and open.
AUDITS = [
    audit("AUD-2020-1", "S1", "closed", start="2020-05-04", score="150", accepted_on="2020-05-20"),
    audit("AUD-2021-1", "S1", "accepted", start="2021-04-06", score="185.5", accepted_on="2021-04-20"),
    audit(
        "AUD-2021-2",
        "S2",
        "accepted",
        start="2021-10-11",
        score="170",
        accepted_on="2021-10-20",
        type="onboarding",
    ),
]
FINDINGS = [
    # rectification due 2020-08-18 (90 days), closed on time
    finding(
        "AUD-2020-1", cap_submitted_on="2020-05-25", cap_approved_on="2020-05-26", closed_on="2020-07-01",
        verified_by="desk_review",
    ),
    # minor: due 2021-08-18 (120 days), closed late by a named person
    finding("AUD-2021-1", "minor", provision="B2", closed_on="2021-09-30", verified_by="Wang Fang"),
    # major: due 2021-07-19, still open: overdue at the end of 2021
    finding("AUD-2021-1", "major", provision="A4", cap_submitted_on="2021-04-25"),
    # red line with deadlines from the file: open within its deadline at the end of 2021
    finding(
        "AUD-2021-2", "priority", provision="A3", red_line="4", cap_due="2021-10-25",
        rectification_due="2022-02-01",
    ),
]  # fmt: skip


def workbook(audits=AUDITS, findings=FINDINGS, *, audit_header=AUDIT_HEADER, finding_header=FINDING_HEADER):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Audits"
    sheet.append(audit_header)
    for row in audits:
        sheet.append(row)
    if findings is not None:
        sheet = book.create_sheet("Findings")
        sheet.append(finding_header)
        for row in findings:
            sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def run(content, *, name="tracker.xlsx", by=None):
    return import_audits(fileobj=io.BytesIO(content), filename=name, by=by)


@pytest.fixture
def register(db):
    AuditAgencyFactory(code="sgs", name="SGS China")
    return {code: SupplierFactory(code=code) for code in ("S1", "S2")}


def test_the_template_has_both_sheets_with_header_and_example_and_explains_every_column():
    book = openpyxl.load_workbook(io.BytesIO(import_template()))

    assert book.sheetnames == ["Audits", "Findings", "Columns"]
    assert [c.value for c in book["Audits"][1]] == [c.name for c in AUDIT_COLUMNS]
    assert [c.value for c in book["Findings"][1]] == [c.name for c in FINDING_COLUMNS]
    assert book["Audits"]["A2"].value == "AUD-2021-0001"
    assert book["Findings"]["A2"].value == "AUD-2021-0001"
    explained = [row[0].value for row in book["Columns"].iter_rows()]
    for column in (*AUDIT_COLUMNS, *FINDING_COLUMNS):
        assert column.name in explained
    assert "Findings sheet: one row per finding" in explained


def test_the_template_imports_as_it_is(register):
    AuditAgencyFactory(code="sgs")
    SupplierFactory(code="SZ-001")

    result = run(import_template(), name="audits-template.xlsx")

    assert result.errors == []
    assert result.created == 2
    assert Audit.objects.get(reference="AUD-2021-0001").status == Audit.Status.CLOSED


def test_a_past_history_loads_with_deadlines_bands_plans_and_closures(register):
    result = run(workbook())

    assert result.errors == []
    assert (result.created, result.updated, result.unchanged) == (7, 0, 0)
    old = Audit.objects.get(reference="AUD-2020-1")
    assert (old.status, old.performance_band, old.accepted_on) == ("closed", "low", dt.date(2020, 5, 20))
    assert old.closed_at.date() == dt.date(2020, 7, 1)
    assert Audit.objects.get(reference="AUD-2021-1").performance_band == "high"
    assert Audit.objects.get(reference="AUD-2021-1").score == Decimal("185.5")
    assert Audit.objects.get(reference="AUD-2021-2").performance_band == "medium"

    closed = Finding.objects.get(audit=old, number=1)
    assert (closed.cap_due, closed.rectification_due) == (dt.date(2020, 5, 27), dt.date(2020, 8, 18))
    assert closed.closed_on == dt.date(2020, 7, 1)
    assert closed.cap.status == CorrectiveActionPlan.Status.VERIFIED
    assert closed.cap.reviewed_at.date() == dt.date(2020, 5, 26)
    assert closed.verification.method == ClosureVerification.Method.DESK_REVIEW

    late, open_ = Finding.objects.filter(audit__reference="AUD-2021-1").order_by("number")
    assert late.rectification_due == dt.date(2021, 8, 18)
    assert "verified by Wang Fang" in late.verification.note
    assert open_.cap.status == CorrectiveActionPlan.Status.SUBMITTED
    assert not ClosureVerification.objects.filter(finding=open_).exists()

    red = Finding.objects.get(audit__reference="AUD-2021-2")
    assert (red.cap_due, red.rectification_due) == (dt.date(2021, 10, 25), dt.date(2022, 2, 1))
    assert red.cap.status == CorrectiveActionPlan.Status.NOT_STARTED


def test_the_annual_report_counts_imported_audits_like_entered_ones(register):
    run(workbook())

    report = selectors.esg_report(year=2021, today=dt.date(2022, 6, 1))

    assert report["audits"] == {
        "completed": 2,
        "completed_prior_year": 1,
        "change": 1,
        "performance": {"high_pct": 50.0, "medium_pct": 50.0, "low_pct": 0.0},
    }
    assert report["rectification"] == {
        "findings": 3,
        "closed_on_time": 0,
        "closed_late": 1,
        "open_within_deadline": 1,
        "overdue": 1,
    }
    assert selectors.esg_report(year=2020, today=dt.date(2022, 6, 1))["rectification"]["closed_on_time"] == 1


def test_the_risk_factor_audit_performance_reads_the_latest_imported_band(register):
    run(workbook())

    assessment = risk.risk_assess(supplier=register["S1"])

    factor = next(f for f in assessment.factors if f["key"] == "audit")
    assert factor["detail"] == "Latest audit (2021-04-06): high performer"
    assert factor["score"] == assessment.model.audit_score_high_performer


@time_machine.travel(dt.datetime(2022, 1, 10, 9, tzinfo=dt.UTC), tick=False)
def test_the_onboarding_gate_sees_an_open_imported_red_line_finding(register):
    run(workbook())

    check = lifecycle.admission_check(supplier=register["S2"])

    assert check.red_line
    assert any("AUD-2021-2-F01" in message for message in check.unmet)
    assert not lifecycle.admission_check(supplier=register["S1"]).red_line


def test_a_second_import_of_the_same_file_changes_nothing(register):
    run(workbook())
    counts = (Audit.history.count(), Finding.history.count(), CorrectiveActionPlan.history.count())

    result = run(workbook())

    assert (result.created, result.updated, result.unchanged, result.errors) == (0, 0, 7, [])
    assert (Audit.history.count(), Finding.history.count(), CorrectiveActionPlan.history.count()) == counts


def test_a_changed_row_updates_the_stored_audit_and_finding(register):
    run(workbook())
    findings = list(FINDINGS)
    findings[2] = finding(
        "AUD-2021-1", "major", provision="A4", cap_submitted_on="2021-04-25", closed_on="2021-08-01"
    )

    result = run(workbook(findings=findings))

    assert (result.created, result.updated, result.unchanged) == (0, 1, 6)
    closed = Finding.objects.get(audit__reference="AUD-2021-1", number=2)
    assert closed.closed_on == dt.date(2021, 8, 1)
    assert closed.cap.status == CorrectiveActionPlan.Status.VERIFIED
    assert Finding.objects.count() == 4


def test_history_names_the_file_sheet_row_and_user(register):
    user = UserFactory(username="importer")

    run(workbook(), name="uploads/tracker-2021.xlsx", by=user)

    record = Audit.history.get(reference="AUD-2021-2")
    assert record.history_change_reason == "Imported from tracker-2021.xlsx Audits row 4"
    assert record.history_user == user
    finding_record = Finding.history.get(audit__reference="AUD-2021-2")
    assert finding_record.history_change_reason == "Imported from tracker-2021.xlsx Findings row 5"


def test_bad_rows_are_named_by_sheet_row_and_column_and_nothing_is_written(register):
    audits = [
        *AUDITS,
        audit("AUD-X", "NOPE", "accepted", start="2021-13-01", score="250"),
        audit("AUD-2021-1", "S1", "done", start="2021-04-06"),
    ]
    findings = [
        *FINDINGS,
        finding("AUD-2021-1", "major", red_line="4"),
        finding("AUD-2021-1", "critical", provision="Z9", description=" "),
        finding("AUD-MISSING"),
        finding("AUD-2021-1", "minor", verified_by="desk_review"),
    ]

    result = run(workbook(audits, findings))

    found = {(e.row, e.column) for e in result.errors}
    assert found >= {
        (5, "Audits: supplier_code"),
        (5, "Audits: planned_start"),
        (5, "Audits: score"),
        (5, "Audits: accepted_on"),
        (6, "Audits: reference"),
        (6, "Audits: status"),
        (6, "Findings: severity"),
        (7, "Findings: severity"),
        (7, "Findings: provision_code"),
        (7, "Findings: description"),
        (8, "Findings: audit_reference"),
        (9, "Findings: closed_on"),
    }
    messages = [str(e) for e in result.errors]
    assert "row 5, column Audits: planned_start: '2021-13-01' is not a date (YYYY-MM-DD)" in messages
    assert (
        "row 6, column Findings: severity: A red-line finding is at least priority: set severity to "
        "'priority'." in messages
    )
    assert result.summary == f"created 0, updated 0, errors {len(result.errors)}"
    assert not Audit.objects.exists() and not Finding.objects.exists()


def test_status_and_findings_must_fit_together(register):
    audits = [
        audit("AUD-P", "S1", "planned", start="2021-04-06"),
        audit("AUD-C", "S1", "closed", start="2021-04-06", score="170", accepted_on="2021-04-20"),
        audit("AUD-S", "S1", "report_submitted", start="2021-05-06", score="170"),
    ]
    findings = [
        finding("AUD-P"),
        finding("AUD-C"),
        finding("AUD-S", closed_on="2021-06-01"),
        finding("AUD-C", closed_on="2021-04-01"),
    ]

    result = run(workbook(audits, findings))

    assert {(e.row, e.column) for e in result.errors} == {
        (2, "Findings: audit_reference"),
        (3, "Audits: status"),
        (4, "Findings: closed_on"),
        (5, "Findings: closed_on"),
    }


def test_a_header_problem_names_the_sheet(register):
    result = run(workbook(finding_header=[*FINDING_HEADER[:-1], "colour"]))

    assert [(e.row, e.column) for e in result.errors] == [(1, "Findings: (header)")]
    assert not Audit.objects.exists()


def test_findings_numbered_in_the_file_upsert_by_number_and_follow_up_audit_verifies(register):
    header = [*FINDING_HEADER, "number", "follow_up_audit"]
    audits = [
        *AUDITS,
        audit("AUD-2021-9", "S1", "accepted", start="2021-11-02", score="182", accepted_on="2021-11-10",
              type="follow_up"),
    ]  # fmt: skip
    findings = [
        [*finding("AUD-2021-1", "minor", provision="B2", closed_on="2021-11-05"), "3", "AUD-2021-9"],
        [*finding("AUD-2021-1", "major", provision="A4"), "7", ""],
    ]

    result = run(workbook(audits, findings, finding_header=header))

    assert result.errors == []
    numbers = list(Finding.objects.filter(audit__reference="AUD-2021-1").values_list("number", flat=True))
    assert numbers == [3, 7]
    verification = ClosureVerification.objects.get(finding__number=3)
    assert verification.method == ClosureVerification.Method.FOLLOW_UP_AUDIT
    assert verification.follow_up_audit.reference == "AUD-2021-9"

    bad = [
        [*finding("AUD-2021-1", closed_on="2021-11-05"), "3", "AUD-2020-1"],
        [*finding("AUD-2021-1"), "3", ""],
    ]
    errors = run(workbook(audits, bad, finding_header=header)).errors
    assert {(e.row, e.column) for e in errors} == {(3, "Findings: number")}


def test_a_successful_import_schedules_the_risk_refresh_of_the_touched_suppliers(
    register, django_capture_on_commit_callbacks, monkeypatch
):
    scheduled = []
    monkeypatch.setattr("suppliers.services.schedule_risk_refresh", scheduled.append)

    with django_capture_on_commit_callbacks():
        run(workbook())
    assert scheduled == [sorted(s.pk for s in register.values())]

    scheduled.clear()
    run(workbook())
    assert scheduled == []


def test_the_command_prints_the_summary_and_exits_1_on_errors(register, tmp_path, capsys):
    good = tmp_path / "good.xlsx"
    good.write_bytes(workbook())
    out = io.StringIO()
    call_command("import_audits", str(good), stdout=out)
    assert out.getvalue().strip().splitlines()[-1] == "created 7, updated 0, errors 0"

    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(workbook([audit("AUD-Z", "NOPE", "planned", start="2021-01-04")], []))
    out = io.StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("import_audits", str(bad), stdout=out)
    assert raised.value.returncode == 1
    assert f"{bad}: row 2, column Audits: supplier_code: no supplier with code 'NOPE'" in out.getvalue()
    assert "created 0, updated 0, errors 1" in out.getvalue()

    template = tmp_path / "template.xlsx"
    call_command("import_audits", "--template", str(template), stdout=io.StringIO())
    assert openpyxl.load_workbook(template).sheetnames == ["Audits", "Findings", "Columns"]


def test_the_admin_upload_imports_the_workbook_and_offers_the_template(register, client):
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    changelist = reverse("admin:audits_audit_changelist")

    assert b'id="import-link"' in client.get(changelist).content
    template = client.get(reverse("admin:audits_audit_import_template"))
    assert template["Content-Disposition"] == 'attachment; filename="audits-template.xlsx"'

    upload = SimpleUploadedFile("tracker.xlsx", workbook())
    response = client.post(reverse("admin:audits_audit_import"), {"file": upload})

    assert response.status_code == 302
    assert "tracker.xlsx: created 7, updated 0, errors 0." in [
        m.message for m in get_messages(response.wsgi_request)
    ]
    assert Audit.objects.count() == 3

    bad = SimpleUploadedFile(
        "bad.xlsx", workbook([audit("AUD-Z", "NOPE", "planned", start="2021-01-04")], [])
    )
    response = client.post(reverse("admin:audits_audit_import"), {"file": bad})
    assert response.status_code == 200
    assert "Audits: supplier_code" in response.content.decode()


def test_the_query_count_does_not_grow_with_the_number_of_rows(register, django_assert_max_num_queries):
    def history(n):
        audits = [
            audit(f"AUD-{n}-{i}", "S1", "accepted", start="2021-04-06", score="170", accepted_on="2021-04-20")
            for i in range(n)
        ]
        closed = ("", "2021-05-01")
        findings = [finding(f"AUD-{n}-{i % n}", closed_on=closed[i % 2]) for i in range(5 * n)]
        return workbook(audits, findings)

    with django_assert_max_num_queries(60):
        assert run(history(10)).created == 60
    with django_assert_max_num_queries(60):
        assert run(history(100)).created == 600


def test_history_records_of_created_and_changed_rows_name_their_row(register):
    user = UserFactory(username="importer")
    run(workbook(), name="tracker.xlsx", by=user)
    findings = list(FINDINGS)
    findings[2] = finding(
        "AUD-2021-1", "major", provision="A4", cap_submitted_on="2021-04-25", closed_on="2021-08-01"
    )

    run(workbook(findings=findings), name="tracker-v2.xlsx", by=user)

    changed = Finding.objects.get(audit__reference="AUD-2021-1", number=2)
    records = list(changed.history.order_by("history_id"))
    assert [(r.history_type, r.history_change_reason) for r in records] == [
        ("+", "Imported from tracker.xlsx Findings row 4"),
        ("~", "Imported from tracker-v2.xlsx Findings row 4"),
    ]
    assert records[0].closed_on is None and records[1].closed_on == dt.date(2021, 8, 1)
    assert {r.history_user for r in records} == {user}
    plans = list(changed.cap.history.order_by("history_id"))
    assert [(p.history_type, p.status, p.history_change_reason) for p in plans] == [
        ("+", "submitted", "Imported from tracker.xlsx Findings row 4"),
        ("~", "verified", "Imported from tracker-v2.xlsx Findings row 4"),
    ]
    audit_record = Audit.history.get(reference="AUD-2020-1")
    assert (audit_record.history_type, audit_record.history_change_reason) == (
        "+",
        "Imported from tracker.xlsx Audits row 2",
    )
    assert audit_record.site == register["S1"].name
    assert Audit.objects.get(reference="AUD-2020-1").created_at is not None


def test_a_file_name_too_long_for_the_reason_is_cut_to_fit(register):
    name = "x" * 120 + ".xlsx"

    run(workbook(), name=name)

    reasons = set(Finding.history.values_list("history_change_reason", flat=True))
    assert all(len(reason) == 100 and reason.endswith("…") for reason in reasons)


def test_the_benchmark_generates_a_valid_audit_workbook_and_imports_it():
    out = io.StringIO()

    call_command("bench_import", "--importer", "audits", "--rows", "400", stdout=out)

    assert "audits: 400 rows in" in out.getvalue()
    assert "created 400, updated 0, errors 0; rolled back" in out.getvalue()
    assert not Audit.objects.exists()


def test_the_benchmark_workbook_mixes_statuses_closures_and_plans():
    from devtools.management.commands.bench_import import audit_file, audit_setup, supplier_file
    from suppliers.importing import import_suppliers

    assert import_suppliers(fileobj=io.BytesIO(supplier_file(50)), filename="s.csv").ok
    audit_setup(1000)

    result = import_audits(fileobj=io.BytesIO(audit_file(1000)), filename="bench.xlsx")

    assert (result.created, result.errors) == (1000, [])
    assert set(Audit.objects.values_list("status", flat=True)) == set(Audit.Status.values)
    assert Finding.objects.filter(closed_on__isnull=False).exists()
    assert Finding.objects.exclude(red_line="").exists()
    assert set(CorrectiveActionPlan.objects.values_list("status", flat=True)) == {
        "not_started", "submitted", "approved", "verified",
    }  # fmt: skip
    methods = set(ClosureVerification.objects.values_list("method", flat=True))
    assert methods == {"desk_review", "follow_up_audit"}
    assert ClosureVerification.objects.filter(verified_by__username="bench-verifier").exists()
