"""Import a supplier's lifecycle history from a CSV or XLSX file: dated steps (screening, admission,
rejection, suspension, exit...), each taken through the one transition rule and judged by the onboarding
gate on the facts as they were at its date. The steps of the whole file are taken at once by
``lifecycle.supplier_transitions`` (the rule of ``supplier_transition``, for many steps: the gate's records
read for all suppliers together, the steps and history written in bulk), so 100,000 rows take a bounded
number of queries.

Columns: ``supplier_code``, ``status``, ``at``, ``reason``, ``red_line``. The steps of each supplier are
applied in time order (the file's order for steps at the same time), after the steps already recorded: a
new step dated before the supplier's last recorded step is a row error. A step already recorded (same
supplier, status and time) is not taken again: it is unchanged, or its reason is updated (and a red line
added when the file says so). Each step is taken by the importing user, so their permissions are checked
as in the admin (admission, rejection, suspension and exit are ESG managers' decisions).

One file is all or nothing: every step is tried in one transaction, rolled back when any row has an error;
every error is reported with its row and column. Once a supplier's step fails, its later steps are not
tried (a note names them): they depend on the failed one.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from common import bulk
from common.importing import Column, ImportResult, RowError, read_rows, template_workbook

from .. import lifecycle
from ..models import StatusTransition, Supplier
from .register import LOOKUP_CHUNK, chunks

SHEET_NAME = "Lifecycle"
WRITE_BATCH = 2000  # recorded steps per bulk update
RECORDED_CHUNK = 10_000  # suppliers per query of their recorded steps
# A step dated by its day alone was taken at this local time (the start of an office day).
DATE_ONLY_TIME = dt.time(9, 0)
_STATUS_NAMES = ", ".join(f"{value} ({label})" for value, label in Supplier.Status.choices)
YES = frozenset({"yes", "y", "true", "1"})
NO = frozenset({"", "no", "n", "false", "0"})

COLUMNS = (
    Column(
        "supplier_code",
        "Code of the supplier in the register.",
        "An existing supplier code.",
        "SUP-0001",
        True,
    ),
    Column(
        "status",
        "The status the supplier moved to in this step.",
        f"{_STATUS_NAMES}; the code or the label, in any case.",
        "admitted",
        True,
    ),
    Column(
        "at",
        "When the step was taken, in the local time of the system. A date alone means 09:00 that day.",
        "YYYY-MM-DD or YYYY-MM-DD HH:MM (an Excel date or date-time cell also works); not in the future.",
        "2024-03-01",
        True,
    ),
    Column(
        "reason",
        "Why the step was taken. Needed for not admitted (rejected), suspended and exited.",
        "Free text.",
        "Onboarding audit passed; CSR Agreement signed.",
    ),
    Column(
        "red_line",
        "The step was taken for a red-line issue (only for not admitted, suspended or exited). A red-line "
        "finding open at the step's date is recorded as a red line in any case.",
        "yes or no (empty: no).",
        "no",
    ),
)
_COLUMN_OF_INPUT = {"to": "status", "reason": "reason", "red_line": "red_line"}


@dataclass
class Step:
    row: int
    code: str
    status: str
    at: dt.datetime
    reason: str
    red_line: bool


def template() -> bytes:
    return template_workbook(sheet=SHEET_NAME, columns=COLUMNS, title="Supplier lifecycle history")


def parse_status(text: str) -> str | None:
    wanted = re.sub(r"[\s_\-]+", " ", text).strip().lower()
    for value, label in Supplier.Status.choices:
        if wanted in (value.replace("_", " "), label.lower()):
            return value
    return None


def parse_at(text: str) -> dt.datetime | None:
    """A date (09:00 local time that day) or a date-time (local time unless it carries an offset)."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return timezone.make_aware(dt.datetime.combine(dt.date.fromisoformat(text), DATE_ONLY_TIME))
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


