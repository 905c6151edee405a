import csv
import io
import json

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.reports.builders import build_2021

pytestmark = pytest.mark.django_db

SHAPE = {
    "year": int,
    "suppliers": {
        "production_total",
        "mainland_china",
        "other_regions",
        "by_risk_level",
        "not_admitted_red_line",
        "csr_agreement_signed_pct",
    },
    "audits": {"completed", "completed_prior_year", "change", "performance"},
    "rectification": {"findings", "closed_on_time", "closed_late", "open_within_deadline", "overdue"},
    "minerals": {"smelters_total", "countries", "conformant_pct", "by_mineral"},
}


@pytest.fixture
def register_2021():
    return build_2021()


def run(*args) -> str:
    out = io.StringIO()
    call_command("esg_report", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# --- the command ----------------------------------------------------------------------------------------


def test_the_command_prints_the_report_as_json(register_2021):
    report = json.loads(run("--year", "2021"))

    assert report["year"] == 2021
    for section, keys in SHAPE.items():
        if section != "year":
            assert set(report[section]) == keys
    assert report["suppliers"]["production_total"] == 4
    assert report["audits"]["change"] == -1
    assert report["suppliers"]["by_risk_level"] == {"low": 1, "medium": 1, "high": 1}


def test_the_command_writes_an_xlsx_with_a_sheet_per_section(register_2021, tmp_path):
    target = tmp_path / "esg-2021.xlsx"
    run("--year", "2021", "--format", "xlsx", "--output", str(target))

    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["Suppliers", "Audits", "Rectification", "Minerals"]
    suppliers = {row[0]: row[1] for row in workbook["Suppliers"].iter_rows(min_row=3, values_only=True)}
    assert suppliers["Production suppliers"] == 4
    assert suppliers["Mainland China"] == 2
    assert suppliers["Other countries and regions"] == 2
    assert suppliers["Not admitted for red-line issues"] == 1
    assert suppliers["CSR Agreement signed (%)"] == 75.0
    audits = {row[0]: row[1] for row in workbook["Audits"].iter_rows(min_row=3, values_only=True)}
    assert audits["Suppliers audited (report accepted)"] == 3
    assert audits["Change on the prior year"] == -1
    assert audits["High performers (%)"] == 66.7
    rectification = {
        row[0]: row[1] for row in workbook["Rectification"].iter_rows(min_row=3, values_only=True)
    }
    assert rectification["Overdue"] == 1
    minerals = list(workbook["Minerals"].iter_rows(values_only=True))
    assert ("Mineral", "Smelters and refiners", "RMAP conformant", "RMAP conformant (%)") in minerals


def test_the_command_writes_csv_rows_of_section_metric_value(register_2021, tmp_path):
    target = tmp_path / "esg-2021.csv"
    run("--year", "2021", "--format", "csv", "--output", str(target))

    rows = list(csv.reader(target.read_text().splitlines()))
    assert rows[0] == ["section", "metric", "value"]
    values = {(section, metric): value for section, metric, value in rows[1:]}
    assert values[("report", "year")] == "2021"
    assert values[("suppliers", "production_total")] == "4"
    assert values[("suppliers", "by_risk_level.high")] == "1"
    assert values[("audits", "performance.low_pct")] == "33.3"
    assert values[("rectification", "closed_late")] == "1"
    assert values[("minerals", "smelters_total")] == "0"


def test_csv_goes_to_standard_output_without_output(register_2021):
    rows = list(csv.reader(run("--year", "2021", "--format", "csv").splitlines()))
    assert ["audits", "completed", "3"] in rows


@pytest.mark.parametrize("year", ["abc", "1999", "2021.0", str(timezone.localdate().year + 1)])
def test_the_command_refuses_a_year_it_cannot_report_naming_the_option(year):
    with pytest.raises(CommandError, match=r"^--year: .*give a year from 2000 to \d{4}"):
        run("--year", year)


def test_an_xlsx_report_needs_a_file():
    with pytest.raises(CommandError, match="--output"):
        run("--year", "2021", "--format", "xlsx")


# --- the API --------------------------------------------------------------------------------------------


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


URL = "/api/v1/reports/esg/"


def test_the_api_route_is_named():
    assert reverse("api:esg-report-list") == URL


@pytest.mark.parametrize("role", ["procurement_user", "esg_manager"])
def test_procurement_staff_and_esg_managers_get_the_report(request, role, register_2021):
    response = api(request.getfixturevalue(role)).get(URL, {"year": 2021})

    assert response.status_code == 200
    assert response.json()["suppliers"]["production_total"] == 4
    assert response.json()["rectification"]["findings"] == 4
    assert set(response.json()) == set(SHAPE)


@pytest.mark.parametrize("role", ["auditor_user", "supplier_contact_user"])
def test_auditors_and_supplier_contacts_may_not_read_the_report(request, role):
    response = api(request.getfixturevalue(role)).get(URL, {"year": 2021})

    assert response.status_code == 403
    assert "ESG report" in response.json()["detail"]


def test_the_report_needs_a_login():
    assert APIClient().get(URL, {"year": 2021}).status_code in (401, 403)


@pytest.mark.parametrize("params", [{}, {"year": "twenty"}, {"year": "1999"}, {"year": "3000"}])
def test_an_invalid_year_is_a_400_naming_the_year(procurement_user, params):
    response = api(procurement_user).get(URL, params)

    assert response.status_code == 400
    assert list(response.json()) == ["year"]
    assert "give a year from 2000 to" in response.json()["year"][0]


def test_the_api_with_a_token(procurement_user, register_2021):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=procurement_user).key}")
    assert client.get(URL, {"year": "2021"}).json()["audits"]["completed"] == 3
