"""One rule for every RMAP status (``minerals.conformance``), read by the figures and the due-diligence
actions: conformant needs nothing; active is not counted as conformant and gets a follow-up when its
assessment is due; not enrolled / non-conformant and unknown smelters get due diligence or replacement."""

from __future__ import annotations

import datetime as dt

import pytest

from devtools.management.commands.bench_cmrt_import import SmelterEntry
from minerals import conformance
from minerals.models import DueDiligenceAction, MineralsPolicy, RmapStatus, Smelter
from minerals.selectors import smelter_statistics
from reminders import registry
from tests.factories import SupplierFactory
from tests.minerals.test_declarations import YEAR, import_file, make_smelter

pytestmark = pytest.mark.django_db

Kind, Reason = DueDiligenceAction.Kind, DueDiligenceAction.Reason


def entry(smelter: Smelter) -> SmelterEntry:
    return SmelterEntry(smelter.get_metal_display(), smelter.name, smelter.country.name, smelter.smelter_id)


@pytest.fixture
def one_of_each():
    return {
        RmapStatus.CONFORMANT: make_smelter("CID000101", "Conformant Gold", "gold", "JP"),
        RmapStatus.ACTIVE: make_smelter("CID000102", "Active Gold", "gold", "CH", RmapStatus.ACTIVE),
        RmapStatus.NOT_ENROLLED: make_smelter(
            "CID000103", "Absent Gold", "gold", "PE", RmapStatus.NOT_ENROLLED
        ),
    }


def actions_of(supplier) -> dict[str, tuple[str, str, dt.date]]:
    """{smelter label's first word: (reason, kind, deadline)} of the supplier's open actions."""
    return {
        action.smelter_label.split()[0]: (action.reason, action.kind, action.deadline)
        for action in DueDiligenceAction.objects.open().filter(supplier=supplier)
    }


def test_every_rmap_status_has_a_rule():
    assert set(conformance.NEEDS) == set(RmapStatus.values)
    assert sorted(conformance.CONFORMANT_STATUSES) == [RmapStatus.CONFORMANT]


def test_each_status_gets_its_action_with_the_deadline_the_policy_gives(one_of_each):
    policy = MineralsPolicy.current()
    assert (policy.dd_deadline_days, policy.follow_up_days) == (90, 180)  # the defaults
    supplier = SupplierFactory()
    import_file(supplier, [*map(entry, one_of_each.values()), SmelterEntry("Gold", "Nameless Gold", "PERU")])

    today = dt.date.today()
    assert actions_of(supplier) == {
        # The conformant smelter needs nothing.
        "CID000102": (Reason.IN_ASSESSMENT, Kind.FOLLOW_UP, today + dt.timedelta(days=180)),
        "CID000103": (Reason.NON_CONFORMANT, Kind.DUE_DILIGENCE, today + dt.timedelta(days=90)),
        "Nameless": (Reason.UNKNOWN, Kind.DUE_DILIGENCE, today + dt.timedelta(days=90)),
    }


def test_the_follow_up_deadline_is_a_policy_setting(one_of_each):
    MineralsPolicy.objects.filter(pk=MineralsPolicy.current().pk).update(follow_up_days=120)
    supplier = SupplierFactory()
    import_file(supplier, [entry(one_of_each[RmapStatus.ACTIVE])])

    assert actions_of(supplier)["CID000102"][2] == dt.date.today() + dt.timedelta(days=120)


def test_an_active_smelter_is_not_counted_as_conformant(one_of_each):
    import_file(SupplierFactory(), [*map(entry, one_of_each.values())])

    assert smelter_statistics(year=YEAR)["by_mineral"]["gold"] == {
        "smelters": 3,
        "conformant": 1,
        "conformant_pct": 33.3,
    }


def test_a_changed_status_closes_the_action_and_opens_the_one_it_now_needs(one_of_each):
    supplier = SupplierFactory()
    active = one_of_each[RmapStatus.ACTIVE]
    import_file(supplier, [entry(active)])
    follow_up = DueDiligenceAction.objects.get(supplier=supplier)

    Smelter.objects.filter(pk=active.pk).update(rmap_status=RmapStatus.NOT_ENROLLED)
    later = import_file(supplier, [entry(active)])

    follow_up.refresh_from_db()
    assert (follow_up.status, follow_up.closed_by_declaration) == ("closed", later)
    assert "Non-conformant smelter in declaration" in follow_up.note
    assert actions_of(supplier) == {
        "CID000102": (Reason.NON_CONFORMANT, Kind.DUE_DILIGENCE, dt.date.today() + dt.timedelta(days=90))
    }

    Smelter.objects.filter(pk=active.pk).update(rmap_status=RmapStatus.CONFORMANT)
    import_file(supplier, [entry(active)])

    assert actions_of(supplier) == {}
    closed = DueDiligenceAction.objects.filter(supplier=supplier, reason=Reason.NON_CONFORMANT).get()
    assert "RMAP conformant" in closed.note


def test_follow_ups_and_due_diligence_are_reminded_with_their_own_instructions(one_of_each):
    supplier = SupplierFactory()
    import_file(supplier, [*map(entry, one_of_each.values())])
    today = dt.date.today()
    follow_up = DueDiligenceAction.objects.get(reason=Reason.IN_ASSESSMENT)
    due_diligence = DueDiligenceAction.objects.get(reason=Reason.NON_CONFORMANT)

    follow_ups = registry.get("smelter_follow_up_due")
    assert list(follow_ups.open_items(today).values_list("r_item", flat=True)) == [follow_up.pk]
    assert "RMAP assessment" in follow_ups.action
    assert follow_ups.max_stage == 2  # no suspension review over a smelter still in RMAP's assessment
    assert follow_ups.describe([follow_up.pk])[follow_up.pk].title.startswith(
        "Check the RMAP assessment's outcome for CID000102 Active Gold"
    )

    dd = registry.get("dd_action_due")
    assert list(dd.open_items(today).values_list("r_item", flat=True)) == [due_diligence.pk]
    assert "due diligence" in dd.action
