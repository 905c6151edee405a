"""One rule for the stage an overdue item has reached: the reminders record it and the dashboard counts
findings by it, so the two agree whatever the ladder's offsets."""

import datetime as dt

import pytest

from reminders.models import EscalationStage, Reminder
from reports.selectors import overdue_by_stage
from tests.reminders.helpers import accepted_finding, run

pytestmark = pytest.mark.django_db


def counted(on: dt.date) -> dict:
    return {row["stage"]: row["count"] for row in overdue_by_stage(on=on)}


def test_a_ladder_with_offsets_out_of_order_escalates_to_the_highest_stage_reached_in_log_and_dashboard(
    supplier,
):
    EscalationStage.objects.filter(stage=2).update(offset_days=30)
    EscalationStage.objects.filter(stage=3).update(offset_days=14)  # the last stage now comes first
    finding = accepted_finding(supplier)
    day = finding.rectification_due + dt.timedelta(days=35)

    sent = run(day)

    assert "head1@company.example" in sent  # stage 3 tells the procurement heads
    assert set(Reminder.objects.filter(kind="rectification_due").values_list("stage", flat=True)) == {3}
    assert counted(day) == {1: 0, 3: 1, 2: 0}


def test_a_finding_overdue_by_fewer_days_than_the_first_overdue_stage_is_counted_as_overdue_not_at_it(
    supplier,
):
    EscalationStage.objects.filter(stage=1).update(offset_days=3)
    finding = accepted_finding(supplier)
    day = finding.rectification_due + dt.timedelta(days=1)

    run(day)

    assert not Reminder.objects.filter(kind="rectification_due", stage__gte=1).exists()
    rows = overdue_by_stage(on=day)
    assert [(row["stage"], row["name"], row["count"]) for row in rows[:2]] == [
        (None, "Overdue", 1),
        (1, "Due today / overdue", 0),
    ]


def test_without_overdue_stages_on_the_ladder_every_overdue_finding_is_counted_as_overdue(supplier):
    finding = accepted_finding(supplier)
    EscalationStage.objects.filter(offset_days__gte=0).delete()

    rows = overdue_by_stage(on=finding.rectification_due + dt.timedelta(days=20))

    assert rows == [{"stage": None, "name": "Overdue", "offset_days": 0, "count": 1}]