def _parse(number: int, values: dict[str, str], errors: list[RowError], now: dt.datetime) -> Step | None:
    before = len(errors)
    code = values.get("supplier_code", "")
    if not code:
        errors.append(RowError(number, "supplier_code", "a supplier code is needed"))
    status_text = values.get("status", "")
    status = parse_status(status_text) if status_text else None
    if not status_text:
        errors.append(RowError(number, "status", "a status is needed"))
    elif status is None:
        errors.append(
            RowError(number, "status", f"{status_text!r} is not a status; use one of {_STATUS_NAMES}")
        )
    at_text = values.get("at", "")
    at = parse_at(at_text) if at_text else None
    if not at_text:
        errors.append(RowError(number, "at", "the date of the step is needed"))
    elif at is None:
        errors.append(RowError(number, "at", f"{at_text!r} is not a date (YYYY-MM-DD) or date-time"))
    elif at > now:
        errors.append(RowError(number, "at", f"{at_text!r} is in the future"))
    red_line_text = values.get("red_line", "").strip().lower()
    if red_line_text not in YES | NO:
        errors.append(RowError(number, "red_line", f"{values['red_line']!r} is not yes or no"))
    if len(errors) > before:
        return None
    return Step(number, code, status, at, values.get("reason", "").strip(), red_line_text in YES)


def _suppliers(codes: set[str]) -> dict[str, Supplier]:
    found: dict[str, Supplier] = {}
    for chunk in chunks(sorted(codes), LOOKUP_CHUNK):
        # Only what the steps need: ``lifecycle.supplier_transitions`` reads each supplier's row itself.
        found.update((s.code, s) for s in Supplier.objects.filter(code__in=chunk).only("pk", "code"))
    return found


def _recorded(supplier_ids: list[int]) -> dict[int, list[StatusTransition]]:
    steps: dict[int, list[StatusTransition]] = defaultdict(list)
    for chunk in chunks(supplier_ids, RECORDED_CHUNK):
        for step in StatusTransition.objects.filter(bulk.ids_in("supplier_id", chunk)).order_by("at", "pk"):
            steps[step.supplier_id].append(step)
    return steps


class _RollBack(Exception):
    pass


@dataclass
class _Outcome:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # What was written, for ``ImportResult.add_years``: (the step's time, until when its status held).
    dated: list[tuple[dt.datetime, dt.datetime | None]] = field(default_factory=list)
    changed: list[StatusTransition] = field(default_factory=list)  # recorded steps whose reason changed


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


@dataclass
class _Plan:
    """One supplier's steps in time order, each with the same step already recorded (``None``: a new step,
    to be taken), up to the first new one dated before the supplier's last recorded step (``early``)."""

    supplier: Supplier
    ordered: list[Step]
    steps: list[tuple[Step, StatusTransition | None]] = field(default_factory=list)
    early: Step | None = None
    last_at: dt.datetime | None = None


def _plan(*, supplier: Supplier, steps: list[Step], recorded: list[StatusTransition]) -> _Plan:
    """Sort out one supplier's steps after its recorded ones. A new step dated before the last recorded one
    comes, in time order, before every new step that is not, so no new step precedes ``early``."""
    known = {(s.at, s.to_status): s for s in recorded}
    plan = _Plan(
        supplier=supplier,
        ordered=sorted(steps, key=lambda s: (s.at, s.row)),
        last_at=recorded[-1].at if recorded else None,
    )
    for step in plan.ordered:
        same = known.get((step.at, step.status))
        if same is None and plan.last_at is not None and step.at < plan.last_at:
            plan.early = step
            break
        plan.steps.append((step, same))
    return plan


def _failed(plan: _Plan, step: Step, error: RowError, errors: list[RowError], notes: list[str]) -> None:
    """A step failed: its error, and a note naming the supplier's later steps, which were not tried."""
    errors.append(error)
    later = sorted(s.row for s in plan.ordered[plan.ordered.index(step) + 1 :])
    if later:
        notes.append(
            f"{plan.supplier.code}: the steps of rows {', '.join(map(str, later))} were not tried, as they "
            f"follow the step of row {step.row}, which failed"
        )


