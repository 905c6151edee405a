import datetime as dt

import openpyxl
import pytest
from playwright.sync_api import Page, expect

from suppliers import roles
from suppliers.models import Supplier
from tests.factories import SupplierFactory, UserFactory
from tests.reports.builders import build_2021

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PASSWORD = "correct-horse-battery"  # UserFactory's
CHARTS = ["risk", "region", "audits", "performance", "rectification", "overdue"]


@pytest.fixture
def manager():
    return UserFactory(username="esg-browser", role=roles.ESG_MANAGER)


def log_in(page: Page, live_server, user) -> None:
    page.goto(f"{live_server.url}/admin/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text(user.username)


def figure(page: Page, name: str):
    return page.locator(f'[data-figure="{name}"]')


def test_the_dashboard_draws_its_charts_and_changing_the_year_changes_the_figures(
    page: Page, live_server, manager
):
    build_2021()
    log_in(page, live_server, manager)

    page.get_by_role("link", name="ESG dashboard").click()
    expect(page).to_have_title("ESG dashboard | Django site admin")
    this_year = str(dt.date.today().year)
    expect(page.locator("#dashboard-year")).to_have_text(this_year)
    expect(figure(page, "audits_completed")).to_have_text("0")
    for chart in CHARTS:
        canvas = page.locator(f"#chart-{chart}")
        expect(canvas).to_have_attribute("data-rendered", "true")
        box = canvas.bounding_box()
        assert box["width"] > 100 and box["height"] > 100, chart
        assert page.evaluate("id => Boolean(window.Chart.getChart(id))", f"chart-{chart}"), chart

    page.select_option("#id_year", "2021")  # the filters apply as soon as they change

    expect(page).to_have_url(f"{live_server.url}/admin/dashboard/?year=2021&business_unit=")
    expect(page.locator("#dashboard-year")).to_have_text("2021")
    expect(figure(page, "audits_completed")).to_have_text("3")
    expect(figure(page, "production_total")).to_have_text("4")
    expect(figure(page, "rectification.overdue")).to_have_text("1")
    expect(figure(page, "performance.high")).to_have_text("2 (66.7%)")
    drawn = page.evaluate("() => window.Chart.getChart('chart-audits').data.datasets[0].data")
    assert drawn == [0, 0, 0, 4, 3]  # 2017 to 2021
    risk = page.evaluate("() => window.Chart.getChart('chart-risk').data.datasets[0].data")
    assert risk == [1, 1, 1]
    page.screenshot(path="/tmp/dashboard.png", full_page=True)  # noqa: S108 - a fixed place to look at


def test_an_export_from_the_supplier_list_downloads_exactly_the_filtered_rows(
    page: Page, live_server, manager, tmp_path
):
    for code in ["KEEP-1", "KEEP-2", "KEEP-3"]:
        SupplierFactory(code=code, name=f"{code} =1+1", status=Supplier.Status.ADMITTED)
    SupplierFactory(code="KEEP-4", name="Still a candidate", status=Supplier.Status.CANDIDATE)
    SupplierFactory(code="OTHER-1", name="Other admitted", status=Supplier.Status.ADMITTED)
    log_in(page, live_server, manager)

    page.goto(f"{live_server.url}/admin/suppliers/supplier/")
    page.fill("#searchbar", "KEEP")
    page.press("#searchbar", "Enter")
    page.locator("#changelist-filter").get_by_role("link", name="Admitted", exact=True).click()
    expect(page.locator("#result_list tbody tr")).to_have_count(3)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export XLSX").click()
    download = download_info.value
    assert download.suggested_filename.startswith("suppliers-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("Code", "Name")
    assert [row[:2] for row in rows[1:]] == [
        ("KEEP-1", "KEEP-1 =1+1"),
        ("KEEP-2", "KEEP-2 =1+1"),
        ("KEEP-3", "KEEP-3 =1+1"),
    ]
