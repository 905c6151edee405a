"""The annual audit plan: who is proposed, why, by which agency, and the planned audits it creates."""

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audits import planning, services
from audits.models import Audit
from suppliers.models import Supplier
from tests.factories import AuditAgencyFactory, AuditFactory, SupplierFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 16)
YEAR = 2027
Status = Supplier.Status


def supplier(risk="high", **kwargs) -> Supplier:
    return SupplierFactory(status=kwargs.pop("status", Status.ADMITTED), risk_level=risk, **kwargs)


def audited(supplier: Supplier, *, ended: dt.date, band="medium", agency=None) -> Audit:
    """A completed (accepted) audit of ``supplier`` that ended on ``ended``."""
    return AuditFactory(
        supplier=supplier,
        agency=agency or AuditAgencyFactory(),
        status=Audit.Status.ACCEPTED,
        planned_start=ended - dt.timedelta(days=2),
        planned_end=ended,
        actual_start=ended - dt.timedelta(days=2),
        actual_end=ended,
        score=Decimal("150") if band == "low" else Decimal("170"),
        performance_band=band,
    )


def proposed(**kwargs) -> dict[str, planning.Proposal]:
    return {p.supplier.code: p for p in planning.propose_plan(year=YEAR, today=TODAY, **kwargs)}


def test_a_high_risk_supplier_never_audited_is_proposed_for_high_risk():
    never = supplier("high", code="HIGH-NEW")

    proposal = proposed()["HIGH-NEW"]

    assert proposal.supplier == never
    assert proposal.reasons[:2] == ["high risk", "never audited"]
    assert proposal.type == Audit.Type.ANNUAL
    assert proposal.last_audit_on is None


def test_a_high_risk_supplier_audited_in_the_last_six_months_is_not_proposed():
    recent = supplier("high", code="HIGH-RECENT")
    audited(recent, ended=dt.date(2026, 7, 1))  # four and a half months ago
    older = supplier("high", code="HIGH-OLDER")
    audited(older, ended=dt.date(2026, 4, 1))  # seven months ago

    codes = proposed()

    assert "HIGH-RECENT" not in codes
    assert codes["HIGH-OLDER"].reasons[:2] == ["high risk", "no audit in 7 months"]


def test_a_medium_risk_supplier_is_proposed_13_months_after_its_last_audit_but_not_6():
    due = supplier("medium", code="MED-13")
    audited(due, ended=dt.date(2025, 10, 10))
    recent = supplier("medium", code="MED-6")
    audited(recent, ended=dt.date(2026, 5, 10))

    codes = proposed()

    assert codes["MED-13"].reasons == ["medium risk", "no audit in 13 months"]
    assert "MED-6" not in codes


def test_the_medium_interval_is_a_parameter():
    recent = supplier("medium", code="MED-6")
    audited(recent, ended=dt.date(2026, 5, 10))

    assert "MED-6" in proposed(medium_risk_interval_months=6)


def test_a_low_performer_is_proposed_again_soon_after_its_audit():
    low = supplier("medium", code="LOW-PERF")
    audited(low, ended=dt.date(2026, 8, 3), band="low")

    proposal = proposed()["LOW-PERF"]

    assert proposal.reasons == ["medium risk", "no audit in 3 months", "last audit: low performer"]
    assert proposal.last_band_label == "Low performer"


def test_low_risk_suppliers_are_proposed_only_when_strategic_tier1_and_never_audited():
    supplier("low", code="LOW-STRATEGIC", strategic=True)
    supplier("low", code="LOW-PLAIN")
    audited(supplier("low", code="LOW-AUDITED", strategic=True), ended=dt.date(2023, 1, 5))

    codes = proposed()

    assert "strategic tier-1 supplier, baseline audit" in codes["LOW-STRATEGIC"].reasons
    assert "LOW-PLAIN" not in codes
    assert "LOW-AUDITED" not in codes


def test_only_admitted_and_screening_suppliers_and_non_production_only_when_high_risk():
    supplier("high", code="CANDIDATE", status=Status.CANDIDATE)
    supplier("high", code="SUSPENDED", status=Status.SUSPENDED)
    supplier("medium", code="SERVICES-MED", category=Supplier.Category.NON_PRODUCTION)
    supplier("high", code="SERVICES-HIGH", category=Supplier.Category.NON_PRODUCTION)
    supplier("medium", code="SCREENING", status=Status.SCREENING)

    codes = proposed()

    assert sorted(codes) == ["SCREENING", "SERVICES-HIGH"]
    assert codes["SCREENING"].type == Audit.Type.ONBOARDING
    assert "onboarding: screening without a completed audit" in codes["SCREENING"].reasons


def test_a_supplier_with_an_audit_already_planned_that_year_is_skipped():
    planned = supplier("high", code="PLANNED")
    AuditFactory(supplier=planned, planned_start=dt.date(2027, 4, 5), planned_end=dt.date(2027, 4, 7))
    cancelled = supplier("high", code="CANCELLED")
    AuditFactory(
        supplier=cancelled,
        status=Audit.Status.CANCELLED,
        planned_start=dt.date(2027, 4, 5),
        planned_end=dt.date(2027, 4, 7),
    )
    last_year = supplier("high", code="PLANNED-2026")
    AuditFactory(supplier=last_year, planned_start=dt.date(2026, 12, 7), planned_end=dt.date(2026, 12, 9))

    codes = proposed()

    assert "PLANNED" not in codes
    assert "CANCELLED" in codes
    assert "PLANNED-2026" in codes