def _take_steps(
    *, plans: list[_Plan], by, filename: str, outcome: _Outcome, errors: list[RowError], notes: list[str]
) -> None:
    """Take the new steps of every supplier through the one transition rule, all at once
    (``lifecycle.supplier_transitions``: each supplier's steps in time order, each judged at its date), then
    account for each supplier's steps in time order, up to the first that failed."""
    new = [step for plan in plans for step, same in plan.steps if same is None]
    results = lifecycle.supplier_transitions(
        steps=[
            lifecycle.StepRequest(
                supplier=plan.supplier,
                to=step.status,
                reason=step.reason,
                at=step.at,
                red_line=step.red_line,
                history_reason=f"Imported from {filename} row {step.row}"[:100],
            )
            for plan in plans
            for step, same in plan.steps
            if same is None
        ],
        by=by,
    )
    result_of_row = {step.row: result for step, result in zip(new, results, strict=True)}
    taken_at = timezone.now()  # a step's status holds until a later step
    for plan in plans:
        for step, same in plan.steps:
            if same is None:
                result = result_of_row[step.row]
                if isinstance(result, lifecycle.TransitionRefused):
                    column = _COLUMN_OF_INPUT.get(result.about, "status")
                    error = RowError(step.row, column, f"{result} (step of {_local(step.at)})")
                    _failed(plan, step, error, errors, notes)
                    break
                outcome.created += 1
                outcome.dated.append((step.at, taken_at))
            elif same.reason == step.reason and (same.red_line or not step.red_line):
                outcome.unchanged += 1
            else:
                same.reason = step.reason
                same.red_line = same.red_line or step.red_line
                outcome.changed.append(same)
                outcome.updated += 1
                outcome.dated.append((step.at, None))
        else:
            if plan.early is not None:
                message = (
                    f"{plan.supplier.code}'s last recorded step is of {_local(plan.last_at)}; steps are "
                    "recorded in time order, so an earlier one cannot be added"
                )
                _failed(plan, plan.early, RowError(plan.early.row, "at", message), errors, notes)


def import_lifecycle(*, fileobj, filename: str, by=None) -> ImportResult:
    """Take the file's lifecycle steps, each judged at its date; all or nothing. Raises ``ImportFileError``
    for a file that cannot be read."""
    rows = read_rows(fileobj, filename=filename, columns=COLUMNS, sheet=SHEET_NAME)
    errors: list[RowError] = list(rows.errors)
    now = timezone.now()
    steps: list[Step] = []
    unreadable: dict[str, list[int]] = defaultdict(list)  # supplier code -> its rows with errors
    for number, values in rows:
        step = _parse(number, values, errors, now)
        if step is not None:
            steps.append(step)
        elif values.get("supplier_code"):
            unreadable[values["supplier_code"]].append(number)
    if rows.errors:
        return ImportResult(filename=filename, created=0, updated=0, errors=errors)

    suppliers = _suppliers({step.code for step in steps})
    by_supplier: dict[str, list[Step]] = defaultdict(list)
    for step in steps:
        if step.code in suppliers:
            by_supplier[step.code].append(step)
        else:
            errors.append(RowError(step.row, "supplier_code", f"no supplier with code {step.code!r}"))
    notes: list[str] = []
    for code, numbers in unreadable.items():
        if by_supplier.pop(code, None):
            notes.append(
                f"{code}: no step was tried, as row(s) {', '.join(map(str, numbers))} could not be read"
            )
    recorded = _recorded([suppliers[code].pk for code in by_supplier])
    plans = [
        _plan(supplier=suppliers[code], steps=supplier_steps, recorded=recorded.get(suppliers[code].pk, []))
        for code, supplier_steps in by_supplier.items()
    ]

    outcome = _Outcome()
    name = os.path.basename(filename) or filename
    try:
        with transaction.atomic():
            _take_steps(plans=plans, by=by, filename=name, outcome=outcome, errors=errors, notes=notes)
            if errors:
                raise _RollBack
            StatusTransition.objects.bulk_update(
                outcome.changed, ["reason", "red_line"], batch_size=WRITE_BATCH
            )
    except _RollBack:
        errors.sort(key=lambda error: error.row)
        return ImportResult(filename=filename, created=0, updated=0, errors=errors, notes=notes)
    result = ImportResult(
        filename=filename,
        created=outcome.created,
        updated=outcome.updated,
        errors=[],
        unchanged=outcome.unchanged,
    )
    for first, last in outcome.dated:
        result.add_years(first, last)
    return result
