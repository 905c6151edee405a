import csv
import datetime as dt
import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from common import exports
from common.exports import Column
from minerals.exports import SMELTERS
from suppliers.models import Supplier
from tests.factories import BusinessUnitFactory, SupplierFactory
from tests.reports.builders import audit, finding

pytestmark = pytest.mark.django_db

SUPPLIERS = "/admin/suppliers/supplier/"
FINDINGS = "/admin/audits/finding/"
NASTY = ['=HYPERLINK("http://x","y")', "+1+2", "-3+4", "@SUM(A1)", "\tTabbed", "\rReturned"]


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    return list(sheet.iter_rows(values_only=True))


# --- the generic writer -----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", NASTY)
def test_text_that_a_spreadsheet_would_run_is_quoted_in_csv(text):
    assert exports.csv_safe(text) == "'" + text


def test_ordinary_text_and_numbers_are_left_alone_in_csv():
    assert [exports.csv_safe(v) for v in ["ACME = good", "Shenzhen", 5, -3]] == [
        "ACME = good",
        "Shenzhen",
        5,
        -3,
    ]


def test_text_is_stored_as_text_and_never_as_a_formula_in_xlsx():
    rows = [{"name": text, "n": i, "on": dt.date(2021, 12, 31)} for i, text in enumerate(NASTY)]
    columns = [
        Column("Name", lambda r: r["name"]),
        Column("N", lambda r: r["n"]),
        Column("On", lambda r: r["on"]),
    ]

    response = exports.export_response(columns=columns, rows=rows, filename="nasty", fmt="xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(body(response))).active
    cells = list(sheet.iter_rows(min_row=2))
    # XML reads a carriage return back as a line feed; the text is otherwise kept as it was.
    assert [row[0].value for row in cells] == [text.replace("\r", "\n") for text in NASTY]
    assert {row[0].data_type for row in cells} == {"s"}
    assert [row[1].value for row in cells] == list(range(len(NASTY)))
    assert cells[0][2].value == dt.datetime(2021, 12, 31)
    assert response["Content-Disposition"] == 'attachment; filename="nasty.xlsx"'


def test_an_unknown_format_is_refused():
    with pytest.raises(exports.UnknownFormat, match="pdf"):
        exports.export_response(columns=[], rows=[], filename="x", fmt="pdf")


def test_the_smelter_columns_read_a_smelter():
    from minerals.models import Smelter

    kept = Smelter.objects.create(smelter_id="CID000001", name="Kept Refinery", metal="gold", country="CH")
    Smelter.objects.create(
        smelter_id="CID000002",
        name="=Dup",
        metal="gold",
        country="",
        country_name="Switzerland",
        merged_into=kept,
    )

    response = exports.export_response(
        columns=SMELTERS,
        rows=Smelter.objects.order_by("smelter_id").select_related("merged_into"),
        filename="s",
        fmt="csv",
    )

    rows = csv_rows(response)
    assert rows[0][:3] == ["Smelter ID", "Name", "Metal"]
    assert rows[1][:5] == ["CID000001", "Kept Refinery", "Gold", "CH", "Switzerland"]
    assert rows[2][1] == "'=Dup"
    assert rows[2][4] == "Switzerland"
    assert rows[2][-1] == "CID000001"


# --- the supplier list ------------------------------------------------------------------------------------


@pytest.fixture
def register():
    tv = BusinessUnitFactory(code="test-tv", name="Test TV")
    for i, name in enumerate(NASTY):
        SupplierFactory(code=f"NASTY{i}", name=name, status=Supplier.Status.ADMITTED, business_units=[tv])
    SupplierFactory(code="CAND1", name="Candidate One", status=Supplier.Status.CANDIDATE)
    SupplierFactory(code="ADM-VN", name="Hanoi Boards", status=Supplier.Status.ADMITTED, country="VN")
    return tv


def test_the_supplier_list_offers_exports_of_what_it_shows(client, procurement_user, register):
    client.force_login(procurement_user)

    html = client.get(SUPPLIERS, {"status__exact": "admitted", "q": "NASTY", "p": "1"}).content.decode()

    assert f'href="{SUPPLIERS}export/xlsx/?status__exact=admitted&amp;q=NASTY"' in html
    assert f'href="{SUPPLIERS}export/csv/?status__exact=admitted&amp;q=NASTY"' in html
    assert "Import suppliers" in html  # the list's own buttons stay
    assert 'value="export_selected_xlsx"' in html


def test_the_supplier_export_holds_exactly_the_filtered_rows_with_formulas_defused(
    client, procurement_user, register
):
    client.force_login(procurement_user)

    rows = csv_rows(client.get(f"{SUPPLIERS}export/csv/", {"status__exact": "admitted", "q": "NASTY"}))

    assert rows[0][:4] == ["Code", "Name", "Legal name", "Category"]
    assert [row[0] for row in rows[1:]] == [f"NASTY{i}" for i in range(len(NASTY))]
    assert [row[1] for row in rows[1:]] == ["'" + name for name in NASTY]
    header = rows[0]
    assert {row[header.index("Business units")] for row in rows[1:]} == {"Test TV"}
    assert {row[header.index("Region")] for row in rows[1:]} == {"Mainland China"}


def test_the_supplier_xlsx_export_follows_the_lists_filters(client, procurement_user, register):
    client.force_login(procurement_user)

    response = client.get(f"{SUPPLIERS}export/xlsx/", {"status__exact": "admitted", "country": "VN"})

    assert response["Content-Disposition"].startswith('attachment; filename="suppliers-')
    rows = xlsx_rows(response)
    assert [row[:2] for row in rows[1:]] == [("ADM-VN", "Hanoi Boards")]


def test_the_export_actions_export_the_selected_suppliers(client, procurement_user, register):
    client.force_login(procurement_user)
    chosen = Supplier.objects.filter(code__in=["CAND1", "NASTY2"])

    response = client.post(
        SUPPLIERS,
        {"action": "export_selected_csv", "_selected_action": [s.pk for s in chosen], "index": 0},
    )

    assert sorted(row[0] for row in csv_rows(response)[1:]) == ["CAND1", "NASTY2"]


def test_a_wrong_filter_sends_back_to_the_list(client, procurement_user):
    client.force_login(procurement_user)

    response = client.get(f"{SUPPLIERS}export/csv/", {"no_such_field": "1"})

    assert response.status_code == 302
    assert response["Location"] == f"{SUPPLIERS}?e=1"


def test_an_unknown_export_format_is_not_found(client, procurement_user):
    client.force_login(procurement_user)
    assert client.get(f"{SUPPLIERS}export/pdf/").status_code == 404


def test_the_export_needs_the_right_to_view_the_list(client, esg_manager):
    from django.contrib.auth.models import Permission

    clerk = esg_manager
    clerk.groups.clear()
    clerk.user_permissions.add(Permission.objects.get(codename="view_finding"))
    client.force_login(clerk)

    assert client.get(f"{SUPPLIERS}export/csv/").status_code == 403
    assert client.get(f"{FINDINGS}export/csv/").status_code == 200


def test_the_supplier_export_runs_the_same_queries_for_few_and_many_rows(client, procurement_user):
    client.force_login(procurement_user)
    tv = BusinessUnitFactory(code="test-tv", name="Test TV")

    def export() -> int:
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"{SUPPLIERS}export/csv/", {"status__exact": "admitted"})
            rows = csv_rows(response)
        return len(captured), len(rows) - 1

    SupplierFactory.create_batch(3, status=Supplier.Status.ADMITTED, business_units=[tv])
    client.get(SUPPLIERS)  # sessions and permission caches settle on the first request
    few, few_rows = export()
    SupplierFactory.create_batch(60, status=Supplier.Status.ADMITTED, business_units=[tv])
    many, many_rows = export()

    assert (few_rows, many_rows) == (3, 63)
    assert many == few


