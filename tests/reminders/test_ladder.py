"""The escalation ladder, moved through by the clock, for each kind of item."""

import datetime as dt

import pytest
import time_machine
from django.core import mail

from audits.models import Audit, CorrectiveActionPlan, ProgressUpdate
from reminders import services
from reminders.models import Digest, Reminder
from suppliers.models import Agreement, RiskLevel, Supplier
from suppliers.risk import risk_refresh
from tests.factories import (
    AgreementFactory,
    AuditFactory,
    AuditorFactory,
    ExternalAssessmentFactory,
    SupplierFactory,
)
from tests.reminders.helpers import ACCEPTED, accepted_finding, run

pytestmark = pytest.mark.django_db


def test_a_rectification_climbs_the_ladder_once_per_stage(supplier, people):
    finding = accepted_finding(supplier)
    due = finding.rectification_due  # 2026-06-08

    assert run(due - dt.timedelta(days=8)) == {}

    sent = run(due - dt.timedelta(days=7))  # stage 0: due soon, supplier contact only
    assert set(sent) == {"esg@bright.example"}
    body = sent["esg@bright.example"].body
    assert "Due soon" in body and "Rectification due" in body and finding.reference in body
    assert "S-100 Shenzhen Bright Circuits" in body
    assert f"/portal/findings/{finding.pk}/" in body and "/admin/" not in body
    assert run(due - dt.timedelta(days=6)) == {}  # nothing twice

    sent = run(due)  # stage 1: contact and buyer
    assert set(sent) == {"esg@bright.example", "buyer1@company.example"}
    assert "due today" in sent["buyer1@company.example"].body

    sent = run(due + dt.timedelta(days=14))  # stage 2: adds ESG managers
    assert set(sent) == {"esg@bright.example", "buyer1@company.example", "esg1@company.example"}
    assert "overdue by 14 days" in sent["esg1@company.example"].body

    sent = run(due + dt.timedelta(days=30))  # stage 3: adds procurement heads and flags the supplier
    assert set(sent) == {
        "esg@bright.example",
        "buyer1@company.example",
        "esg1@company.example",
        "head1@company.example",
    }
    supplier.refresh_from_db()
    assert supplier.suspension_review
    assert finding.reference in supplier.suspension_review_reason
    assert "overdue by 30 days" in supplier.suspension_review_reason
    record = supplier.history.filter(suspension_review=True).earliest("history_date", "history_id")
    assert record.history_change_reason == "Flagged for suspension review by escalation"
    assert record.suspension_review_reason == supplier.suspension_review_reason
    # The run raises the risk at once.
    assert supplier.risk_level == RiskLevel.HIGH
    risk_refresh()
    supplier.refresh_from_db()
    assert supplier.risk_level == RiskLevel.HIGH
    assert any("suspension review" in rule for rule in supplier.risk_assessment.hard_rules)

    assert run(due + dt.timedelta(days=60)) == {}
    assert list(
        Reminder.objects.filter(kind="rectification_due").order_by("stage").values_list("stage", flat=True)
    ) == [0, 1, 2, 3]


def test_closing_the_item_mid_ladder_stops_its_reminders(supplier):
    finding = accepted_finding(supplier)
    due = finding.rectification_due
    assert run(due)  # stage 1 sent

    finding.closed_at = dt.datetime(2026, 6, 10, tzinfo=dt.UTC)
    finding.closed_on = dt.date(2026, 6, 10)
    finding.save()

    assert run(due + dt.timedelta(days=14)) == {}
    assert run(due + dt.timedelta(days=30)) == {}
    supplier.refresh_from_db()
    assert not supplier.suspension_review


def test_an_approved_extension_starts_a_fresh_ladder(supplier):
    finding = accepted_finding(supplier)
    assert run(finding.rectification_due)
    finding.rectification_due = dt.date(2026, 7, 31)
    finding.save()

    assert run(dt.date(2026, 6, 22)) == {}  # would have been stage 2 of the old date
    sent = run(dt.date(2026, 7, 24))
    assert "Due soon" in sent["esg@bright.example"].body


def test_a_cap_waiting_to_be_submitted_is_chased_and_a_submitted_one_is_not(supplier):
    finding = accepted_finding(supplier)
    finding.cap.status = CorrectiveActionPlan.Status.NOT_STARTED
    finding.cap.save()

    sent = run(finding.cap_due)
    assert "Corrective action plan due" in sent["esg@bright.example"].body

    finding.cap.status = CorrectiveActionPlan.Status.SUBMITTED
    finding.cap.save()
    assert run(finding.cap_due + dt.timedelta(days=14)) == {}


