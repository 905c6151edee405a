"""Every write of a supplier's master data, and the rules it must keep. The API, the admin and the importer
all go through here: one by one with ``supplier_create`` / ``supplier_update``; the importer, which writes in
bulk, checks each row with the same ``tier_problems`` and writes only ``EDITABLE_FIELDS``.

Rules of the master data (``supplier_problems``, each problem keyed by the field at fault):
- a direct (tier 1) supplier has no parent; a key indirect (tier 2) supplier names its tier-1 parent, and
  never itself; a supplier that is some key indirect supplier's parent stays tier 1 (``tier_problems``);
- annual spend and its currency go together (``spend_problems``).
Who may be the buyer is ``models.ELIGIBLE_BUYER``, which the API's and the admin's buyer fields and the
importer read. Status and risk are not master data: they change through ``lifecycle`` and ``risk``.

A change to what the risk model reads (``RISK_INPUT_FIELDS``), and every new supplier, is reassessed once the
transaction commits (``reassess_after_commit``). The services raise ``common.exceptions.Invalid`` naming the
field; the API's and the admin's forms run ``supplier_problems`` first, to name every field at fault at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from django.db import models, transaction

from common.exceptions import Invalid

from .models import Supplier
from .tasks import schedule_risk_refresh

Tier = Supplier.Tier

# What a person may write about a supplier; everything else (status, risk, review flags) has its service.
EDITABLE_FIELDS = (
    "code",
    "name",
    "legal_name",
    "category",
    "tier",
    "parent",
    "business_units",
    "commodity",
    "country",
    "buyer",
    "annual_spend",
    "currency",
    "strategic",
)
# The master data the risk model reads (``risk.Inputs``).
RISK_INPUT_FIELDS = frozenset(
    {"country", "commodity", "tier", "category", "strategic", "annual_spend", "currency"}
)
REFRESH_CHUNK = 1000  # supplier ids per risk refresh task

NEEDS_PARENT = "A key indirect (tier 2) supplier needs its tier-1 parent: give the parent's code."
HAS_NO_PARENT = "A direct (tier 1) supplier has no parent; use tier 2 for a key indirect supplier."
OWN_PARENT = "A supplier cannot be its own parent."
SPEND_NEEDS_CURRENCY = "Annual spend needs a currency (three-letter ISO 4217 code, e.g. USD)."
CURRENCY_NEEDS_SPEND = "A currency is given without annual spend: give the spend or leave out the currency."
CHILDREN_SHOWN = 5  # key indirect suppliers named in the message about a parent that must stay tier 1


def tier_problems(
    *, code: str, tier: int, parent: str | None, parent_tier: int | None, children: Sequence[str] = ()
) -> dict[str, str]:
    """What is wrong with a supplier's tier and parent, by field (``tier``, ``parent``).

    ``parent``: the parent's code, if any; ``parent_tier``: its tier, None when not known (the caller says
    that no such supplier exists in its own words); ``children``: codes of the key indirect suppliers that
    will still name this supplier as their parent."""
    problems: dict[str, str] = {}
    if tier == Tier.KEY_INDIRECT and not parent:
        problems["parent"] = NEEDS_PARENT
    elif tier == Tier.DIRECT and parent:
        problems["parent"] = HAS_NO_PARENT
    elif parent and parent == code:
        problems["parent"] = OWN_PARENT
    elif parent and parent_tier == Tier.KEY_INDIRECT:
        problems["parent"] = (
            f"{parent} is a key indirect (tier 2) supplier; the parent must be a direct (tier 1) supplier."
        )
    if tier == Tier.KEY_INDIRECT and children:
        shown = sorted(children)
        listed = ", ".join(shown[:CHILDREN_SHOWN]) + (", ..." if len(shown) > CHILDREN_SHOWN else "")
        problems["tier"] = (
            f"{code} is the parent of key indirect suppliers ({listed}) and must stay a direct (tier 1) "
            "supplier."
        )
    return problems


def spend_problems(*, annual_spend, currency: str) -> dict[str, str]:
    """Annual spend and its currency go together."""
    if annual_spend is not None and not currency:
        return {"currency": SPEND_NEEDS_CURRENCY}
    if annual_spend is None and currency:
        return {"annual_spend": CURRENCY_NEEDS_SPEND}
    return {}


def supplier_problems(*, supplier: Supplier | None, values: dict[str, Any]) -> dict[str, str]:
    """What is wrong with ``supplier`` (None: a new one) once ``values`` are written, by field."""

    def final(name: str, default=None):
        if name in values:
            return values[name]
        return getattr(supplier, name) if supplier is not None else default

    tier = final("tier", Tier.DIRECT)
    parent = final("parent")
    children: list[str] = []
    if supplier is not None and supplier.pk and tier == Tier.KEY_INDIRECT and supplier.tier == Tier.DIRECT:
        children = list(
            Supplier.objects.filter(parent=supplier)
            .order_by("code")
            .values_list("code", flat=True)[: CHILDREN_SHOWN + 1]
        )
    return {
        **tier_problems(
            code=final("code", ""),
            tier=tier,
            parent=parent.code if parent is not None else None,
            parent_tier=parent.tier if parent is not None else None,
            children=children,
        ),
        **spend_problems(annual_spend=final("annual_spend"), currency=final("currency", "")),
    }


def _refuse_problems(*, supplier: Supplier | None, values: dict[str, Any]) -> None:
    unknown = sorted(set(values) - set(EDITABLE_FIELDS))
    if unknown:
        raise Invalid(f"Not editable: {', '.join(unknown)}.", field=unknown[0])
    for field, message in supplier_problems(supplier=supplier, values=values).items():
        raise Invalid(message, field=field)


def reassess_after_commit(supplier_ids: Iterable[int]) -> None:
    """Reassess the suppliers' risk once the current transaction commits, in tasks of ``REFRESH_CHUNK``."""
    ids = list(supplier_ids)
    for start in range(0, len(ids), REFRESH_CHUNK):
        schedule_risk_refresh(ids[start : start + REFRESH_CHUNK])


