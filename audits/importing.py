"""Import past and current audits with their findings from one workbook: ``import_audits``.

The workbook has two sheets (``common.importing``: header in row 1, columns in any order):

- **Audits**, one row per audit, keyed by its ``reference``: supplier, agency (code or name), type, dates,
  score and status; an accepted or closed audit names the day its report was accepted (``accepted_on``), and
  gets its performance band from the policy (``AuditPolicy.band_for``).
- **Findings**, one row per finding, keyed by its audit's reference and its ``number`` when that column is
  present, else by its order among the audit's rows: provision, severity, red-line category (the rule on
  these fields is ``services.finding_problems``), description, deadlines, CAP dates and closure.

Deadlines of the findings of an accepted audit come from the file where it gives them and from the policy
otherwise (``deadlines.deadlines_for``, counted from ``accepted_on``). Each finding that needs corrective
action gets its plan, with the status its dates tell (not started, submitted, approved, verified), and a
closed finding its closure verification (desk review, or the follow-up audit named in ``follow_up_audit``).

A file is all or nothing: every row of both sheets is checked first, with lookups in a few queries whatever
the number of rows, and every problem is named by sheet, row and column ("Findings: severity"). A file
without errors is written in one transaction with bulk statements; history records name the file, the
sheet and the row. Rows equal to what is stored change nothing (counted as unchanged). The risk of the
suppliers touched is reassessed after commit.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection, models, transaction
from django.db.models.functions import Lower
from django.utils import timezone

from common import bulk
from common.history import fit_change_reason
from common.importing import Column, ImportResult, RowError, Rows, read_rows, template_workbook
from suppliers.models import Supplier
from suppliers.services import reassess_after_commit

from . import deadlines
from .models import (
    ACTIONABLE,
    Audit,
    AuditAgency,
    AuditPolicy,
    ClosureVerification,
    CodeProvision,
    CorrectiveActionPlan,
    Finding,
    RedLine,
    Severity,
)
from .services.findings import finding_problems

AUDITS_SHEET = "Audits"
FINDINGS_SHEET = "Findings"
LOOKUP_CHUNK = 1000  # keys per lookup query
INSERT_BATCH = 10_000  # rows per set-based statement

Status = Audit.Status
CapStatus = CorrectiveActionPlan.Status
Method = ClosureVerification.Method
COMPLETED = (Status.ACCEPTED, Status.CLOSED)
# Statuses whose audit may have findings: the agency records them once the audit is in progress.
WITH_FINDINGS = (Status.IN_PROGRESS, Status.REPORT_SUBMITTED, Status.ACCEPTED, Status.CLOSED)
# The choices, read once (an enum's ``values`` is built anew on each use, for every row).
TYPES = tuple(Audit.Type.values)
PROTOCOLS = tuple(Audit.Protocol.values)
STATUSES = tuple(Status.values)
METHODS = tuple(Method.values)


def _choices(values: Iterable[str]) -> str:
    return ", ".join(values)


AUDIT_COLUMNS = (
    Column(
        "reference",
        "The audit's reference, unique; the key a second import updates by.",
        "",
        "AUD-2021-0001",
        True,
    ),
    Column("supplier_code", "Code of the audited supplier (in the register).", "", "SZ-001", True),
    Column("agency", "The audit agency, by its code or its name.", "", "sgs", True),
    Column("type", "Type of audit.", _choices(Audit.Type.values), "annual", True),
    Column(
        "protocol",
        "Audit protocol; empty: the company's CSR audit procedure.",
        _choices(Audit.Protocol.values),
        "company_csr",
    ),
    Column("site", "Site audited, name and address; empty: the supplier's name.", "", "Plant 1, Shenzhen"),
    Column("planned_start", "First planned day.", "date YYYY-MM-DD", "2021-03-01", True),
    Column(
        "planned_end", "Last planned day, not before planned_start.", "date YYYY-MM-DD", "2021-03-03", True
    ),
    Column(
        "actual_start",
        "First day on site; needed once the audit is in progress.",
        "date YYYY-MM-DD",
        "2021-03-01",
    ),
    Column(
        "actual_end",
        "Last day on site; needed once the report is submitted.",
        "date YYYY-MM-DD",
        "2021-03-03",
    ),
    Column("score", "Audit score; needed once the report is submitted.", "0 to 200, one decimal", "172.5"),
    Column("status", "Where the audit stands.", _choices(Status.values), "closed", True),
    Column(
        "accepted_on",
        "Day the report was accepted; needed for accepted and closed audits. Deadlines count from it.",
        "date YYYY-MM-DD, not before actual_end",
        "2021-03-20",
    ),
)

FINDING_COLUMNS = (
    Column(
        "audit_reference",
        "Reference of the audit (on the Audits sheet or already stored).",
        "",
        "AUD-2021-0001",
        True,
    ),
    Column(
        "number",
        "The finding's number within its audit. Without this column, the findings of an audit are numbered "
        "in the order of their rows.",
        "1, 2, 3 ...",
        "1",
    ),
    Column(
        "provision_code",
        "Code of conduct provision the finding refers to.",
        "A1 ... E12 (active provisions)",
        "A3",
        True,
    ),
    Column(
        "severity", "Severity; a red-line finding is priority.", _choices(Severity.values), "priority", True
    ),
    Column(
        "red_line",
        "Red-line category, if any: " + "; ".join(str(label) for label in RedLine.labels),
        "empty, or 1 to 9",
        "4",
    ),
    Column("description", "What was found.", "", "Working-hour records kept twice.", True),
    Column(
        "cap_due",
        "Day the corrective action plan was due; empty: from the policy and accepted_on.",
        "date YYYY-MM-DD; accepted audits only",
        "",
    ),
    Column(
        "rectification_due",
        "Day the rectification was due; empty: from the policy and accepted_on.",
        "date YYYY-MM-DD; accepted audits only",
        "",
    ),
    Column("cap_submitted_on", "Day the supplier submitted its plan.", "date YYYY-MM-DD", "2021-03-25"),
    Column(
        "cap_approved_on",
        "Day the plan was approved.",
        "date YYYY-MM-DD, not before cap_submitted_on",
        "2021-03-27",
    ),
    Column(
        "closed_on",
        "Day the closure was verified; empty: the finding is open.",
        "date YYYY-MM-DD",
        "2021-04-15",
    ),
    Column(
        "verified_by",
        "How the closure was verified, or who verified it (a user name of this system, or any name: a desk "
        "review by that person). Empty on a closed finding: desk review.",
        "desk_review, follow_up_audit, or a name",
        "desk_review",
    ),
    Column(
        "follow_up_audit",
        "Reference of the follow-up audit that verified the closure (a later audit of the same supplier).",
        "",
        "",
    ),
)


def import_template() -> bytes:
    """The .xlsx template: the Audits and Findings sheets (header and one example row each) and a Columns
    sheet explaining every column of both."""
    return template_workbook(
        sheet=AUDITS_SHEET,
        columns=AUDIT_COLUMNS,
        title="Audits sheet: one row per audit",
        more=[(FINDINGS_SHEET, FINDING_COLUMNS, "Findings sheet: one row per finding")],
    )


# --- Rows checked on their own ------------------------------------------------------------------------------


class _Errors:
    def __init__(self) -> None:
        self.items: list[RowError] = []
        self.failed: set[tuple[str, int]] = set()  # (sheet, row) with an error

    def add(self, sheet: str, row: int, column: str, message: str) -> None:
        self.items.append(RowError(row, f"{sheet}: {column}", message))
        self.failed.add((sheet, row))


def _date(values: dict[str, str], column: str, fail) -> dt.date | None:
    text = values.get(column, "")
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10] if re.match(r"^\d{4}-\d{2}-\d{2}[ T]00:00", text) else text)
    except ValueError:
        fail(column, f"{text!r} is not a date (YYYY-MM-DD)")
        return None


def _choice(text: str) -> str:
    return re.sub(r"[\s\-/]+", "_", text.strip().lower())


@dataclass
class AuditRow:
    row: int
    reference: str = ""
    supplier_code: str = ""
    agency: str = ""
    type: str = ""
    protocol: str = ""
    site: str = ""
    planned_start: dt.date | None = None
    planned_end: dt.date | None = None
    actual_start: dt.date | None = None
    actual_end: dt.date | None = None
    score: Decimal | None = None
    status: str = ""
    accepted_on: dt.date | None = None


@dataclass
class FindingRow:
    row: int
    audit_reference: str = ""
    number: int | None = None
    provision_code: str = ""
    provision: CodeProvision | None = None
    severity: str = ""
    red_line: str = ""
    description: str = ""
    cap_due: dt.date | None = None
    rectification_due: dt.date | None = None
    cap_submitted_on: dt.date | None = None
    cap_approved_on: dt.date | None = None
    closed_on: dt.date | None = None
    verified_by: str = ""
    method: str = ""
    follow_up_audit: str = ""


_REFERENCE_MAX = Audit._meta.get_field("reference").max_length
_SITE_MAX = Audit._meta.get_field("site").max_length


def _audit_row(number: int, values: dict[str, str], fail) -> AuditRow:
    row = AuditRow(row=number)
    row.reference = values.get("reference", "")
    if not row.reference:
        fail("reference", "required")
    elif len(row.reference) > _REFERENCE_MAX:
        fail("reference", f"too long: at most {_REFERENCE_MAX} characters")
    row.supplier_code = values.get("supplier_code", "")
    if not row.supplier_code:
        fail("supplier_code", "required")
    row.agency = values.get("agency", "")
    if not row.agency:
        fail("agency", "required: the agency's code or name")
    row.type = _choice(values.get("type", "")) or ""
    if not row.type:
        fail("type", "required: " + _choices(TYPES))
    elif row.type not in TYPES:
        fail("type", f"{values['type']!r} is not one of {_choices(TYPES)}")
    row.protocol = _choice(values.get("protocol", ""))
    if row.protocol and row.protocol not in PROTOCOLS:
        fail("protocol", f"{values['protocol']!r} is not one of {_choices(PROTOCOLS)}")
    row.site = values.get("site", "")
    if len(row.site) > _SITE_MAX:
        fail("site", f"too long: at most {_SITE_MAX} characters")
    for name in ("planned_start", "planned_end", "actual_start", "actual_end", "accepted_on"):
        setattr(row, name, _date(values, name, fail))
    for name in ("planned_start", "planned_end"):
        if not values.get(name):
            fail(name, "required (YYYY-MM-DD)")
    if row.planned_start and row.planned_end and row.planned_end < row.planned_start:
        fail("planned_end", "the planned end is before the planned start")
    if row.actual_start and row.actual_end and row.actual_end < row.actual_start:
        fail("actual_end", "the actual end is before the actual start")
    score = values.get("score", "")
    if score:
        try:
            row.score = Decimal(score.replace(",", "."))
        except InvalidOperation:
            fail("score", f"{score!r} is not a number")
        else:
            if not row.score.is_finite() or not 0 <= row.score <= 200:
                fail("score", f"must be from 0 to 200, not {score!r}")
                row.score = None
            elif row.score != row.score.quantize(Decimal("0.1")):
                fail("score", f"at most one decimal place, not {score!r}")
                row.score = None
            else:
                row.score = row.score.quantize(Decimal("0.1"))
    row.status = _choice(values.get("status", ""))
    if not row.status:
        fail("status", "required: " + _choices(STATUSES))
    elif row.status not in STATUSES:
        fail("status", f"{values['status']!r} is not one of {_choices(STATUSES)}")
    else:
        _check_status_facts(row, values, fail)
    return row


def _check_status_facts(row: AuditRow, values: dict[str, str], fail) -> None:
    """What each status needs, as the audit's services require on the way there."""
    status = row.status
    if status == Status.PLANNED and values.get("actual_start"):
        fail("status", "a planned audit has not started: leave actual_start empty or use in_progress")
    if status in (Status.IN_PROGRESS, Status.REPORT_SUBMITTED, *COMPLETED) and not values.get("actual_start"):
        fail("actual_start", f"required for a {status} audit")
    if status in (Status.REPORT_SUBMITTED, *COMPLETED):
        if not values.get("actual_end"):
            fail("actual_end", f"required for a {status} audit")
        if not values.get("score"):
            fail("score", f"required for a {status} audit")
    if status in COMPLETED:
        if not values.get("accepted_on"):
            fail("accepted_on", f"required for a {status} audit: the day the report was accepted")
        elif row.accepted_on and row.actual_end and row.accepted_on < row.actual_end:
            fail("accepted_on", "the report was accepted before the audit ended (actual_end)")
    elif values.get("accepted_on"):
        fail("accepted_on", f"only accepted and closed audits have one, not a {status} audit")


