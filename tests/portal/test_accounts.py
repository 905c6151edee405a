"""Outside users' logins: invitation links that work once and expire, password reset, throttled sign-in,
one supplier or one agency per login, and access that ends when the contact or the agency is deactivated."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.core import mail
from django.test import Client

from audits.services import auditor_invite
from common.exceptions import Conflict
from common.models import PortalAccount
from suppliers import roles
from suppliers.accounts import contact_invite, contact_set_active
from tests.factories import AuditAgencyFactory, ContactFactory, SupplierFactory, UserFactory

from .conftest import PASSWORD

NEW_PASSWORD = "Factory-gate-7781"
LINK = re.compile(r"http://[^/\s]+(/portal/(?:welcome|password/reset)/[^/\s]+/[^/\s]+/)")


def _link(message) -> str:
    return LINK.search(message.body).group(1)


def _invite(django_capture_on_commit_callbacks, **kwargs):
    with django_capture_on_commit_callbacks(execute=True):
        return contact_invite(**kwargs)


@pytest.fixture
def buyer(db):
    return UserFactory(username="buyer", role=roles.PROCUREMENT, is_staff=True)


@pytest.fixture
def contact(db):
    supplier = SupplierFactory(code="SUP-9", name="Ninth Metals")
    return ContactFactory(supplier=supplier, name="Zhang Min", email="Zhang.Min@ninth.example")


def _set_password(client: Client, path: str, password: str = NEW_PASSWORD):
    page = client.get(path, follow=True)
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    return client.post(form_url, {"new_password1": password, "new_password2": password})


def test_an_invited_contact_gets_a_link_that_sets_a_password_and_signs_them_in(
    contact, buyer, django_capture_on_commit_callbacks
):
    _invite(django_capture_on_commit_callbacks, contact=contact, by=buyer, language="en")

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["zhang.min@ninth.example"]
    assert "Ninth Metals" in message.subject
    client = Client()
    response = _set_password(client, _link(message))

    assert response.status_code == 302 and response["Location"] == "/portal/"
    user = get_user_model().objects.get(email="zhang.min@ninth.example")
    assert user.check_password(NEW_PASSWORD)
    assert user.groups.filter(name=roles.SUPPLIER_CONTACT).exists()
    contact.refresh_from_db()
    assert contact.user == user
    assert user.portal.invited_by == buyer and user.portal.joined_at is not None
    assert client.get("/portal/").headers["Location"] == "/portal/inbox/"


def test_an_invitation_link_works_once(contact, buyer, django_capture_on_commit_callbacks):
    _invite(django_capture_on_commit_callbacks, contact=contact, by=buyer)
    path = _link(mail.outbox[0])
    _set_password(Client(), path)

    again = Client().get(path, follow=True)

    assert "This invitation link no longer works" in again.content.decode()
    assert 'id="set-password-form"' not in again.content.decode()


def test_an_invitation_link_expires(contact, buyer, django_capture_on_commit_callbacks, settings):
    settings.PORTAL_INVITATION_DAYS = 7
    with time_machine.travel(dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC), tick=False):
        _invite(django_capture_on_commit_callbacks, contact=contact, by=buyer)
    path = _link(mail.outbox[0])

    with time_machine.travel(dt.datetime(2026, 12, 7, 9, tzinfo=dt.UTC), tick=False):
        assert 'id="set-password-form"' in Client().get(path, follow=True).content.decode()
    with time_machine.travel(dt.datetime(2026, 12, 8, 10, tzinfo=dt.UTC), tick=False):
        late = Client().get(path, follow=True).content.decode()
    assert "This invitation link no longer works" in late


def test_an_invitation_is_written_in_the_invitees_language(
    contact, buyer, django_capture_on_commit_callbacks
):
    _invite(django_capture_on_commit_callbacks, contact=contact, by=buyer, language="zh-hans")

    message = mail.outbox[0]
    assert "邀请" in message.subject
    assert "设置" in message.body or "密码" in message.body


def test_a_reset_link_lets_an_outside_user_choose_a_new_password(supplier_a):
    response = Client().post("/portal/password/reset/", {"email": supplier_a.user.email.upper()})

    assert response.status_code == 302 and response["Location"] == "/portal/password/reset/sent/"
    assert len(mail.outbox) == 1
    client = Client()
    _set_password(client, _link(mail.outbox[0]))
    supplier_a.user.refresh_from_db()
    assert supplier_a.user.check_password(NEW_PASSWORD)
    assert client.get("/portal/").headers["Location"] == "/portal/inbox/"


def test_a_password_reset_sends_nothing_to_staff_or_unknown_addresses(db):
    UserFactory(username="esg", email="esg@company.example", role=roles.ESG_MANAGER, is_staff=True)

    for email in ("esg@company.example", "nobody@example.com"):
        response = Client().post("/portal/password/reset/", {"email": email})
        assert response["Location"] == "/portal/password/reset/sent/"  # the same answer: no address probing
    assert mail.outbox == []


def test_sign_in_with_the_e_mail_and_password(supplier_a):
    client = Client()
    response = client.post("/portal/sign-in/", {"username": supplier_a.user.email, "password": PASSWORD})

    assert response.status_code == 302
    assert client.get("/portal/").headers["Location"] == "/portal/inbox/"


def test_sign_in_is_locked_after_repeated_failures_even_with_the_right_password(supplier_a, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/portal/sign-in/", {"username": supplier_a.user.email, "password": "wrong-one"})

    response = client.post("/portal/sign-in/", {"username": supplier_a.user.email, "password": PASSWORD})

    assert response.status_code == 429
    assert 'id="login-locked"' in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_staff_member_visiting_the_portal_is_sent_to_the_admin(db):
    client = Client()
    client.force_login(UserFactory(username="esg", role=roles.ESG_MANAGER, is_staff=True))

    assert client.get("/portal/").headers["Location"] == "/admin/"


def test_deactivating_a_contact_ends_their_access_at_once(supplier_a, buyer):
    assert supplier_a.client.get("/portal/account/").status_code == 200

    contact_set_active(contact=supplier_a.contact, active=False, by=buyer)

    response = supplier_a.client.get("/portal/account/")
    assert response.status_code == 403
    assert 'id="no-access"' in response.content.decode()
    api = supplier_a.client.get(f"/api/v1/suppliers/{supplier_a.supplier.pk}/")
    assert api.status_code == 404


def test_deactivating_an_agency_ends_its_auditors_access_at_once(agency_a):
    assert agency_a.client.get("/portal/account/").status_code == 200

    agency_a.agency.active = False
    agency_a.agency.save()

    assert agency_a.client.get("/portal/account/").status_code == 403


def test_an_invited_user_works_for_one_supplier_only(contact, buyer, django_capture_on_commit_callbacks):
    _invite(django_capture_on_commit_callbacks, contact=contact, by=buyer)
    other = ContactFactory(supplier=SupplierFactory(code="SUP-10"), email="zhang.min@ninth.example")

    with pytest.raises(Conflict, match="exactly one supplier"):
        contact_invite(contact=other, by=buyer)


def test_a_supplier_contact_cannot_also_be_invited_as_an_auditor(
    contact, buyer, django_capture_on_commit_callbacks
):
    _invite(django_capture_on_commit_callbacks, contact=contact, by=buyer)

    with pytest.raises(Conflict, match="exactly one supplier or one agency"):
        auditor_invite(agency=AuditAgencyFactory(), email=contact.email, name="Zhang Min", by=buyer)


def test_an_auditor_works_for_one_agency_only(buyer, django_capture_on_commit_callbacks):
    first, second = AuditAgencyFactory(name="First Audits"), AuditAgencyFactory(name="Second Audits")
    with django_capture_on_commit_callbacks(execute=True):
        auditor_invite(agency=first, email="chen@first.example", name="Chen Jie", by=buyer)
    assert "First Audits" in mail.outbox[0].subject

    with pytest.raises(Conflict, match="already an auditor of First Audits"):
        auditor_invite(agency=second, email="chen@first.example", name="Chen Jie", by=buyer)


def test_staff_cannot_be_invited_to_the_portal(buyer):
    contact = ContactFactory(email=buyer.email)

    with pytest.raises(Conflict, match="member of staff"):
        contact_invite(contact=contact, by=buyer)
    assert mail.outbox == []


def test_a_first_visit_stores_the_browsers_language(db):
    user = UserFactory(username="new@x.example", email="new@x.example", role=roles.SUPPLIER_CONTACT)
    ContactFactory(user=user, email=user.email)
    client = Client()
    client.force_login(user)

    client.get("/portal/account/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9,en;q=0.5")

    assert PortalAccount.objects.get(user=user).language == "zh-hans"
    # Later, the stored choice wins over the browser's.
    assert client.get("/portal/account/", HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "zh-hans"


def test_choosing_a_language_is_stored_on_the_account(supplier_a):
    response = supplier_a.client.post(
        "/portal/language/", {"language": "zh-hans", "next": "/portal/account/"}
    )

    assert response["Location"] == "/portal/account/"
    assert PortalAccount.objects.get(user=supplier_a.user).language == "zh-hans"
    page = supplier_a.client.get("/portal/account/")
    assert page.headers["Content-Language"] == "zh-hans"
    assert 'lang="zh-Hans"' in page.content.decode()


def test_the_language_form_does_not_redirect_elsewhere(supplier_a):
    response = supplier_a.client.post(
        "/portal/language/", {"language": "en", "next": "https://evil.example/"}
    )

    assert response["Location"] == "/portal/"


def test_the_sign_in_page_follows_the_browsers_language(db):
    page = Client().get("/portal/sign-in/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert page.headers["Content-Language"] == "zh-hans"
    assert "登录" in page.content.decode()


def test_the_admin_stays_in_english_for_a_chinese_browser(db):
    page = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="zh-CN,zh;q=0.9")

    assert "Log in" in page.content.decode()


def test_a_portal_upload_over_the_limit_is_refused_while_it_is_read(supplier_a, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.UPLOAD_MAX_BYTES = 1024
    big = SimpleUploadedFile("site-photos.pdf", b"%PDF-1.4\n" + b"0" * 4096, content_type="application/pdf")

    response = supplier_a.client.post(
        "/portal/declarations/new/", {"file": big}, HTTP_REFERER="https://evil.example/x"
    )

    assert response.status_code == 413
    text = response.content.decode()
    assert "site-photos.pdf: the file is larger than 1.0\xa0KB, the largest accepted." in text
    assert "evil.example" not in text
