import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from suppliers import lifecycle, seams
from suppliers.models import Agreement, OnboardingPolicy, RiskLevel, StatusTransition, Supplier
from tests.factories import (
    AgreementFactory,
    ExternalAssessmentFactory,
    SupplierFactory,
    make_admissible,
)

pytestmark = pytest.mark.django_db
Status = Supplier.Status


@pytest.fixture
def red_line_provider():
    """Install an audit-facts provider, as the audits app does, reporting red lines for chosen suppliers."""
    red_lines: dict[int, tuple[seams.RedLineIssue, ...]] = {}

    def provider(ids):
        return {i: seams.AuditFacts(red_lines=red_lines[i]) for i in ids if i in red_lines}

    previous = seams._audit_facts_provider
    seams.register_audit_facts(provider)
    yield red_lines
    seams.register_audit_facts(previous)


def test_a_bare_supplier_is_refused_with_every_unmet_condition_in_words():
    supplier = SupplierFactory(status=Status.SCREENING)

    check = lifecycle.admission_check(supplier=supplier)

    assert not check.admissible
    assert len(check.unmet) == 4
    assert check.unmet[0].startswith("No ESG evidence: no RBA VAP report is on file")
    assert "The Supplier Social Responsibility (CSR) Agreement is not on file." in check.unmet
    assert "The Supplier Code of Conduct acknowledgement is not on file." in check.unmet
    assert "The Integrity Commitment is not on file." in check.unmet


def test_a_supplier_with_evidence_and_agreements_is_admissible():
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))

    check = lifecycle.admission_check(supplier=supplier)

    assert check.admissible, check.unmet
    assert check.unmet == []


def test_a_vap_report_older_than_two_years_is_not_evidence():
    today = timezone.localdate()
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))
    supplier.external_assessments.update(assessed_on=today - dt.timedelta(days=731))

    check = lifecycle.admission_check(supplier=supplier)

    assert check.unmet == [
        f"No ESG evidence: the latest RBA VAP report, of {today - dt.timedelta(days=731):%Y-%m-%d}, is older "
        "than 730 days and no onboarding audit by a third-party agency has been completed. An RBA VAP report "
        f"dated {today - dt.timedelta(days=730):%Y-%m-%d} or later or a completed onboarding audit is needed."
    ]


def test_the_vap_age_limit_is_a_policy_setting():
    today = timezone.localdate()
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))
    supplier.external_assessments.update(assessed_on=today - dt.timedelta(days=400))
    policy = OnboardingPolicy.current()
    policy.vap_max_age_days = 365
    policy.save()

    assert not lifecycle.admission_check(supplier=supplier).admissible

    policy.vap_max_age_days = 730
    policy.save()
    assert lifecycle.admission_check(supplier=supplier).admissible


def test_a_completed_onboarding_audit_is_evidence_instead_of_a_vap(red_line_provider):
    supplier = SupplierFactory(status=Status.SCREENING)
    for kind in Agreement.Kind.values:
        AgreementFactory(supplier=supplier, kind=kind)
    previous = seams._audit_facts_provider
    seams.register_audit_facts(lambda ids: {supplier.pk: seams.AuditFacts(onboarding_audit_completed=True)})
    try:
        assert lifecycle.admission_check(supplier=supplier).admissible
    finally:
        seams.register_audit_facts(previous)


def test_an_open_red_line_finding_blocks_admission_and_is_named(red_line_provider, esg_manager):
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))
    red_line_provider[supplier.pk] = (
        seams.RedLineIssue("F-17 in audit A-2021-003", "A2 Young Workers: child labour (red line 1)"),
    )

    with pytest.raises(lifecycle.TransitionRefused) as refused:
        lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=esg_manager)

    assert refused.value.unmet == [
        "Open red-line finding F-17 in audit A-2021-003: A2 Young Workers: child labour (red line 1). "
        "Suppliers are not admitted until red-line issues are rectified."
    ]
    supplier.refresh_from_db()
    assert supplier.status == Status.SCREENING
    assert not StatusTransition.objects.filter(supplier=supplier).exists()


