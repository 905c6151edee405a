"""The portal on a phone and under the Content-Security-Policy: every page of both kinds of outside user fits
a 390-pixel-wide screen without scrolling sideways, and the browser reports no refused script, style or other
console complaint."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, expect

from audits.models import Audit
from common.models import PortalAccount
from tests.factories import AuditFactory
from tests.portal.conftest import PASSWORD, accepted_audit, auditor_login, contact_login

from .test_csp import RECORD_VIOLATIONS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 390, "height": 844}
# The innermost elements that reach past the screen's right edge, to say what to fix.
WIDEST = """() => [...document.querySelectorAll("body *")]
  .filter(e => e.getBoundingClientRect().right > 391
    && ![...e.children].some(c => c.getBoundingClientRect().right > 391))
  .slice(0, 3)
  .map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") + (e.className ? "." + e.className : ""))
  .join(", ")"""


@pytest.fixture
def people():
    from tests.factories import AuditAgencyFactory, SupplierFactory

    supplier = SupplierFactory(
        code="CN-LONGNAME", name="Guangdong Very Long Precision Metal Stamping Co., Ltd."
    )
    agency = AuditAgencyFactory(name="International Social Compliance Auditing Services")
    contact = contact_login(supplier, email="contact.with.a.long.address@precision-stamping.example")
    auditor = auditor_login(agency, email="lead.auditor@social-compliance.example")
    issued = accepted_audit(
        supplier=supplier,
        agency=agency,
        findings=[
            {
                "severity": "priority",
                "red_line": "6",
                "description": "Emergency exits locked during night shift.",
            },
            {"severity": "minor", "description": "Training records incomplete for new hires."},
        ],
    )
    ongoing = AuditFactory(supplier=supplier, agency=agency, status=Audit.Status.IN_PROGRESS)
    finding = issued.findings.order_by("number").first()
    return {
        "contact": (
            contact.user.email,
            [
                "/portal/inbox/",
                "/portal/audits/",
                f"/portal/audits/{issued.pk}/",
                f"/portal/findings/{finding.pk}/",
                f"/portal/findings/{finding.pk}/cap/",
                f"/portal/findings/{finding.pk}/progress/",
                f"/portal/findings/{finding.pk}/extension/",
                "/portal/declarations/",
                "/portal/declarations/new/",
                "/portal/agreements/",
                "/portal/agreements/csr_agreement/sign/",
                "/portal/account/",
            ],
        ),
        "auditor": (
            auditor.user.email,
            [
                "/portal/agency/audits/",
                f"/portal/agency/audits/{ongoing.pk}/",
                f"/portal/agency/audits/{ongoing.pk}/findings/new/",
                f"/portal/agency/findings/{finding.pk}/",
                f"/portal/agency/findings/{finding.pk}/verify/",
                "/portal/account/",
            ],
        ),
    }


@pytest.mark.parametrize("who", ["contact", "auditor"])
@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_every_portal_page_fits_a_phone_and_the_policy(browser: Browser, live_server, people, who, language):
    email, paths = people[who]
    PortalAccount.objects.filter(user__email=email).update(
        language="zh-hans" if language == "zh-CN" else "en"
    )
    Path("/tmp/portal-shots").mkdir(exist_ok=True)  # noqa: S108
    context = browser.new_context(viewport=PHONE, locale=language, is_mobile=True)
    page = context.new_page()
    complaints = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda m: (
            complaints.append(f"{m.type}: {m.text}")
            if m.type in ("error", "warning") and not m.location["url"].endswith("/favicon.ico")
            else None
        ),
    )
    page.on("pageerror", lambda error: complaints.append(f"page error: {error}"))

    page.goto(f"{live_server.url}/portal/sign-in/")
    page.fill("[name=username]", email)
    page.fill("[name=password]", PASSWORD)
    page.click("#sign-in-form button[type=submit]")
    expect(page.locator("#sign-out")).to_be_visible()

    too_wide = []
    for path in paths:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, f"{path}: {response.status}"
        width = page.evaluate("() => document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            culprits = page.evaluate(WIDEST)
            too_wide.append(f"{path}: {width}px ({culprits})")
        complaints += [f"{path}: {v}" for v in page.evaluate("() => window.__cspViolations")]
        shot = path.strip("/").replace("/", "-")
        page.screenshot(path=f"/tmp/portal-shots/{language}-{shot}.png", full_page=True)  # noqa: S108 - to look at
    context.close()

    assert not too_wide, "Pages wider than a phone's screen:\n" + "\n".join(too_wide)
    assert not complaints, "\n".join(complaints)
