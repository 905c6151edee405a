"""The generator of one demo supplier: its row and its related rows (lifecycle steps, contacts, agreements,
external assessments, business units), drawn from the shares and word lists of ``register_shape``.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from decimal import Decimal

from django.utils import timezone

from common import bulk
from suppliers.models import (
    MAINLAND_CHINA,
    Agreement,
    BusinessUnit,
    Commodity,
    Contact,
    ExternalAssessment,
    Supplier,
)

from .register_shape import (
    BUSINESS_WORDS,
    CHINESE_FAMILY,
    CHINESE_GIVEN,
    CONTACT_ROLES,
    COUNTRIES,
    EXIT_REASONS,
    MAINLAND_CHINA_SHARE,
    NON_PRODUCTION_COMMODITIES,
    OTHER_COUNTRIES,
    OTHER_FAMILY,
    OTHER_GIVEN,
    OVERRIDE_REASONS,
    OVERRIDE_SHARE,
    PRODUCTION_COMMODITIES,
    PRODUCTION_SHARE,
    REJECTION_REASONS,
    STATUS_WEIGHTS,
    SUSPENSION_REASONS,
    TIER2_SHARE_OF_PRODUCTION,
    USD_RATES,
    VAP_SHARE,
)

Status = Supplier.Status
Category = Supplier.Category
Kind = Agreement.Kind
Rating = ExternalAssessment.Kind


def _choice(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


class SupplierGenerator:
    """Draws every supplier from one ``random.Random(seed)`` in a fixed order, so that the same seed gives the
    same register; dates are counted back from ``now``. Related rows are queued in ``tables``."""

    def __init__(
        self, *, seed: int, now: dt.datetime, buyers: Sequence, manager, tables: dict[str, bulk.RowLoader]
    ):
        self.seed = seed
        self.rng = random.Random(seed)  # reproducible demo content, not security; reseeded per supplier
        self.now = now
        self.timezone = timezone.get_current_timezone()  # looked up once: the lookup costs more than a draw
        self.today = timezone.localdate(now, self.timezone)
        self.buyer_ids = [buyer.pk for buyer in buyers]
        self.manager_id = manager.pk
        self.tables = tables
        commodities = list(Commodity.objects.order_by("code").values_list("code", "pk"))
        self.commodity_pools = {
            Category.PRODUCTION: self._pool(commodities, PRODUCTION_COMMODITIES, production=True),
            Category.NON_PRODUCTION: self._pool(commodities, NON_PRODUCTION_COMMODITIES, production=False),
        }
        units = list(BusinessUnit.objects.order_by("code").values_list("code", "pk"))
        self.corporate = [pk for code, pk in units if code == "corporate"]
        self.product_units = [pk for code, pk in units if code != "corporate"] or [pk for _, pk in units]
        self.tier1_production: list[int] = []

    @staticmethod
    def _pool(commodities: list[tuple[str, int]], weights: dict[str, int], *, production: bool) -> dict:
        """(code, pk) of the commodities for a category with their weights; a commodity added in the admin
        counts as production unless it is one of the known non-production ones."""
        pool = {
            (code, pk): weights.get(code, 3)
            for code, pk in commodities
            if (code not in NON_PRODUCTION_COMMODITIES) == production
        }
        return pool or dict.fromkeys(commodities, 1)

    def _days_ago(self, days: int) -> dt.datetime:
        return self.now - dt.timedelta(days=days, minutes=self.rng.randrange(0, 8 * 60))

    def supplier(self, index: int, code: str) -> dict:
        """One supplier's row (its related rows are queued in ``tables``). Each supplier draws from its own
        stream, so that one supplier's dates (counted back from now) cannot change what the next is: the
        same seed gives the same suppliers whenever it runs."""
        self.rng = rng = random.Random(f"{self.seed}:{index}")
        country = MAINLAND_CHINA if rng.random() < MAINLAND_CHINA_SHARE else _choice(rng, OTHER_COUNTRIES)
        cities, stems, suffix, _, _ = COUNTRIES[country]
        category = Category.PRODUCTION if rng.random() < PRODUCTION_SHARE else Category.NON_PRODUCTION
        parent_index = None
        if category == Category.PRODUCTION:
            if self.tier1_production and rng.random() < TIER2_SHARE_OF_PRODUCTION:
                parent_index = rng.choice(self.tier1_production)
            else:
                self.tier1_production.append(index)
        tier = Supplier.Tier.DIRECT if parent_index is None else Supplier.Tier.KEY_INDIRECT
        pool = self.commodity_pools[category]
        commodity_code, commodity_id = _choice(rng, pool) if pool else (None, None)
        stem_list = stems.split()
        brand = rng.choice(stem_list) + rng.choice(stem_list).lower()
        name = f"{brand} {BUSINESS_WORDS.get(commodity_code, 'Industrial')}"
        legal_name = f"{rng.choice(cities.split()).replace('-', ' ')} {name} {suffix}"
        status = _choice(rng, STATUS_WEIGHTS)
        if category == Category.PRODUCTION or not self.corporate:
            count = rng.choices([1, 2, 3], [6, 3, 1])[0]
            units = rng.sample(self.product_units, k=min(len(self.product_units), count))
        else:
            units = self.corporate
        for unit in sorted(units):
            self.tables["business_units"].add(supplier_id=index, businessunit_id=unit)
        spend, currency = self._spend(country=country, category=category, tier=tier, status=status)
        row = {
            "index": index,
            "code": code,
            "name": name,
            "legal_name": legal_name,
            "category": category.value,
            "tier": tier.value,
            "parent_id": parent_index,
            "commodity_id": commodity_id,
            "country": country,
            "buyer_id": rng.choice(self.buyer_ids),
            "annual_spend": spend,
            "currency": currency,
            "strategic": tier == Supplier.Tier.DIRECT
            and category == Category.PRODUCTION
            and rng.random() < 0.05,
            "status": status,
            "created_at": self.now,
            "updated_at": self.now,
        }
        admitted_at = self._transitions(row)
        self._override(row)
        self._contacts(row, brand=brand)
        self._assessments(index, category=category)
        self._agreements(index, admitted_at=admitted_at)  # last: how many renewals depends on today
        return row

    def _spend(self, *, country: str, category: str, tier: int, status: str) -> tuple[Decimal | None, str]:
        rng = self.rng
        usd = rng.lognormvariate(13.8 if category == Category.PRODUCTION else 12.0, 1.2)
        if tier == Supplier.Tier.KEY_INDIRECT:
            usd /= 4
        if status in (Status.CANDIDATE, Status.SCREENING, Status.REJECTED) and rng.random() < 0.6:
            return None, ""
        currency = (
            "USD" if rng.random() < (0.15 if country == MAINLAND_CHINA else 0.5) else COUNTRIES[country][4]
        )
        return Decimal(f"{usd / USD_RATES[currency]:.2f}"), currency

    def _transitions(self, row: dict) -> dt.datetime | None:
        """The lifecycle steps that led to the supplier's status; returns when it was admitted, if it was."""
        rng, status = self.rng, row["status"]
        if status == Status.CANDIDATE:
            row["status_changed_at"] = self._days_ago(rng.randrange(1, 60))
            return None
        admitted_at = rejected_at = None
        if status == Status.SCREENING:
            screening_at = self._days_ago(rng.randrange(1, 90))
        elif status == Status.REJECTED:
            rejected_at = self._days_ago(rng.randrange(10, 700))
            screening_at = rejected_at - dt.timedelta(days=rng.randrange(15, 90))
        else:
            admitted_at = self._days_ago(rng.randrange(60 if status == Status.ADMITTED else 400, 6 * 365))
            screening_at = admitted_at - dt.timedelta(days=rng.randrange(15, 90), hours=rng.randrange(0, 24))
        steps = [(Status.CANDIDATE, Status.SCREENING, row["buyer_id"], screening_at, "", False, [])]
        if rejected_at is not None:
            reason, red_line = rng.choice(REJECTION_REASONS)
            steps.append((Status.SCREENING, status, self.manager_id, rejected_at, reason, red_line, [reason]))
        if admitted_at is not None:
            steps.append((Status.SCREENING, Status.ADMITTED, self.manager_id, admitted_at, "", False, []))
        if status in (Status.SUSPENDED, Status.EXITED):
            left_at = self._days_ago(rng.randrange(1, (self.now - admitted_at).days - 30))
            reason = rng.choice(SUSPENSION_REASONS if status == Status.SUSPENDED else EXIT_REASONS)
            steps.append((Status.ADMITTED, status, self.manager_id, left_at, reason, False, []))
        for from_status, to_status, by_id, at, reason, red_line, unmet in steps:
            self.tables["transitions"].add(
                supplier_id=row["index"],
                from_status=from_status,
                to_status=to_status,
                by_id=by_id,
                at=at,
                reason=reason,
                red_line=red_line,
                unmet_conditions=unmet,
            )
        row["status_changed_at"] = steps[-1][3]
        return admitted_at

    def _override(self, row: dict) -> None:
        """A few admitted suppliers, and half of the suspended ones, carry a manual high-risk override."""
        suspended = row["status"] == Status.SUSPENDED
        if row["status"] in (Status.ADMITTED, Status.SUSPENDED) and self.rng.random() < (
            0.5 if suspended else OVERRIDE_SHARE
        ):
            row["risk_override_level"] = "high"
            row["risk_override_reason"] = (
                "Suspended: high risk until the suspension is lifted."
                if suspended
                else self.rng.choice(OVERRIDE_REASONS)
            )
            row["risk_override_by_id"] = self.manager_id
            row["risk_override_at"] = max(row["status_changed_at"], self._days_ago(self.rng.randrange(1, 90)))

    def _contacts(self, row: dict, *, brand: str) -> None:
        rng, country = self.rng, row["country"]
        chinese = country in (MAINLAND_CHINA, "TW", "HK")
        families, givens = (CHINESE_FAMILY, CHINESE_GIVEN) if chinese else (OTHER_FAMILY, OTHER_GIVEN)
        contact_roles = [Contact.Role.ESG, *rng.sample(CONTACT_ROLES, k=rng.choices([0, 1, 2], [2, 5, 3])[0])]
        domain = f"{brand.lower()}-{row['code'].lower()}.example.com"
        seen: set[str] = set()
        for position, role in enumerate(contact_roles):
            given, family = rng.choice(givens), rng.choice(families)
            local = f"{given}.{family}".lower()
            if local in seen:
                local = f"{local}{position}"
            seen.add(local)
            self.tables["contacts"].add(
                supplier_id=row["index"],
                name=f"{family} {given}" if chinese else f"{given} {family}",
                email=f"{local}@{domain}",
                phone=f"{COUNTRIES[country][3]} {rng.randrange(10**8, 10**9)}",
                role=role.value,
                is_primary=position == 0,
            )

    def _agreements(self, index: int, *, admitted_at: dt.datetime | None) -> None:
        """Admitted suppliers signed all three before admission (a CSR Agreement runs three years and is
        usually renewed); candidates and suppliers in screening are often still collecting signatures."""
        rng, table = self.rng, self.tables["agreements"]
        for kind in (Kind.CSR_AGREEMENT, Kind.CODE_OF_CONDUCT, Kind.INTEGRITY_COMMITMENT):
            runs = 3 * 365 if kind == Kind.CSR_AGREEMENT else None
            if admitted_at is not None:
                signed_on = timezone.localdate(admitted_at, self.timezone) - dt.timedelta(
                    days=rng.randrange(1, 30)
                )
            else:
                draw = rng.random()
                if draw < 0.3:
                    continue  # not sent yet
                if draw < 0.6:
                    table.add(supplier_id=index, kind=kind.value, signed_on=None)  # sent, not signed
                    continue
                signed_on = self.today - dt.timedelta(days=rng.randrange(1, 200))
            while True:
                expires_on = signed_on + dt.timedelta(days=runs) if runs else None
                table.add(
                    supplier_id=index,
                    kind=kind.value,
                    signed_on=signed_on,
                    signed_by="General Manager",
                    expires_on=expires_on,
                )
                lapsed = rng.random() < 0.1
                if expires_on is None or expires_on >= self.today or lapsed:
                    break  # in force, or expired and not renewed
                signed_on = expires_on - dt.timedelta(days=rng.randrange(0, 30))

    def _assessments(self, index: int, *, category: str) -> None:
        rng, table = self.rng, self.tables["assessments"]
        if rng.random() < VAP_SHARE * (1.3 if category == Category.PRODUCTION else 0.1):
            on = self.today - dt.timedelta(days=rng.randrange(30, 975))  # about a quarter older than 2 years
            table.add(
                supplier_id=index,
                kind=Rating.RBA_VAP.value,
                score=Decimal(f"{rng.triangular(120, 200, 172):.1f}"),
                scale_max=Decimal(200),
                assessed_on=on,
                valid_until=on + dt.timedelta(days=730),
                reference=f"VAP-{on:%Y}-{rng.randrange(10000, 99999)}",
            )
        draw = rng.random()
        on = self.today - dt.timedelta(days=rng.randrange(30, 700))
        if draw < 0.08:
            table.add(
                supplier_id=index,
                kind=Rating.ECOVADIS.value,
                score=Decimal(rng.randrange(30, 81)),
                scale_max=Decimal(100),
                assessed_on=on,
                valid_until=on + dt.timedelta(days=365),
            )
        elif draw < 0.2:
            table.add(
                supplier_id=index,
                kind=Rating.RBA_SAQ.value,
                score=Decimal(rng.randrange(55, 100)),
                scale_max=Decimal(100),
                assessed_on=on,
            )