def _finding_row(number: int, values: dict[str, str], fail, *, numbered: bool) -> FindingRow:
    row = FindingRow(row=number)
    row.audit_reference = values.get("audit_reference", "")
    if not row.audit_reference:
        fail("audit_reference", "required")
    if numbered:
        text = values.get("number", "")
        if not text:
            fail("number", "required when the file has a number column")
        elif not text.isdigit() or int(text) < 1:
            fail("number", f"must be a whole number from 1, not {text!r}")
        else:
            row.number = int(text)
    row.provision_code = values.get("provision_code", "").upper()
    if not row.provision_code:
        fail("provision_code", "required")
    row.severity = _choice(values.get("severity", ""))
    row.red_line = values.get("red_line", "").strip()
    if row.red_line.lower() in ("0", "no", "none"):
        row.red_line = ""
    row.description = values.get("description", "")
    for name in ("cap_due", "rectification_due", "cap_submitted_on", "cap_approved_on", "closed_on"):
        setattr(row, name, _date(values, name, fail))
    if row.cap_submitted_on and row.cap_approved_on and row.cap_approved_on < row.cap_submitted_on:
        fail("cap_approved_on", "the plan was approved before it was submitted (cap_submitted_on)")
    row.verified_by = values.get("verified_by", "")
    row.follow_up_audit = values.get("follow_up_audit", "")
    said = _choice(row.verified_by)
    row.method = Method.FOLLOW_UP_AUDIT if row.follow_up_audit or said == Method.FOLLOW_UP_AUDIT else ""
    if not row.method and row.closed_on:
        row.method = Method.DESK_REVIEW
    if said in METHODS:
        row.verified_by = ""  # a method, not a person
    if said == Method.FOLLOW_UP_AUDIT and not row.follow_up_audit:
        fail("follow_up_audit", "name the follow-up audit that verified the closure")
    if not values.get("closed_on") and (values.get("verified_by") or row.follow_up_audit):
        fail("closed_on", "required when verified_by or follow_up_audit is given: the day of the closure")
    return row


