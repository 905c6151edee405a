"""The onboarding gate judges a dated step on the audit record as it was at the step's date."""

import datetime as dt

import pytest
from django.utils import timezone

from audits.models import Audit
from suppliers import lifecycle, seams
from suppliers.models import Supplier
from tests.factories import AuditFactory, FindingFactory, SupplierFactory, make_admissible, provision

pytestmark = pytest.mark.django_db
Status = Supplier.Status

REPORTED = dt.date(2024, 5, 10)
CLOSED = dt.date(2024, 7, 1)


def at(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


def red_line_finding(supplier: Supplier, *, reported: dt.date = REPORTED, closed: dt.date | None = None):
    audit = AuditFactory(
        supplier=supplier,
        status=Audit.Status.ACCEPTED,
        actual_start=reported - dt.timedelta(days=20),
        actual_end=reported - dt.timedelta(days=18),
        submitted_at=at(reported),
        accepted_on=reported + dt.timedelta(days=3),
        accepted_at=at(reported + dt.timedelta(days=3)),
        score=150,
        performance_band="low",
    )
    return FindingFactory(
        audit=audit,
        provision=provision("A2"),
        severity="priority",
        red_line="1",
        description="Two workers under 16 on the night shift.",
        closed_on=closed,
        closed_at=at(closed) if closed else None,
    )


@pytest.fixture
def supplier():
    return make_admissible(SupplierFactory(status=Status.SCREENING), on=REPORTED - dt.timedelta(days=30))


def test_a_red_line_finding_counts_from_the_day_its_report_was_handed_in(supplier):
    red_line_finding(supplier)

    before = lifecycle.admission_check(supplier=supplier, on=REPORTED - dt.timedelta(days=1))
    on_the_day = lifecycle.admission_check(supplier=supplier, on=REPORTED)

    assert before.admissible, before.unmet
    assert not before.red_line
    assert on_the_day.red_line
    assert any(text.startswith("Open red-line finding AUD-") for text in on_the_day.unmet)


def test_a_red_line_finding_no_longer_counts_once_closed(supplier):
    red_line_finding(supplier, closed=CLOSED)

    assert lifecycle.admission_check(supplier=supplier, on=CLOSED - dt.timedelta(days=1)).red_line
    assert not lifecycle.admission_check(supplier=supplier, on=CLOSED).red_line
    # Today it is closed too: the facts as they are now agree.
    assert not seams.audit_facts([supplier.pk])[supplier.pk].red_lines


def test_without_a_date_the_facts_are_todays(supplier):
    red_line_finding(supplier)

    assert lifecycle.admission_check(supplier=supplier).red_line
    assert seams.audit_facts([supplier.pk])[supplier.pk].red_lines


def test_an_accepted_report_backdated_before_its_submission_counts_from_its_acceptance(supplier):
    finding = red_line_finding(supplier)
    Audit.objects.filter(pk=finding.audit_id).update(
        submitted_at=timezone.now(), accepted_on=REPORTED, accepted_at=timezone.now()
    )

    assert not lifecycle.admission_check(supplier=supplier, on=REPORTED - dt.timedelta(days=1)).red_line
    assert lifecycle.admission_check(supplier=supplier, on=REPORTED).red_line


def test_an_onboarding_audit_is_evidence_from_the_day_it_was_accepted():
    accepted = dt.date(2023, 9, 1)
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING), on=accepted)
    supplier.external_assessments.all().delete()
    AuditFactory(
        supplier=supplier,
        type=Audit.Type.ONBOARDING,
        status=Audit.Status.CLOSED,
        actual_start=accepted - dt.timedelta(days=30),
        actual_end=accepted - dt.timedelta(days=28),
        accepted_on=accepted,
        score=185,
        performance_band="high",
    )

    before = lifecycle.admission_check(supplier=supplier, on=accepted - dt.timedelta(days=1))
    after = lifecycle.admission_check(supplier=supplier, on=accepted)

    assert [c.key for c in before.conditions if not c.met] == ["esg_evidence"]
    assert after.admissible, after.unmet
    facts = seams.audit_facts([supplier.pk], on=accepted - dt.timedelta(days=1))[supplier.pk]
    assert facts.latest_band is None
    assert seams.audit_facts([supplier.pk], on=accepted)[supplier.pk].latest_band == "high"


