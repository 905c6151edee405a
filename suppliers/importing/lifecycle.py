"""Import a supplier's lifecycle history from a CSV or XLSX file: dated steps (screening, admission,
rejection, suspension, exit...), each taken through the one transition rule
(``lifecycle.supplier_transition``) and judged by the onboarding gate on the facts as they were at its date.

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

from common.importing import Column, ImportResult, RowError, read_rows, template_workbook

from .. import lifecycle
from ..models import StatusTransition, Supplier
from .register import LOOKUP_CHUNK, chunks

SHEET_NAME = "Lifecycle"
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
        found.update((s.code, s) for s in Supplier.objects.filter(code__in=chunk))
    return found


def _recorded(supplier_ids: list[int]) -> dict[int, list[StatusTransition]]:
    steps: dict[int, list[StatusTransition]] = defaultdict(list)
    for chunk in chunks(supplier_ids, LOOKUP_CHUNK):
        for step in StatusTransition.objects.filter(supplier_id__in=chunk).order_by("at", "pk"):
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


def _local(moment: dt.datetime) -> str:
    return f"{timezone.localtime(moment):%Y-%m-%d %H:%M}"


def _take_steps(
    *,
    supplier: Supplier,
    steps: list[Step],
    recorded: list[StatusTransition],
    by,
    filename: str,
    outcome: _Outcome,
    errors: list[RowError],
    notes: list[str],
) -> None:
    """Take one supplier's steps in time order after its recorded ones; stop at the first that fails."""
    known = {(s.at, s.to_status): s for s in recorded}
    last_at = recorded[-1].at if recorded else None
    ordered = sorted(steps, key=lambda s: (s.at, s.row))
    for index, step in enumerate(ordered):
        same = known.get((step.at, step.status))
        if same is not None:
            if same.reason == step.reason and (same.red_line or not step.red_line):
                outcome.unchanged += 1
            else:
                same.reason = step.reason
                same.red_line = same.red_line or step.red_line
                same.save(update_fields=["reason", "red_line"])
                outcome.updated += 1
                outcome.dated.append((step.at, None))
            continue
        if last_at is not None and step.at < last_at:
            errors.append(
                RowError(
                    step.row,
                    "at",
                    f"{supplier.code}'s last recorded step is of {_local(last_at)}; steps are recorded "
                    "in time order, so an earlier one cannot be added",
                )
            )
        else:
            try:
                lifecycle.supplier_transition(
                    supplier=supplier,
                    to=step.status,
                    by=by,
                    reason=step.reason,
                    at=step.at,
                    red_line=step.red_line,
                    history_reason=f"Imported from {filename} row {step.row}"[:100],
                )
            except lifecycle.TransitionRefused as refused:
                column = _COLUMN_OF_INPUT.get(refused.about, "status")
                errors.append(RowError(step.row, column, f"{refused} (step of {_local(step.at)})"))
            else:
                outcome.created += 1
                outcome.dated.append((step.at, timezone.now()))  # the status holds until a later step
                continue
        later = sorted(s.row for s in ordered[index + 1 :])
        if later:
            notes.append(
                f"{supplier.code}: the steps of rows {', '.join(map(str, later))} were not tried, as they "
                f"follow the step of row {step.row}, which failed"
            )
        return


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

    outcome = _Outcome()
    name = os.path.basename(filename) or filename
    try:
        with transaction.atomic():
            for code, supplier_steps in by_supplier.items():
                supplier = suppliers[code]
                _take_steps(
                    supplier=supplier,
                    steps=supplier_steps,
                    recorded=recorded.get(supplier.pk, []),
                    by=by,
                    filename=name,
                    outcome=outcome,
                    errors=errors,
                    notes=notes,
                )
            if errors:
                raise _RollBack
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