def test_rejection_records_that_a_red_line_was_open(red_line_provider, esg_manager):
    supplier = SupplierFactory(status=Status.SCREENING)
    red_line_provider[supplier.pk] = (seams.RedLineIssue("F-1", "Forced labour"),)

    step = lifecycle.supplier_transition(
        supplier=supplier,
        to=Status.REJECTED,
        by=esg_manager,
        reason="Forced labour found at onboarding audit",
    )

    assert step.red_line is True
    assert step.from_status == Status.SCREENING and step.to_status == Status.REJECTED
    assert any("Forced labour" in text for text in step.unmet_conditions)


def test_agreements_must_be_signed_and_in_force():
    today = timezone.localdate()
    supplier = SupplierFactory(status=Status.SCREENING)
    ExternalAssessmentFactory(supplier=supplier)
    AgreementFactory(supplier=supplier, kind=Agreement.Kind.CSR_AGREEMENT, signed_on=None)
    AgreementFactory(
        supplier=supplier,
        kind=Agreement.Kind.CODE_OF_CONDUCT,
        signed_on=today - dt.timedelta(days=800),
        expires_on=today - dt.timedelta(days=5),
    )
    AgreementFactory(supplier=supplier, kind=Agreement.Kind.INTEGRITY_COMMITMENT)

    check = lifecycle.admission_check(supplier=supplier)

    assert check.unmet == [
        "The Supplier Social Responsibility (CSR) Agreement has been sent but is not signed.",
        f"The Supplier Code of Conduct acknowledgement expired on {today - dt.timedelta(days=5):%Y-%m-%d} "
        "and has not been renewed.",
    ]


def test_the_integrity_commitment_can_be_made_optional_by_policy():
    supplier = SupplierFactory(status=Status.SCREENING)
    ExternalAssessmentFactory(supplier=supplier)
    AgreementFactory(supplier=supplier, kind=Agreement.Kind.CSR_AGREEMENT)
    AgreementFactory(supplier=supplier, kind=Agreement.Kind.CODE_OF_CONDUCT)
    assert lifecycle.admission_check(supplier=supplier).unmet == ["The Integrity Commitment is not on file."]

    policy = OnboardingPolicy.current()
    policy.require_integrity_commitment = False
    policy.save()

    assert lifecycle.admission_check(supplier=supplier).admissible


def test_admission_is_stored_with_who_when_and_why(esg_manager):
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING), on=dt.date(2026, 3, 1))

    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC), tick=False):
        step = lifecycle.supplier_transition(
            supplier=supplier, to=Status.ADMITTED, by=esg_manager, reason="VAP 182, agreements signed"
        )

    supplier.refresh_from_db()
    assert supplier.status == Status.ADMITTED
    assert supplier.status_changed_at == dt.datetime(2026, 3, 2, 9, 30, tzinfo=dt.UTC)
    assert (step.from_status, step.to_status, step.by, step.reason) == (
        Status.SCREENING,
        Status.ADMITTED,
        esg_manager,
        "VAP 182, agreements signed",
    )
    assert step.unmet_conditions == []
    recorded = supplier.history.get(status=Status.ADMITTED)
    assert recorded.history_user == esg_manager
    assert recorded.history_change_reason == "VAP 182, agreements signed"


def test_the_full_lifecycle_is_walkable(esg_manager, procurement_user):
    supplier = SupplierFactory(status=Status.CANDIDATE)
    lifecycle.supplier_transition(supplier=supplier, to=Status.SCREENING, by=procurement_user)
    make_admissible(supplier)
    lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=esg_manager)
    lifecycle.supplier_transition(
        supplier=supplier, to=Status.SUSPENDED, by=esg_manager, reason="Audit overdue"
    )
    lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=esg_manager, reason="Audit done")
    lifecycle.supplier_transition(
        supplier=supplier, to=Status.EXITED, by=esg_manager, reason="Contract ended"
    )

    steps = list(supplier.transitions.values_list("from_status", "to_status"))
    assert steps == [
        (Status.CANDIDATE, Status.SCREENING),
        (Status.SCREENING, Status.ADMITTED),
        (Status.ADMITTED, Status.SUSPENDED),
        (Status.SUSPENDED, Status.ADMITTED),
        (Status.ADMITTED, Status.EXITED),
    ]