# --- The file checked against itself and the database -----------------------------------------------------


def _chunks(items: Sequence, size: int = LOOKUP_CHUNK) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass
class Plan:
    audits: dict[str, AuditRow] = field(default_factory=dict)  # by reference, first row of each
    findings: list[FindingRow] = field(default_factory=list)
    suppliers: dict[str, tuple[int, str]] = field(default_factory=dict)  # code -> (pk, name)
    agencies: dict[str, int] = field(default_factory=dict)  # lower-cased code or name -> pk
    stored: dict[str, Audit] = field(default_factory=dict)  # existing audits by reference
    users: dict[str, int] = field(default_factory=dict)  # lower-cased username -> pk
    policy: AuditPolicy | None = None


def _sheet_rows(fileobj, filename: str, sheet: str, columns, other_columns, errors: _Errors) -> Rows | None:
    """The rows of ``sheet``; None when the file has no such sheet (its first sheet, or a CSV file, holds
    the other table)."""
    if hasattr(fileobj, "seek"):
        fileobj.seek(0)
    rows = read_rows(fileobj, filename=filename, columns=columns, sheet=sheet)
    if rows.errors:
        names = {name for name in rows.columns if name}
        other = {column.name for column in other_columns}
        if names and names <= other:
            return None
        for error in rows.errors:
            errors.add(sheet, error.row, error.column, error.message)
        return None
    return rows


