"""What an item kind is, for the reminder mechanism. The kinds themselves are listed in ``kinds.py``.

A kind says which items are open and when each is due, as a queryset, so that the daily scan can find the
stage every item has reached in the database, in batches, without loading items into memory. It also says
how to describe a batch of items (for the digests and the supplier page): title, due date, admin and portal
links, supplier and who must act, read as plain values in a fixed number of queries whatever the batch's size.

A kind speaks to two readers. The outside party that must act (a supplier contact, an auditor) reads its
``label`` and ``action`` in their own language (both are translatable, and ``describe`` builds titles with
``gettext``, so that they come out in the language active when it runs). Staff read, in English, what the
supplier has not done: ``"<code> <name> <staff_summary> (<when>)"``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db.models import QuerySet
from django.urls import reverse
from django.utils.functional import Promise

StrOrPromise = str | Promise

IdRange = tuple[int, int]  # lowest and highest item id of one batch of the scan, both included


class OpenItems(Protocol):
    def __call__(self, today: dt.date, within: IdRange | None = None) -> QuerySet: ...


@dataclass(frozen=True)
class ItemInfo:
    title: str  # in the active language, e.g. "AUD-2026-00012-F02 A2 Young Workers (Priority, red line 1)"
    url: str  # path of the admin page, e.g. "/admin/audits/finding/12/change/"
    responsible: tuple[str, ...] | None = None  # e-mails of who must act; None: the supplier's contacts
    due: dt.date | None = None  # the item's own due date, where it has one
    supplier_id: int | None = None
    # Path of the portal page where the outside party (supplier contact, auditor) acts on the item.
    portal_url: str = ""


def admin_link(viewname: str) -> Callable[[int], str]:
    """The admin URL of an object by its primary key, resolved once for a whole batch of items."""
    marker = 987654321
    head, tail = reverse(viewname, args=[marker]).split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def portal_link(viewname: str) -> Callable[[int], str]:
    """The portal URL of an object by its primary key (``portal:<viewname>``), resolved once per batch."""
    return admin_link(f"portal:{viewname}")


def portal_page(viewname: str) -> str:
    """The portal URL of a page without an object (``portal:<viewname>``)."""
    return reverse(f"portal:{viewname}")


@dataclass(frozen=True)
class ItemKind:
    """One kind of item that can be due and overdue.

    ``open_items(today)`` returns a queryset over the kind's base model, annotated with ``r_item`` (the item's
    id: the base model's primary key, by which the scan batches), ``r_supplier`` (its supplier's id),
    ``r_due`` (the due date) and ``r_period`` (the date the ladder counts from: usually the due date itself,
    so that a moved deadline starts a new ladder). Items that are closed are simply not in it: closing an
    item stops its reminders.

    The scan calls ``open_items(today, within=(low, high))`` once per batch of item ids and keeps only the
    items in that range itself. A kind whose query has a subquery correlated with the item's id (``NOT
    EXISTS`` a plan, a report) limits that subquery to the same range: PostgreSQL does not carry a range
    across a join, so an unbounded anti-join would read the related table from its first row in every batch.
    """

    key: str
    label: StrOrPromise  # translatable: "Corrective action plan due"
    open_items: OpenItems
    # ``describe(ids)``: the items that still exist, by id, in a fixed number of queries that read values (no
    # model instances); callers pass ids in batches (``services.items.DESCRIBE_BATCH``).
    describe: Callable[[Sequence[int]], dict[int, ItemInfo]]
    action: StrOrPromise  # translatable, to the party that must act: "Submit your corrective action plan"
    # To staff, in English, after the supplier's code and name: "has not submitted its corrective action plan"
    staff_summary: str
    due_soon_days: int | None = None  # stage 0 this many days ahead (default: the ladder's stage 0 offset)
    max_stage: int = 3


_kinds: dict[str, ItemKind] = {}


def register(kind: ItemKind) -> ItemKind:
    if kind.key in _kinds and _kinds[kind.key] != kind:
        raise ValueError(f"Reminder kind {kind.key!r} is registered twice.")
    _kinds[kind.key] = kind
    return kind


def all_kinds() -> list[ItemKind]:
    from . import kinds  # noqa: F401 - the one place where kinds are declared

    return list(_kinds.values())


def get(key: str) -> ItemKind:
    all_kinds()
    return _kinds[key]