def test_a_missing_monthly_progress_report_is_chased(supplier):
    finding = accepted_finding(supplier, progress_reported=False)

    sent = run(dt.date(2026, 5, 5))  # report on April due 5 May
    assert "Monthly progress report missing" in sent["esg@bright.example"].body

    # Next month: the May report was submitted, so nothing is chased.
    ProgressUpdate.objects.create(
        finding=finding, month=dt.date(2026, 5, 1), percent_complete=50, note="Half done"
    )
    sent = run(dt.date(2026, 6, 5))
    assert "Monthly progress report missing" not in "".join(m.body for m in sent.values())


def test_a_late_audit_report_is_chased_with_the_agency(supplier, people):
    auditor = AuditorFactory()
    auditor.user.email = "lead@agency.example"
    auditor.user.save()
    audit = AuditFactory(
        supplier=supplier,
        agency=auditor.agency,
        lead_auditor=auditor,
        status=Audit.Status.IN_PROGRESS,
        actual_start=dt.date(2026, 3, 2),
        actual_end=dt.date(2026, 3, 3),
    )

    sent = run(dt.date(2026, 3, 17))  # 14 days after the end
    assert set(sent) == {auditor.agency.email, "lead@agency.example", "buyer1@company.example"}
    assert f"{audit.reference} by {auditor.agency.name}" in sent[auditor.agency.email].body
    assert "Audit report late" in sent[auditor.agency.email].body


def test_a_late_report_of_a_deactivated_agency_or_auditor_is_not_sent_to_them(supplier, people):
    auditor = AuditorFactory()
    auditor.user.email = "lead@agency.example"
    auditor.user.save()
    AuditFactory(
        supplier=supplier,
        agency=auditor.agency,
        lead_auditor=auditor,
        status=Audit.Status.IN_PROGRESS,
        actual_start=dt.date(2026, 3, 2),
        actual_end=dt.date(2026, 3, 3),
    )
    auditor.user.is_active = False
    auditor.user.save()

    assert set(run(dt.date(2026, 3, 17))) == {auditor.agency.email, "buyer1@company.example"}

    auditor.agency.active = False
    auditor.agency.save()
    assert set(run(dt.date(2026, 3, 31))) == {"buyer1@company.example", "esg1@company.example"}


def test_expiring_vap_reports_and_agreements_are_announced_30_days_ahead(supplier):
    ExternalAssessmentFactory(
        supplier=supplier, assessed_on=dt.date(2025, 1, 10), valid_until=dt.date(2027, 1, 9)
    )
    AgreementFactory(
        supplier=supplier,
        kind=Agreement.Kind.CSR_AGREEMENT,
        signed_on=dt.date(2024, 1, 1),
        expires_on=dt.date(2026, 12, 31),
    )

    assert run(dt.date(2026, 11, 30)) == {}
    sent = run(dt.date(2026, 12, 1))
    assert "Agreement expiring" in sent["esg@bright.example"].body
    assert "RBA VAP report expiring" not in sent["esg@bright.example"].body
    sent = run(dt.date(2026, 12, 10))
    assert "RBA VAP report expiring" in sent["esg@bright.example"].body

    # A renewed agreement is no longer chased when the old one expires.
    AgreementFactory(
        supplier=supplier,
        kind=Agreement.Kind.CSR_AGREEMENT,
        signed_on=dt.date(2026, 12, 20),
        expires_on=dt.date(2029, 12, 31),
    )
    sent = run(dt.date(2026, 12, 31))
    assert "Agreement expiring" not in "".join(m.body for m in sent.values())


def test_one_digest_per_recipient_groups_items_by_supplier(supplier, people):
    other = SupplierFactory(
        code="S-200", name="Dongguan Plastics", buyer=people["buyer"], status=Supplier.Status.ADMITTED
    )
    accepted_finding(supplier)
    accepted_finding(supplier)
    accepted_finding(other)

    sent = run(ACCEPTED + dt.timedelta(days=90))

    buyer_mail = sent["buyer1@company.example"]
    assert buyer_mail.subject == "Supplier ESG: 3 items need attention (3 overdue)"
    assert buyer_mail.body.index("S-100 Shenzhen Bright Circuits") < buyer_mail.body.index(
        "S-200 Dongguan Plastics"
    )
    html = buyer_mail.alternatives[0][0]
    assert '<a href="http://127.0.0.1:8000/admin/suppliers/supplier/' in html
    assert Digest.objects.filter(recipient="buyer1@company.example").count() == 1