def import_audits(*, fileobj, filename: str, by=None) -> ImportResult:
    """Check both sheets of the file; when no row has an error, create and update the audits, findings,
    corrective action plans and closure verifications in one transaction. Raises ``ImportFileError`` for
    a file that cannot be read."""
    errors = _Errors()
    plan = Plan()
    audit_rows: list[AuditRow] = []
    audits = _sheet_rows(fileobj, filename, AUDITS_SHEET, AUDIT_COLUMNS, FINDING_COLUMNS, errors)
    for number, values in audits or ():
        row = _audit_row(number, values, lambda c, m, n=number: errors.add(AUDITS_SHEET, n, c, m))
        audit_rows.append(row)
    findings = _sheet_rows(fileobj, filename, FINDINGS_SHEET, FINDING_COLUMNS, AUDIT_COLUMNS, errors)
    numbered = findings is not None and "number" in findings.columns
    for number, values in findings or ():
        fail = lambda c, m, n=number: errors.add(FINDINGS_SHEET, n, c, m)  # noqa: E731
        plan.findings.append(_finding_row(number, values, fail, numbered=numbered))
    if audits is None and findings is None and not errors.items:
        errors.add(AUDITS_SHEET, 1, "(header)", "the file has neither an Audits nor a Findings sheet")

    for row in audit_rows:
        first = plan.audits.setdefault(row.reference, row) if row.reference else row
        if first is not row:
            errors.add(AUDITS_SHEET, row.row, "reference", f"{row.reference!r} is already on row {first.row}")
    _resolve(plan, audit_rows, errors)
    _check_findings(plan, errors)
    if errors.items:
        errors.items.sort(key=lambda e: (not e.column.startswith(AUDITS_SHEET), e.row))
        return ImportResult(filename=filename, created=0, updated=0, errors=errors.items)
    return _write(plan, filename=filename, by=by)


def _resolve(plan: Plan, audit_rows: list[AuditRow], errors: _Errors) -> None:
    """Look up suppliers, agencies, stored audits and verifying users in a few queries, and name what is
    missing."""
    codes = sorted({row.supplier_code for row in audit_rows if row.supplier_code})
    for chunk in _chunks(codes):
        for code, pk, name in Supplier.objects.filter(code__in=chunk).values_list("code", "pk", "name"):
            plan.suppliers[code] = (pk, name)
    agencies = list(AuditAgency.objects.values_list("pk", "code", "name"))
    plan.agencies.update((name.lower(), pk) for pk, _, name in agencies)
    plan.agencies.update((code.lower(), pk) for pk, code, _ in agencies)  # a code wins over a name
    references = sorted(
        set(plan.audits)
        | {f.audit_reference for f in plan.findings if f.audit_reference}
        | {f.follow_up_audit for f in plan.findings if f.follow_up_audit}
    )
    for chunk in _chunks(references):
        plan.stored.update((audit.reference, audit) for audit in Audit.objects.filter(reference__in=chunk))
    names = sorted({f.verified_by.lower() for f in plan.findings if f.verified_by})
    for chunk in _chunks(names):
        users = get_user_model()._default_manager.annotate(name_lc=Lower("username"))
        plan.users.update(users.filter(name_lc__in=chunk).values_list("name_lc", "pk"))
    plan.policy = AuditPolicy.current()

    for row in audit_rows:
        if row.supplier_code and row.supplier_code not in plan.suppliers:
            errors.add(AUDITS_SHEET, row.row, "supplier_code", f"no supplier with code {row.supplier_code!r}")
        if row.agency and row.agency.lower() not in plan.agencies:
            errors.add(AUDITS_SHEET, row.row, "agency", f"no audit agency with code or name {row.agency!r}")


