import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from reminders.models import Reminder
from tests.reminders.helpers import accepted_finding, run

pytestmark = pytest.mark.django_db


def test_the_supplier_page_shows_open_escalations_and_the_suspension_flag(client, supplier, people):
    finding = accepted_finding(supplier)
    run(finding.rectification_due + dt.timedelta(days=30))
    client.force_login(people["esg"])

    with time_machine.travel(dt.datetime(2026, 7, 9, 9, tzinfo=dt.UTC), tick=False):
        page = client.get(reverse("admin:suppliers_supplier_change", args=[supplier.pk])).content.decode()

    assert "Open escalations" in page
    assert "Overdue 30 days" in page
    assert finding.reference in page
    assert "Flagged on 2026-07-08" in page


def test_a_closed_item_is_no_longer_an_open_escalation(client, supplier, people):
    finding = accepted_finding(supplier)
    run(finding.rectification_due)
    finding.closed_at = dt.datetime(2026, 6, 9, tzinfo=dt.UTC)
    finding.closed_on = dt.date(2026, 6, 9)
    finding.save()
    client.force_login(people["esg"])

    page = client.get(reverse("admin:suppliers_supplier_change", args=[supplier.pk])).content.decode()

    assert finding.reference not in page


def test_an_esg_manager_clears_the_suspension_review_with_a_reason(client, supplier, people):
    finding = accepted_finding(supplier)
    run(finding.rectification_due + dt.timedelta(days=30))
    url = reverse("admin:suppliers_supplier_clear_review", args=[supplier.pk])

    client.force_login(people["buyer"])
    assert client.post(url, {"reason": "x"}).status_code == 403

    client.force_login(people["esg"])
    response = client.post(url, {"reason": ""})
    assert "needs a reason" in response.content.decode()
    client.post(url, {"reason": "Site visit: overtime fixed; keep admitted"})

    supplier.refresh_from_db()
    assert not supplier.suspension_review
    assert supplier.history.first().history_change_reason == (
        "Suspension review cleared: Site visit: overtime fixed; keep admitted"
    )


def test_the_reminder_log_filters_by_kind_stage_status_and_recipient(client, supplier, people, admin_user):
    finding = accepted_finding(supplier)
    run(finding.rectification_due)
    run(finding.rectification_due + dt.timedelta(days=14))
    client.force_login(admin_user)
    url = reverse("admin:reminders_reminder_changelist")

    assert Reminder.objects.count() == 2
    assert len(client.get(url, {"kind": "rectification_due"}).context["cl"].result_list) == 2
    assert len(client.get(url, {"kind": "cap_due"}).context["cl"].result_list) == 0
    assert len(client.get(url, {"stage": "2"}).context["cl"].result_list) == 1
    assert len(client.get(url, {"delivery": "sent"}).context["cl"].result_list) == 2
    assert len(client.get(url, {"delivery": "failed"}).context["cl"].result_list) == 0
    assert len(client.get(url, {"q": "esg1@company.example"}).context["cl"].result_list) == 1
    page = client.get(url).content.decode()
    assert "buyer1@company.example (Sent)" in page


def test_the_ladder_is_edited_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    page = client.get(reverse("admin:reminders_escalationstage_changelist")).content.decode()
    for name in ("Due soon", "Due today / overdue", "Overdue 14 days", "Overdue 30 days"):
        assert name in page


def test_the_reminder_log_lists_newest_first_in_a_fixed_number_of_queries(
    client, supplier, admin_user, django_assert_max_num_queries
):
    findings = [accepted_finding(supplier) for _ in range(3)]
    run(findings[0].rectification_due)
    run(findings[0].rectification_due + dt.timedelta(days=14))
    client.force_login(admin_user)
    url = reverse("admin:reminders_reminder_changelist")

    # Session, user, the ladder's stages, a capped count, the page, its digests.
    with django_assert_max_num_queries(6) as queries:
        rows = client.get(url).context["cl"].result_list

    assert [r.pk for r in rows] == sorted(Reminder.objects.values_list("pk", flat=True), reverse=True)
    page = next(q["sql"] for q in queries.captured_queries if "LIMIT 100" in q["sql"])
    assert 'ORDER BY "reminders_reminder"."id" DESC' in page


def test_the_digest_list_counts_each_digests_items_in_a_fixed_number_of_queries(
    client, supplier, people, admin_user, django_assert_max_num_queries
):
    findings = [accepted_finding(supplier) for _ in range(3)]
    run(findings[0].rectification_due)
    run(findings[0].rectification_due + dt.timedelta(days=14))  # stage 2: the ESG manager is told too
    client.force_login(admin_user)

    with django_assert_max_num_queries(6) as queries:
        rows = client.get(reverse("admin:reminders_digest_changelist")).context["cl"].result_list

    counts = {(d.run.day, d.recipient): d.n_items for d in rows}
    assert counts[(findings[0].rectification_due, "buyer1@company.example")] == 3
    assert counts[(findings[0].rectification_due + dt.timedelta(days=14), "esg1@company.example")] == 3
    # Counted per row of the page (a correlated subquery), not grouped over every digest's items.
    assert not any('GROUP BY "reminders_digest"."id"' in q["sql"] for q in queries.captured_queries)
