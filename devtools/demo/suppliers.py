"""The demo register's seeding run: ``demo_seed`` and the summary it prints.

``demo_seed`` builds a register shaped like the reference ESG reports: about 89% of suppliers in mainland
China, three in four production suppliers, four in five direct (tier 1) with key indirect (tier 2)
suppliers linked to a tier-1 parent, most admitted with the lifecycle steps that got them there, contacts,
agreements (about 90% with a CSR Agreement in force), RBA VAP reports for about 30%, and a few risk
overrides by the ESG manager; then the risk model is applied to every supplier. The same seed gives the
same suppliers; only dates move with today. The shares and word lists are in ``register_shape``, the
drawing of one supplier in ``supplier_generator``.

Suppliers, their creation history, contacts, agreements, assessments, lifecycle steps and business units
are inserted in bulk through ``common.bulk.RowLoader``: one ``COPY`` on PostgreSQL (elsewhere one
``executemany``) per table and chunk of suppliers.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection, models, transaction
from django.db.models import Count
from django.utils import timezone

from common import bulk
from suppliers import roles
from suppliers.models import (
    MAINLAND_CHINA,
    Agreement,
    Contact,
    ExternalAssessment,
    RiskAssessment,
    StatusTransition,
    Supplier,
)
from suppliers.risk import risk_refresh

from .register_shape import BUYER_NAMES
from .supplier_generator import SupplierGenerator

Category = Supplier.Category

BUYER_COUNT = 10
ESG_MANAGER_USERNAME = "esg.manager"
CODE_PREFIX = "V"
CODE_START = 100_000


@dataclass(frozen=True)
class DemoSummary:
    seeded: bool
    existing: int = 0
    suppliers: int = 0
    mainland_china: int = 0
    production: int = 0
    tier2: int = 0
    statuses: dict[str, int] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    risk_levels: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)  # wall-clock seconds per phase of the run

    def __str__(self) -> str:
        if not self.seeded:
            return f"{self.existing:,} suppliers already exist; no demo data added."
        statuses = ", ".join(
            f"{n:,} {s}" for s, n in sorted(self.statuses.items(), key=lambda i: (-i[1], i[0]))
        )
        risk = ", ".join(f"{self.risk_levels.get(level, 0):,} {level}" for level in ("low", "medium", "high"))
        rows = ", ".join(f"{n:,} {table}" for table, n in self.rows.items())
        phases = ", ".join(f"{phase} {seconds:.1f} s" for phase, seconds in self.phases.items())
        return (
            f"Seeded {self.suppliers:,} suppliers ({self.mainland_china:,} mainland China, "
            f"{self.suppliers - self.mainland_china:,} other countries and regions; "
            f"{self.production:,} production; {self.tier2:,} tier 2; {statuses}) with {rows}. "
            f"Risk: {risk}. Took {self.seconds:.1f} s" + (f" ({phases})." if phases else ".")
        )


class _Stopwatch:
    """Wall-clock seconds per phase, summed over the times a phase is entered."""

    def __init__(self):
        self.seconds: dict[str, float] = {}

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started


def _tables(now: dt.datetime) -> dict[str, bulk.RowLoader]:
    return {
        "suppliers": bulk.RowLoader(Supplier, now=now, label="suppliers", refs=["parent_id"]),
        "history": bulk.RowLoader(Supplier.history.model, now=now, label="supplier history records"),
        "contacts": bulk.RowLoader(Contact, now=now, label="contacts", refs=["supplier_id"]),
        "agreements": bulk.RowLoader(Agreement, now=now, label="agreements", refs=["supplier_id"]),
        "assessments": bulk.RowLoader(
            ExternalAssessment, now=now, label="external assessments", refs=["supplier_id"]
        ),
        "transitions": bulk.RowLoader(
            StatusTransition, now=now, label="status transitions", refs=["supplier_id"]
        ),
        "business_units": bulk.RowLoader(
            Supplier.business_units.through, now=now, label="business-unit links", refs=["supplier_id"]
        ),
    }


def _analyze(tables: Sequence[type[models.Model]]) -> None:
    """Refresh the query planner's statistics of freshly filled tables: until the database does it on its
    own, it plans the dashboard's queries for the empty tables it last saw."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
            cursor.execute(f"ANALYZE {names}")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


def _demo_users() -> tuple[list, object]:
    """The buyers (buyer01..buyer10, procurement) and the ESG manager; created without usable passwords."""
    User = get_user_model()
    people = [
        (f"buyer{n:02d}", given, family, roles.PROCUREMENT)
        for n, (family, given) in enumerate(BUYER_NAMES, 1)
    ]
    people = [*people[:BUYER_COUNT], (ESG_MANAGER_USERNAME, "Mei", "Lin", roles.ESG_MANAGER)]
    users = []
    for username, given, family, role in people:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": given,
                "last_name": family,
                "email": f"{username}@example.com",
                "is_staff": True,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
        users.append(user)
    return users[:-1], users[-1]


