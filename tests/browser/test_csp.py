"""The admin, the dashboard and the API documentation work under the Content-Security-Policy: a real
Chromium opens each page, and neither the browser's console nor a ``securitypolicyviolation`` event reports
anything refused, while each page shows what it is for."""

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import Page, expect

from suppliers import risk
from tests.factories import SupplierFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "browser-test-password-1"
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} refused ${event.blockedURI || "inline"}`);
});
"""


# Redoc always shows its maker's logo from the maker's site; the policy refuses it, as it should, and Redoc
# then leaves it out.
REDOC_LOGO = "https://cdn.redoc.ly/redoc/logo-mini.svg"


@pytest.fixture
def watched(page: Page):
    """The page, and the list of what the browser complained about on it (the site has no favicon.ico, which
    the browser asks for on its own)."""
    complaints = []

    def on_console(message):
        if message.type in ("error", "warning") and not message.location["url"].endswith("/favicon.ico"):
            complaints.append(f"console {message.type}: {message.text} ({message.location['url']})")

    page.add_init_script(RECORD_VIOLATIONS)
    page.on("console", on_console)
    page.on("pageerror", lambda error: complaints.append(f"page error: {error}"))
    return page, complaints


def violations(page: Page) -> list[str]:
    return page.evaluate("() => window.__cspViolations")


@pytest.fixture
def logged_in(watched, live_server):
    page, complaints = watched
    get_user_model().objects.create_superuser("csp-admin", "csp-admin@example.com", PASSWORD)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", "csp-admin")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("csp-admin")
    assert violations(page) == []
    return page, complaints


def test_the_admin_changelist_and_change_form_work_under_the_policy(logged_in, live_server):
    page, complaints = logged_in
    SupplierFactory(code="CN-CSP", name="Policy Test Supplier", country="CN")
    risk.risk_refresh()

    page.goto(f"{live_server.url}/admin/suppliers/supplier/")
    expect(page.locator("#result_list")).to_contain_text("CN-CSP")
    expect(page.locator("#result_list .risk-badge")).to_have_count(1)
    assert violations(page) == []

    page.click("text=CN-CSP")
    expect(page.locator("#supplier_form")).to_be_visible()
    assert violations(page) == []
    assert complaints == []


def test_the_dashboard_draws_its_charts_under_the_policy(logged_in, live_server):
    page, complaints = logged_in

    page.goto(f"{live_server.url}/admin/dashboard/")

    canvases = page.locator("canvas[id^=chart-]")
    expect(canvases.first).to_have_attribute("data-rendered", "true")
    assert canvases.count() >= 5
    for index in range(canvases.count()):
        expect(canvases.nth(index)).to_have_attribute("data-rendered", "true")
    assert page.evaluate("() => Boolean(window.Chart)")
    assert violations(page) == []
    assert complaints == []


def test_swagger_ui_lists_the_operations_under_the_policy(watched, live_server):
    page, complaints = watched

    page.goto(f"{live_server.url}/api/docs/")

    expect(page.locator(".opblock").first).to_be_visible(timeout=15_000)
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/suppliers/").first).to_be_visible()
    assert violations(page) == []
    assert complaints == []


def test_redoc_shows_the_api_under_the_policy(watched, live_server):
    page, complaints = watched

    page.goto(f"{live_server.url}/api/redoc/")

    expect(page.locator("h1", has_text="Supplier ESG API")).to_be_visible(timeout=15_000)
    expect(page.locator("h2", has_text="Obtain an API token")).to_be_visible()
    page.fill("input[placeholder='Search...']", "token")  # the search runs in a worker
    expect(page.locator("[role=search] li", has_text="Obtain an API token").first).to_be_visible(
        timeout=15_000
    )
    assert set(violations(page)) <= {f"img-src refused {REDOC_LOGO}"}
    assert [complaint for complaint in complaints if REDOC_LOGO not in complaint] == []


def test_the_admin_login_says_when_an_account_is_locked_out(watched, live_server):
    page, complaints = watched
    get_user_model().objects.create_user("locked-staff", password=PASSWORD, is_staff=True)

    page.goto(f"{live_server.url}/admin/login/")
    for _ in range(5):
        page.fill("#id_username", "locked-staff")
        page.fill("#id_password", "wrong-password")
        page.click("input[type=submit]")
        if page.locator("#login-locked").count():
            break

    expect(page.locator("#login-locked")).to_contain_text("logging in is locked for 15 minutes")
    page.click("text=Back to the login page")
    page.fill("#id_username", "locked-staff")
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#login-locked")).to_be_visible()
    assert violations(page) == []
    assert [complaint for complaint in complaints if "429" not in complaint] == []