@dataclass
class _AuditView:
    """An audit a finding row refers to, as it will be once the file is written."""

    row: AuditRow | None
    status: str
    supplier: str  # code, or pk as text for a stored audit not in the file
    accepted_on: dt.date | None


def _audit_view(plan: Plan, reference: str) -> _AuditView | None:
    row = plan.audits.get(reference)
    if row is not None:
        return _AuditView(row, row.status, row.supplier_code, row.accepted_on)
    stored = plan.stored.get(reference)
    if stored is not None:
        return _AuditView(None, stored.status, f"#{stored.supplier_id}", stored.accepted_on)
    return None


def _provisions() -> dict[str, CodeProvision]:
    """Provisions by upper-cased code: the one in use (``CodeProvision.in_use``), else any stored one (which
    ``finding_problems`` then refuses as no longer in use)."""
    everything = {p.code.upper(): p for p in CodeProvision.objects.order_by("code_version", "pk")}
    in_use = {p.code.upper(): p for p in CodeProvision.in_use()}
    return {**everything, **in_use}


_FIELD_COLUMNS = {"provision": "provision_code", "severity": "severity", "red_line": "red_line"}


def _check_findings(plan: Plan, errors: _Errors) -> None:
    provisions = _provisions()
    supplier_of_stored = {ref: f"#{a.supplier_id}" for ref, a in plan.stored.items()}
    per_audit: dict[str, list[FindingRow]] = defaultdict(list)
    failed_audits = {ref for ref, row in plan.audits.items() if (AUDITS_SHEET, row.row) in errors.failed}

    for row in plan.findings:
        fail = lambda c, m, n=row.row: errors.add(FINDINGS_SHEET, n, c, m)  # noqa: E731
        row.provision = provisions.get(row.provision_code) if row.provision_code else None
        if row.provision_code and row.provision is None:
            fail("provision_code", f"no code of conduct provision {row.provision_code!r}")
        for problem in finding_problems(
            severity=row.severity, red_line=row.red_line, description=row.description, provision=row.provision
        ):
            fail(_FIELD_COLUMNS.get(problem.field, problem.field), str(problem.message))
        if not row.audit_reference:
            continue
        per_audit[row.audit_reference].append(row)
        view = _audit_view(plan, row.audit_reference)
        if view is None:
            fail("audit_reference", f"no audit {row.audit_reference!r} on the Audits sheet or stored")
            continue
        if row.audit_reference in failed_audits or view.status not in STATUSES:
            continue
        _check_finding_against_audit(plan, row, view, fail, supplier_of_stored)

    for reference, rows in per_audit.items():
        if any(row.number is not None for row in rows):
            seen: dict[int, int] = {}
            for row in rows:
                if row.number is not None and seen.setdefault(row.number, row.row) != row.row:
                    errors.add(
                        FINDINGS_SHEET,
                        row.row,
                        "number",
                        f"finding {row.number} of {reference} is already on row {seen[row.number]}",
                    )
        else:
            for index, row in enumerate(rows, 1):
                row.number = index
        audit = plan.audits.get(reference)
        if audit is not None and audit.status == Status.CLOSED:
            open_rows = [r.row for r in rows if r.severity in ACTIONABLE and r.closed_on is None]
            if open_rows:
                errors.add(
                    AUDITS_SHEET,
                    audit.row,
                    "status",
                    "a closed audit has no open finding; open on the Findings sheet: row(s) "
                    + ", ".join(str(n) for n in open_rows),
                )


def _check_finding_against_audit(plan: Plan, row: FindingRow, view: _AuditView, fail, suppliers) -> None:
    status = view.status
    if status not in WITH_FINDINGS:
        fail("audit_reference", f"audit {row.audit_reference} is {status}: it has no findings")
        return
    if status not in COMPLETED:
        for name in ("cap_due", "rectification_due", "cap_submitted_on", "cap_approved_on", "closed_on"):
            if getattr(row, name) is not None:
                fail(name, f"audit {row.audit_reference} is {status}: its report is not accepted yet")
        return
    if row.severity == Severity.OBSERVATION:
        for name in ("cap_due", "rectification_due", "cap_submitted_on", "cap_approved_on"):
            if getattr(row, name) is not None:
                fail(name, "an observation needs no corrective action and has no deadlines")
    accepted = view.accepted_on
    if accepted and row.closed_on and row.closed_on < accepted:
        fail("closed_on", f"before the report was accepted ({accepted.isoformat()})")
    if accepted:
        for name in ("cap_due", "rectification_due"):
            due = getattr(row, name)
            if due is not None and due < accepted:
                fail(name, f"before the report was accepted ({accepted.isoformat()})")
    if row.follow_up_audit:
        follow_up = _audit_view(plan, row.follow_up_audit)
        if follow_up is None:
            fail("follow_up_audit", f"no audit {row.follow_up_audit!r} on the Audits sheet or stored")
        elif row.follow_up_audit == row.audit_reference:
            fail(
                "follow_up_audit", f"audit {row.follow_up_audit} raised the finding; name the follow-up audit"
            )
        elif follow_up.status == Status.CANCELLED:
            fail("follow_up_audit", f"audit {row.follow_up_audit} was cancelled")
        elif _same_supplier(plan, view, follow_up) is False:
            fail("follow_up_audit", f"audit {row.follow_up_audit} is not an audit of the same supplier")