@transaction.atomic
def supplier_create(*, by, **fields) -> Supplier:
    """Register a supplier from its master data (``EDITABLE_FIELDS``); it starts as a candidate, and its risk
    is assessed after commit. Raises ``Invalid`` naming the field at fault."""
    _refuse_problems(supplier=None, values=fields)
    units = fields.pop("business_units", None)
    supplier = Supplier(**fields)
    supplier._history_user = by
    supplier.save()
    if units:
        supplier.business_units.set(units)
    reassess_after_commit([supplier.pk])
    return supplier


def _stored(supplier: Supplier, name: str):
    """The field's value as compared for a change: related objects by id, countries by code."""
    field = Supplier._meta.get_field(name)
    value = getattr(supplier, field.attname)
    return str(value) if name == "country" else value


def _given(name: str, value):
    if name == "country":
        return str(value)
    return value.pk if isinstance(value, models.Model) else value


@transaction.atomic
def supplier_update(*, supplier: Supplier, by, **fields) -> Supplier:
    """Change some of a supplier's master data (``EDITABLE_FIELDS``) and return it; nothing is written when
    nothing changes. A change the risk model reads is reassessed after commit. Raises ``Invalid`` naming the
    field at fault. ``supplier`` is updated in place."""
    locked = Supplier.objects.select_for_update().get(pk=supplier.pk)
    _refuse_problems(supplier=locked, values=fields)
    units = fields.pop("business_units", None)
    changed = [name for name, value in fields.items() if _stored(locked, name) != _given(name, value)]
    for name in changed:
        setattr(locked, name, fields[name])
    if changed:
        locked._history_user = by
        locked.save(update_fields=[*changed, "updated_at"])
    for name in changed:
        setattr(supplier, name, fields[name])
    supplier.updated_at = locked.updated_at
    if units is not None:
        supplier.business_units.set(units)
    if RISK_INPUT_FIELDS.intersection(changed):
        reassess_after_commit([supplier.pk])
    return supplier
