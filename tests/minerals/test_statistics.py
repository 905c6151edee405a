"""Smelter figures for a reporting year over the declarations that count (one accepted per supplier and
family), and the due diligence each supplier owes on non-conformant and unknown smelters."""

from __future__ import annotations

import pytest

from devtools.management.commands.bench_cmrt_import import SmelterEntry
from minerals.models import DueDiligenceAction, RmapStatus
from minerals.selectors import smelter_statistics
from tests.factories import SupplierFactory
from tests.minerals import test_declarations as declarations
from tests.minerals.test_declarations import import_file, make_smelter

pytestmark = pytest.mark.django_db

cmrt_parser = declarations.cmrt_parser  # the CMRT parser (real or stand-in)

YEAR = 2025


@pytest.fixture
def three_suppliers():
    """Three suppliers with overlapping smelters: 3 gold (2 conformant), 2 tin (1 conformant, 1 active),
    1 cobalt (not enrolled) — 6 unique smelters in 4 countries, 3 of them conformant."""
    g1 = make_smelter("CID000011", "Gold One", "gold", "JP")
    g2 = make_smelter("CID000012", "Gold Two", "gold", "CH")
    g3 = make_smelter("CID000013", "Gold Three", "gold", "CH", RmapStatus.NOT_ENROLLED)
    t1 = make_smelter("CID000021", "Tin One", "tin", "ID")
    t2 = make_smelter("CID000022", "Tin Two", "tin", "ID", RmapStatus.ACTIVE)
    c1 = make_smelter("CID000031", "Cobalt One", "cobalt", "CN", RmapStatus.NOT_ENROLLED)

    def entry(smelter):
        return SmelterEntry(
            smelter.get_metal_display(), smelter.name, smelter.country.name, smelter.smelter_id
        )

    a, b, c = SupplierFactory(code="A"), SupplierFactory(code="B"), SupplierFactory(code="C")
    import_file(a, [entry(g1), entry(g2), entry(t1)], year=YEAR)
    import_file(
        b, [entry(g1), entry(g3), entry(t1), entry(t2), SmelterEntry("Tin", "Mystery Tin", "PERU")], year=YEAR
    )
    import_file(b, [entry(c1)], year=YEAR, family="EMRT")
    import_file(c, [entry(g2)], year=YEAR)
    # Neither a superseded nor a rejected file counts, nor another year.
    import_file(c, [entry(g2), SmelterEntry("Gold", "Old Gold", "PERU")], year=YEAR - 1)
    return {"suppliers": (a, b, c)}


def test_statistics_count_unique_smelters_countries_and_conformant_shares(three_suppliers):
    c = three_suppliers["suppliers"][2]
    extra = make_smelter("CID000099", "Superseded Gold", "gold", "PE")
    import_file(
        c, [SmelterEntry("Gold", extra.name, "PERU", extra.smelter_id)], year=YEAR, company=""
    )  # rejected
    assert smelter_statistics(year=YEAR) == {
        "smelters_total": 6,
        "countries": 4,
        "conformant_pct": 50.0,
        "by_mineral": {
            "cobalt": {"smelters": 1, "conformant": 0, "conformant_pct": 0.0},
            "gold": {"smelters": 3, "conformant": 2, "conformant_pct": 66.7},
            "tin": {"smelters": 2, "conformant": 1, "conformant_pct": 50.0},
        },
    }


def test_a_superseding_declaration_replaces_the_suppliers_smelters(three_suppliers):
    a = three_suppliers["suppliers"][0]
    import_file(a, [SmelterEntry("Gold", "Gold One", "JAPAN", "CID000011")], year=YEAR)
    # Gold Two is still declared by C, Tin One by B: nothing disappears; then C drops Gold Two.
    assert smelter_statistics(year=YEAR)["smelters_total"] == 6
    c = three_suppliers["suppliers"][2]
    import_file(c, [SmelterEntry("Gold", "Gold One", "JAPAN", "CID000011")], year=YEAR)
    figures = smelter_statistics(year=YEAR)
    assert figures["smelters_total"] == 5
    assert figures["by_mineral"]["gold"] == {"smelters": 2, "conformant": 1, "conformant_pct": 50.0}


def test_empty_year_gives_zeros():
    assert smelter_statistics(year=1999) == {
        "smelters_total": 0,
        "countries": 0,
        "conformant_pct": 0.0,
        "by_mineral": {},
    }


def test_due_diligence_falls_on_the_non_conformant_and_unknown_smelters_each_supplier_reports(
    three_suppliers,
):
    """The rule the figures read (``minerals.conformance``) also opens the actions: the smelters that need due
    diligence or replacement are those not counted as conformant, and not active."""
    due_diligence = (
        DueDiligenceAction.objects.open()
        .filter(year=YEAR, kind=DueDiligenceAction.Kind.DUE_DILIGENCE)
        .select_related("supplier", "smelter", "declared")
    )
    assert sorted({action.supplier.code for action in due_diligence}) == ["B"]
    non_conformant = due_diligence.filter(reason=DueDiligenceAction.Reason.NON_CONFORMANT)
    assert sorted(action.smelter.smelter_id for action in non_conformant) == ["CID000013", "CID000031"]
    unknown = due_diligence.filter(reason=DueDiligenceAction.Reason.UNKNOWN)
    assert [(action.metal, action.declared.name) for action in unknown] == [("tin", "Mystery Tin")]


def test_figures_take_a_fixed_number_of_queries(three_suppliers, django_assert_max_num_queries):
    for number in range(5):
        import_file(SupplierFactory(), [SmelterEntry("Tin", f"Unknown Tin {number}", "PERU")], year=YEAR)
    with django_assert_max_num_queries(2):
        smelter_statistics(year=YEAR)
