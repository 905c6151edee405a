"""Signing agreements online: the text in the reader's language, what a signature records (text version,
typed name and title, time, address, login), refusals, and the onboarding gate counting the signature."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.sites import site
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from suppliers import lifecycle
from suppliers.agreements import agreement_sign, current_text
from suppliers.models import Agreement, AgreementText, OnboardingPolicy
from tests.factories import AgreementFactory, ExternalAssessmentFactory, SupplierFactory
from tests.portal.conftest import contact_login

pytestmark = pytest.mark.django_db

CSR = Agreement.Kind.CSR_AGREEMENT
CODE = Agreement.Kind.CODE_OF_CONDUCT


def sign_url(kind: str) -> str:
    return reverse("portal:agreement_sign", args=[kind])


def sign(client, kind: str = CSR, *, text: AgreementText | None = None, **fields):
    text = text or current_text(kind=kind)
    data = {"text": text.pk, "typed_name": "Li Na", "title": "General Manager", "agree": "on", **fields}
    return client.post(sign_url(kind), data, REMOTE_ADDR="203.0.113.7")


# --- The page --------------------------------------------------------------------------------------------


def test_the_page_lists_what_to_sign_with_the_current_version(supplier_a):
    page = supplier_a.client.get(reverse("portal:agreements"))

    text = page.content.decode()
    assert page.status_code == 200
    assert 'id="sign-csr_agreement"' in text and 'id="sign-code_of_conduct"' in text
    assert "Supplier Social Responsibility (CSR) Agreement" in text
    assert f"Version {current_text(kind=CSR).version}" in text


def test_the_sign_page_shows_the_text_in_english_with_chinese_one_click_away(supplier_a):
    text = supplier_a.client.get(sign_url(CSR)).content.decode()

    assert "Red lines." in text and "commercial bribery in any form" in text
    assert 'id="agreement-sign-form"' in text and 'name="typed_name"' in text and 'name="agree"' in text
    assert 'href="?lang=zh-hans"' in text


def test_a_chinese_user_reads_the_chinese_text_and_can_switch_to_english(supplier_a):
    chinese = contact_login(SupplierFactory(code="SUP-ZH"), email="zhang.min@zh.example", language="zh-hans")

    page = chinese.client.get(sign_url(CSR)).content.decode()

    assert "供应商社会责任协议" in page
    assert "任何形式的商业贿赂" in page
    assert 'lang="zh-Hans" id="agreement-text"' not in page  # the id comes first
    assert 'id="agreement-text" lang="zh-Hans"' in page
    english = chinese.client.get(sign_url(CSR) + "?lang=en").content.decode()
    assert "commercial bribery in any form" in english


def test_an_unknown_kind_is_not_found(supplier_a):
    assert supplier_a.client.get(sign_url("loyalty_pledge")).status_code == 404


# --- Signing ---------------------------------------------------------------------------------------------


@time_machine.travel(dt.datetime(2026, 6, 15, 8, 30, tzinfo=dt.UTC), tick=False)
def test_signing_records_the_text_version_typed_name_title_time_address_and_login(supplier_a):
    response = sign(supplier_a.client, typed_name="  Li   Na ", title="General Manager")

    assert response.status_code == 302
    agreement = Agreement.objects.get(supplier=supplier_a.supplier, kind=CSR)
    assert agreement.text == current_text(kind=CSR)
    assert (agreement.signed_by, agreement.signatory_title) == ("Li Na", "General Manager")
    assert agreement.signed_on == dt.date(2026, 6, 15)
    assert agreement.signed_at == dt.datetime(2026, 6, 15, 8, 30, tzinfo=dt.UTC)
    assert agreement.signed_ip == "203.0.113.7"
    assert agreement.signed_user == supplier_a.user
    assert agreement.expires_on == dt.date(2029, 6, 15)  # the seeded CSR text is valid for three years
    assert agreement.history.get().history_user == supplier_a.user


def test_the_signed_agreement_is_listed_with_its_version(supplier_a):
    sign(supplier_a.client)

    text = supplier_a.client.get(reverse("portal:agreements")).content.decode()

    assert 'id="agreement-list"' in text
    assert "Li Na, General Manager" in text
    assert f"{current_text(kind=CSR).version} <span" in text
    assert 'id="sign-csr_agreement"' not in text  # signed on the current text: nothing more to sign


def test_signing_twice_is_refused(supplier_a):
    sign(supplier_a.client)

    again = sign(supplier_a.client, typed_name="Wang Wei")

    assert again.status_code == 200
    assert "already signed on" in again.content.decode()
    assert Agreement.objects.filter(supplier=supplier_a.supplier, kind=CSR).count() == 1


def test_signing_without_ticking_the_box_is_refused(supplier_a):
    response = sign(supplier_a.client, agree="")

    assert "agree" in response.context["form"].errors
    assert not Agreement.objects.exists()


def test_signing_without_a_typed_name_is_refused(supplier_a):
    response = sign(supplier_a.client, typed_name="   ")

    assert "typed_name" in response.context["form"].errors
    assert not Agreement.objects.exists()


def test_signing_a_text_replaced_meanwhile_is_refused(supplier_a):
    read = current_text(kind=CSR)
    AgreementText.objects.create(
        kind=CSR,
        version="2026.1",
        title_en="Supplier Social Responsibility (CSR) Agreement",
        title_zh="供应商社会责任协议",
        body_en="New wording.",
        body_zh="新文本。",
        published_on=timezone.localdate(),
    )

    response = sign(supplier_a.client, text=read)

    assert "no longer the one to sign" in response.content.decode()
    assert not Agreement.objects.exists()
    sign(supplier_a.client)
    assert Agreement.objects.get().text.version == "2026.1"


def test_a_supplier_signs_for_itself_only(supplier_a, supplier_b):
    sign(supplier_a.client)

    assert not Agreement.objects.filter(supplier=supplier_b.supplier).exists()
    text = supplier_b.client.get(reverse("portal:agreements")).content.decode()
    assert "Li Na" not in text
    assert 'id="sign-csr_agreement"' in text


def test_the_service_refuses_an_empty_name_and_a_text_of_another_kind(supplier_a):
    from common.exceptions import Conflict, Invalid

    args = {"supplier": supplier_a.supplier, "title": "", "by": supplier_a.user, "ip": None}
    with pytest.raises(Invalid):
        agreement_sign(kind=CSR, text=current_text(kind=CSR), typed_name="", **args)
    with pytest.raises(Conflict):
        agreement_sign(kind=CSR, text=current_text(kind=CODE), typed_name="Li Na", **args)


# --- The onboarding gate ---------------------------------------------------------------------------------


def test_a_supplier_missing_only_its_csr_agreement_is_admissible_once_signed_online(supplier_a):
    supplier = supplier_a.supplier
    policy = OnboardingPolicy.current()
    policy.require_integrity_commitment = False
    policy.save()
    ExternalAssessmentFactory(supplier=supplier, assessed_on=timezone.localdate() - dt.timedelta(days=60))
    AgreementFactory(supplier=supplier, kind=CODE, signed_on=timezone.localdate() - dt.timedelta(days=10))
    before = lifecycle.admission_check(supplier=supplier)
    assert not before.admissible
    assert [c.key for c in before.conditions if not c.met] == [CSR]

    sign(supplier_a.client)

    assert lifecycle.admission_check(supplier=supplier).admissible


# --- The texts in the admin ------------------------------------------------------------------------------


def test_a_signed_text_cannot_be_edited_or_deleted_in_the_admin(supplier_a, esg_manager):
    sign(supplier_a.client)
    signed, unsigned = current_text(kind=CSR), current_text(kind=CODE)
    admin = site._registry[AgreementText]
    request = RequestFactory().get("/")
    request.user = esg_manager

    assert "body_en" in admin.get_readonly_fields(request, signed)
    assert "active" not in admin.get_readonly_fields(request, signed)
    assert not admin.has_delete_permission(request, signed)
    assert admin.get_readonly_fields(request, unsigned) == []


def test_esg_managers_edit_the_texts_in_the_admin(client, esg_manager):
    client.force_login(esg_manager)
    text = current_text(kind=CODE)

    page = client.get(reverse("admin:suppliers_agreementtext_change", args=[text.pk]))

    assert page.status_code == 200
    assert 'name="body_zh"' in page.content.decode()


# --- Bounded queries --------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [2, 20])
def test_the_agreements_page_runs_a_fixed_number_of_queries(supplier_a, django_assert_max_num_queries, rows):
    for index in range(rows):
        AgreementFactory(
            supplier=supplier_a.supplier,
            kind=CODE,
            signed_on=timezone.localdate() - dt.timedelta(days=400 + index),
            text=current_text(kind=CODE),
        )
    supplier_a.client.get(reverse("portal:agreements"))

    with django_assert_max_num_queries(12):
        page = supplier_a.client.get(reverse("portal:agreements"))

    assert page.content.decode().count('data-label="Agreement"') == rows
