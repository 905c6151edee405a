"""The demo register: reproducible for a seed, shaped like the reference reports, consistent with the
register's own rules (tier-2 parents, lifecycle history, risk levels)."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db.models import Count

from devtools.demo.suppliers import demo_seed
from suppliers.models import Supplier
from tests.factories import SupplierFactory

pytestmark = pytest.mark.django_db


def register() -> list[tuple]:
    return list(
        Supplier.objects.order_by("code").values_list(
            "code",
            "name",
            "legal_name",
            "country",
            "status",
            "category",
            "tier",
            "parent__code",
            "commodity__code",
            "annual_spend",
            "currency",
            "risk_override_level",
        )
    )


def test_the_same_seed_gives_the_same_suppliers():
    demo_seed(suppliers=150, seed=7)
    first = register()
    Supplier.objects.filter(tier=2).delete()
    Supplier.objects.all().delete()

    demo_seed(suppliers=150, seed=7)

    assert register() == first
    assert len(first) == 150


@pytest.mark.parametrize(
    "first_run, second_run",
    [("2026-03-01 00:30", "2026-09-14 23:40"), ("2026-06-30 07:59", "2027-01-01 08:01")],
)
def test_the_same_seed_gives_the_same_suppliers_whenever_it_runs(first_run, second_run):
    """Dates move with the day it runs; who the suppliers are does not."""
    with time_machine.travel(dt.datetime.fromisoformat(first_run).replace(tzinfo=dt.UTC), tick=False):
        demo_seed(suppliers=1500, seed=2021)
    first = register()
    Supplier.objects.filter(tier=2).delete()
    Supplier.objects.all().delete()

    with time_machine.travel(dt.datetime.fromisoformat(second_run).replace(tzinfo=dt.UTC), tick=False):
        demo_seed(suppliers=1500, seed=2021)

    assert register() == first


def test_another_seed_gives_other_suppliers():
    demo_seed(suppliers=150, seed=7)
    first = [row[1:] for row in register()]
    Supplier.objects.filter(tier=2).delete()
    Supplier.objects.all().delete()

    demo_seed(suppliers=150, seed=8)

    assert [row[1:] for row in register()] != first


def test_the_register_is_shaped_like_the_reference_reports():
    summary = demo_seed(suppliers=1000, seed=2021)

    suppliers = Supplier.objects.all()
    assert suppliers.count() == 1000 == summary.suppliers
    china = suppliers.filter(country="CN").count() / 1000
    production = suppliers.filter(category=Supplier.Category.PRODUCTION).count() / 1000
    tier1 = suppliers.filter(tier=Supplier.Tier.DIRECT).count() / 1000
    admitted = suppliers.filter(status=Supplier.Status.ADMITTED).count() / 1000
    assert 0.85 <= china <= 0.93
    assert 0.70 <= production <= 0.80
    assert 0.75 <= tier1 <= 0.85
    assert 0.80 <= admitted <= 0.92
    others = set(suppliers.exclude(country="CN").values_list("country", flat=True))
    assert {"TW", "VN", "IN", "JP"} <= others
    assert set(suppliers.values_list("status", flat=True)) == set(Supplier.Status.values)
    assert suppliers.filter(commodity=None).count() == 0
    assert suppliers.annotate(units=Count("business_units")).filter(units=0).count() == 0
    assert suppliers.filter(contacts__is_primary=True).distinct().count() == 1000


def test_key_indirect_suppliers_have_a_direct_parent():
    demo_seed(suppliers=400, seed=3)

    tier2 = Supplier.objects.filter(tier=Supplier.Tier.KEY_INDIRECT).select_related("parent")
    assert tier2.exists()
    assert all(s.parent.tier == Supplier.Tier.DIRECT for s in tier2)
    assert not Supplier.objects.filter(tier=Supplier.Tier.DIRECT, parent__isnull=False).exists()


def test_every_supplier_gets_a_risk_level_explained_by_an_assessment():
    demo_seed(suppliers=300, seed=5)

    assert not Supplier.objects.filter(risk_level="").exists()
    assert not Supplier.objects.filter(risk_assessment=None).exists()
    overridden = Supplier.objects.exclude(risk_override_level="")
    assert all(s.risk_level == s.risk_override_level and s.risk_override_reason for s in overridden)


def test_admitted_suppliers_carry_the_steps_that_admitted_them():
    demo_seed(suppliers=300, seed=11)

    for supplier in Supplier.objects.filter(status=Supplier.Status.ADMITTED).prefetch_related("transitions"):
        steps = [(t.from_status, t.to_status) for t in supplier.transitions.all()]
        assert steps == [("candidate", "screening"), ("screening", "admitted")], supplier.code
        admitted = supplier.transitions.all()[1]
        assert admitted.by.username == "esg.manager"
        assert admitted.at == supplier.status_changed_at
    for supplier in Supplier.objects.filter(status=Supplier.Status.REJECTED).prefetch_related("transitions"):
        last = list(supplier.transitions.all())[-1]
        assert (last.from_status, last.to_status) == ("screening", "rejected"), supplier.code
        assert last.reason and last.unmet_conditions == [last.reason]


def test_suppliers_get_history_and_buyers_from_procurement():
    demo_seed(suppliers=50, seed=1)

    supplier = Supplier.objects.first()
    assert supplier.history.filter(history_type="+").exists()
    assert supplier.buyer.username.startswith("buyer")
    assert supplier.buyer.groups.filter(name="Procurement").exists()
    assert not supplier.buyer.has_usable_password()


def test_if_empty_keeps_an_existing_register(capsys):
    SupplierFactory(code="KEEP-1", name="Existing Supplier Co., Ltd.")

    call_command("seed_demo", "--if-empty", "--suppliers", "20")

    assert list(Supplier.objects.values_list("code", flat=True)) == ["KEEP-1"]
    assert "1 suppliers already exist; no demo data added." in capsys.readouterr().out


def test_the_command_prints_a_summary(capsys):
    call_command("seed_demo", "--suppliers", "40", "--seed", "9")

    out = capsys.readouterr().out
    assert out.startswith("Seeded 40 suppliers (")
    assert "Risk: " in out
    assert Supplier.objects.count() == 40