def _same_supplier(plan: Plan, one: _AuditView, other: _AuditView) -> bool | None:
    def key(view: _AuditView):
        if view.supplier.startswith("#"):
            return int(view.supplier[1:])
        found = plan.suppliers.get(view.supplier)
        return found[0] if found else None

    a, b = key(one), key(other)
    return None if a is None or b is None else a == b


# --- Writing -----------------------------------------------------------------------------------------------


class _Midnights:
    """Midnight of a day in the current time zone (imported steps happened on a day, not at a time), each day
    made once per import."""

    def __init__(self) -> None:
        self.zone = timezone.get_current_timezone()
        self.days: dict[dt.date, dt.datetime] = {}

    def __call__(self, day: dt.date | None) -> dt.datetime | None:
        if day is None:
            return None
        at = self.days.get(day)
        if at is None:
            at = self.days[day] = timezone.make_aware(dt.datetime.combine(day, dt.time.min), self.zone)
        return at


def _at(day: dt.date | None) -> dt.datetime | None:
    """Midnight of ``day`` in the project's time zone: imported steps happened on a day, not at a time."""
    return None if day is None else timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def _apply(obj, values: dict[str, Any]) -> bool:
    changed = False
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    return changed


@dataclass
class _Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def _converter(field) -> Any:
    """A function giving a value of ``field`` as ``common.bulk`` takes it: text for dates, times and decimals
    on PostgreSQL (they travel in JSON), the backend's own conversion elsewhere."""
    if connection.vendor != "postgresql":
        return lambda value: field.get_db_prep_save(value, connection)
    if isinstance(field, models.DecimalField):
        return lambda value: None if value is None else str(value)
    if isinstance(field, models.DateField):  # DateTimeField is a DateField
        texts: dict[Any, str] = {}  # imported dates repeat: each written out once

        def text(value):
            if value is None:
                return None
            found = texts.get(value)
            if found is None:
                found = texts[value] = value.isoformat()
            return found

        return text
    return lambda value: value


@dataclass
class _Writer:
    """Set-based writes of one import: rows inserted and updated in a few statements (``common.bulk``), and
    one history record per row with the row's own reason ("Imported from FILE Findings row N"), copied from
    the written row in the database."""

    now: dt.datetime
    by: Any

    def insert(
        self, model, rows: list[dict[str, Any]], *, key: Sequence[str], reasons: list[str] | None = None
    ) -> dict[tuple, int]:
        """Insert ``rows`` (attribute name -> value, the same names in each); returns the new primary keys
        by the ``key`` attributes' values. ``reasons``: one a row, for its history record."""
        if not rows:
            return {}
        meta = model._meta
        names = list(rows[0])
        converters = [_converter(meta.get_field(name)) for name in names]
        given = {
            f.name: self.now
            for f in meta.concrete_fields
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
        }
        returning = (meta.pk, *(meta.get_field(name) for name in key))
        pks: dict[tuple, int] = {}
        for chunk in _chunks(rows, INSERT_BATCH):
            values = [
                tuple(convert(row[name]) for convert, name in zip(converters, names, strict=True))
                for row in chunk
            ]
            stored = bulk.insert_rows(model, names, values, given=given, returning=returning)
            pks.update((tuple(rest), pk) for pk, *rest in stored)
        if reasons is not None:
            self.history(
                model,
                [
                    (pks[tuple(row[name] for name in key)], reason)
                    for row, reason in zip(rows, reasons, strict=True)
                ],
                history_type="+",
            )
        return pks

    def update(self, model, changed: list[tuple[Any, str | None]], names: Sequence[str]) -> None:
        """Store the ``names`` attributes of the ``(object, reason)`` pairs (and ``updated_at``, if the model
        has it); a history record for each object with a reason."""
        if not changed:
            return
        meta = model._meta
        names = list(names)
        if any(f.name == "updated_at" for f in meta.concrete_fields):
            names.append("updated_at")
            for obj, _ in changed:
                obj.updated_at = self.now
        converters = [_converter(meta.get_field(name)) for name in names]
        for chunk in _chunks(changed, INSERT_BATCH):
            rows = [
                (
                    obj.pk,
                    *(convert(getattr(obj, name)) for convert, name in zip(converters, names, strict=True)),
                )
                for obj, _ in chunk
            ]
            bulk.update_rows(model, names, rows)
        self.history(model, [(obj.pk, reason) for obj, reason in changed if reason is not None])

    def history(self, model, reasons: list[tuple[int, str]], *, history_type: str = "~") -> None:
        for chunk in _chunks(reasons, INSERT_BATCH):
            bulk.history_copy_each(model, chunk, history_type=history_type, at=self.now, by=self.by)


