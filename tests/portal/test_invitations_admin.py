"""Staff invite a supplier's contacts to the portal from the supplier's page, and deactivate them: the
invitation's link sets a password once and expires; deactivating ends access at once; a staff login or a
contact of another supplier cannot be invited."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client

from suppliers import roles
from suppliers.models import Contact
from tests.factories import ContactFactory, SupplierFactory, UserFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Factory-floor-2026!"


@pytest.fixture
def staff(esg_manager) -> Client:
    client = Client()
    client.force_login(esg_manager)
    return client


@pytest.fixture
def contact() -> Contact:
    supplier = SupplierFactory(code="S-300", name="Suzhou Precision Metal", country="CN")
    return ContactFactory(supplier=supplier, name="Zhang Min", email="zhang.min@precision.example")


def supplier_page(contact: Contact) -> str:
    return f"/admin/suppliers/supplier/{contact.supplier_id}/change/"


def invite(staff: Client, contact: Contact, django_capture_on_commit_callbacks, **data):
    """Post the contact's invitation page as the supplier page's link does; the e-mail goes on commit."""
    url = f"/admin/suppliers/contact/{contact.pk}/invite/?next={supplier_page(contact)}"
    with django_capture_on_commit_callbacks(execute=True):
        return staff.post(url, {"language": "zh-hans", **data}, follow=True)


def invitation_link(message) -> str:
    return re.search(r"http://127\.0\.0\.1:8000(/portal/welcome/[^/\s]+/[^/\s]+/)", message.body)[1]


def accept(link: str, *, password: str = NEW_PASSWORD) -> tuple[Client, object]:
    """Open the invitation's link in a fresh browser and choose a password; returns the client and the last
    response."""
    browser = Client()
    page = browser.get(link, follow=True)
    if not page.context or not page.context.get("validlink"):
        return browser, page
    form_url = page.redirect_chain[-1][0]
    done = browser.post(form_url, {"new_password1": password, "new_password2": password}, follow=True)
    return browser, done


def sign_in(username: str, password: str):
    return Client().post("/portal/sign-in/", {"username": username, "password": password})


def test_the_supplier_page_shows_each_contacts_portal_access_and_the_invite_link(staff, contact):
    page = staff.get(supplier_page(contact))

    assert page.status_code == 200
    html = page.content.decode()
    assert "Not invited" in html
    assert f'id="contact-{contact.pk}-invite"' in html and "Invite to the portal" in html


def test_the_invitation_is_offered_in_chinese_for_a_supplier_in_china_and_in_english_elsewhere(
    staff, contact
):
    page = staff.get(f"/admin/suppliers/contact/{contact.pk}/invite/")
    assert page.context["form"]["language"].value() == "zh-hans"

    abroad = ContactFactory(supplier=SupplierFactory(country="DE"))
    page = staff.get(f"/admin/suppliers/contact/{abroad.pk}/invite/")
    assert page.context["form"]["language"].value() == "en"


def test_an_invitation_is_mailed_in_the_chosen_language_with_a_welcome_link(
    staff, contact, django_capture_on_commit_callbacks
):
    page = invite(staff, contact, django_capture_on_commit_callbacks)

    assert page.redirect_chain[-1][0] == supplier_page(contact)
    assert (
        "Invitation sent to Zhang Min &lt;zhang.min@precision.example&gt; in 简体中文"
        in page.content.decode()
    )
    assert "Invited " in page.content.decode() and "not joined yet" in page.content.decode()
    (message,) = mail.outbox
    assert message.to == ["zhang.min@precision.example"]
    assert "供应商 ESG 门户" in message.subject and "invited" not in message.subject
    assert invitation_link(message).startswith("/portal/welcome/")
    contact.refresh_from_db()
    assert contact.user.email == "zhang.min@precision.example"
    assert contact.user.groups.filter(name=roles.SUPPLIER_CONTACT).exists()


def test_the_link_sets_a_password_once_and_lands_on_the_inbox(
    staff, contact, django_capture_on_commit_callbacks
):
    invite(staff, contact, django_capture_on_commit_callbacks)
    link = invitation_link(mail.outbox[0])

    browser, done = accept(link)

    assert [url for url, _ in done.redirect_chain][-2:] == ["/portal/", "/portal/inbox/"]
    assert browser.get("/portal/account/").status_code == 200  # signed in
    page = staff.get(supplier_page(contact))
    assert "Joined " in page.content.decode()
    # The same link a second time no longer works.
    _, again = accept(link, password="Another-pass-2026!")
    assert 'id="invalid-link"' in again.content.decode()
    assert sign_in("zhang.min@precision.example", NEW_PASSWORD).status_code == 302  # the first password holds


def test_the_link_expires_after_the_invitation_days(
    staff, contact, settings, django_capture_on_commit_callbacks
):
    settings.PORTAL_INVITATION_DAYS = 7
    with time_machine.travel(dt.datetime(2026, 5, 4, 9, 0, tzinfo=dt.UTC), tick=False):
        invite(staff, contact, django_capture_on_commit_callbacks)
    link = invitation_link(mail.outbox[0])

    with time_machine.travel(dt.datetime(2026, 5, 11, 10, 0, tzinfo=dt.UTC), tick=False):
        _, page = accept(link)

    assert 'id="invalid-link"' in page.content.decode()
    contact.refresh_from_db()
    assert not contact.user.has_usable_password()


def test_sending_the_invitation_again_mails_a_fresh_link(staff, contact, django_capture_on_commit_callbacks):
    invite(staff, contact, django_capture_on_commit_callbacks)
    page = staff.get(supplier_page(contact))
    assert "Send the invitation again" in page.content.decode()

    invite(staff, contact, django_capture_on_commit_callbacks)

    assert [m.to for m in mail.outbox] == [["zhang.min@precision.example"]] * 2
    _, done = accept(invitation_link(mail.outbox[1]))
    assert done.redirect_chain[-1][0] == "/portal/inbox/"


def test_deactivating_a_contact_ends_their_access_at_once(staff, supplier_a):
    own_supplier = f"/api/v1/suppliers/{supplier_a.supplier.pk}/"
    assert supplier_a.client.get("/portal/account/").status_code == 200
    assert supplier_a.client.get(own_supplier).status_code == 200

    page = staff.post(
        f"/admin/suppliers/contact/{supplier_a.contact.pk}/access/?next={supplier_page(supplier_a.contact)}",
        follow=True,
    )

    assert "is deactivated" in page.content.decode()
    assert f'id="contact-{supplier_a.contact.pk}-reactivate"' in page.content.decode()
    assert supplier_a.client.get("/portal/account/").status_code == 403
    assert supplier_a.client.get("/portal/inbox/").status_code in (302, 403, 404)
    assert supplier_a.client.get(own_supplier).status_code == 404

    staff.post(f"/admin/suppliers/contact/{supplier_a.contact.pk}/access/")  # reactivate
    assert supplier_a.client.get(own_supplier).status_code == 200


def test_a_staff_email_cannot_be_invited(staff, esg_manager, django_capture_on_commit_callbacks):
    contact = ContactFactory(
        supplier=SupplierFactory(), name="Typed by mistake", email=esg_manager.email.upper()
    )

    page = invite(staff, contact, django_capture_on_commit_callbacks)

    assert "is the login of a member of staff" in page.content.decode()
    assert mail.outbox == []
    contact.refresh_from_db()
    assert contact.user is None


def test_a_contact_of_another_supplier_cannot_be_invited_for_this_one(
    staff, supplier_a, django_capture_on_commit_callbacks
):
    contact = ContactFactory(supplier=SupplierFactory(code="SUP-X"), email=supplier_a.user.email)

    page = invite(staff, contact, django_capture_on_commit_callbacks)

    assert "is already the login of a contact of SUP-A Alpha Electronics" in page.content.decode()
    assert mail.outbox == []
    contact.refresh_from_db()
    assert contact.user is None


def test_the_contact_list_invites_and_deactivates_the_selected_contacts(
    staff, contact, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        page = staff.post(
            "/admin/suppliers/contact/",
            {"action": "invite_selected", "_selected_action": [contact.pk]},
            follow=True,
        )
    assert "Invitation sent to zhang.min@precision.example" in page.content.decode()
    (message,) = mail.outbox
    assert "供应商 ESG 门户" in message.subject  # the supplier is in China

    staff.post(
        "/admin/suppliers/contact/", {"action": "deactivate_selected", "_selected_action": [contact.pk]}
    )
    contact.refresh_from_db()
    assert not contact.active
    assert contact.history.latest("history_date").history_change_reason == "Deactivated"


def test_only_those_who_may_change_suppliers_manage_portal_access(contact):
    head = Client()
    head.force_login(UserFactory(role=roles.PROCUREMENT_HEAD, is_staff=True))

    assert head.get(f"/admin/suppliers/contact/{contact.pk}/invite/").status_code == 403
    assert head.post(f"/admin/suppliers/contact/{contact.pk}/access/").status_code == 403
    contact.refresh_from_db()
    assert contact.active and contact.user is None


def test_the_contact_list_and_page_show_portal_access_without_a_query_per_row(
    staff, contact, django_assert_max_num_queries
):
    def list_page():
        return staff.get("/admin/suppliers/contact/")

    list_page()  # warm the session and permission caches
    with django_assert_max_num_queries(12) as few:
        page = list_page()
    assert "Not invited" in page.content.decode()
    for n in range(20):
        ContactFactory(supplier=contact.supplier, email=f"worker{n}@precision.example")
    with django_assert_max_num_queries(len(few.captured_queries)):
        list_page()

    page = staff.get(f"/admin/suppliers/contact/{contact.pk}/change/")
    assert page.status_code == 200
    assert f'id="contact-{contact.pk}-invite"' in page.content.decode()
