"""The columns of a supplier file and each row checked on its own: the header row, required values, codes and
names against the model's validators, category, tier, country, annual spend and currency."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError

from common.countries import country_code
from common.importing import Column, cell_text, normalize_header, template_workbook

from .. import services
from ..models import Supplier
from .result import RowError

SHEET_NAME = "Suppliers"
_CODE_MAX_LENGTH = Supplier._meta.get_field("code").max_length
# Each column declared once: the header check reads the names and the required ones, the template
# (``suppliers_template``) the descriptions, allowed values and examples.
SUPPLIER_COLUMNS = (
    Column(
        "code",
        "The supplier's code, unique in the register; the key a second import updates by.",
        f"letters, digits, '.', '_' and '-', at most {_CODE_MAX_LENGTH} characters",
        "SZ-001",
        True,
    ),
    Column(
        "name", "The name the supplier is known by.", "text, at most 200 characters", "Shenzhen Parts", True
    ),
    Column(
        "legal_name",
        "The registered legal name. Empty: cleared (absent column: left as it is).",
        "text, at most 255 characters; or empty",
        "Shenzhen Precision Parts Co., Ltd.",
    ),
    Column(
        "category",
        "Production suppliers make components or assemble products; non-production ones provide services.",
        "production, non-production (or non_production)",
        "production",
        True,
    ),
    Column(
        "tier",
        "1: a direct supplier; 2: a key indirect supplier, which names the tier-1 supplier it supplies.",
        "1 or 2",
        "1",
        True,
    ),
    Column(
        "parent_code",
        "For a tier-2 supplier: the code of the tier-1 supplier it supplies (in the register or the file).",
        "a supplier code; empty for tier 1",
        "",
    ),
    Column(
        "country",
        "Where the supplier is; mainland China (CN) and other countries and regions are reported apart.",
        "an ISO 3166 code (CN, TW, HK, VN...) or the English country name",
        "CN",
        True,
    ),
    Column(
        "business_units",
        "The business units the supplier serves, separated by ';'.",
        "codes or names of business units in the register, separated by ';'; or empty",
        "",
    ),
    Column(
        "commodity",
        "The commodity or process the supplier provides.",
        "the code or name of a commodity in the register; or empty",
        "",
    ),
    Column(
        "buyer_email",
        "E-mail address of the responsible buyer.",
        "the e-mail address of a user who may be a buyer; or empty",
        "",
    ),
    Column(
        "annual_spend",
        "The yearly spend with the supplier, in the currency of the next column.",
        "a number, at most two decimal places (1234567.89 or 1,234,567.89); or empty",
        "1250000",
    ),
    Column(
        "currency", "Currency of the annual spend.", "an ISO 4217 code such as CNY or USD; or empty", "CNY"
    ),
)
COLUMNS = tuple(column.name for column in SUPPLIER_COLUMNS)
REQUIRED_COLUMNS = tuple(column.name for column in SUPPLIER_COLUMNS if column.required)

# Column -> the editable field (``services.EDITABLE_FIELDS``) an existing supplier's row writes. The code
# identifies the row and business_units is the many-to-many, handled apart.
COLUMN_OF_FIELD = {"parent": "parent_code", "buyer": "buyer_email"}
FIELD_OF_COLUMN = {
    COLUMN_OF_FIELD.get(name, name): name
    for name in services.EDITABLE_FIELDS
    if COLUMN_OF_FIELD.get(name, name) in COLUMNS and name not in ("code", "business_units")
}
_PLAIN_NUMBER = re.compile(r"^\d+(\.\d+)?$")
_GROUPED_NUMBER = re.compile(r"^\d{1,3}([,' ]\d{3})+(\.\d+)?$")
_CATEGORIES = frozenset(Supplier.Category.values)
_SPEND_FIELD = Supplier._meta.get_field("annual_spend")
_SPEND_MAX_INTEGER_DIGITS = _SPEND_FIELD.max_digits - _SPEND_FIELD.decimal_places


def suppliers_template() -> bytes:
    """The .xlsx template: the header row, one example row, and a sheet explaining each column."""
    return template_workbook(sheet=SHEET_NAME, columns=SUPPLIER_COLUMNS, title="Suppliers")


def header_columns(header: Sequence[Any], errors: list[RowError]) -> list[str]:
    """Column name per position ('' for a blank header cell); header problems go to ``errors``."""
    columns = [normalize_header(value) for value in header]
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
                RowError(
                    1, cell_text(header[position]), "unknown column; expected one of: " + ", ".join(COLUMNS)
                )
            )
        elif column and columns.index(column) != position:
            errors.append(RowError(1, column, "the column appears twice"))
    missing = [column for column in REQUIRED_COLUMNS if column not in named]
    if missing:
        errors.append(RowError(1, ", ".join(missing), "required column(s) missing: " + ", ".join(missing)))
    return columns


# --- Checking one row -------------------------------------------------------------------------------------


@dataclass
class Row:
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


def parse_row(
    number: int, cells: Sequence[Any], columns: Sequence[str], errors: list[RowError]
) -> Row | None:
    values: dict[str, str] = {}
    for position, value in enumerate(cells):
        text = cell_text(value)
        column = columns[position] if position < len(columns) else ""
        if column:
            values[column] = text
        elif text:
            errors.append(
                RowError(number, f"#{position + 1}", f"value {text!r} is in a column without a header")
            )
    if not any(values.values()):
        return None  # blank line

    row = Row(number=number)
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
    row.country = country_code(country_text)
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