def test_a_backdated_admission_before_the_report_is_judged_on_that_days_record(supplier, esg_manager):
    red_line_finding(supplier)

    step = lifecycle.supplier_transition(
        supplier=supplier, to=Status.ADMITTED, by=esg_manager, at=at(REPORTED - dt.timedelta(days=2))
    )

    assert step.red_line is False
    assert step.unmet_conditions == []
    supplier.refresh_from_db()
    assert supplier.status == Status.ADMITTED


def test_a_backdated_admission_while_the_red_line_was_open_is_refused(supplier, esg_manager):
    red_line_finding(supplier, closed=CLOSED)

    with pytest.raises(lifecycle.TransitionRefused) as refused:
        lifecycle.supplier_transition(
            supplier=supplier, to=Status.ADMITTED, by=esg_manager, at=at(REPORTED + dt.timedelta(days=5))
        )

    assert any("red-line" in text for text in refused.value.unmet)
    # Once it was closed, the same admission passes.
    step = lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=esg_manager, at=at(CLOSED))
    assert step.red_line is False


def test_a_rejection_for_a_red_line_issue_is_recorded_as_such(supplier, esg_manager):
    step = lifecycle.supplier_transition(
        supplier=supplier,
        to=Status.REJECTED,
        by=esg_manager,
        reason="Child labour found by the customer's own visit.",
        at=at(REPORTED),
        red_line=True,
    )

    assert step.red_line is True


def test_only_rejection_suspension_and_exit_are_taken_for_a_red_line_issue(supplier, esg_manager):
    with pytest.raises(lifecycle.TransitionRefused) as refused:
        lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=esg_manager, red_line=True)

    assert refused.value.about == "red_line"


def test_the_date_aware_facts_take_a_bounded_number_of_queries(django_assert_max_num_queries):
    suppliers = [SupplierFactory() for _ in range(5)]
    for supplier in suppliers:
        red_line_finding(supplier)

    with django_assert_max_num_queries(3):
        facts = seams.audit_facts([s.pk for s in suppliers], on=REPORTED)

    assert all(facts[s.pk].red_lines for s in suppliers)
    assert all(facts[s.pk].open_findings == {"priority": 1} for s in suppliers)


def test_facts_for_many_suppliers_at_many_days_are_those_of_each_day(django_assert_max_num_queries):
    suppliers = [SupplierFactory() for _ in range(4)]
    for supplier in suppliers:
        red_line_finding(supplier, closed=CLOSED)
    days = [REPORTED - dt.timedelta(days=1), REPORTED, CLOSED, None]
    pairs = [(s.pk, day) for s in suppliers for day in days]

    with django_assert_max_num_queries(3 * len(days)):  # by the day, never by the pair
        facts = seams.audit_facts_at(pairs)

    assert facts.keys() == set(pairs)
    for supplier_id, day in pairs:
        assert facts[supplier_id, day] == seams.audit_facts([supplier_id], on=day)[supplier_id]
    assert [bool(facts[suppliers[0].pk, day].red_lines) for day in days] == [False, True, False, False]


def test_the_gate_for_many_steps_judges_each_at_its_day(supplier):
    red_line_finding(supplier, closed=CLOSED)
    days = [REPORTED - dt.timedelta(days=1), REPORTED, CLOSED - dt.timedelta(days=1), CLOSED]

    checks = lifecycle.admission_checks(steps=[(supplier, day) for day in days])

    assert [check.red_line for check in checks] == [False, True, True, False]
    assert checks == [lifecycle.admission_check(supplier=supplier, on=day) for day in days]
