"""Import suppliers from a CSV or XLSX file: create new ones, update the master data of existing ones.

One file is all or nothing: every row is checked first and every problem is reported with its spreadsheet
row number (the header is row 1) and column; only a file without errors is written, in one transaction,
with bulk statements in batches and history records that name the file.

Columns (header row required, case- and space-insensitive)::

    code, name, legal_name, category, tier, parent_code, country, business_units, commodity,
    buyer_email, annual_spend, currency

``code``, ``name``, ``category``, ``tier`` and ``country`` are required columns. An optional column that is
absent leaves that field of existing suppliers unchanged; a column that is present but empty on a row clears
the field. Existing suppliers keep their status and risk; new ones start as candidates.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django_countries import countries
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from common.workbooks import WorkbookRejected, read_table

from . import services
from .models import BusinessUnit, Commodity, Supplier, eligible_buyers

COLUMNS = (
    "code",
    "name",
    "legal_name",
    "category",
    "tier",
    "parent_code",
    "country",
    "business_units",
    "commodity",
    "buyer_email",
    "annual_spend",
    "currency",
)
REQUIRED_COLUMNS = ("code", "name", "category", "tier", "country")
SHEET_NAME = "Suppliers"

LOOKUP_CHUNK = 1000  # codes, e-mails, names per lookup query
WRITE_BATCH = 500  # rows per bulk statement

# Column -> the editable field (``services.EDITABLE_FIELDS``) an existing supplier's row writes. The code
# identifies the row and business_units is the many-to-many, handled apart.
_COLUMN_OF_FIELD = {"parent": "parent_code", "buyer": "buyer_email"}
_FIELD_OF_COLUMN = {
    _COLUMN_OF_FIELD.get(name, name): name
    for name in services.EDITABLE_FIELDS
    if _COLUMN_OF_FIELD.get(name, name) in COLUMNS and name not in ("code", "business_units")
}
# Common English names that django-countries spells differently.
_COUNTRY_ALIASES = {
    "usa": "US",
    "united states": "US",
    "uk": "GB",
    "great britain": "GB",
    "south korea": "KR",
    "korea": "KR",
    "republic of korea": "KR",
    "macau": "MO",
    "mainland china": "CN",
    "prc": "CN",
    "czech republic": "CZ",
    "vietnam": "VN",
    "russia": "RU",
}
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}([,' ]\d{3})+(\.\d+)?$")
_CATEGORIES = frozenset(Supplier.Category.values)
_SPEND_FIELD = Supplier._meta.get_field("annual_spend")
_SPEND_MAX_INTEGER_DIGITS = _SPEND_FIELD.max_digits - _SPEND_FIELD.decimal_places


class ImportFileError(Exception):
    """The file cannot be read at all (wrong type, corrupt, empty, too large)."""

    def __init__(self, message: str, *, filename: str, sheet: str | None = None) -> None:
        self.message = message
        self.filename = filename
        self.sheet = sheet
        where = filename if sheet is None else f"{filename}, sheet {sheet!r}"
        super().__init__(f"{where}: {message}")


@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, column {self.column}: {self.message}"


@dataclass
class ImportResult:
    filename: str
    created: int
    updated: int
    errors: list[RowError]
    unchanged: int = 0  # existing suppliers whose data in the file equals the register; nothing written

    @property
    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, errors {len(self.errors)}"

    @property
    def ok(self) -> bool:
        return not self.errors


def import_suppliers(*, fileobj, filename: str, by=None) -> ImportResult:
    """Check every row of the file; when none has an error, create and update the suppliers in one
    transaction and schedule their risk reassessment. Raises ``ImportFileError`` for an unreadable file
    (including one over the size or row limits of ``common.workbooks.read_table``)."""
    errors: list[RowError] = []
    rows: list[_Row] = []
    columns: list[str] | None = None
    table = None
    try:
        table = read_table(fileobj, filename=filename, sheets=(SHEET_NAME,))
        for number, cells in table.rows:
            if columns is None:
                columns = _header_columns(cells if number == 1 else [], errors)
                if errors:
                    table.rows.close()
                    return ImportResult(filename=filename, created=0, updated=0, errors=errors)
                if number == 1:
                    continue
            if (row := _parse_row(number, cells, columns, errors)) is not None:
                rows.append(row)
    except WorkbookRejected as exc:
        raise ImportFileError(exc.reason, filename=filename, sheet=exc.sheet) from exc
    if columns is None:
        raise ImportFileError("the sheet is empty", filename=filename, sheet=table.sheet or None)
    present = {column for column in columns if column}
    plan = _Plan(rows=rows, present=present, errors=errors)
    plan.check_duplicates()
    plan.resolve()
    errors.sort(key=lambda error: error.row)
    if errors:
        return ImportResult(filename=filename, created=0, updated=0, errors=errors)
    return plan.write(filename=filename, by=by)


# --- Reading the file -------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text: numbers without a spurious '.0', dates as ISO dates."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _normalize_header(value: Any) -> str:
    return re.sub(r"[\s\-]+", "_", _text(value).lower())


def _header_columns(header: Sequence[Any], errors: list[RowError]) -> list[str]:
    """Column name per position ('' for a blank header cell); header problems go to ``errors``."""
    columns = [_normalize_header(value) for value in header]
    named = [column for column in columns if column]
    if not any(column in COLUMNS for column in named):
        errors.append(
            RowError(
                1, "(header)", "row 1 must be the header row with the column names: " + ", ".join(COLUMNS)
            )
        )
        return columns
    for position, column in enumerate(columns):
        if column and column not in COLUMNS:
            errors.append(
                RowError(1, _text(header[position]), "unknown column; expected one of: " + ", ".join(COLUMNS))
            )
        elif column and columns.index(column) != position:
            errors.append(RowError(1, column, "the column appears twice"))
    missing = [column for column in REQUIRED_COLUMNS if column not in named]
    if missing:
        errors.append(RowError(1, ", ".join(missing), "required column(s) missing: " + ", ".join(missing)))
    return columns


# --- Checking one row -------------------------------------------------------------------------------------


@dataclass
class _Row:
    number: int
    code: str = ""
    name: str = ""
    legal_name: str = ""
    category: str = ""
    tier: int | None = None
    parent_code: str = ""
    country: str = ""
    business_units: list[str] = field(default_factory=list)
    commodity: str = ""
    buyer_email: str = ""
    annual_spend: Decimal | None = None
    currency: str = ""


def _parse_row(
    number: int, cells: Sequence[Any], columns: Sequence[str], errors: list[RowError]
) -> _Row | None:
    values: dict[str, str] = {}
    for position, value in enumerate(cells):
        text = _text(value)
        column = columns[position] if position < len(columns) else ""
        if column:
            values[column] = text
        elif text:
            errors.append(
                RowError(number, f"#{position + 1}", f"value {text!r} is in a column without a header")
            )
    if not any(values.values()):
        return None  # blank line

    row = _Row(number=number)
    found: list[RowError] = []

    def fail(column: str, message: str) -> None:
        found.append(RowError(number, column, message))

    row.code = values.get("code", "")
    if not row.code:
        fail("code", "required")
    else:
        _check_field(row.code, "code", "code", fail)
    row.name = values.get("name", "")
    if not row.name:
        fail("name", "required")
    else:
        _check_field(row.name, "name", "name", fail)
    row.legal_name = values.get("legal_name", "")
    _check_field(row.legal_name, "legal_name", "legal_name", fail)

    category = re.sub(r"[\s\-]+", "_", values.get("category", "").lower())
    if category in _CATEGORIES:
        row.category = category
    elif not category:
        fail("category", "required: production or non-production")
    else:
        fail("category", f"must be production or non-production, not {values['category']!r}")

    tier_text = values.get("tier", "")
    row.tier = {"1": 1, "1.0": 1, "2": 2, "2.0": 2}.get(tier_text)
    if row.tier is None:
        fail("tier", f"must be 1 or 2, not {tier_text!r}" if tier_text else "required: 1 or 2")

    row.parent_code = values.get("parent_code", "")  # checked against the register (``_Plan.resolve``)

    country_text = values.get("country", "")
    row.country = _country_code(country_text)
    if not country_text:
        fail("country", "required: an ISO 3166 code such as CN, or the English country name")
    elif not row.country:
        fail(
            "country",
            f"unknown country {country_text!r}; use an ISO 3166 code such as CN or the English name",
        )

    seen: set[str] = set()
    for token in values.get("business_units", "").split(";"):
        token = token.strip()
        if token and token.lower() not in seen:
            seen.add(token.lower())
            row.business_units.append(token)
    row.commodity = values.get("commodity", "")
    row.buyer_email = values.get("buyer_email", "")

    spend_text = values.get("annual_spend", "")
    if spend_text:
        row.annual_spend = _parse_spend(spend_text, fail)
    row.currency = values.get("currency", "").upper()
    if row.currency:
        _check_field(row.currency, "currency", "currency", fail)
    elif spend_text:
        fail("currency", "required when annual_spend is given: a three-letter ISO 4217 code, e.g. USD")

    errors.extend(found)
    return row


def _check_field(value: str, field_name: str, column: str, fail) -> None:
    model_field = Supplier._meta.get_field(field_name)
    if model_field.max_length and len(value) > model_field.max_length:
        fail(column, f"too long: at most {model_field.max_length} characters, not {len(value)}")
        return
    try:
        model_field.run_validators(value)
    except ValidationError as exc:
        fail(column, " ".join(exc.messages))


@functools.lru_cache(maxsize=2048)  # by_name scans every country name; files repeat a few countries
def _country_code(text: str) -> str:
    if not text:
        return ""
    if len(text) in (2, 3) and text.isalpha():
        code = countries.alpha2(text)
        if code:
            return code
    return countries.by_name(text) or _COUNTRY_ALIASES.get(" ".join(text.lower().split()), "")


def _parse_spend(text: str, fail) -> Decimal | None:
    compact = text.replace("\u00a0", " ").strip()
    if compact.startswith("-"):
        fail("annual_spend", f"must not be negative, not {text!r}")
        return None
    if not (_PLAIN_NUMBER.match(compact) or _GROUPED_NUMBER.match(compact)):
        fail("annual_spend", f"not a number: {text!r} (write e.g. 1234567.89 or 1,234,567.89)")
        return None
    try:
        amount = Decimal(re.sub(r"[,' ]", "", compact))
    except InvalidOperation:  # pragma: no cover - the patterns above only let digits through
        fail("annual_spend", f"not a number: {text!r}")
        return None
    if amount != amount.quantize(Decimal("0.01")):
        fail("annual_spend", f"at most {_SPEND_FIELD.decimal_places} decimal places, not {text!r}")
        return None
    if amount >= Decimal(10) ** _SPEND_MAX_INTEGER_DIGITS:
        fail(
            "annual_spend", f"too large: at most {_SPEND_MAX_INTEGER_DIGITS} digits before the decimal point"
        )
        return None
    return amount.quantize(Decimal("0.01"))


# --- Checking against the register and writing --------------------------------------------------------------


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lookup_by_code_or_name(model, tokens: Iterable[str]) -> dict[str, Any]:
    """Rows of ``model`` by lower-cased code and name (a code wins over another row's name)."""
    wanted = sorted({token.lower() for token in tokens})
    by_code: dict[str, Any] = {}
    by_name: dict[str, Any] = {}
    for chunk in _chunks(wanted, LOOKUP_CHUNK):
        queryset = model.objects.annotate(code_lc=Lower("code"), name_lc=Lower("name")).filter(
            Q(code_lc__in=chunk) | Q(name_lc__in=chunk)
        )
        for obj in queryset:
            by_code[obj.code_lc] = obj
            by_name[obj.name_lc] = obj
    return {**by_name, **by_code}


class _Plan:
    """The rows of one file, checked against each other and the register, and written when all is well."""

    def __init__(self, *, rows: list[_Row], present: set[str], errors: list[RowError]) -> None:
        self.rows = rows
        self.present = present
        self.errors = errors
        self.first_row: dict[str, _Row] = {}
        self.suppliers: dict[str, Supplier] = {}
        self.business_units: dict[str, BusinessUnit] = {}
        self.commodities: dict[str, Commodity] = {}
        self.buyers: dict[str, Any] = {}

    def fail(self, row: _Row, column: str, message: str) -> None:
        self.errors.append(RowError(row.number, column, message))

    def check_duplicates(self) -> None:
        for row in self.rows:
            if not row.code:
                continue
            first = self.first_row.setdefault(row.code, row)
            if first is not row:
                self.fail(row, "code", f"duplicate code {row.code!r}: already on row {first.number}")

    def resolve(self) -> None:
        """Look up everything the rows name, in chunks, and report what does not exist or does not fit."""
        codes = set(self.first_row) | {row.parent_code for row in self.rows if row.parent_code}
        for chunk in _chunks(sorted(codes), LOOKUP_CHUNK):
            self.suppliers.update((s.code, s) for s in Supplier.objects.filter(code__in=chunk))
        self.business_units = _lookup_by_code_or_name(
            BusinessUnit, (token for row in self.rows for token in row.business_units)
        )
        self.commodities = _lookup_by_code_or_name(
            Commodity, (row.commodity for row in self.rows if row.commodity)
        )
        self.buyers = self._lookup_buyers({row.buyer_email.lower() for row in self.rows if row.buyer_email})

        children = self._children_outside_the_file()
        for row in self.rows:
            for token in row.business_units:
                if token.lower() not in self.business_units:
                    self.fail(row, "business_units", f"unknown business unit {token!r}; use its code or name")
            if row.commodity and row.commodity.lower() not in self.commodities:
                self.fail(row, "commodity", f"unknown commodity {row.commodity!r}; use its code or name")
            if row.buyer_email:
                buyer = self.buyers.get(row.buyer_email.lower())
                if buyer is None:
                    self.fail(
                        row,
                        "buyer_email",
                        f"no active staff user in the Procurement role has the e-mail address "
                        f"{row.buyer_email!r}",
                    )
                elif buyer is _AMBIGUOUS:
                    self.fail(
                        row, "buyer_email", f"several users have the e-mail address {row.buyer_email!r}"
                    )
            self._check_tier(row, children)

    def _lookup_buyers(self, emails: set[str]) -> dict[str, Any]:
        """Users who may be a buyer (``suppliers.models.eligible_buyers``) by e-mail, case-insensitively."""
        email_field = get_user_model().get_email_field_name()
        found: dict[str, Any] = {}
        for chunk in _chunks(sorted(emails), LOOKUP_CHUNK):
            queryset = eligible_buyers().annotate(email_lc=Lower(email_field)).filter(email_lc__in=chunk)
            for user in queryset:
                found[user.email_lc] = _AMBIGUOUS if user.email_lc in found else user
        return found

    def _final_tier(self, code: str) -> int | None:
        row = self.first_row.get(code)
        if row is not None:
            return row.tier
        supplier = self.suppliers.get(code)
        return supplier.tier if supplier is not None else None

    def _check_tier(self, row: _Row, children: dict[str, list[str]]) -> None:
        """The tier and parent rule (``services.tier_problems``), with the parent's tier as it will be once
        the file is written; a parent neither in the register nor in the file is named here."""
        if row.tier is None:
            return
        code = row.parent_code
        parent_tier = self._final_tier(code) if code else None
        first = self.first_row.get(row.code) is row
        problems = services.tier_problems(
            code=row.code,
            tier=row.tier,
            parent=code or None,
            parent_tier=parent_tier,
            children=children.get(row.code, ()) if first else (),
        )
        if "parent" not in problems and code and parent_tier is None and code not in self.first_row:
            problems["parent"] = f"no supplier with code {code!r} in the register or in this file"
        for name in ("parent", "tier"):
            if name in problems:
                self.fail(row, _COLUMN_OF_FIELD.get(name, name), problems[name])

    def _children_outside_the_file(self) -> dict[str, list[str]]:
        """Codes of the key indirect suppliers, not in this file, of each tier-1 supplier the file makes tier
        2: they would keep it as their parent."""
        demoted = sorted(
            code
            for code, row in self.first_row.items()
            if row.tier == Supplier.Tier.KEY_INDIRECT
            and code in self.suppliers
            and self.suppliers[code].tier == Supplier.Tier.DIRECT
        )
        children: dict[str, list[str]] = {}
        for chunk in _chunks(demoted, LOOKUP_CHUNK):
            for child, parent in Supplier.objects.filter(parent__code__in=chunk).values_list(
                "code", "parent__code"
            ):
                if child not in self.first_row:
                    children.setdefault(parent, []).append(child)
        return children

    # --- writing ---

    def _apply(self, supplier: Supplier, row: _Row, *, columns: set[str]) -> bool:
        """Copy the row's values for ``columns`` onto the supplier; True when anything changed.

        The parent always follows the tier: a row without parent_code is tier 1 and has none."""
        values = {
            "name": row.name,
            "legal_name": row.legal_name,
            "category": row.category,
            "tier": row.tier,
            "parent_code": self.suppliers[row.parent_code].pk if row.parent_code else None,
            "country": row.country,
            "commodity": self.commodities[row.commodity.lower()].pk if row.commodity else None,
            "buyer_email": self.buyers[row.buyer_email.lower()].pk if row.buyer_email else None,
            "annual_spend": row.annual_spend,
            "currency": row.currency,
        }
        changed = False
        for column, value in values.items():
            if column not in columns and column != "parent_code":
                continue
            attname = Supplier._meta.get_field(_FIELD_OF_COLUMN[column]).attname
            current = getattr(supplier, attname)
            if column == "country":
                current = str(current)
            if current != value:
                setattr(supplier, attname, value)
                changed = True
        return changed

    def _wanted_units(self, row: _Row) -> set[int]:
        return {self.business_units[token.lower()].pk for token in row.business_units}

    def write(self, *, filename: str, by) -> ImportResult:
        now = timezone.now()
        reason = f"Imported from {os.path.basename(filename) or filename}"[:100]
        history = {"default_user": by, "default_change_reason": reason, "default_date": now}
        rows = list(self.first_row.values())
        created: list[Supplier] = []
        updated: list[Supplier] = []
        changed: set[int] = set()  # pks of existing suppliers whose data differs from the file
        # Supplier pk -> business unit pks it must have (new suppliers; others when the column is present).
        unit_rows: dict[int, set[int]] = {}
        update_fields = [_FIELD_OF_COLUMN[column] for column in _FIELD_OF_COLUMN] + ["updated_at"]

        with transaction.atomic():
            # Tier-1 suppliers first, so that tier-2 rows can point at parents created from the same file.
            for tier in (Supplier.Tier.DIRECT, Supplier.Tier.KEY_INDIRECT):
                to_create: list[tuple[Supplier, _Row]] = []
                for row in (row for row in rows if row.tier == tier):
                    supplier = self.suppliers.get(row.code)
                    if supplier is None:
                        supplier = Supplier(
                            code=row.code, status=Supplier.Status.CANDIDATE, status_changed_at=now
                        )
                        self._apply(supplier, row, columns=set(COLUMNS))
                        to_create.append((supplier, row))
                        continue
                    if self._apply(supplier, row, columns=self.present):
                        changed.add(supplier.pk)
                    if "business_units" in self.present:
                        unit_rows[supplier.pk] = self._wanted_units(row)
                    updated.append(supplier)

                for batch in _chunks(to_create, WRITE_BATCH):
                    objs = bulk_create_with_history(
                        [supplier for supplier, _ in batch], Supplier, batch_size=WRITE_BATCH, **history
                    )
                    for supplier, (_, row) in zip(objs, batch, strict=True):
                        self.suppliers[supplier.code] = supplier
                        unit_rows[supplier.pk] = self._wanted_units(row)
                        created.append(supplier)

            changed |= self._sync_business_units(unit_rows, new={supplier.pk for supplier in created})
            really_updated = [supplier for supplier in updated if supplier.pk in changed]
            for supplier in really_updated:
                supplier.updated_at = now
            for batch in _chunks(really_updated, WRITE_BATCH):
                bulk_update_with_history(batch, Supplier, update_fields, batch_size=WRITE_BATCH, **history)

            services.reassess_after_commit(supplier.pk for supplier in created + really_updated)

        return ImportResult(
            filename=filename,
            created=len(created),
            updated=len(really_updated),
            errors=[],
            unchanged=len(updated) - len(really_updated),
        )

    def _sync_business_units(self, wanted: dict[int, set[int]], *, new: set[int]) -> set[int]:
        """Make each supplier's business units exactly the wanted ones (``new`` suppliers have none yet);
        returns the suppliers whose business units changed."""
        through = Supplier.business_units.through
        current: dict[int, dict[int, int]] = {}
        for chunk in _chunks(sorted(set(wanted) - new), LOOKUP_CHUNK):
            for link_id, supplier_id, unit_id in through.objects.filter(supplier_id__in=chunk).values_list(
                "id", "supplier_id", "businessunit_id"
            ):
                current.setdefault(supplier_id, {})[unit_id] = link_id
        stale: list[int] = []
        links: list[Any] = []
        changed: set[int] = set()
        for supplier_id, units in wanted.items():
            have = current.get(supplier_id, {})
            stale.extend(link_id for unit_id, link_id in have.items() if unit_id not in units)
            links.extend(
                through(supplier_id=supplier_id, businessunit_id=unit_id) for unit_id in units - set(have)
            )
            if set(have) != units:
                changed.add(supplier_id)
        for chunk in _chunks(stale, LOOKUP_CHUNK):
            through.objects.filter(id__in=chunk).delete()
        for chunk in _chunks(links, WRITE_BATCH):
            through.objects.bulk_create(chunk, batch_size=WRITE_BATCH)
        return changed


_AMBIGUOUS = object()
