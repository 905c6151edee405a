"""Agreements a supplier has signed (or been sent), from a CSV or XLSX file and from the sync API.

One record is checked by ``agreement_problems`` and written by the same rules whichever way it comes: the file
importer (``import_agreements``, every row of a file, all or nothing, in bulk) and the sync API
(``agreement_put``, one record). The natural key is (supplier, kind, signed_on); an agreement sent but not
signed (empty signed_on) is keyed (supplier, kind, unsigned). A record equal to what is stored writes
nothing. An agreement signed online in the portal is evidence: it is never changed by an import.

Columns (``COLUMNS``; header row required, names case- and space-insensitive)::

    supplier_code, kind, text_version, signed_on, expires_on, signed_by

An optional column absent from the file leaves that field of existing agreements unchanged; present and empty
on a row, it clears the field. The onboarding gate and the reminders read imported agreements exactly as
ones entered by hand; the touched suppliers' risk is reassessed after the import commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.importing import Column, ImportResult, RowError, read_rows, template_workbook

from .. import services
from ..models import Agreement, AgreementText, Supplier
from .register import LOOKUP_CHUNK, chunks
from .values import Problem, choice_value, date_value, import_reason, text_value

SHEET = "Agreements"
WRITE_BATCH = 500  # rows per bulk statement
Kind = Agreement.Kind

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
        "Which agreement.",
        "csr_agreement, code_of_conduct, integrity_commitment, or their names: "
        + "; ".join(str(label) for label in Kind.labels)
        + " (any letter case)",
        "csr_agreement",
        required=True,
    ),
    Column(
        "text_version",
        "The version of the published agreement text that was signed (the admin's Agreement texts). Empty "
        "for an agreement signed on paper.",
        "the version of an agreement text of this kind published on or before signed_on, e.g. 2024.1; or "
        "empty",
        "",
    ),
    Column(
        "signed_on",
        "The day it was signed. Empty: sent to the supplier but not signed yet. With supplier_code and kind, "
        "it identifies the agreement: importing the file again updates the same agreements.",
        "a date, YYYY-MM-DD (or an Excel date); or empty",
        "2024-03-01",
    ),
    Column(
        "expires_on",
        "The day the signature expires and must be renewed. Empty: it does not expire.",
        "a date after signed_on, YYYY-MM-DD (or an Excel date); or empty",
        "2027-03-01",
    ),
    Column(
        "signed_by",
        "Name (and title) of the person who signed for the supplier.",
        "text, at most 150 characters",
        "Wang Fang, General Manager",
    ),
)
# Input name -> the model field it writes (the key fields supplier, kind and signed_on apart).
FIELD_OF_INPUT = {"text_version": "text", "expires_on": "expires_on", "signed_by": "signed_by"}
_EXPIRY_MESSAGE = next(
    str(constraint.violation_error_message)
    for constraint in Agreement._meta.constraints
    if constraint.name == "agreement_expires_after_signed"
)

_POSITION = {column.name: position for position, column in enumerate(COLUMNS)}


@dataclass(frozen=True)
class AgreementRecord:
    """One agreement as a file row or an API request gives it, checked."""

    kind: str
    signed_on: dt.date | None
    expires_on: dt.date | None
    signed_by: str
    text: AgreementText | None

    def values(self, inputs: Iterable[str]) -> dict[str, Any]:
        """The model fields (attnames) that the given inputs write, with this record's values."""
        values = {**vars(self), "text": self.text.pk if self.text else None}
        return {
            Agreement._meta.get_field(FIELD_OF_INPUT[name]).attname: values[FIELD_OF_INPUT[name]]
            for name in inputs
            if name in FIELD_OF_INPUT
        }


def published_texts(kinds: Iterable[str] | None = None) -> dict[tuple[str, str], AgreementText]:
    """Agreement texts by (kind, version), of ``kinds`` (all when None)."""
    queryset = AgreementText.objects.all()
    if kinds is not None:
        queryset = queryset.filter(kind__in=list(kinds))
    return {(text.kind, text.version.lower()): text for text in queryset}