# --- the findings and CAP tracker -------------------------------------------------------------------------


def test_the_findings_export_holds_the_filtered_findings_with_their_status(client, esg_manager, settings):
    client.force_login(esg_manager)
    supplier = SupplierFactory(code="FIND", name="@Finder Ltd")
    done = audit(supplier, dt.date(2021, 3, 1))
    late = finding(done, due=dt.date(2021, 4, 1))
    finding(done, due=dt.date(2021, 4, 1), severity="minor")

    response = client.get(f"{FINDINGS}export/xlsx/", {"severity__exact": "major"})

    rows = xlsx_rows(response)
    header = rows[0]
    assert len(rows) == 2
    row = dict(zip(header, rows[1], strict=True))
    assert row["Finding"] == late.reference
    assert row["Supplier"] == "@Finder Ltd"
    assert row["Severity"] == "Major"
    assert row["CAP status"] == "No plan yet"
    assert row["Rectification status today"] == "Overdue"
    assert row["Rectification due"] == dt.datetime(2021, 4, 1)


def test_the_findings_export_runs_the_same_queries_for_few_and_many_rows(client, esg_manager):
    client.force_login(esg_manager)

    def export() -> int:
        with CaptureQueriesContext(connection) as captured:
            rows = xlsx_rows(client.get(f"{FINDINGS}export/xlsx/"))
        return len(captured), len(rows) - 1

    done = audit(SupplierFactory(code="F1"), dt.date(2021, 3, 1))
    finding(done, due=dt.date(2021, 4, 1))
    client.get(FINDINGS)
    few, few_rows = export()
    for i in range(30):
        finding(audit(SupplierFactory(code=f"F{i + 2}"), dt.date(2021, 3, 1)), due=dt.date(2021, 4, 1))
    many, many_rows = export()

    assert (few_rows, many_rows) == (1, 31)
    assert many == few


def test_the_smelter_list_export_holds_the_filtered_smelters(client, esg_manager):
    from minerals.models import Smelter

    Smelter.objects.create(
        smelter_id="CID000001", name="=HYPERLINK(evil)", metal="tin", country="CN", rmap_status="conformant"
    )
    Smelter.objects.create(
        smelter_id="CID000002", name="Gold Refinery", metal="gold", country="CH", rmap_status="conformant"
    )
    client.force_login(esg_manager)

    url = reverse("admin:minerals_smelter_changelist") + "export/csv/"
    response = client.get(url, {"metal__exact": "tin"})

    rows = csv_rows(response)
    assert rows[0][:2] == ["Smelter ID", "Name"]
    assert [row[:2] for row in rows[1:]] == [["CID000001", "'=HYPERLINK(evil)"]]
