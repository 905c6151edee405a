"""Every digest leads its reader to where they can act, in their language: a supplier contact or an auditor to
the portal page of each item, in English or Chinese; staff to the admin, in English, with what the supplier
has not done."""

import datetime as dt

import pytest

from audits.models import Audit, CodeProvision, CorrectiveActionPlan
from common.models import PortalAccount
from reminders.services.recipients import audience_of
from suppliers import roles
from suppliers.models import Contact
from tests.factories import AuditFactory, AuditorFactory, ContactFactory, SupplierFactory, UserFactory
from tests.reminders.helpers import accepted_finding, run

pytestmark = pytest.mark.django_db

CONTACT = "esg@bright.example"
BUYER = "buyer1@company.example"


@pytest.fixture
def cap_pending(supplier):
    """A finding of ``supplier`` whose corrective action plan is not in yet (due 17 March 2026)."""
    finding = accepted_finding(supplier)
    finding.cap.status = CorrectiveActionPlan.Status.NOT_STARTED
    finding.cap.save()
    return finding


def reads_chinese(email: str) -> None:
    """Give ``email`` (a contact's) a portal login whose stored language is Simplified Chinese."""
    user = UserFactory(username=email, email=email, role=roles.SUPPLIER_CONTACT)
    PortalAccount.objects.create(user=user, language="zh-hans")
    Contact.objects.filter(email=email).update(user=user)


def html_of(message) -> str:
    return message.alternatives[0][0]


def test_a_supplier_contacts_digest_links_to_the_portal_page_of_the_finding_and_never_to_the_admin(
    cap_pending,
):
    message = run(cap_pending.cap_due + dt.timedelta(days=12))[CONTACT]

    for text in (message.body, html_of(message)):
        assert f"http://127.0.0.1:8000/portal/findings/{cap_pending.pk}/" in text
        assert "/admin/" not in text
        assert "Submit your corrective action plan" in text
    assert "overdue by 12 days" in message.body
    assert "http://127.0.0.1:8000/portal/inbox/" in message.body  # where all their tasks are
    assert message.subject == "Supplier ESG: 1 item needs attention (1 overdue)"


def test_a_contact_who_reads_chinese_gets_the_chinese_subject_and_wording(cap_pending):
    reads_chinese(CONTACT)
    CodeProvision.objects.filter(pk=cap_pending.provision_id).update(title_zh_hans="工作时间")

    message = run(cap_pending.cap_due + dt.timedelta(days=12))[CONTACT]

    assert message.subject == "供应商 ESG：1 项任务需要处理（1 项逾期）"
    for text in (message.body, html_of(message)):
        assert "提交您的纠正措施计划 (CAP)" in text
        assert "纠正措施计划 (CAP) 待提交" in text  # the kind
        assert "逾期 12 天" in text
        assert f"{cap_pending.reference} A3 工作时间" in text  # the provision's Chinese title
        assert f"/portal/findings/{cap_pending.pk}/" in text
        assert "Submit your corrective action plan" not in text
    assert 'lang="zh-hans"' in html_of(message)


def test_the_buyers_digest_links_to_the_admin_and_says_what_the_supplier_has_not_done(cap_pending):
    reads_chinese(CONTACT)  # the contact's language is theirs alone

    message = run(cap_pending.cap_due + dt.timedelta(days=12))[BUYER]

    summary = (
        "S-100 Shenzhen Bright Circuits has not submitted its corrective action plan (overdue by 12 days)"
    )
    assert summary in message.body and summary in html_of(message)
    assert f"http://127.0.0.1:8000/admin/audits/finding/{cap_pending.pk}/change/" in message.body
    assert "/portal/" not in message.body
    assert "Submit your corrective action plan" not in message.body
    assert "A3 Working Hours" in message.body
    assert message.subject == "Supplier ESG: 1 item needs attention (1 overdue)"


def test_an_auditors_digest_about_a_late_report_links_to_the_agencys_audit_page(supplier):
    auditor = AuditorFactory(user=UserFactory(email="lead@agency.example", role=roles.AUDITOR))
    audit = AuditFactory(
        supplier=supplier,
        agency=auditor.agency,
        lead_auditor=auditor,
        status=Audit.Status.IN_PROGRESS,
        actual_start=dt.date(2026, 3, 2),
        actual_end=dt.date(2026, 3, 3),
    )

    sent = run(dt.date(2026, 3, 17))

    for email in ("lead@agency.example", auditor.agency.email):
        message = sent[email]
        for text in (message.body, html_of(message)):
            assert f"http://127.0.0.1:8000/portal/agency/audits/{audit.pk}/" in text
            assert "/admin/" not in text
            assert "Submit the audit report" in text
        assert "http://127.0.0.1:8000/portal/agency/audits/" in message.body
    assert f"/admin/audits/audit/{audit.pk}/change/" in sent[BUYER].body


def test_a_long_digest_to_a_contact_sends_them_to_the_portal_for_the_rest(supplier, settings):
    settings.REMINDER_DIGEST_MAX_ITEMS = 1
    for _ in range(2):
        accepted_finding(supplier)

    message = run(dt.date(2026, 6, 8))[CONTACT]  # both rectifications due

    assert (
        "The 1 most urgent are listed here. See all 2 on the portal:\nhttp://127.0.0.1:8000/portal/inbox/"
        in (message.body)
    )
    assert "/admin/" not in message.body and "/admin/" not in html_of(message)


def test_a_deactivated_contact_is_told_nothing(cap_pending):
    Contact.objects.filter(email=CONTACT).update(active=False)

    assert CONTACT not in run(cap_pending.cap_due + dt.timedelta(days=12))


def test_staff_are_staff_whatever_else_their_address_is(people):
    ContactFactory(supplier=SupplierFactory(), email=BUYER)  # a buyer's address typed in as a contact's

    reader = audience_of([BUYER.upper()])[BUYER]

    assert (reader.outside, reader.language, reader.home_url) == (False, "en", "/admin/")


def test_who_reads_a_digest_is_found_in_two_queries_however_many_addresses(
    people, django_assert_max_num_queries
):
    def addresses(count: int) -> list[str]:
        supplier = SupplierFactory()
        emails = [f"contact{n}-{supplier.pk}@supplier.example" for n in range(count)]
        for email in emails:
            ContactFactory(supplier=supplier, email=email)
        return [*emails, BUYER, "esg1@company.example", "nobody@elsewhere.example"]

    few, many = addresses(2), addresses(20)

    with django_assert_max_num_queries(2):
        readers = audience_of(few)
    with django_assert_max_num_queries(2):
        assert len(audience_of(many)) == 23
    assert readers[few[0]].home_url == "/portal/inbox/" and readers[few[0]].outside
    assert not readers[BUYER].outside
    # An address that is nobody's any more reads as an outside reader, never sent to the admin.
    assert readers["nobody@elsewhere.example"].outside