def agreement_problems(
    values: Mapping[str, str], *, texts: Mapping[tuple[str, str], AgreementText]
) -> tuple[AgreementRecord | None, dict[str, str]]:
    """Check one agreement given as text by input name (``COLUMNS`` but supplier_code); ``texts`` from
    ``published_texts``. Answers the record, or None and every problem by input name."""
    problems: dict[str, str] = {}
    kind = signed_on = expires_on = None
    signed_by = ""
    text = None
    kind_text = values.get("kind", "").strip()
    if not kind_text:
        problems["kind"] = "required: " + ", ".join(Kind.values)
    else:
        try:
            kind = choice_value(kind_text, choices=Kind)
        except Problem as problem:
            problems["kind"] = str(problem)
    for name in ("signed_on", "expires_on"):
        try:
            parsed = date_value(values.get(name, ""))
        except Problem as problem:
            problems[name] = str(problem)
            continue
        if name == "signed_on":
            signed_on = parsed
        else:
            expires_on = parsed
    if expires_on and signed_on and expires_on <= signed_on:
        problems["expires_on"] = _EXPIRY_MESSAGE
    try:
        signed_by = text_value(values.get("signed_by", ""), field=Agreement._meta.get_field("signed_by"))
    except Problem as problem:
        problems["signed_by"] = str(problem)
    version = values.get("text_version", "").strip()
    if version and kind:
        text = texts.get((kind, version.lower()))
        label = Kind(kind).label
        if text is None:
            problems["text_version"] = f"no {label} text has the version {version!r}"
        elif signed_on and text.published_on > signed_on:
            problems["text_version"] = (
                f"{label} {text.version} was published on {text.published_on:%Y-%m-%d}, after signed_on "
                f"({signed_on:%Y-%m-%d})"
            )
    if problems:
        return None, problems
    return AgreementRecord(
        kind=kind, signed_on=signed_on, expires_on=expires_on, signed_by=signed_by, text=text
    ), {}


def agreement_changes(
    agreement: Agreement, record: AgreementRecord, *, inputs: Iterable[str]
) -> dict[str, Any]:
    """The fields (attnames) of a stored agreement that ``record`` changes, with their new values."""
    return {
        attname: value
        for attname, value in record.values(inputs).items()
        if getattr(agreement, attname) != value
    }


def evidence_problems(agreement: Agreement, changes: Mapping[str, Any]) -> dict[str, str]:
    """An agreement signed online is the signature itself: nothing of it changes."""
    if agreement.signed_at is None or not changes:
        return {}
    field_inputs = {Agreement._meta.get_field(field).attname: name for name, field in FIELD_OF_INPUT.items()}
    first = next(field_inputs[attname] for attname in field_inputs if attname in changes)
    return {
        first: f"this agreement was signed online on {agreement.signed_on:%Y-%m-%d} by "
        f"{agreement.signed_by}; a signature made online is kept as signed"
    }


# --- The sync API: one record -----------------------------------------------------------------------------


def agreement_put(*, supplier: Supplier, values: Mapping[str, str], by) -> tuple[Agreement, bool, bool]:
    """Create or update the agreement of ``supplier`` keyed by (kind, signed_on) in ``values`` (text by input
    name; every input not given is empty). Answers (the agreement, created, changed); writes nothing when the
    stored agreement already equals the record. Raises ``ValidationError`` naming each input at fault."""
    kind = values.get("kind", "")
    record, problems = agreement_problems(
        values, texts=published_texts([kind] if kind in Kind.values else None)
    )
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        Supplier.objects.select_for_update().filter(pk=supplier.pk).first()  # one writer per supplier
        agreement = (
            Agreement.objects.filter(supplier=supplier, kind=record.kind, signed_on=record.signed_on)
            .order_by("pk")
            .first()
        )
        created = agreement is None
        if created:
            agreement = Agreement(supplier=supplier, kind=record.kind, signed_on=record.signed_on)
            changes = record.values(FIELD_OF_INPUT)
        else:
            changes = agreement_changes(agreement, record, inputs=FIELD_OF_INPUT)
            if problems := evidence_problems(agreement, changes):
                raise ValidationError(problems)
        if not changes and not created:
            return agreement, False, False
        for attname, value in changes.items():
            setattr(agreement, attname, value)
        agreement._history_user = by
        agreement._change_reason = "Synchronised through the API"
        agreement.save()
        services.reassess_after_commit([supplier.pk])
    return agreement, created, True


# --- The file importer ------------------------------------------------------------------------------------


def agreements_template() -> bytes:
    return template_workbook(sheet=SHEET, columns=COLUMNS, title="Agreements: one row per agreement")