AUDIT_FIELDS = [
    "supplier_id", "agency_id", "type", "protocol", "site", "planned_start", "planned_end", "actual_start",
    "actual_end", "score", "status", "performance_band", "accepted_on", "accepted_at", "closed_at",
    "cancelled_reason",
]  # fmt: skip
FINDING_FIELDS = [
    "provision_id", "severity", "red_line", "description", "cap_due", "rectification_due",
    "original_rectification_due", "closed_on", "closed_at",
]  # fmt: skip
CAP_FIELDS = ["status", "submitted_at", "first_submitted_at", "reviewed_at"]
CHECK_FIELDS = ["method", "follow_up_audit_id", "verified_by_id", "verified_at", "note"]


def _reason(name: str, sheet: str, row: int) -> str:
    return fit_change_reason(f"Imported from {name} {sheet} row {row}")


def _write(plan: Plan, *, filename: str, by) -> ImportResult:
    now = timezone.now()
    name = os.path.basename(filename) or filename
    writer = _Writer(now=now, by=by)
    at = _Midnights()
    counts = _Counts()
    policy = plan.policy
    closed_on_per_audit: dict[str, list[dt.date]] = defaultdict(list)
    for row in plan.findings:
        if row.closed_on and row.severity in ACTIONABLE:
            closed_on_per_audit[row.audit_reference].append(row.closed_on)

    with transaction.atomic():
        # Audits.
        new_audits: list[tuple[Audit, dict[str, Any], str]] = []
        changed_audits: list[tuple[Audit, str]] = []
        touched: set[int] = set()
        for reference, row in plan.audits.items():
            stored = plan.stored.get(reference)
            supplier_pk, supplier_name = plan.suppliers[row.supplier_code]
            completed = row.status in COMPLETED
            closed_at = None
            if row.status == Status.CLOSED:
                closed_at = at(max([row.accepted_on, *closed_on_per_audit.get(reference, [])]))
            values = {
                "supplier_id": supplier_pk,
                "agency_id": plan.agencies[row.agency.lower()],
                "type": row.type,
                "protocol": row.protocol or (stored.protocol if stored else Audit.Protocol.COMPANY_CSR),
                "site": row.site or (stored.site if stored else supplier_name),
                "planned_start": row.planned_start,
                "planned_end": row.planned_end,
                "actual_start": row.actual_start,
                "actual_end": row.actual_end,
                "score": row.score,
                "status": row.status,
                "performance_band": policy.band_for(row.score) if completed else "",
                "accepted_on": row.accepted_on if completed else None,
                "accepted_at": at(row.accepted_on) if completed else None,
                "closed_at": closed_at,
                "cancelled_reason": (
                    (stored.cancelled_reason if stored else "") or "Imported as cancelled"
                    if row.status == Status.CANCELLED
                    else ""
                ),
            }
            reason = _reason(name, AUDITS_SHEET, row.row)
            if stored is None:
                new_audits.append((Audit(reference=reference, **values), values, reason))
                touched.add(supplier_pk)
            elif _apply(stored, values):
                changed_audits.append((stored, reason))
                touched.add(supplier_pk)
            else:
                counts.unchanged += 1
            if stored is not None and stored.supplier_id != supplier_pk:
                touched.add(stored.supplier_id)
        pks = writer.insert(
            Audit,
            [{"reference": audit.reference, **values} for audit, values, _ in new_audits],
            key=("reference",),
            reasons=[reason for _, _, reason in new_audits],
        )
        writer.update(Audit, changed_audits, AUDIT_FIELDS)
        counts.created += len(new_audits)
        counts.updated += len(changed_audits)
        audit_of = dict(plan.stored)
        for audit, _, _ in new_audits:
            audit.pk = audit.id = pks[(audit.reference,)]
            audit_of[audit.reference] = audit

        _write_findings(plan, audit_of, writer=writer, at=at, name=name, counts=counts, touched=touched)
        reassess_after_commit(sorted(touched))

    return ImportResult(
        filename=filename,
        created=counts.created,
        updated=counts.updated,
        errors=[],
        unchanged=counts.unchanged,
    )


