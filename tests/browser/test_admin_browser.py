import re

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from suppliers import risk
from suppliers.models import Commodity, Supplier
from tests.factories import ExternalAssessmentFactory, SupplierFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "browser-test-password-1"


@pytest.fixture
def register():
    get_user_model().objects.create_superuser("esg-admin", "esg-admin@example.com", PASSWORD)
    battery = Commodity.objects.get(code="battery")
    it_services = Commodity.objects.get(code="it-services")
    SupplierFactory(
        code="CN-BATT", name="Ningde Battery Cells", country="CN", commodity=battery, strategic=True
    )
    SupplierFactory(
        code="VN-PCB", name="Hanoi Circuit Boards", country="VN", commodity=Commodity.objects.get(code="pcb")
    )
    low = SupplierFactory(
        code="DE-IT",
        name="Berlin IT Services",
        country="DE",
        commodity=it_services,
        category=Supplier.Category.NON_PRODUCTION,
    )
    ExternalAssessmentFactory(supplier=low, score=190)
    risk.risk_refresh()
    return Supplier.objects.order_by("code")


def test_staff_see_risk_badges_in_the_list_and_the_explanation_on_a_supplier(
    page: Page, live_server, register
):
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", "esg-admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("esg-admin")

    page.goto(f"{live_server.url}/admin/suppliers/supplier/")
    badges = page.locator("#result_list .risk-badge")
    expect(badges).to_have_count(3)
    for supplier in register:
        row = page.locator("#result_list tr", has_text=supplier.code)
        expect(row.locator(f".risk-badge.risk-{supplier.risk_level}")).to_have_text(
            supplier.get_risk_level_display()
        )
    page.screenshot(path="/tmp/admin.png", full_page=True)  # noqa: S108 - a fixed place to look at after a run

    page.click("text=CN-BATT")
    expect(page).to_have_title(re.compile("CN-BATT"))
    supplier = register.get(code="CN-BATT")
    expect(page.locator(".field-risk_badge .risk-badge")).to_have_text(supplier.get_risk_level_display())
    explanation = page.locator(".field-risk_explanation")
    expect(explanation).to_contain_text("with risk model v1")
    expect(explanation).to_contain_text("Country risk:")
    expect(explanation).to_contain_text(
        "Commodity / process risk: 75 × 15% = 11.25 (Battery cells and packs: 75)."
    )
    expect(page.locator(".field-admission")).to_contain_text("Not met: No ESG evidence")
