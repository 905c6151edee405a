import datetime as dt
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from suppliers import risk, seams
from suppliers.models import CountryRisk, RiskAssessment, RiskLevel, RiskModel, Supplier
from suppliers.tasks import refresh_all_risk
from tests.factories import CommodityFactory, ExternalAssessmentFactory, SupplierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def audit_facts():
    """Audit facts per supplier id, served through the seam the audits app uses."""
    facts: dict[int, seams.AuditFacts] = {}
    previous = seams._audit_facts_provider
    seams.register_audit_facts(lambda ids: {i: facts[i] for i in ids if i in facts})
    yield facts
    seams.register_audit_facts(previous)


def new_version(**changes) -> RiskModel:
    current = RiskModel.objects.current()
    current.pk = None
    current.version += 1
    for name, value in changes.items():
        setattr(current, name, value)
    current.save()
    return current


def factor(assessment: RiskAssessment, key: str) -> dict:
    return next(f for f in assessment.factors if f["key"] == key)


def test_the_score_is_the_weighted_sum_of_the_factors_and_every_contribution_is_stored():
    commodity = CommodityFactory(risk_score=80, name="Battery packs")
    supplier = SupplierFactory(country="VN", commodity=commodity, tier=1, category="production")

    assessment = risk.risk_assess(supplier=supplier)

    # country VN 60, commodity 80, no audit 70, no findings 0, no external rating 60, materiality 20+20+20=60
    expected = {"country": 60, "commodity": 80, "audit": 70, "findings": 0, "external": 60, "materiality": 60}
    assert {f["key"]: f["score"] for f in assessment.factors} == expected
    weights = RiskModel.objects.current().weights()
    assert assessment.score == Decimal(sum(expected[k] * weights[k] for k in expected)) / 100
    assert sum(Decimal(str(f["contribution"])) for f in assessment.factors) == assessment.score
    assert factor(assessment, "country")["detail"] == "VN: 60 in the country table"
    assert factor(assessment, "commodity")["detail"] == "Battery packs: 80"
    assert assessment.model.version == 1


def test_thresholds_map_the_score_to_a_level():
    supplier = SupplierFactory(country="DK", category="non_production")
    assessment = risk.risk_assess(supplier=supplier)
    assert assessment.score < Decimal(40)
    assert assessment.level == RiskLevel.LOW

    new_version(medium_threshold=Decimal(20), high_threshold=Decimal(30))
    assessment = risk.risk_assess(supplier=supplier)

    supplier.refresh_from_db()
    assert assessment.level == RiskLevel.HIGH
    assert supplier.risk_level == RiskLevel.HIGH
    assert assessment.model.version == 2


def test_weights_are_editable_per_version_and_must_add_up_to_100():
    supplier = SupplierFactory(country="KP")  # country score 100
    before = risk.risk_assess(supplier=supplier)

    new_version(
        weight_country=50,
        weight_commodity=10,
        weight_audit=10,
        weight_findings=10,
        weight_external=10,
        weight_materiality=10,
    )
    after = risk.risk_assess(supplier=supplier)

    assert factor(after, "country")["contribution"] == 50
    assert after.score > before.score
    with pytest.raises(IntegrityError), transaction.atomic():
        new_version(weight_country=90)


def test_a_country_missing_from_the_table_uses_the_models_default():
    CountryRisk.objects.filter(country="CN").delete()
    supplier = SupplierFactory(country="CN")

    assessment = risk.risk_assess(supplier=supplier)

    assert factor(assessment, "country")["score"] == 50
    assert factor(assessment, "country")["detail"] == "CN: not in the country table, default 50"


def test_audit_band_and_open_findings_feed_the_score(audit_facts):
    supplier = SupplierFactory()
    audit_facts[supplier.pk] = seams.AuditFacts(
        latest_band="low", latest_audit_on=dt.date(2026, 5, 4), open_findings={"major": 2, "minor": 3}
    )

    assessment = risk.risk_assess(supplier=supplier)

    assert factor(assessment, "audit")["score"] == 85
    assert factor(assessment, "audit")["detail"] == "Latest audit (2026-05-04): low performer"
    assert factor(assessment, "findings")["score"] == 2 * 20 + 3 * 5
    assert factor(assessment, "findings")["detail"] == "Open findings: 2 major, 3 minor"


