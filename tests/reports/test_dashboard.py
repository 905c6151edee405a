import datetime as dt
import io
import json
import re

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import BusinessUnitFactory, SupplierFactory, UserFactory
from tests.reports.builders import admitted, assessed, at, audit, build_2021, finding

pytestmark = pytest.mark.django_db

URL = "/admin/dashboard/"


@pytest.fixture
def register_2021():
    return build_2021()


def figure(html: str, name: str) -> str:
    match = re.search(rf'data-figure="{re.escape(name)}">([^<]*)<', html)
    assert match, f"no figure {name} on the page"
    return match.group(1).strip()


def embedded(html: str) -> dict:
    match = re.search(r'<script id="dashboard-data" type="application/json">(.*?)</script>', html, re.S)
    return json.loads(match.group(1))


def test_the_dashboard_shows_the_years_figures_and_the_data_for_its_charts(
    client, esg_manager, register_2021
):
    client.force_login(esg_manager)

    html = client.get(URL, {"year": 2021}).content.decode()

    assert figure(html, "production_total") == "4"
    assert figure(html, "audits_completed") == "3"
    assert figure(html, "not_admitted_red_line") == "1"
    assert figure(html, "region.mainland_china") == "2"
    assert figure(html, "risk.high") == "1"
    assert figure(html, "performance.high") == "2 (66.7%)"
    assert figure(html, "rectification.overdue") == "1"
    assert figure(html, "audits.2020") == "4"
    for chart in ("risk", "region", "audits", "performance", "rectification", "overdue"):
        assert f'<canvas id="chart-{chart}"' in html
    data = embedded(html)
    assert data["suppliers"]["by_risk_level"] == {"low": 1, "medium": 1, "high": 1}
    assert [row["year"] for row in data["audits_per_year"]] == [2017, 2018, 2019, 2020, 2021]
    assert [row["name"] for row in data["overdue_by_stage"]] == [
        "Due today / overdue",
        "Overdue 14 days",
        "Overdue 30 days",
    ]
    assert "No smelter declarations for 2021" in html


def test_the_dashboard_uses_the_admin_look_and_our_own_chart_library(client, procurement_user):
    client.force_login(procurement_user)

    html = client.get(URL).content.decode()

    assert 'id="site-name"' in html  # the admin's header
    assert "/static/vendor/chartjs/chart.umd.min.js" in html
    assert "/static/reports/dashboard.js" in html
    assert not re.search(r"""(src|href)=["']https?://""", html), "the page loads something from elsewhere"
    assert f'<option value="{dt.date.today().year}" selected>' in html


def test_changing_the_year_or_the_business_unit_changes_the_figures(client, procurement_user, register_2021):
    client.force_login(procurement_user)
    tv = BusinessUnitFactory(code="tv", name="TV")
    register_2021["A"].business_units.add(tv)

    this_year = client.get(URL).content.decode()
    year_2021 = client.get(URL, {"year": "2021"}).content.decode()
    tv_2021 = client.get(URL, {"year": "2021", "business_unit": tv.pk}).content.decode()

    assert figure(this_year, "audits_completed") == "0"
    assert figure(year_2021, "audits_completed") == "3"
    assert figure(tv_2021, "audits_completed") == "1"
    assert figure(tv_2021, "production_total") == "1"
    assert f"business unit <strong>{tv.name}</strong>" in tv_2021


def test_an_unknown_filter_value_shows_an_error_and_this_years_figures(client, procurement_user):
    client.force_login(procurement_user)

    html = client.get(URL, {"year": "1850"}).content.decode()

    assert "Select a valid choice" in html
    assert f'id="dashboard-year">{dt.date.today().year}<' in html


def test_the_admin_index_links_to_the_dashboard(client, procurement_user):
    client.force_login(procurement_user)

    html = client.get("/admin/").content.decode()

    assert f'href="{URL}">ESG dashboard</a>' in html
    assert "Supplier register" in html  # the usual list of apps is still there


def test_staff_without_the_roles_rights_are_refused(client):
    clerk = UserFactory(username="clerk")
    clerk.is_staff = True
    clerk.save()
    client.force_login(clerk)

    assert client.get(URL).status_code == 403
    assert client.get(f"{URL}esg-report/", {"year": 2021}).status_code == 403
    assert "ESG dashboard" not in client.get("/admin/").content.decode()


@pytest.mark.parametrize("role", ["auditor_user", "supplier_contact_user"])
def test_auditors_and_supplier_contacts_are_sent_to_the_login(client, request, role):
    client.force_login(request.getfixturevalue(role))

    response = client.get(URL)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_the_report_downloads_from_the_dashboard_in_every_format(client, esg_manager, register_2021):
    client.force_login(esg_manager)
    html = client.get(URL, {"year": 2021}).content.decode()
    assert f"{URL}esg-report/?year=2021&amp;format=xlsx" in html

    xlsx = client.get(f"{URL}esg-report/", {"year": 2021, "format": "xlsx"})
    assert xlsx["Content-Disposition"] == 'attachment; filename="esg-report-2021.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content))["Suppliers"]
    assert ("Production suppliers", 4) in list(sheet.iter_rows(values_only=True))
    assert (
        json.loads(client.get(f"{URL}esg-report/", {"year": 2021, "format": "json"}).content)["year"] == 2021
    )
    assert (
        b"suppliers,production_total,4"
        in client.get(f"{URL}esg-report/", {"year": 2021, "format": "csv"}).content
    )