def test_reinstating_a_suspended_supplier_passes_the_gate_again(esg_manager, red_line_provider):
    supplier = make_admissible(SupplierFactory(status=Status.SUSPENDED))
    red_line_provider[supplier.pk] = (seams.RedLineIssue("F-9", "Illegal discharge of hazardous waste"),)

    with pytest.raises(lifecycle.TransitionRefused, match="cannot be admitted"):
        lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=esg_manager)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        (Status.CANDIDATE, Status.ADMITTED),
        (Status.ADMITTED, Status.REJECTED),
        (Status.EXITED, Status.ADMITTED),
        (Status.REJECTED, Status.ADMITTED),
    ],
)
def test_steps_outside_the_lifecycle_are_refused(esg_manager, start, to):
    supplier = make_admissible(SupplierFactory(status=start))

    with pytest.raises(lifecycle.TransitionRefused, match="cannot move to"):
        lifecycle.supplier_transition(supplier=supplier, to=to, by=esg_manager, reason="x")


def test_decisions_need_a_reason(esg_manager):
    supplier = SupplierFactory(status=Status.SCREENING)

    with pytest.raises(lifecycle.TransitionRefused, match="needs a reason"):
        lifecycle.supplier_transition(supplier=supplier, to=Status.REJECTED, by=esg_manager, reason="  ")


def test_procurement_cannot_admit_but_can_move_to_screening(procurement_user):
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))

    with pytest.raises(lifecycle.TransitionRefused, match="You may not move suppliers to 'Admitted'"):
        lifecycle.supplier_transition(supplier=supplier, to=Status.ADMITTED, by=procurement_user)

    candidate = SupplierFactory(status=Status.CANDIDATE)
    lifecycle.supplier_transition(supplier=candidate, to=Status.SCREENING, by=procurement_user)
    assert candidate.status == Status.SCREENING


def test_an_unknown_status_is_refused(esg_manager):
    supplier = SupplierFactory()
    with pytest.raises(lifecycle.TransitionRefused, match="'approved' is not a supplier status"):
        lifecycle.supplier_transition(supplier=supplier, to="approved", by=esg_manager)


# --- Suspension review flags ------------------------------------------------------------------------------


def test_flagging_in_batches_flags_new_suppliers_records_the_reason_and_raises_their_risk():
    fresh = [SupplierFactory(status=Status.ADMITTED) for _ in range(3)]
    already = SupplierFactory(
        status=Status.ADMITTED, suspension_review=True, suspension_review_reason="First reason."
    )
    at = dt.datetime(2026, 7, 8, 6, tzinfo=dt.UTC)

    flagged = lifecycle.suppliers_flag_for_suspension_review_in_batches(
        batches=[
            {fresh[0].pk: "CAP overdue by 30 days.", already.pk: "Second reason."},
            {fresh[1].pk: "Rectification overdue by 31 days.", fresh[2].pk: "Report late."},
        ],
        at=at,
    )

    assert sorted(flagged) == sorted(s.pk for s in fresh)
    for supplier, reason in zip(
        fresh, ["CAP overdue by 30 days.", "Rectification overdue by 31 days.", "Report late."], strict=True
    ):
        supplier.refresh_from_db()
        assert (supplier.suspension_review, supplier.suspension_review_reason) == (True, reason)
        assert supplier.suspension_review_at == at
        assert supplier.risk_level == RiskLevel.HIGH
        record = supplier.history.get(history_change_reason=lifecycle.FLAG_REASON)
        assert (record.suspension_review, record.suspension_review_reason) == (True, reason)
    already.refresh_from_db()
    assert already.suspension_review_reason == "First reason."
    assert not already.history.filter(history_change_reason=lifecycle.FLAG_REASON).exists()


def queries_to_flag(reasons: dict[int, str]) -> int:
    with CaptureQueriesContext(connection) as queries:
        lifecycle.suppliers_flag_for_suspension_review_in_batches(batches=[reasons])
    return len(queries)


def test_flagging_and_raising_the_risk_costs_the_same_queries_for_one_supplier_or_forty():
    one = queries_to_flag({SupplierFactory(status=Status.ADMITTED).pk: "Overdue."})
    forty = queries_to_flag({SupplierFactory(status=Status.ADMITTED).pk: f"Overdue {n}." for n in range(40)})

    assert forty == one
    assert Supplier.objects.filter(suspension_review=True).count() == 41


