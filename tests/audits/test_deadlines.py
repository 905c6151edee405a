"""When a CAP and a rectification are overdue: the rule for one finding (the admin's badge, the API's status)
and the rule for a table (``Finding.objects``, the reminders, the report) say the same on every day."""

import datetime as dt

import pytest

from audits import deadlines, services
from audits.models import ClosureVerification, Evidence, Finding
from reminders import registry
from tests.audits.test_workflow import at, auditor, pdf, run_audit, supplier  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
RS = deadlines.RectificationStatus

PLAN = {
    "root_cause": "Agency hiring without ID checks",
    "corrective_action": "Remove minors; remediation programme",
    "preventive_action": "Direct hiring with ID verification",
    "owner": "HR manager",
    "planned_completion": dt.date(2026, 4, 5),
}


def cap_overdue_by_row(on: dt.date) -> set[str]:
    findings = Finding.objects.select_related("cap", "audit")
    return {f.reference for f in findings if deadlines.is_cap_overdue(finding=f, on=on)}


def cap_overdue_by_table(on: dt.date) -> set[str]:
    return {f.reference for f in Finding.objects.cap_overdue(on=on).select_related("audit")}


def cap_reminded_past_due(on: dt.date) -> set[str]:
    """Findings the CAP reminder lists with a due date before ``on``."""
    items = registry.get("cap_due").open_items(on).filter(r_due__lt=on).values_list("r_item", flat=True)
    return {f.reference for f in Finding.objects.filter(pk__in=list(items)).select_related("audit")}


def test_a_cap_is_overdue_from_the_day_after_its_due_date_until_a_plan_is_in(
    supplier,  # noqa: F811
    auditor,  # noqa: F811
    esg_manager,
    supplier_contact_user,
):
    _audit, major, red, _observation = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)
    both = {major.reference, red.reference}  # CAPs due 17 March; the observation needs none

    for day, expected in [(dt.date(2026, 3, 17), set()), (dt.date(2026, 3, 18), both)]:
        assert cap_overdue_by_row(day) == expected, day
        assert cap_overdue_by_table(day) == expected, day
        assert cap_reminded_past_due(day) == expected, day

    with at(dt.date(2026, 3, 18)):
        services.cap_submit(finding=red, by=supplier_contact_user, **PLAN)
    day = dt.date(2026, 3, 19)
    assert (
        cap_overdue_by_row(day)
        == cap_overdue_by_table(day)
        == cap_reminded_past_due(day)
        == {major.reference}
    )

    with at(dt.date(2026, 3, 19)):
        services.cap_review(finding=red, by=esg_manager, approve=False, note="Add a remediation budget")
    day = dt.date(2026, 3, 20)
    assert cap_overdue_by_row(day) == cap_overdue_by_table(day) == cap_reminded_past_due(day) == both


def test_a_rectification_is_overdue_after_its_due_date_until_the_day_it_is_closed(
    supplier,  # noqa: F811
    auditor,  # noqa: F811
    esg_manager,
    supplier_contact_user,
):
    _audit, major, red, _observation = run_audit(supplier=supplier, auditor=auditor, esg_manager=esg_manager)
    with at(dt.date(2026, 3, 12)):
        services.cap_submit(finding=red, by=supplier_contact_user, **PLAN)
    with at(dt.date(2026, 3, 13)):
        services.cap_review(finding=red, by=esg_manager, approve=True)
        services.evidence_attach(
            finding=red, upload=pdf(), by=supplier_contact_user, purpose=Evidence.Purpose.RECTIFICATION
        )
        services.cap_implement(finding=red, by=supplier_contact_user)
    with at(dt.date(2026, 4, 20)):  # red line due 9 April: closed late
        services.closure_verify(finding=red, by=esg_manager, method=ClosureVerification.Method.DESK_REVIEW)

    expected = {
        dt.date(2026, 4, 9): set(),
        dt.date(2026, 4, 10): {red.reference},
        dt.date(2026, 4, 19): {red.reference},
        dt.date(2026, 4, 20): set(),  # closed that day
        dt.date(2026, 6, 8): set(),
        dt.date(2026, 6, 9): {major.reference},
    }
    findings = list(Finding.objects.select_related("audit"))
    for day, overdue in expected.items():
        by_row = {
            f.reference for f in findings if deadlines.rectification_status(finding=f, on=day) == RS.OVERDUE
        }
        by_table = {f.reference for f in Finding.objects.overdue(on=day).select_related("audit")}
        assert by_row == by_table == overdue, day