def _next_code_number() -> int:
    codes = Supplier.objects.filter(code__regex=rf"^{CODE_PREFIX}[0-9]+$").values_list("code", flat=True)
    return max([CODE_START, *(int(code[len(CODE_PREFIX) :]) for code in codes)]) + 1


def _insert_suppliers(
    chunk: list[dict], *, tables: dict[str, bulk.RowLoader], pks: dict[int, int], now
) -> None:
    """Insert a chunk of suppliers, tier 1 first (a tier-2 supplier's parent may be in the same chunk), learn
    their primary keys from their unique codes, and record each creation in the supplier's history."""
    history = tables["history"]
    tracked = [f.attname for f in Supplier.history.model.tracked_fields]
    for tier in (Supplier.Tier.DIRECT, Supplier.Tier.KEY_INDIRECT):
        rows = [row for row in chunk if row["tier"] == tier]
        indexes = {row["code"]: row.pop("index") for row in rows}
        tables["suppliers"].pending = rows
        tables["suppliers"].flush(pks)
        for start in range(0, len(rows), 500):
            codes = [row["code"] for row in rows[start : start + 500]]
            for code, pk in Supplier.objects.filter(code__in=codes).values_list("code", "pk"):
                pks[indexes[code]] = pk
        for row in rows:
            row["id"] = pks[indexes[row["code"]]]
            history.add(
                **{name: row[name] for name in tracked if name in row},
                history_date=now,
                history_type="+",
                history_change_reason="Demo data",
            )
    history.flush(pks)


def demo_seed(
    *, suppliers: int = 2000, seed: int = 2021, if_empty: bool = False, chunk: int = 5000
) -> DemoSummary:
    """Add ``suppliers`` demo suppliers with their contacts, agreements, assessments and lifecycle steps,
    then assess the risk of every supplier. With ``if_empty``, do nothing when the register has suppliers."""
    started = time.monotonic()
    existing = Supplier.objects.count()
    if if_empty and existing:
        return DemoSummary(seeded=False, existing=existing)
    if suppliers < 1:
        raise ValueError(f"The number of suppliers to seed must be at least 1, not {suppliers}.")

    now = timezone.now()
    counts: Counter = Counter()
    statuses: Counter = Counter()
    pks: dict[int, int] = {}
    tables = _tables(now)
    watch = _Stopwatch()
    with transaction.atomic():
        with watch.phase("users"):
            buyers, manager = _demo_users()
            generator = SupplierGenerator(seed=seed, now=now, buyers=buyers, manager=manager, tables=tables)
            first_number = _next_code_number()
        for start in range(0, suppliers, chunk):
            with watch.phase("drawing suppliers"):
                planned = [
                    generator.supplier(index, f"{CODE_PREFIX}{first_number + index}")
                    for index in range(start, min(suppliers, start + chunk))
                ]
                for row in planned:
                    counts["mainland_china"] += row["country"] == MAINLAND_CHINA
                    counts["production"] += row["category"] == Category.PRODUCTION
                    counts["tier2"] += row["tier"] == Supplier.Tier.KEY_INDIRECT
                    statuses[row["status"]] += 1
            with watch.phase("inserting suppliers"):
                _insert_suppliers(planned, tables=tables, pks=pks, now=now)
            with watch.phase("inserting related rows"):
                for name in ("contacts", "agreements", "assessments", "transitions", "business_units"):
                    tables[name].flush(pks)
        committing = time.monotonic()
    watch.seconds["committing"] = time.monotonic() - committing  # deferred foreign-key checks run here

    with watch.phase("assessing risk"):
        risk_refresh()
    with watch.phase("planner statistics"):
        _analyze([t.model for t in tables.values()] + [RiskAssessment])
    with watch.phase("counting"):
        seeded = Supplier.objects.filter(pk__gte=min(pks.values()))  # this run's rows have the highest keys
        risk_levels = dict(seeded.order_by().values_list("risk_level").annotate(n=Count("pk")))
    return DemoSummary(
        seeded=True,
        existing=existing,
        suppliers=suppliers,
        mainland_china=counts["mainland_china"],
        production=counts["production"],
        tier2=counts["tier2"],
        statuses=dict(statuses),
        rows={
            t.label: t.total
            for name, t in tables.items()
            if name in ("contacts", "agreements", "assessments", "transitions")
        },
        risk_levels=risk_levels,
        seconds=time.monotonic() - started,
        phases=watch.seconds,
    )