def test_proposals_come_highest_priority_first():
    supplier("medium", code="A-MEDIUM")
    audited(supplier("medium", code="B-LOW-PERFORMER"), ended=dt.date(2026, 8, 3), band="low")
    supplier("high", code="C-HIGH")

    order = [(p.supplier.code, p.priority) for p in planning.propose_plan(year=YEAR, today=TODAY)]

    # risk weight + months since the last audit (never: 36) + 50 low performer + 20 production + 10 tier 1
    assert order == [
        ("C-HIGH", 300 + 36 + 30),
        ("B-LOW-PERFORMER", 200 + 3 + 50 + 30),
        ("A-MEDIUM", 200 + 36 + 30),
    ]


def test_the_agency_that_audited_the_supplier_last_is_suggested_again():
    previous = AuditAgencyFactory(name="Zeta Audits")
    AuditAgencyFactory(name="Alpha Audits")  # idle, but continuity wins
    returning = supplier("high", code="RETURNING")
    audited(returning, ended=dt.date(2025, 9, 1), agency=previous)

    assert proposed()["RETURNING"].agency == previous


def test_new_suppliers_go_to_the_active_agency_with_the_fewest_audits_planned_that_year():
    busy = AuditAgencyFactory(name="Alpha Audits")
    idle = AuditAgencyFactory(name="Beta Audits")
    AuditAgencyFactory(name="Aaa Closed Audits", active=False)
    for month in (3, 4):
        AuditFactory(agency=busy, planned_start=dt.date(YEAR, month, 1), planned_end=dt.date(YEAR, month, 2))
    for code in ("NEW-1", "NEW-2", "NEW-3"):
        supplier("high", code=code)

    suggested = {code: p.agency.name for code, p in proposed().items()}

    # Beta takes two (0 → 2); then both have two and the tie goes by name.
    assert suggested == {"NEW-1": "Beta Audits", "NEW-2": "Beta Audits", "NEW-3": "Alpha Audits"}
    assert idle.name == "Beta Audits"


def test_a_previous_agency_that_is_no_longer_active_is_not_suggested():
    gone = AuditAgencyFactory(name="Gone Audits")
    current = AuditAgencyFactory(name="Current Audits")
    returning = supplier("high", code="RETURNING")
    audited(returning, ended=dt.date(2025, 9, 1), agency=gone)
    gone.active = False
    gone.save()

    assert proposed()["RETURNING"].agency == current


def test_create_planned_audits_creates_them_once(admin_user):
    AuditAgencyFactory(name="Alpha Audits")
    supplier("high", code="S-HIGH")
    supplier("medium", code="S-SCREEN", status=Status.SCREENING)
    proposals = planning.propose_plan(year=YEAR, today=TODAY)

    created = planning.create_planned_audits(proposals=proposals, year=YEAR, by=admin_user)

    assert [(a.supplier.code, a.status, a.type) for a in created] == [
        ("S-HIGH", "planned", "annual"),
        ("S-SCREEN", "planned", "onboarding"),
    ]
    for audit in created:
        assert audit.reference == f"AUD-{YEAR}-{audit.pk:05d}"
        assert audit.planned_start.year == YEAR
        assert audit.planned_start.weekday() == 0  # a Monday
        assert audit.planned_end == audit.planned_start + dt.timedelta(days=2)
        assert audit.agency.name == "Alpha Audits"
        assert audit.history.earliest().history_user == admin_user

    again = planning.create_planned_audits(proposals=proposals, year=YEAR, by=admin_user)

    assert again == []
    assert Audit.objects.count() == 2
    assert planning.propose_plan(year=YEAR, today=TODAY) == []


def test_planned_audits_are_spread_over_the_months_highest_priority_first(admin_user):
    AuditAgencyFactory()
    for n in range(6):
        supplier("high" if n < 3 else "medium", code=f"S{n}")
    proposals = planning.propose_plan(year=YEAR, today=TODAY)

    created = planning.create_planned_audits(proposals=proposals, year=YEAR, by=admin_user, start_month=7)

    assert [(a.supplier.code, a.planned_start.month) for a in created] == [
        ("S0", 7),
        ("S1", 8),
        ("S2", 9),
        ("S3", 10),
        ("S4", 11),
        ("S5", 12),
    ]


def test_creating_without_an_active_agency_is_refused_and_creates_nothing(admin_user):
    supplier("high", code="S-HIGH")
    proposals = planning.propose_plan(year=YEAR, today=TODAY)
    assert proposals[0].agency is None

    with pytest.raises(services.Invalid, match="No active audit agency to assign S-HIGH"):
        planning.create_planned_audits(proposals=proposals, year=YEAR, by=admin_user)

    assert not Audit.objects.exists()


def _suppliers(count: int, *, start: int) -> None:
    agencies = [AuditAgencyFactory() for _ in range(3)]
    for i in range(count):
        s = supplier(["high", "medium", "low"][i % 3], code=f"Q{start + i:05d}", strategic=i % 2 == 0)
        if i % 4 == 0:
            audited(
                s, ended=dt.date(2025, 1 + i % 12, 10), band=["low", "medium"][i % 2], agency=agencies[i % 3]
            )


def test_proposing_runs_the_same_two_queries_for_10_and_100_suppliers(django_assert_max_num_queries):
    _suppliers(10, start=0)
    with CaptureQueriesContext(connection) as few:
        small = planning.propose_plan(year=YEAR, today=TODAY)

    _suppliers(90, start=10)
    with django_assert_max_num_queries(2), CaptureQueriesContext(connection) as many:
        large = planning.propose_plan(year=YEAR, today=TODAY)

    assert len(large) > len(small) > 0
    assert len(many) == len(few)
