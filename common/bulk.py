"""Set-based writes for the batch jobs (risk refresh, escalation flags, demo data, the reminder scan):
many rows in one statement, with the model's own field conversions, so that a job's cost does not grow
with a query per row. Table and column names always come from the models, never from input."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.conf import settings
from django.db import connection, models
from django.db.models import BooleanField, Expression, F, Q
from django.utils import timezone

_IDS_PER_STATEMENT = 10_000  # keeps a statement well under SQLite's 1 MB limit on its length


def history_copy(
    model: type[models.Model], ids: Sequence[int], *, reason: str, at: dt.datetime | None = None, by=None
) -> None:
    """One history record per row of ``model`` (tracked by django-simple-history) with ``reason``, copied
    from the row in the database by ``INSERT ... SELECT``: what ``bulk_history_create`` stores, without
    loading the rows. Call it after the rows changed, in the same transaction."""
    if not ids or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    user = by or history.get_default_history_user(model())
    given = {
        "history_date": at or timezone.now(),
        "history_change_reason": reason,
        "history_type": "~",
        "history_user_id": user.pk if user is not None else None,
    }
    source = {f.attname: f.column for f in model._meta.concrete_fields}
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
        f"SELECT {', '.join(selected)} FROM {quote(model._meta.db_table)} s "
        f"WHERE s.{quote(model._meta.pk.column)} IN "
    )
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _IDS_PER_STATEMENT):
            # Integers, written out: no parameter limit, and no per-parameter work in the driver.
            ids = ", ".join(str(int(pk)) for pk in ids[start : start + _IDS_PER_STATEMENT])
            cursor.execute(f"{sql}({ids})", params)


def history_copy_each(
    model: type[models.Model],
    rows: Sequence[tuple],
    *,
    fields: Sequence[str] = ("history_change_reason",),
    history_type: str = "~",
    at: dt.datetime | None = None,
    by=None,
) -> None:
    """``history_copy`` with values of its own for each record: one history record per row of ``rows``,
    ``(pk, *values)`` with a value for each of ``fields`` (history fields: by default the change reason; a
    status and its time for a lifecycle step), in the rows' order, the other fields copied from the row in the
    database by ``INSERT ... SELECT`` (``history_type`` "+" for rows just created). Values are as the bulk
    statements take them (date-times as ISO text on PostgreSQL); fit reasons to their column first
    (``common.history.fit_change_reason``). On PostgreSQL the rows go as one JSON parameter joined to the
    table; elsewhere one ``executemany``."""
    if not rows or not getattr(settings, "SIMPLE_HISTORY_ENABLED", True):
        return
    history = model.history.model
    user = by or history.get_default_history_user(model())
    given = {
        "history_date": at or timezone.now(),
        "history_type": history_type,
        "history_user_id": user.pk if user is not None else None,
    }
    of_row = {name: position for position, name in enumerate(fields, 1)}
    source = {f.attname: f.column for f in model._meta.concrete_fields}
    tracked = {f.attname for f in history.tracked_fields}
    quote = connection.ops.quote_name
    postgresql = connection.vendor == "postgresql"
    columns: list[str] = []
    selected: list[str] = []
    params: list = []  # the constants, on PostgreSQL
    slots: list = []  # each placeholder's value elsewhere: a position in the row (int) or a constant (tuple)
    for field in history._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(quote(field.column))
        if field.attname in of_row:
            position = of_row[field.attname]
            selected.append(
                f"CAST(e->>{position} AS {field.cast_db_type(connection)})" if postgresql else "%s"
            )
            slots.append(position)
        elif field.attname in tracked:
            selected.append(f"s.{quote(source[field.attname])}")
        else:
            value = given[field.attname] if field.attname in given else field.get_default()
            selected.append("%s")
            params.append(field.get_db_prep_save(value, connection))
            slots.append((params[-1],))
    insert = (
        f"INSERT INTO {quote(history._meta.db_table)} ({', '.join(columns)}) SELECT {', '.join(selected)}"
    )
    table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
    # Table and column names come from the models, never from input.
    with connection.cursor() as cursor:
        if postgresql:
            cursor.execute(
                f"{insert} FROM jsonb_array_elements(CAST(%s AS jsonb)) WITH ORDINALITY AS x(e, n) "
                f"JOIN {table} s ON s.{pk} = CAST(e->>0 AS bigint) ORDER BY x.n",
                [*params, json.dumps([[int(row[0]), *row[1:]] for row in rows])],
            )
            return
        cursor.executemany(
            f"{insert} FROM {table} s WHERE s.{pk} = %s",
            [
                [row[slot] if isinstance(slot, int) else slot[0] for slot in slots] + [int(row[0])]
                for row in rows
            ],
        )


def insert_rows(
    model: type[models.Model], varying: Sequence[str], rows: list[tuple], *, given: dict, returning: Sequence
) -> list[tuple]:
    """Insert ``rows`` of the ``varying`` fields' values, with ``given`` values (else the field's default) for
    the model's other fields; returns the ``returning`` fields of the new rows, in no particular order.

    Values are as the database takes them, JSON as its text and decimals as strings. PostgreSQL gets the rows
    as one JSON parameter unpacked by ``json_array_elements``: psycopg prepares parameters one by one in
    Python, and multi-row VALUES for 5,000 assessments have 45,000 of them. Other databases get multi-row
    VALUES in chunks under their parameter limit."""
    meta = model._meta
    quote = connection.ops.quote_name
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    position = {meta.get_field(name): i for i, name in enumerate(varying)}
    constants = {
        f: f.get_db_prep_save(given[f.name] if f.name in given else f.get_default(), connection)
        for f in fields
        if f not in position
    }
    columns = ", ".join(quote(f.column) for f in fields)
    back = ", ".join(quote(f.column) for f in returning)
    # Table and column names come from the model, never from input.
    insert = f"INSERT INTO {quote(meta.db_table)} ({columns})"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            values = ", ".join(
                f"CAST(e->>{position[f]} AS {f.cast_db_type(connection)})" if f in position else "%s"
                for f in fields
            )
            cursor.execute(
                f"{insert} SELECT {values} FROM jsonb_array_elements(CAST(%s AS jsonb)) AS e "  # noqa: S608
                f"RETURNING {back}",
                [*constants.values(), json.dumps(rows)],
            )
            return cursor.fetchall()
        results: list[tuple] = []
        per_statement = (connection.features.max_query_params or len(rows) * len(fields)) // len(fields)
        placeholders = f"({', '.join(['%s'] * len(fields))})"
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            cursor.execute(
                f"{insert} VALUES {', '.join([placeholders] * len(chunk))} RETURNING {back}",
                [row[position[f]] if f in position else constants[f] for row in chunk for f in fields],
            )
            results.extend(cursor.fetchall())
        return results


def update_rows(model: type[models.Model], names: Sequence[str], rows: list[tuple]) -> None:
    """Set the fields ``names`` of the rows ``(pk, *values)`` (values as for ``insert_rows``): on PostgreSQL
    one ``UPDATE ... FROM json_array_elements(...)``, elsewhere one ``executemany``."""
    meta = model._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    fields = [meta.get_field(name) for name in names]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            assignments = ", ".join(
                f"{quote(f.column)} = CAST(e->>{i} AS {f.cast_db_type(connection)})"
                for i, f in enumerate(fields, start=1)
            )
            # Table and column names come from the model, never from input.
            cursor.execute(
                f"UPDATE {table} SET {assignments} FROM jsonb_array_elements(CAST(%s AS jsonb)) AS e "  # noqa: S608
                f"WHERE {table}.{quote(meta.pk.column)} = CAST(e->>0 AS {meta.pk.cast_db_type(connection)})",
                [json.dumps(rows)],
            )
        else:
            assignments = ", ".join(f"{quote(f.column)} = %s" for f in fields)
            cursor.executemany(
                f"UPDATE {table} SET {assignments} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608
                [(*values, pk) for pk, *values in rows],
            )


class _AnyOfIds(Expression):
    """``field = ANY(ids)`` on PostgreSQL: the ids go as one array parameter, where ``field IN (…)`` has one
    parameter per id for the driver to write into the query (5,000 a batch)."""

    output_field = BooleanField()

    def __init__(self, field: str, ids: Sequence[int]):
        super().__init__()
        self.target = F(field)
        self.ids = [int(i) for i in ids]

    def get_source_expressions(self):
        return [self.target]

    def set_source_expressions(self, exprs):
        (self.target,) = exprs

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.target)
        return f"{sql} = ANY(CAST(%s AS bigint[]))", [*params, self.ids]


def ids_in(field: str, ids: Sequence[int]) -> Q | Expression:
    """A filter on ``field`` being one of ``ids``, for a batch of thousands of ids."""
    if connection.vendor == "postgresql":
        return _AnyOfIds(field, ids)
    return Q(**{f"{field}__in": list(ids)})


class RowLoader:
    """Rows of one table, added one by one and inserted with one ``COPY`` (PostgreSQL) or ``executemany``
    per ``flush``.

    A row is a dict of attribute names to values; fields left out get their model default (``auto_now``
    fields get the seeding time), so that a field added to a model later needs no change here. ``refs`` name
    the attributes that hold a parent row's position in the run, replaced by its primary key at flush time.
    Values are converted for the database by the fields themselves (dates, times, decimals, JSON)."""

    CONVERTED = (models.DateField, models.DecimalField, models.JSONField)  # DateTimeField is a DateField

    def __init__(self, model: type[models.Model], *, now: dt.datetime, label: str, refs: Sequence[str] = ()):
        self.model = model
        meta = model._meta
        self.fields = [f for f in meta.concrete_fields if not isinstance(f, models.AutoField)]
        self.defaults = {
            f.attname: now
            if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False)
            else f.get_default()
            for f in self.fields
        }
        quote = connection.ops.quote_name
        columns = ", ".join(quote(f.column) for f in self.fields)
        placeholders = ", ".join(["%s"] * len(self.fields))
        # Table and column names come from the model, never from input.
        self.sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        self.copy_sql = f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN"
        self.converted = [(i, f) for i, f in enumerate(self.fields) if isinstance(f, self.CONVERTED)]
        self.refs = tuple(refs)
        self.label = label
        self.pending: list[dict] = []
        self.total = 0
        self._cache: dict = {}

    def add(self, **values) -> None:
        self.pending.append(values)

    def _converter(self, f: models.Field):
        ops = connection.ops
        if isinstance(f, models.DateTimeField):
            return ops.adapt_datetimefield_value
        if isinstance(f, models.DateField):
            return ops.adapt_datefield_value
        if isinstance(f, models.DecimalField):
            return lambda value: ops.adapt_decimalfield_value(value, f.max_digits, f.decimal_places)
        return lambda value: ops.adapt_json_value(value, f.encoder)

    def flush(self, pks: dict[int, int]) -> None:
        converters = [(i, self._converter(f), isinstance(f, models.DateTimeField)) for i, f in self.converted]
        cache = self._cache
        rows = []
        for values in self.pending:
            for ref in self.refs:
                if values.get(ref) is not None:
                    values[ref] = pks[values[ref]]
            row = [values.get(name, default) for name, default in self.defaults.items()]
            for i, convert, cached in converters:
                value = row[i]
                if value is None:
                    continue
                if cached:  # datetimes are the slowest to convert, and often the same
                    if value not in cache:
                        cache[value] = convert(value)
                    row[i] = cache[value]
                else:
                    row[i] = convert(value)
            rows.append(row)
        if len(cache) > 100_000:
            cache.clear()
        if rows:
            with connection.cursor() as cursor:
                if connection.vendor == "postgresql":
                    # COPY: several times faster than executemany, which runs one INSERT per row.
                    with cursor.cursor.copy(self.copy_sql) as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(self.sql, rows)
        self.total += len(rows)
        self.pending = []