def test_a_valid_vap_score_lowers_the_external_factor_and_an_expired_one_does_not_count():
    supplier = SupplierFactory()
    today = timezone.localdate()
    ExternalAssessmentFactory(
        supplier=supplier, score=Decimal("190"), assessed_on=today - dt.timedelta(days=30)
    )

    assert factor(risk.risk_assess(supplier=supplier), "external")["score"] == 5

    supplier.external_assessments.update(valid_until=today - dt.timedelta(days=1))
    assert factor(risk.risk_assess(supplier=supplier), "external")["score"] == 60


def test_an_open_red_line_finding_makes_the_supplier_high_whatever_the_score(audit_facts, esg_manager):
    supplier = SupplierFactory(country="DK", category="non_production")
    audit_facts[supplier.pk] = seams.AuditFacts(
        red_lines=(seams.RedLineIssue("F-3", "B7 fire hazards unmanaged (red line 7)"),)
    )

    assessment = risk.risk_assess(supplier=supplier)

    assert assessment.score_level == RiskLevel.LOW
    assert assessment.level == RiskLevel.HIGH
    assert assessment.hard_rules == [
        "Open red-line finding F-3: B7 fire hazards unmanaged (red line 7): high risk until rectified"
    ]
    # An override cannot lower a supplier below a hard rule.
    risk.risk_override_set(
        supplier=supplier, level=RiskLevel.LOW, reason="Fire system replaced", by=esg_manager
    )
    supplier.refresh_from_db()
    assert supplier.risk_level == RiskLevel.HIGH
    assert "a hard rule applies" in risk.explanation(supplier=supplier)[-1]


def test_the_explanation_answers_why_a_supplier_is_high_risk(audit_facts):
    supplier = SupplierFactory(country="BD")
    audit_facts[supplier.pk] = seams.AuditFacts(
        latest_band="low", latest_audit_on=dt.date(2026, 1, 10), open_findings={"priority": 2}
    )
    risk.risk_assess(supplier=supplier)
    supplier = Supplier.objects.select_related("risk_assessment__model").get(pk=supplier.pk)

    lines = risk.explanation(supplier=supplier)

    assert supplier.risk_level == RiskLevel.HIGH
    assert lines[0].startswith(f"Score {supplier.risk_score} of 100 with risk model v1")
    assert "High by the score (medium from 40.00, high from 60.00)" in lines[0]
    assert "Audit performance: 85 × 25% = 21.25 (Latest audit (2026-01-10): low performer)." in lines
    assert "Open audit findings: 80 × 20% = 16 (Open findings: 2 priority)." in lines
    assert "Country risk: 80 × 20% = 16 (BD: 80 in the country table)." in lines


def test_an_override_needs_a_reason_and_is_kept_in_history(esg_manager):
    supplier = SupplierFactory()
    risk.risk_assess(supplier=supplier)

    with pytest.raises(risk.OverrideRefused, match="needs a reason"):
        risk.risk_override_set(supplier=supplier, level=RiskLevel.HIGH, reason=" ", by=esg_manager)

    risk.risk_override_set(
        supplier=supplier, level=RiskLevel.HIGH, reason="NGO report on forced overtime", by=esg_manager
    )
    supplier.refresh_from_db()
    assert (supplier.risk_level, supplier.risk_override_by) == (RiskLevel.HIGH, esg_manager)
    record = supplier.history.first()
    assert record.history_user == esg_manager
    assert record.history_change_reason == "Risk overridden to high: NGO report on forced overtime"

    # The nightly refresh keeps the override.
    risk.risk_refresh(force=True)
    supplier.refresh_from_db()
    assert supplier.risk_level == RiskLevel.HIGH

    risk.risk_override_clear(supplier=supplier, by=esg_manager, reason="Resolved")
    supplier.refresh_from_db()
    assert supplier.risk_level == supplier.risk_assessment.level
    assert supplier.history.first().history_change_reason == "Risk override removed: Resolved"