def _write_findings(
    plan: Plan, audit_of: dict[str, Audit], *, writer: _Writer, at: _Midnights, name, counts, touched
) -> None:
    policy = plan.policy
    audit_ids = sorted({audit_of[row.audit_reference].pk for row in plan.findings})
    stored: dict[tuple[int, int], Finding] = {}
    caps: dict[int, CorrectiveActionPlan] = {}
    verifications: dict[int, ClosureVerification] = {}
    for chunk in _chunks(audit_ids):
        stored.update(((f.audit_id, f.number), f) for f in Finding.objects.filter(audit_id__in=chunk))
        caps.update(
            (c.finding_id, c) for c in CorrectiveActionPlan.objects.filter(finding__audit_id__in=chunk)
        )
        verifications.update(
            (v.finding_id, v) for v in ClosureVerification.objects.filter(finding__audit_id__in=chunk)
        )

    new_findings: list[dict[str, Any]] = []
    new_reasons: list[str] = []
    changed_findings: list[tuple[Finding, str]] = []
    pending: list[tuple[FindingRow, Finding | None, str, bool]] = []
    for row in plan.findings:
        audit = audit_of[row.audit_reference]
        fixed = None
        if audit.status in COMPLETED:
            fixed = deadlines.deadlines_for(
                severity=row.severity, red_line=row.red_line, accepted_on=audit.accepted_on, policy=policy
            )
        rectification_due = row.rectification_due or (fixed.rectification_due if fixed else None)
        values = {
            "provision_id": row.provision.pk,
            "severity": row.severity,
            "red_line": row.red_line,
            "description": row.description.strip(),
            "cap_due": row.cap_due or (fixed.cap_due if fixed else None),
            "rectification_due": rectification_due,
            "original_rectification_due": rectification_due,
            "closed_on": row.closed_on,
            "closed_at": at(row.closed_on),
        }
        reason = _reason(name, FINDINGS_SHEET, row.row)
        finding = stored.get((audit.pk, row.number))
        changed = False
        if finding is None:
            new_findings.append({"audit_id": audit.pk, "number": row.number, **values})
            new_reasons.append(reason)
        else:
            if finding.original_rectification_due and rectification_due:
                # An approved extension moved the due date: the original one stays.
                values["original_rectification_due"] = finding.original_rectification_due
            if _apply(finding, values):
                changed_findings.append((finding, reason))
                changed = True
        pending.append((row, finding, reason, changed))
    finding_pks = writer.insert(Finding, new_findings, key=("audit_id", "number"), reasons=new_reasons)
    writer.update(Finding, changed_findings, FINDING_FIELDS)

    new_caps, cap_reasons, changed_caps = [], [], []
    new_checks, changed_checks, stale_checks = [], [], []
    for row, finding, reason, changed in pending:
        audit = audit_of[row.audit_reference]
        is_new = finding is None
        finding_pk = finding_pks[(audit.pk, row.number)] if is_new else finding.pk
        if audit.status in COMPLETED and row.severity in ACTIONABLE:
            cap = caps.get(finding_pk)
            cap_values = _cap_values(row, at=at)
            if cap is None:
                new_caps.append({"finding_id": finding_pk, **cap_values})
                cap_reasons.append(reason)
                changed = True
            elif _apply(cap, cap_values):
                changed_caps.append((cap, reason))
                changed = True
        check = verifications.get(finding_pk)
        if row.closed_on is not None:
            check_values = {
                "method": row.method,
                "follow_up_audit_id": audit_of[row.follow_up_audit].pk if row.follow_up_audit else None,
                "verified_by_id": plan.users.get(row.verified_by.lower()) if row.verified_by else None,
                "verified_at": at(row.closed_on),
                "note": _verification_note(row, name),
            }
            if check is None:
                new_checks.append({"finding_id": finding_pk, **check_values})
                changed = True
            elif _apply(check, check_values):
                changed_checks.append((check, None))
                changed = True
        elif check is not None:
            stale_checks.append(check.pk)
            changed = True
        if is_new:
            counts.created += 1
        elif changed:
            counts.updated += 1
        else:
            counts.unchanged += 1
        if is_new or changed:
            touched.add(audit.supplier_id)
    writer.insert(CorrectiveActionPlan, new_caps, key=("finding_id",), reasons=cap_reasons)
    writer.update(CorrectiveActionPlan, changed_caps, CAP_FIELDS)
    for chunk in _chunks(stale_checks):
        ClosureVerification.objects.filter(pk__in=chunk).delete()
    writer.insert(ClosureVerification, new_checks, key=("finding_id",))
    writer.update(ClosureVerification, changed_checks, CHECK_FIELDS)


def _cap_values(row: FindingRow, *, at=_at) -> dict[str, Any]:
    """The plan as its dates tell: verified once the finding is closed, approved, submitted, or not
    started."""
    submitted = row.cap_submitted_on or row.cap_approved_on
    if row.closed_on is not None:
        status = CapStatus.VERIFIED
    elif row.cap_approved_on is not None:
        status = CapStatus.APPROVED
    elif submitted is not None:
        status = CapStatus.SUBMITTED
    else:
        status = CapStatus.NOT_STARTED
    return {
        "status": status,
        "submitted_at": at(submitted),
        "first_submitted_at": at(submitted),
        "reviewed_at": at(row.cap_approved_on),
    }


def _verification_note(row: FindingRow, filename: str) -> str:
    note = f"Imported from {filename} {FINDINGS_SHEET} row {row.row}"
    if row.verified_by:
        note += f"; verified by {row.verified_by}"
    return note