# --- many steps at once: the same rule ----------------------------------------------------------------------


def test_the_gate_for_many_suppliers_and_days_gives_each_the_verdict_of_the_gate_for_one():
    today = timezone.localdate()
    ready = make_admissible(SupplierFactory(status=Status.SCREENING), on=today - dt.timedelta(days=100))
    bare = SupplierFactory(status=Status.SCREENING)
    blocked = make_admissible(SupplierFactory(status=Status.SCREENING))
    blocked.agreements.filter(kind=Agreement.Kind.CSR_AGREEMENT).update(
        expires_on=today - dt.timedelta(days=1)
    )
    pairs = [
        (ready, None),
        (ready, today - dt.timedelta(days=115)),  # before its agreements were signed
        (bare, None),
        (blocked, today),
        (ready.pk, today - dt.timedelta(days=30)),
    ]

    checks = lifecycle.admission_checks(steps=pairs)

    for (supplier, on), check in zip(pairs, checks, strict=True):
        supplier = supplier if isinstance(supplier, Supplier) else Supplier.objects.get(pk=supplier)
        assert check == lifecycle.admission_check(supplier=supplier, on=on)
    assert [check.admissible for check in checks] == [True, False, False, False, True]
    assert any("expired on" in text for text in checks[3].unmet)


def test_many_steps_are_taken_each_by_the_rule_of_one(esg_manager):
    ready = make_admissible(SupplierFactory(code="S-READY", status=Status.CANDIDATE))
    bare = SupplierFactory(code="S-BARE", status=Status.CANDIDATE)
    request = lifecycle.StepRequest

    results = lifecycle.supplier_transitions(
        steps=[
            request(supplier=ready, to=Status.SCREENING, history_reason="Imported from a.csv row 2"),
            request(supplier=bare, to=Status.SCREENING),
            request(supplier=ready, to=Status.ADMITTED, reason="Gate passed"),
            request(supplier=bare, to=Status.ADMITTED),  # refused by the gate
            request(supplier=bare, to=Status.REJECTED, reason="Never mind"),  # not tried
        ],
        by=esg_manager,
    )

    assert [type(result).__name__ for result in results] == [
        "StatusTransition",
        "StatusTransition",
        "StatusTransition",
        "TransitionRefused",
        "NoneType",
    ]
    assert str(results[3]).startswith("S-BARE cannot be admitted: (1) No ESG evidence")
    assert all(result.pk for result in results[:3])
    assert (ready.status, bare.status) == (Status.ADMITTED, Status.SCREENING)
    ready.refresh_from_db()
    bare.refresh_from_db()
    assert (ready.status, bare.status) == (Status.ADMITTED, Status.SCREENING)
    assert list(ready.transitions.values_list("from_status", "to_status", "reason")) == [
        (Status.CANDIDATE, Status.SCREENING, ""),
        (Status.SCREENING, Status.ADMITTED, "Gate passed"),
    ]
    # One history record per step, in order, saying who and why.
    records = list(ready.history.order_by("history_id").values_list("status", "history_change_reason"))
    assert records[-2:] == [
        (Status.SCREENING, "Imported from a.csv row 2"),
        (Status.ADMITTED, "Gate passed"),
    ]
    assert {record.history_user for record in ready.history.filter(history_type="~")} == {esg_manager}
    assert bare.history.latest("history_id").history_change_reason == "Status changed to Screening"


def test_many_steps_cost_the_queries_of_few(esg_manager, django_assert_max_num_queries):
    def take(count: int) -> int:
        suppliers = [make_admissible(SupplierFactory(status=Status.SCREENING)) for _ in range(count)]
        steps = [
            lifecycle.StepRequest(supplier=s, to=Status.ADMITTED, reason="Gate passed") for s in suppliers
        ]
        esg_manager.has_perm("suppliers.approve_supplier")  # the permission cache, filled once
        with CaptureQueriesContext(connection) as queries:
            results = lifecycle.supplier_transitions(steps=steps, by=esg_manager)
        assert all(isinstance(result, StatusTransition) for result in results)
        return len(queries)

    assert take(2) == take(40)