def test_only_esg_managers_override(procurement_user):
    supplier = SupplierFactory()
    with pytest.raises(risk.OverrideRefused, match="may not override"):
        risk.risk_override_set(supplier=supplier, level=RiskLevel.LOW, reason="x", by=procurement_user)


def test_the_nightly_refresh_stores_an_assessment_only_when_something_changed():
    suppliers = SupplierFactory.create_batch(3)

    assert refresh_all_risk.delay().get() == 3
    assert refresh_all_risk.delay().get() == 0
    assert RiskAssessment.objects.count() == 3

    CountryRisk.objects.filter(country="CN").update(score=90)
    assert refresh_all_risk.delay().get() == 3
    for supplier in suppliers:
        supplier.refresh_from_db()
        assert supplier.risk_assessment.factors[0]["score"] == 90
    assert RiskAssessment.objects.count() == 6


def test_the_batch_refresh_runs_a_fixed_number_of_queries_per_batch(django_assert_max_num_queries):
    SupplierFactory.create_batch(30)
    # Per batch: suppliers, external ratings, bulk insert, bulk update, history insert (SQLite splits the
    # bulk statements further to stay under its parameter limit). Once: the model and the country table.
    with django_assert_max_num_queries(20):
        assert risk.risk_refresh(batch_size=50) == 30

    SupplierFactory.create_batch(120)
    with django_assert_max_num_queries(20):
        assert risk.risk_refresh(batch_size=200) == 120


def test_the_refresh_walks_every_supplier_in_batches():
    SupplierFactory.create_batch(25)

    assert risk.risk_refresh(batch_size=7) == 25
    assert not Supplier.objects.filter(risk_level="").exists()


def test_the_batch_refresh_records_a_level_change_in_the_supplier_history(esg_manager):
    changing = SupplierFactory(country="VN", category="production")
    steady = SupplierFactory(country="DK", category="non_production")
    risk.risk_refresh()
    changing.refresh_from_db()
    steady.refresh_from_db()
    assert (steady.risk_level, changing.risk_level) == (RiskLevel.LOW, RiskLevel.MEDIUM)
    history = {s.pk: s.history.count() for s in (changing, steady)}

    # A new model version: both get a new assessment, only the Vietnamese supplier changes level.
    new_version(high_threshold=changing.risk_score)
    assert risk.risk_refresh(by=esg_manager) == 2

    changing.refresh_from_db()
    steady.refresh_from_db()
    assert (steady.risk_level, changing.risk_level) == (RiskLevel.LOW, RiskLevel.HIGH)
    assert changing.history.count() == history[changing.pk] + 1
    record = changing.history.first()
    assert (record.risk_level, record.risk_score, record.name) == (
        RiskLevel.HIGH,
        changing.risk_score,
        changing.name,
    )
    assert (record.history_change_reason, record.history_user, record.history_type) == (
        "Risk reassessed",
        esg_manager,
        "~",
    )
    assert steady.history.count() == history[steady.pk]
    assert steady.risk_assessment.model.version == 2


def test_a_refresh_without_a_level_or_score_change_adds_no_history():
    supplier = SupplierFactory()
    risk.risk_refresh()
    assert supplier.history.filter(history_change_reason="Risk reassessed").count() == 1
    first = supplier.history.count()

    assert risk.risk_refresh(force=True) == 1
    assert risk.risk_refresh() == 0

    assert supplier.history.count() == first
    supplier.refresh_from_db()
    assert supplier.risk_assessment == supplier.risk_assessments.order_by("-computed_at", "-pk").first()


def test_each_supplier_points_at_its_own_new_assessment_across_large_batches():
    SupplierFactory.create_batch(130, country="VN")
    SupplierFactory.create_batch(20, country="KP")

    assert risk.risk_refresh(batch_size=140) == 150

    suppliers = list(Supplier.objects.select_related("risk_assessment"))
    assert len(suppliers) == RiskAssessment.objects.count() == 150
    for supplier in suppliers:
        assert supplier.risk_assessment.supplier_id == supplier.pk
        assert supplier.risk_score == supplier.risk_assessment.score
        assert factor(supplier.risk_assessment, "country")["detail"].startswith(f"{supplier.country}: ")
