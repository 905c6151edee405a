"""Local demo setup: a realistic, reproducible supplier register and a working admin login.

``demo_seed`` builds a register shaped like the reference ESG reports: about 89% of suppliers in mainland
China, three in four production suppliers, four in five direct (tier 1) with key indirect (tier 2)
suppliers linked to a tier-1 parent, most admitted with the lifecycle steps that got them there, contacts,
agreements (about 90% with a CSR Agreement in force), RBA VAP reports for about 30%, and a few risk
overrides by the ESG manager; then the risk model is applied to every supplier. The same seed gives the
same suppliers; only dates move with today.

Suppliers, their creation history, contacts, agreements, assessments, lifecycle steps and business units
are inserted in bulk, one ``COPY`` on PostgreSQL (elsewhere one ``executemany``) per table and chunk of
suppliers, because the ORM's per-value work in ``bulk_create`` alone took minutes for 100,000 suppliers.

``admin_login_ensure`` makes sure a superuser exists and gives it a password that can be shown to whoever
runs the project locally.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

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
    BusinessUnit,
    Commodity,
    Contact,
    ExternalAssessment,
    RiskAssessment,
    StatusTransition,
    Supplier,
)
from suppliers.risk import risk_refresh

Status = Supplier.Status
Category = Supplier.Category
Kind = Agreement.Kind
Rating = ExternalAssessment.Kind

BUYER_COUNT = 10
ESG_MANAGER_USERNAME = "esg.manager"
CODE_PREFIX = "V"
CODE_START = 100_000


def _pairs(text: str, cast=int) -> dict:
    return {key: cast(value) for key, value in (pair.split(":") for pair in text.split())}


def _words(text: str) -> list[str]:
    return text.split()


MAINLAND_CHINA_SHARE = 0.89
# The other 11%, weighted roughly like an electronics maker's supply base.
OTHER_COUNTRIES = _pairs("TW:26 VN:16 IN:11 JP:10 KR:9 MY:7 TH:5 HK:5 US:5 MX:4 DE:3 SG:2 PH:2")
PRODUCTION_SHARE = 0.75
TIER2_SHARE_OF_PRODUCTION = 0.27  # about 20% of all suppliers
STATUS_WEIGHTS = _pairs("admitted:86 candidate:3 screening:4 suspended:2 rejected:2 exited:3")
VAP_SHARE = 0.30
OVERRIDE_SHARE = 0.015  # admitted suppliers the ESG manager has put on high risk by hand

PRODUCTION_COMMODITIES = _pairs(
    "final-assembly:4 pcb:8 battery:5 display:5 semiconductors:6 mechanical-parts:14 plastics:10 "
    "electronic-components:16 cables-connectors:8 camera-modules:5 chemicals:6 packaging:10"
)
NON_PRODUCTION_COMMODITIES = _pairs("logistics:30 facility-services:25 it-services:25 marketing:20")
BUSINESS_WORDS = {
    "final-assembly": "Electronics Manufacturing",
    "pcb": "Circuit Technology",
    "battery": "New Energy",
    "display": "Optoelectronics",
    "semiconductors": "Microelectronics",
    "mechanical-parts": "Precision Metal",
    "plastics": "Plastic Products",
    "electronic-components": "Electronic Components",
    "cables-connectors": "Connector Technology",
    "camera-modules": "Optical Technology",
    "chemicals": "New Materials",
    "packaging": "Packaging",
    "logistics": "Supply Chain",
    "facility-services": "Property Services",
    "it-services": "Information Technology",
    "marketing": "Culture Media",
}

# country: (cities, name stems, legal suffix, phone prefix, local currency)
COUNTRIES = {
    "CN": (
        "Shenzhen Dongguan Suzhou Kunshan Shanghai Huizhou Zhuhai Ningbo Wuxi Chongqing Chengdu Xiamen Hefei "
        "Wuhan Zhengzhou Changsha Foshan Guangzhou Tianjin Qingdao Hangzhou Nanjing Jiangmen Zhongshan",
        "Hua Xin Tai Jia Long Sheng Feng Hong Da Rui Yuan Hai Tian Jin Heng Cheng Kang Mei An Bo Chuang De "
        "Fu Guang Hao Li Ming Qi Wei Xiang Yi Zhi Zhong Shun Yao Jun",
        "Co., Ltd.",
        "+86",
        "CNY",
    ),
    "TW": (
        "Hsinchu Taoyuan Taichung New-Taipei Tainan Kaohsiung",
        "Chin Hsin Kuang Yung Tai Shun Fu Chia Ho Wei Lien Ting",
        "Corp.",
        "+886",
        "TWD",
    ),
    "HK": (
        "Kowloon Kwun-Tong Tsuen-Wan Sha-Tin",
        "Chin Hsin Kuang Yung Tai Shun Fu Chia Ho Wei Lien Ting",
        "Limited",
        "+852",
        "HKD",
    ),
    "VN": (
        "Bac-Ninh Hai-Phong Thai-Nguyen Binh-Duong Dong-Nai Hanoi",
        "Viet Thanh Phu Minh An Hoa Tien Phat Dai",
        "Vietnam Co., Ltd.",
        "+84",
        "VND",
    ),
    "IN": (
        "Chennai Noida Bengaluru Pune Sriperumbudur Hyderabad",
        "Shree Bharat Sai Surya Laxmi Ganesh Kiran Ashok Vishal Navin",
        "Pvt. Ltd.",
        "+91",
        "INR",
    ),
    "JP": (
        "Osaka Nagoya Yokohama Kyoto Hamamatsu Sendai",
        "Kyowa Sanwa Daiichi Tokai Hokuto Meisei Asahi Koyo Shinwa Taisei",
        "Co., Ltd.",
        "+81",
        "JPY",
    ),
    "KR": (
        "Suwon Gumi Cheonan Incheon Changwon",
        "Hanil Daesung Samjin Woori Seoyon Hanmi Jinyoung Dongil Sewon Kukdong",
        "Co., Ltd.",
        "+82",
        "KRW",
    ),
    "MY": (
        "Penang Johor-Bahru Kulim Ipoh",
        "Permata Mega Jaya Sinar Cahaya Bintang Maju Setia",
        "Sdn. Bhd.",
        "+60",
        "MYR",
    ),
    "TH": (
        "Rayong Ayutthaya Chonburi Pathum-Thani",
        "Siam Chao Rattana Sombat Kasem Prasert",
        "Co., Ltd.",
        "+66",
        "THB",
    ),
    "SG": ("Singapore", "Merlion Orchid Harbour Lion Straits", "Pte. Ltd.", "+65", "SGD"),
    "PH": ("Laguna Cebu Batangas", "Luzon Mabuhay Bayani Tala Dakila", "Inc.", "+63", "PHP"),
    "MX": (
        "Guadalajara Monterrey Tijuana Juarez",
        "Sierra Bajio Azteca Norte Pacifico",
        "S.A. de C.V.",
        "+52",
        "MXN",
    ),
    "US": (
        "Austin San-Jose Phoenix Portland Columbus",
        "Summit Pioneer Cascade Lakeside Keystone Redwood Granite",
        "Inc.",
        "+1",
        "USD",
    ),
    "DE": (
        "Stuttgart Munich Dresden Nuremberg Hamburg",
        "Rhein Nord Berg Schwarz Weiss Linden Adler Falken",
        "GmbH",
        "+49",
        "EUR",
    ),
}
USD_RATES = _pairs(
    "USD:1 CNY:0.14 EUR:1.08 JPY:0.0067 KRW:0.00073 TWD:0.031 HKD:0.128 INR:0.012 VND:0.000039 MYR:0.22 "
    "THB:0.029 MXN:0.055 PHP:0.017 SGD:0.75",
    float,
)

CHINESE_FAMILY = _words("Wang Li Zhang Liu Chen Yang Huang Zhao Wu Zhou Xu Sun Ma Zhu Hu Guo He Lin Luo Gao")
CHINESE_GIVEN = _words(
    "Wei Fang Na Min Jing Lei Yan Jun Yong Jie Tao Ming Chao Xiu Hui Ping Gang Hong Ying Bin"
)
OTHER_FAMILY = _words(
    "Nguyen Tran Sharma Patel Tanaka Suzuki Kim Park Tan Lim Garcia Lopez Smith Miller Weber"
)
OTHER_GIVEN = _words(
    "Anh Linh Priya Rahul Yuki Kenji Minjun Seoyeon Ahmad Maria Carlos Emily Michael Anna Jose"
)
# (family, given) names of buyer01..buyer10
BUYER_NAMES = [
    n.split(".")
    for n in _words("Li.Na Wang.Jun Zhang.Min Chen.Tao Liu.Yan Zhao.Lei Huang.Jing Zhou.Bin Wu.Fang Xu.Hui")
]
CONTACT_ROLES = [Contact.Role.SALES, Contact.Role.QUALITY, Contact.Role.EHS, Contact.Role.MINERALS,
                 Contact.Role.MANAGEMENT]  # fmt: skip

SUSPENSION_REASONS = [
    "Priority finding not rectified within 30 days; suspended pending a follow-up audit.",
    "Corrective action plan overdue for more than 30 days; flagged at escalation stage 3.",
    "Monthly rectification progress reports missing for three months.",
]
EXIT_REASONS = [
    "Business relationship ended: part discontinued.",
    "Consolidated into another supplier after a sourcing review.",
    "Repeated red-line issue (untrue working-hour records); relationship terminated.",
]
REJECTION_REASONS = [
    ("Open red-line finding: wages below the local legal minimum. Not admitted until rectified.", True),
    ("Open red-line finding: unmanaged fire hazards in the warehouse. Not admitted until rectified.", True),
    ("No ESG evidence: no RBA VAP report, and the onboarding audit was not passed.", False),
    ("CSR Agreement not signed after three requests.", False),
]
OVERRIDE_REASONS = [
    "Media report of forced overtime at the supplier's main site; special investigation planned.",
    "Customer complaint about hazardous waste handling; high risk until the follow-up audit.",
    "Sub-supplier linked to an RMAP non-conformant smelter; due diligence in progress.",
]


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
    own, it plans for the empty tables it last saw (the dashboard took a minute instead of 0.1 s)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            names = ", ".join(connection.ops.quote_name(model._meta.db_table) for model in tables)
            cursor.execute(f"ANALYZE {names}")
        elif connection.vendor == "sqlite":
            cursor.execute("ANALYZE")


def _choice(rng: random.Random, weights: dict):
    return rng.choices(list(weights), weights=list(weights.values()))[0]


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


class _Generator:
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
            generator = _Generator(seed=seed, now=now, buyers=buyers, manager=manager, tables=tables)
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