@pytest.mark.parametrize(
    ("params", "message"),
    [({"year": "20x1"}, "year: “20x1” is not a year"), ({"year": 2021, "format": "pdf"}, "format: “pdf”")],
)
def test_a_download_with_a_wrong_year_or_format_says_which(client, procurement_user, params, message):
    client.force_login(procurement_user)

    response = client.get(f"{URL}esg-report/", params)

    assert response.status_code == 400
    assert response.content.decode().startswith(message)


def test_the_dashboard_runs_the_same_number_of_queries_for_few_and_many_suppliers(client, procurement_user):
    client.force_login(procurement_user)
    tv = BusinessUnitFactory(code="tv", name="TV")

    def grow(prefix, n):
        for i in range(n):
            supplier = admitted(f"{prefix}{i}", at(2021, 2, 1), country="CN" if i % 2 else "VN")
            supplier.business_units.add(tv)
            assessed(supplier, ["low", "medium", "high"][i % 3], at(2021, 3, 1))
            done = audit(supplier, dt.date(2021, 4, 1), band=["low", "medium", "high"][i % 3])
            finding(done, due=dt.date(2021, 5, 1) + dt.timedelta(days=20 * i))

    def queries(params) -> int:
        client.get(URL, params)  # sessions and permission caches settle on the first request
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL, params).status_code == 200
        return len(captured)

    grow("FEW", 2)
    few = {
        key: queries(params)
        for key, params in [("now", {}), ("2021", {"year": 2021, "business_unit": tv.pk})]
    }
    grow("MANY", 30)
    many = {
        key: queries(params)
        for key, params in [("now", {}), ("2021", {"year": 2021, "business_unit": tv.pk})]
    }

    assert many == few
    assert max(few.values()) <= 20


def test_the_dashboard_shows_smelter_certification_by_mineral_from_the_years_declarations(
    client, esg_manager
):
    from minerals.models import Declaration, DeclaredSmelter, Family, RmapStatus, Smelter

    client.force_login(esg_manager)
    gold = [
        Smelter.objects.create(
            smelter_id=f"CID00000{i}", name=f"Gold {i}", metal="gold", country="CH", rmap_status=status
        )
        for i, status in enumerate([RmapStatus.CONFORMANT, RmapStatus.CONFORMANT, RmapStatus.ACTIVE])
    ]
    cobalt = Smelter.objects.create(
        smelter_id="CID000009", name="Cobalt", metal="cobalt", country="CD", rmap_status=RmapStatus.CONFORMANT
    )
    for supplier, family, smelters in [
        (SupplierFactory(code="M1"), Family.CMRT, gold[:2]),
        (SupplierFactory(code="M2"), Family.CMRT, gold[1:]),
        (SupplierFactory(code="M3"), Family.EMRT, [cobalt]),
    ]:
        declaration = Declaration.objects.create(
            supplier=supplier,
            year=2021,
            family=family,
            template=family,
            file=f"{supplier.code}.xlsx",
            filename=f"{supplier.code}.xlsx",
            sha256=supplier.code.ljust(64, "0"),
            status=Declaration.Status.ACCEPTED,
        )
        for row, smelter in enumerate(smelters, start=5):
            DeclaredSmelter.objects.create(
                declaration=declaration, row=row, metal=smelter.metal, smelter=smelter, match_method="cid"
            )

    html = client.get(URL, {"year": 2021}).content.decode()

    assert '<canvas id="chart-minerals"' in html
    assert figure(html, "minerals.gold.smelters") == "3"
    assert figure(html, "minerals.gold.conformant_pct") == "66.7%"
    assert figure(html, "minerals.cobalt.smelters") == "1"
    assert "4 smelters and refiners from 2 countries and regions, 75.0% RMAP conformant." in html


def test_chart_js_and_the_dashboard_script_are_served_from_our_static_files(client, settings):
    settings.WHITENOISE_USE_FINDERS = True
    settings.WHITENOISE_AUTOREFRESH = True

    library = client.get("/static/vendor/chartjs/chart.umd.min.js")
    script = client.get("/static/reports/dashboard.js")
    licence = client.get("/static/vendor/chartjs/LICENSE.md")

    assert library.status_code == script.status_code == licence.status_code == 200
    assert b"Chart.js v4" in b"".join(library.streaming_content)[:200]
    assert b"chart-risk" in b"".join(script.streaming_content)
    assert b"MIT License" in b"".join(licence.streaming_content)
