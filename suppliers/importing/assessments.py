"""External ESG assessments of a supplier (RBA VAP and SAQ, EcoVadis, other ratings), from a CSV or XLSX file
and from the sync API.

One record is checked by ``assessment_problems`` and written by the same rules whichever way it comes: the
file importer (``import_assessments``, every row of a file, all or nothing, in bulk) and the sync API
(``assessment_put``, one record). The natural key is (supplier, kind, assessed_on). A record equal to what is
stored writes nothing.

Columns (``COLUMNS``; header row required, names case- and space-insensitive)::

    supplier_code, kind, scheme, assessed_on, score, scale_max, band_or_medal, reference, valid_until

``band_or_medal`` is the model's and the API's ``rating``. An optional column absent from the file leaves
that field of existing assessments unchanged; present and empty on a row, it clears the field (scale_max: the
kind's default). The onboarding gate (an RBA VAP report as ESG evidence) and the risk model's external-rating
factor read imported assessments exactly as ones entered by hand; the touched suppliers' risk is reassessed
after the import commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.importing import Column, ImportResult, RowError, read_rows, template_workbook

from .. import services
from ..models import ExternalAssessment, Supplier
from .register import LOOKUP_CHUNK, chunks
from .values import Problem, choice_value, date_value, decimal_value, import_reason, text_value

SHEET = "Assessments"
WRITE_BATCH = 500  # rows per bulk statement
Kind = ExternalAssessment.Kind
# The highest score of each scheme when the file or request gives none ("other" must say).
DEFAULT_SCALE_MAX = {
    Kind.RBA_VAP: Decimal("200"),
    Kind.RBA_SAQ: Decimal("100"),
    Kind.ECOVADIS: Decimal("100"),
}

COLUMNS = (
    Column(
        "supplier_code",
        "The supplier's code in the register.",
        "the code of a registered supplier",
        "SZ-001",
        required=True,
    ),
    Column(
        "kind",
        "Which assessment.",
        "rba_vap, rba_saq, ecovadis, other, or their names: "
        + "; ".join(Kind.labels)
        + ' (any letter case; "RBA VAP" works too)',
        "rba_vap",
        required=True,
    ),
    Column(
        "scheme",
        "The name of the scheme, for kind other only.",
        "text, at most 100 characters; required for other, empty otherwise",
        "",
    ),
    Column(
        "assessed_on",
        "The day of the assessment (a VAP: the last day of the audit). With supplier_code and kind, it "
        "identifies the assessment: importing the file again updates the same assessments.",
        "a date, YYYY-MM-DD (or an Excel date)",
        "2024-03-01",
        required=True,
    ),
    Column(
        "score",
        "The score the scheme gave.",
        "a number from 0 to scale_max, at most one decimal place",
        "172.5",
        required=True,
    ),
    Column(
        "scale_max",
        "The highest possible score on the scheme. Empty: 200 for an RBA VAP, 100 for an RBA SAQ and for "
        "EcoVadis; required for other.",
        "a number above 0, at most one decimal place; or empty",
        "200",
    ),
    Column(
        "band_or_medal",
        "The band or medal the scheme gave.",
        "text, at most 30 characters, e.g. platinum, gold, silver, bronze (EcoVadis) or high performer, "
        "medium performer, low performer (VAP); or empty",
        "medium performer",
    ),
    Column(
        "reference",
        "The report's reference (VAP audit ID, EcoVadis scorecard number...).",
        "text, at most 100 characters; or empty",
        "VAP-2024-0117",
    ),
    Column(
        "valid_until",
        "The last day the assessment counts. Empty: the onboarding policy and the risk model decide.",
        "a date on or after assessed_on, YYYY-MM-DD (or an Excel date); or empty",
        "2026-03-01",
    ),
)
# Column of the file -> input name (the API's and the model's), where they differ.
INPUT_OF_COLUMN = {"band_or_medal": "rating"}
COLUMN_OF_INPUT = {name: column for column, name in INPUT_OF_COLUMN.items()}
# Inputs written to fields of a stored assessment (its key, supplier, kind and assessed_on, apart).
FIELDS = ("scheme", "score", "scale_max", "rating", "reference", "valid_until")

_POSITION = {column.name: position for position, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class AssessmentRecord:
    """One assessment as a file row or an API request gives it, checked."""

    kind: str
    assessed_on: dt.date
    scheme: str
    score: Decimal
    scale_max: Decimal
    rating: str
    reference: str
    valid_until: dt.date | None

    def values(self, inputs: Iterable[str]) -> dict[str, Any]:
        return {name: getattr(self, name) for name in inputs if name in FIELDS}


def assessment_problems(values: Mapping[str, str]) -> tuple[AssessmentRecord | None, dict[str, str]]:
    """Check one assessment given as text by input name (``FIELDS``, kind and assessed_on). Answers the
    record, or None and every problem by input name."""
    problems: dict[str, str] = {}
    parsed: dict[str, Any] = {}

    def read(name: str, reader, **options) -> None:
        try:
            parsed[name] = reader(values.get(name, ""), **options)
        except Problem as problem:
            problems[name] = str(problem)

    field = ExternalAssessment._meta.get_field
    kind_text = values.get("kind", "").strip()
    if not kind_text:
        problems["kind"] = "required: " + ", ".join(Kind.values)
    else:
        read("kind", choice_value, choices=Kind)
    read("assessed_on", date_value)
    read("valid_until", date_value)
    read("score", decimal_value, field=field("score"))
    read("scale_max", decimal_value, field=field("scale_max"))
    for name in ("scheme", "rating", "reference"):
        read(name, text_value, field=field(name))

    kind = parsed.get("kind")
    if "assessed_on" in parsed and parsed["assessed_on"] is None:
        problems["assessed_on"] = "required: a date, YYYY-MM-DD"
    if "score" in parsed and parsed["score"] is None:
        problems["score"] = "required: a number from 0 to scale_max"
    if kind == Kind.OTHER and parsed.get("scheme") == "":
        problems["scheme"] = "required for kind other: the name of the scheme"
    elif kind and kind != Kind.OTHER and parsed.get("scheme"):
        problems["scheme"] = f"only for kind other; leave it empty for {kind}"
    scale_max = parsed.get("scale_max")
    if "scale_max" in parsed and scale_max is None and kind:
        scale_max = parsed["scale_max"] = DEFAULT_SCALE_MAX.get(kind)
        if scale_max is None:
            problems["scale_max"] = "required for kind other: the highest possible score on the scheme"
    if scale_max is not None and scale_max <= 0:
        problems["scale_max"] = f"must be more than 0, not {scale_max}"
    score = parsed.get("score")
    if (
        score is not None
        and scale_max
        and scale_max > 0
        and score > scale_max
        and "scale_max" not in problems
    ):
        problems["score"] = (
            f"must be from 0 to scale_max ({scale_max.normalize():f}), not {score.normalize():f}"
        )
    assessed_on, valid_until = parsed.get("assessed_on"), parsed.get("valid_until")
    if assessed_on and valid_until and valid_until < assessed_on:
        problems["valid_until"] = f"must be on or after assessed_on ({assessed_on:%Y-%m-%d})"
    if problems:
        return None, problems
    return AssessmentRecord(**parsed), {}


def assessment_changes(
    assessment: ExternalAssessment, record: AssessmentRecord, *, inputs: Iterable[str]
) -> dict[str, Any]:
    """The fields of a stored assessment that ``record`` changes, with their new values."""
    return {
        name: value for name, value in record.values(inputs).items() if getattr(assessment, name) != value
    }


# --- The sync API: one record -----------------------------------------------------------------------------


def assessment_put(
    *, supplier: Supplier, values: Mapping[str, str], by
) -> tuple[ExternalAssessment, bool, bool]:
    """Create or update the assessment of ``supplier`` keyed by (kind, assessed_on) in ``values`` (text by
    input name; every input not given is empty). Answers (the assessment, created, changed); writes nothing
    when the stored assessment already equals the record. Raises ``ValidationError`` naming each input at
    fault."""
    record, problems = assessment_problems(values)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()  # one writer per supplier
        assessment = (
            ExternalAssessment.objects.filter(
                supplier=supplier, kind=record.kind, assessed_on=record.assessed_on
            )
            .order_by("pk")
            .first()
        )
        created = assessment is None
        if created:
            assessment = ExternalAssessment(
                supplier=supplier, kind=record.kind, assessed_on=record.assessed_on
            )
            changes = record.values(FIELDS)
        else:
            changes = assessment_changes(assessment, record, inputs=FIELDS)
            if not changes:
                return assessment, False, False
        for name, value in changes.items():
            setattr(assessment, name, value)
        assessment._history_user = by
        assessment._change_reason = "Synchronised through the API"
        assessment.save()
        services.reassess_after_commit([supplier.pk])
    return assessment, created, True


# --- The file importer ------------------------------------------------------------------------------------


def assessments_template() -> bytes:
    return template_workbook(sheet=SHEET, columns=COLUMNS, title="External assessments: one row per report")


def import_assessments(*, fileobj, filename: str, by=None) -> ImportResult:
    """Check every row of the file; when none has an error, create and update the assessments in one
    transaction (history names the file, the row and ``by``) and schedule the touched suppliers' risk
    reassessment. Raises ``ImportFileError`` for a file that cannot be read."""
    rows = read_rows(fileobj, filename=filename, columns=COLUMNS, sheet=SHEET)
    if rows.errors:
        return ImportResult(filename=filename, created=0, updated=0, errors=rows.errors)
    present = {INPUT_OF_COLUMN.get(name, name) for name in rows.columns if name}
    errors: list[RowError] = []
    checked: list[tuple[int, str, AssessmentRecord | None]] = []
    for number, cells in rows:
        values = {INPUT_OF_COLUMN.get(column, column): text for column, text in cells.items()}
        code = values.get("supplier_code", "").strip()
        record, problems = assessment_problems(values)
        if not code:
            errors.append(RowError(number, "supplier_code", "required"))
        errors.extend(
            RowError(number, COLUMN_OF_INPUT.get(name, name), message) for name, message in problems.items()
        )
        if code:
            checked.append((number, code, record))

    suppliers: dict[str, Supplier] = {}
    for chunk in chunks(sorted({code for _, code, _ in checked}), LOOKUP_CHUNK):
        suppliers.update((s.code, s) for s in Supplier.objects.filter(code__in=chunk).only("pk", "code"))
    stored: dict[tuple[int, str, dt.date], ExternalAssessment] = {}
    for chunk in chunks(sorted({supplier.pk for supplier in suppliers.values()}), LOOKUP_CHUNK):
        for assessment in ExternalAssessment.objects.filter(supplier_id__in=chunk).order_by("-pk"):
            stored[(assessment.supplier_id, assessment.kind, assessment.assessed_on)] = assessment

    inputs = present & set(FIELDS)
    first_row: dict[tuple[int, str, dt.date], int] = {}
    to_create: list[ExternalAssessment] = []
    to_update: list[ExternalAssessment] = []
    unchanged = 0
    for number, code, record in checked:
        supplier = suppliers.get(code)
        if supplier is None:
            errors.append(
                RowError(number, "supplier_code", f"no supplier with code {code!r} in the register")
            )
            continue
        if record is None:  # its problems are reported already
            continue
        key = (supplier.pk, record.kind, record.assessed_on)
        if key in first_row:
            errors.append(
                RowError(
                    number,
                    "assessed_on",
                    f"the same assessment ({code}, {record.kind}, {record.assessed_on:%Y-%m-%d}) is already "
                    f"on row {first_row[key]}",
                )
            )
            continue
        first_row[key] = number
        assessment = stored.get(key)
        if assessment is None:
            assessment = ExternalAssessment(
                supplier_id=supplier.pk,
                kind=record.kind,
                assessed_on=record.assessed_on,
                **record.values(FIELDS),
            )
            assessment._change_reason = import_reason(filename, number)
            to_create.append(assessment)
            continue
        changes = assessment_changes(assessment, record, inputs=inputs)
        if not changes:
            unchanged += 1
            continue
        for name, value in changes.items():
            setattr(assessment, name, value)
        assessment._change_reason = import_reason(filename, number)
        to_update.append(assessment)
    if errors:
        errors.sort(key=lambda error: (error.row, _POSITION.get(error.column, 0)))
        return ImportResult(filename=filename, created=0, updated=0, errors=errors)

    history = {"default_user": by}
    update_fields = sorted(inputs)
    with transaction.atomic():
        for batch in chunks(to_create, WRITE_BATCH):
            bulk_create_with_history(list(batch), ExternalAssessment, batch_size=WRITE_BATCH, **history)
        if update_fields:
            for batch in chunks(to_update, WRITE_BATCH):
                bulk_update_with_history(
                    list(batch), ExternalAssessment, update_fields, batch_size=WRITE_BATCH, **history
                )
        services.reassess_after_commit(
            sorted({assessment.supplier_id for assessment in to_create + to_update})
        )
    result = ImportResult(
        filename=filename, created=len(to_create), updated=len(to_update), errors=[], unchanged=unchanged
    )
    # External assessments feed no frozen figure (a finished year keeps the risk assessments of its time).
    return result