def import_agreements(*, fileobj, filename: str, by=None) -> ImportResult:
    """Check every row of the file; when none has an error, create and update the agreements in one
    transaction (history names the file, the row and ``by``) and schedule the touched suppliers' risk
    reassessment. Raises ``ImportFileError`` for a file that cannot be read."""
    rows = read_rows(fileobj, filename=filename, columns=COLUMNS, sheet=SHEET)
    if rows.errors:
        return ImportResult(filename=filename, created=0, updated=0, errors=rows.errors)
    present = {name for name in rows.columns if name}
    texts = published_texts()
    errors: list[RowError] = []
    checked: list[tuple[int, str, AgreementRecord | None]] = []
    for number, values in rows:
        code = values.get("supplier_code", "").strip()
        record, problems = agreement_problems(values, texts=texts)
        if not code:
            errors.append(RowError(number, "supplier_code", "required"))
        errors.extend(RowError(number, name, message) for name, message in problems.items())
        if code:
            checked.append((number, code, record))

    suppliers: dict[str, Supplier] = {}
    codes = sorted({code for _, code, _ in checked})
    for chunk in chunks(codes, LOOKUP_CHUNK):
        suppliers.update((s.code, s) for s in Supplier.objects.filter(code__in=chunk).only("pk", "code"))
    stored: dict[tuple[int, str, dt.date | None], Agreement] = {}
    ids = sorted({supplier.pk for supplier in suppliers.values()})
    for chunk in chunks(ids, LOOKUP_CHUNK):
        for agreement in Agreement.objects.filter(supplier_id__in=chunk).order_by("-pk"):
            stored[(agreement.supplier_id, agreement.kind, agreement.signed_on)] = agreement  # lowest pk wins

    inputs = present & set(FIELD_OF_INPUT)
    first_row: dict[tuple[int, str, dt.date | None], int] = {}
    to_create: list[Agreement] = []
    to_update: list[Agreement] = []
    years: list[tuple[dt.date | None, dt.date | None]] = []  # (signed_on, expires_on) of what changes
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
        key = (supplier.pk, record.kind, record.signed_on)
        if key in first_row:
            signed = f"signed on {record.signed_on:%Y-%m-%d}" if record.signed_on else "unsigned"
            errors.append(
                RowError(
                    number,
                    "signed_on",
                    f"the same agreement ({code}, {record.kind}, {signed}) is already on row "
                    f"{first_row[key]}",
                )
            )
            continue
        first_row[key] = number
        agreement = stored.get(key)
        if agreement is None:
            agreement = Agreement(supplier_id=supplier.pk, kind=record.kind, signed_on=record.signed_on)
            for attname, value in record.values(FIELD_OF_INPUT).items():
                setattr(agreement, attname, value)
            agreement._change_reason = import_reason(filename, number)
            to_create.append(agreement)
            continue
        changes = agreement_changes(agreement, record, inputs=inputs)
        problems = evidence_problems(agreement, changes)
        errors.extend(RowError(number, name, message) for name, message in problems.items())
        if not changes:
            unchanged += 1
        elif not problems:
            years.append((agreement.signed_on, agreement.expires_on))  # as it was
            for attname, value in changes.items():
                setattr(agreement, attname, value)
            agreement._change_reason = import_reason(filename, number)
            to_update.append(agreement)
    if errors:
        errors.sort(key=lambda error: (error.row, _POSITION.get(error.column, 0)))
        return ImportResult(filename=filename, created=0, updated=0, errors=errors)

    history = {"default_user": by}
    update_fields = [FIELD_OF_INPUT[name] for name in sorted(inputs)]
    with transaction.atomic():
        for batch in chunks(to_create, WRITE_BATCH):
            bulk_create_with_history(list(batch), Agreement, batch_size=WRITE_BATCH, **history)
        if update_fields:
            for batch in chunks(to_update, WRITE_BATCH):
                bulk_update_with_history(
                    list(batch), Agreement, update_fields, batch_size=WRITE_BATCH, **history
                )
        services.reassess_after_commit(sorted({agreement.supplier_id for agreement in to_create + to_update}))
    result = ImportResult(
        filename=filename, created=len(to_create), updated=len(to_update), errors=[], unchanged=unchanged
    )
    today = timezone.localdate()
    years.extend((agreement.signed_on, agreement.expires_on) for agreement in to_create + to_update)
    for signed_on, expires_on in set(years):
        result.add_years(signed_on, expires_on or today)  # in force from its signature until it expires
    return result
