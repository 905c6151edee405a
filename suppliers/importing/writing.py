"""Writing a checked file in one transaction: new suppliers (tier 1 first, so that tier-2 rows can name
parents from the same file) and changed ones in bulk with history records naming the file, business units
made exactly what each row lists, and the risk reassessment scheduled after commit."""

from __future__ import annotations

import os
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from .. import services
from ..models import Supplier
from .register import LOOKUP_CHUNK, Plan, chunks
from .result import ImportResult
from .rows import COLUMNS, FIELD_OF_COLUMN, Row

WRITE_BATCH = 500  # rows per bulk statement


def write(plan: Plan, *, filename: str, by) -> ImportResult:
    """Create and update the suppliers of a checked file; the result counts what changed."""
    now = timezone.now()
    reason = f"Imported from {os.path.basename(filename) or filename}"[:100]
    history = {"default_user": by, "default_change_reason": reason, "default_date": now}
    rows = list(plan.first_row.values())
    created: list[Supplier] = []
    updated: list[Supplier] = []
    changed: set[int] = set()  # pks of existing suppliers whose data differs from the file
    # Supplier pk -> business unit pks it must have (new suppliers; others when the column is present).
    unit_rows: dict[int, set[int]] = {}
    update_fields = [FIELD_OF_COLUMN[column] for column in FIELD_OF_COLUMN] + ["updated_at"]

    with transaction.atomic():
        # Tier-1 suppliers first, so that tier-2 rows can point at parents created from the same file.
        for tier in (Supplier.Tier.DIRECT, Supplier.Tier.KEY_INDIRECT):
            to_create: list[tuple[Supplier, Row]] = []
            for row in (row for row in rows if row.tier == tier):
                supplier = plan.suppliers.get(row.code)
                if supplier is None:
                    supplier = Supplier(
                        code=row.code, status=Supplier.Status.CANDIDATE, status_changed_at=now
                    )
                    _apply(plan, supplier, row, columns=set(COLUMNS))
                    to_create.append((supplier, row))
                    continue
                if _apply(plan, supplier, row, columns=plan.present):
                    changed.add(supplier.pk)
                if "business_units" in plan.present:
                    unit_rows[supplier.pk] = _wanted_units(plan, row)
                updated.append(supplier)

            for batch in chunks(to_create, WRITE_BATCH):
                objs = bulk_create_with_history(
                    [supplier for supplier, _ in batch], Supplier, batch_size=WRITE_BATCH, **history
                )
                for supplier, (_, row) in zip(objs, batch, strict=True):
                    plan.suppliers[supplier.code] = supplier
                    unit_rows[supplier.pk] = _wanted_units(plan, row)
                    created.append(supplier)

        changed |= _sync_business_units(unit_rows, new={supplier.pk for supplier in created})
        really_updated = [supplier for supplier in updated if supplier.pk in changed]
        for supplier in really_updated:
            supplier.updated_at = now
        for batch in chunks(really_updated, WRITE_BATCH):
            bulk_update_with_history(batch, Supplier, update_fields, batch_size=WRITE_BATCH, **history)

        services.reassess_after_commit(supplier.pk for supplier in created + really_updated)

    result = ImportResult(
        filename=filename,
        created=len(created),
        updated=len(really_updated),
        errors=[],
        unchanged=len(updated) - len(really_updated),
    )
    if created or really_updated:
        result.add_years(now)  # master data is dated by when it is written
    return result


def _apply(plan: Plan, supplier: Supplier, row: Row, *, columns: set[str]) -> bool:
    """Copy the row's values for ``columns`` onto the supplier; True when anything changed.

    The parent always follows the tier: a row without parent_code is tier 1 and has none."""
    values = {
        "name": row.name,
        "legal_name": row.legal_name,
        "category": row.category,
        "tier": row.tier,
        "parent_code": plan.suppliers[row.parent_code].pk if row.parent_code else None,
        "country": row.country,
        "commodity": plan.commodities[row.commodity.lower()].pk if row.commodity else None,
        "buyer_email": plan.buyers[row.buyer_email.lower()].pk if row.buyer_email else None,
        "annual_spend": row.annual_spend,
        "currency": row.currency,
    }
    changed = False
    for column, value in values.items():
        if column not in columns and column != "parent_code":
            continue
        attname = Supplier._meta.get_field(FIELD_OF_COLUMN[column]).attname
        current = getattr(supplier, attname)
        if column == "country":
            current = str(current)
        if current != value:
            setattr(supplier, attname, value)
            changed = True
    return changed


def _wanted_units(plan: Plan, row: Row) -> set[int]:
    return {plan.business_units[token.lower()].pk for token in row.business_units}


def _sync_business_units(wanted: dict[int, set[int]], *, new: set[int]) -> set[int]:
    """Make each supplier's business units exactly the wanted ones (``new`` suppliers have none yet);
    returns the suppliers whose business units changed."""
    through = Supplier.business_units.through
    current: dict[int, dict[int, int]] = {}
    for chunk in chunks(sorted(set(wanted) - new), LOOKUP_CHUNK):
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
    for chunk in chunks(stale, LOOKUP_CHUNK):
        through.objects.filter(id__in=chunk).delete()
    for chunk in chunks(links, WRITE_BATCH):
        through.objects.bulk_create(chunk, batch_size=WRITE_BATCH)
    return changed
