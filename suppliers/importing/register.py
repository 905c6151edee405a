"""The rows of one file checked against each other and the register: duplicate codes, business units,
commodities and buyers that must exist, and the tier / parent rule (``services.tier_problems``) with each
parent's tier as it will be once the file is written. Lookups go in chunks, never a query per row."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.db.models.functions import Lower

from .. import services
from ..models import BusinessUnit, Commodity, Supplier, eligible_buyers
from .result import RowError
from .rows import COLUMN_OF_FIELD, Row

LOOKUP_CHUNK = 1000  # codes, e-mails, names per lookup query
_AMBIGUOUS = object()  # an e-mail address that several eligible buyers share


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _lookup_by_code_or_name(model, tokens: Iterable[str]) -> dict[str, Any]:
    """Rows of ``model`` by lower-cased code and name (a code wins over another row's name)."""
    wanted = sorted({token.lower() for token in tokens})
    by_code: dict[str, Any] = {}
    by_name: dict[str, Any] = {}
    for chunk in chunks(wanted, LOOKUP_CHUNK):
        queryset = model.objects.annotate(code_lc=Lower("code"), name_lc=Lower("name")).filter(
            Q(code_lc__in=chunk) | Q(name_lc__in=chunk)
        )
        for obj in queryset:
            by_code[obj.code_lc] = obj
            by_name[obj.name_lc] = obj
    return {**by_name, **by_code}


class Plan:
    """The rows of one file, checked against each other and the register (``writing.write`` writes them)."""

    def __init__(self, *, rows: list[Row], present: set[str], errors: list[RowError]) -> None:
        self.rows = rows
        self.present = present
        self.errors = errors
        self.first_row: dict[str, Row] = {}
        self.suppliers: dict[str, Supplier] = {}
        self.business_units: dict[str, BusinessUnit] = {}
        self.commodities: dict[str, Commodity] = {}
        self.buyers: dict[str, Any] = {}

    def fail(self, row: Row, column: str, message: str) -> None:
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
        for chunk in chunks(sorted(codes), LOOKUP_CHUNK):
            self.suppliers.update((s.code, s) for s in Supplier.objects.filter(code__in=chunk))
        self.business_units = _lookup_by_code_or_name(
            BusinessUnit, (token for row in self.rows for token in row.business_units)
        )
        self.commodities = _lookup_by_code_or_name(
            Commodity, (row.commodity for row in self.rows if row.commodity)
        )
        self.buyers = self._lookup_buyers({row.buyer_email.lower() for row in self.rows if row.buyer_email})

        children = self._children_outside_the_file()
        unreadable = {(error.row, error.column) for error in self.errors}
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
            if (row.number, "currency") not in unreadable:
                self._check_spend(row, spend_written=(row.number, "annual_spend") in unreadable)

    def _lookup_buyers(self, emails: set[str]) -> dict[str, Any]:
        """Users who may be a buyer (``suppliers.models.eligible_buyers``) by e-mail, case-insensitively."""
        email_field = get_user_model().get_email_field_name()
        found: dict[str, Any] = {}
        for chunk in chunks(sorted(emails), LOOKUP_CHUNK):
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

    def _check_tier(self, row: Row, children: dict[str, list[str]]) -> None:
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
                self.fail(row, COLUMN_OF_FIELD.get(name, name), problems[name])

    def _check_spend(self, row: Row, *, spend_written: bool) -> None:
        """Annual spend and its currency go together (``services.spend_problems``), as they will be once the
        file is written: a column the file leaves out keeps the register's value. A spend written but not
        readable (``spend_written``, already reported) still needs its currency."""
        existing = self.suppliers.get(row.code) if self.first_row.get(row.code) is row else None
        spend = (
            row.annual_spend if "annual_spend" in self.present else getattr(existing, "annual_spend", None)
        )
        if spend_written:
            spend = spend if spend is not None else Decimal(0)
        currency = row.currency if "currency" in self.present else getattr(existing, "currency", "")
        for name, message in services.spend_problems(annual_spend=spend, currency=currency).items():
            self.fail(row, name, message)

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
        for chunk in chunks(demoted, LOOKUP_CHUNK):
            for child, parent in Supplier.objects.filter(parent__code__in=chunk).values_list(
                "code", "parent__code"
            ):
                if child not in self.first_row:
                    children.setdefault(parent, []).append(child)
        return children
