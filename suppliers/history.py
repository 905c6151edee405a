"""History records of many suppliers at once, for the batch jobs (risk refresh, escalation flags)."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection
from django.utils import timezone

from .models import Supplier

_IDS_PER_STATEMENT = 10_000  # keeps a statement well under SQLite's 1 MB limit on its length


def supplier_history_copy(
    supplier_ids: list[int], *, reason: str, at: dt.datetime | None = None, by=None
) -> None:
    """One history record per supplier with ``reason``, copied from the supplier's row in the database by
    ``INSERT ... SELECT``: what django-simple-history's ``bulk_history_create`` stores, without loading the
    suppliers. Call it after the rows changed, in the same transaction."""
    if not supplier_ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = Supplier.history.model
    user = by or history.get_default_history_user(Supplier())
    given = {
        "history_date": at or timezone.now(),
        "history_change_reason": reason,
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }
    source = {f.attname: f.column for f in Supplier._meta.concrete_fields}
    tracked = {f.attname for f in history.tracked_fields}
    quote = connection.ops.quote_name
    columns, selected, params = [], [], []
    for field in history._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in tracked:
            selected.append(f"s.{quote(source[field.attname])}")
        else:
            selected.append("%s")
            value = given[field.attname] if field.attname in given else field.get_default()
            params.append(field.get_db_prep_save(value, connection))
    # Table and column names come from the models, never from input.
    sql = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) "  # noqa: S608
        f"SELECT {', '.join(selected)} FROM {quote(Supplier._meta.db_table)} s "
        f"WHERE s.{quote(Supplier._meta.pk.column)} IN "
    )
    with connection.cursor() as cursor:
        for start in range(0, len(supplier_ids), _IDS_PER_STATEMENT):
            # Integers, written out: no parameter limit, and no per-parameter work in the driver.
            ids = ", ".join(str(int(pk)) for pk in supplier_ids[start : start + _IDS_PER_STATEMENT])
            cursor.execute(f"{sql}({ids})", params)