def test_a_failed_send_is_recorded_and_retried_never_marked_sent(supplier, settings):
    accepted_finding(supplier)
    settings.EMAIL_BACKEND = "tests.reminders.failing_backend.EmailBackend"
    day = ACCEPTED + dt.timedelta(days=90)

    with time_machine.travel(dt.datetime.combine(day, dt.time(6, 0), tzinfo=dt.UTC), tick=False):
        report = services.run_reminders()
        digest = report.run.digests.get(recipient="esg@bright.example")
        with pytest.raises(ConnectionRefusedError):
            services.send_digest(digest_id=digest.pk)
        digest.refresh_from_db()
        assert (digest.status, digest.attempts, digest.sent_at) == ("failed", 1, None)
        assert "ConnectionRefusedError" in digest.last_error
        # Not before the backoff has passed.
        assert services.send_digest(digest_id=digest.pk) is False

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    with time_machine.travel(dt.datetime.combine(day, dt.time(6, 5), tzinfo=dt.UTC), tick=False):
        assert services.send_digest(digest_id=digest.pk) is True
    digest.refresh_from_db()
    assert (digest.status, digest.attempts, digest.last_error) == ("sent", 2, "")
    assert len(mail.outbox) == 1


def test_dry_run_prints_and_writes_nothing(supplier, capsys):
    from django.core.management import call_command

    accepted_finding(supplier)
    call_command("send_reminders", "--dry-run", "--today", "2026-06-08")

    out = capsys.readouterr().out
    assert "esg@bright.example\trectification_due\tDue today / overdue" in out
    assert "buyer1@company.example\trectification_due" in out
    assert Reminder.objects.count() == 0
    assert Digest.objects.count() == 0
    assert mail.outbox == []


def test_the_command_runs_and_sends(supplier, capsys):
    from django.core.management import call_command

    accepted_finding(supplier)
    call_command("send_reminders", "--today", "2026-06-08")

    assert (
        "reminders 1 (rectification_due 1), suppliers flagged 0, digests sent 2, failed 0"
        in capsys.readouterr().out
    )
    assert {m.to[0] for m in mail.outbox} == {"esg@bright.example", "buyer1@company.example"}


def test_the_command_rejects_a_malformed_date():
    from django.core.management import CommandError, call_command

    with pytest.raises(CommandError, match="--today: '2026-13-01' is not a date in the form YYYY-MM-DD"):
        call_command("send_reminders", "--today", "2026-13-01")


def test_a_long_digest_lists_the_most_escalated_items_and_links_to_all_of_them(
    supplier, people, settings, client
):
    settings.REMINDER_DIGEST_MAX_ITEMS = 2
    day = ACCEPTED + dt.timedelta(days=150)
    findings = {}
    for overdue_days in (31, 15, 0):  # stages 3, 2 and 1 on ``day``
        finding = accepted_finding(supplier)
        finding.rectification_due = day - dt.timedelta(days=overdue_days)
        finding.save(update_fields=["rectification_due"])
        findings[overdue_days] = f"{finding.audit.reference}-F{finding.number:02d}"

    buyer_mail = run(day)["buyer1@company.example"]

    assert buyer_mail.subject == "Supplier ESG: 3 items need attention (3 overdue)"
    assert findings[31] in buyer_mail.body and findings[15] in buyer_mail.body
    assert findings[0] not in buyer_mail.body
    digest = Digest.objects.get(recipient="buyer1@company.example")
    assert f"http://127.0.0.1:8000/admin/reminders/reminder/?digest={digest.pk}" in buyer_mail.body
    assert f"/admin/reminders/reminder/?digest={digest.pk}" in buyer_mail.alternatives[0][0]
    # The link shows all three.
    client.force_login(people["esg"])
    page = client.get(f"/admin/reminders/reminder/?digest={digest.pk}")
    assert page.status_code == 200
    listed = {(r.kind, r.stage) for r in page.context["cl"].result_list}
    assert listed == {("rectification_due", 3), ("rectification_due", 2), ("rectification_due", 1)}
