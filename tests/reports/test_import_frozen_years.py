"""An import that changes records dated in a frozen year names that year, and the ESG manager refreshes it."""

import io

import pytest
from django.core.management import call_command
from django.urls import reverse

from common.importing import ImportCommand, ImportResult, after_import
from reports import selectors
from reports.apps import frozen_years_changed
from reports.models import YearEnd
from suppliers.importing import COLUMNS, import_suppliers
from tests.factories import AgreementFactory, SupplierFactory
from tests.reports.builders import admitted, at

pytestmark = pytest.mark.django_db


def freeze(year: int) -> YearEnd:
    return selectors.year_end(selectors.report_period(year=year))


def result(*years: int) -> ImportResult:
    imported = ImportResult(filename="agreements.xlsx", created=1, updated=0, errors=[])
    imported.years.update(years)
    return imported


def test_an_import_touching_a_frozen_year_names_it_and_links_to_the_frozen_years(settings):
    settings.SITE_URL = "https://esg.example.com"
    freeze(2021)

    notes = after_import(result(2021, 2022)).notes

    assert notes == [
        "2021's figures are frozen and this import changed records dated in 2021: refresh them under "
        "Reports → Frozen years (https://esg.example.com/admin/reports/yearend/?year__in=2021)."
    ]


def test_several_frozen_years_are_named_in_one_note():
    freeze(2020)
    freeze(2021)
    (note,) = frozen_years_changed(result(2019, 2020, 2021))
    assert note.startswith("The figures of 2020 and 2021 are frozen")
    assert "?year__in=2020,2021" in note


def test_an_import_of_unfrozen_years_or_a_failed_import_notes_nothing():
    freeze(2021)
    assert after_import(result(2019, 2022)).notes == []
    failed = result(2021)
    failed.errors.append(object())
    assert after_import(failed).notes == []


def test_add_years_counts_every_year_a_record_lasts():
    imported = result()
    imported.add_years(at(2019, 6, 1).date(), at(2021, 1, 1).date())
    imported.add_years(at(2023, 12, 31, 23, 30))
    imported.add_years(None)
    assert imported.years == {2019, 2020, 2021, 2023}


def test_the_supplier_import_dates_its_changes_today_which_is_never_frozen(tmp_path):
    freeze(2021)
    content = ",".join(COLUMNS) + "\nS1,One,,production,1,,CN,,,,,\n"
    imported = import_suppliers(fileobj=io.BytesIO(content.encode()), filename="s.csv")
    assert imported.ok and len(imported.years) == 1
    assert after_import(imported).notes == []


def test_the_command_prints_the_frozen_year_note(tmp_path):
    freeze(2021)

    def import_backdated(*, fileobj, filename, by=None):
        return result(2021)

    class Command(ImportCommand):
        importer = staticmethod(import_backdated)

    path = tmp_path / "agreements.csv"
    path.write_text("x\n")
    out = io.StringIO()
    call_command(Command(), str(path), stdout=out)
    assert "2021's figures are frozen" in out.getvalue()


def refresh(client, *years):
    return client.post(
        reverse("admin:reports_yearend_changelist"),
        {"action": "refresh", "_selected_action": [str(year) for year in years]},
        follow=True,
    )


def test_the_esg_manager_refreshes_a_frozen_year_from_the_admin(client, esg_manager):
    supplier = admitted("A", at(2020, 3, 1))
    assert freeze(2021).suppliers.get().csr_agreement_signed is False
    AgreementFactory(supplier=supplier, signed_on=at(2020, 1, 1).date())  # entered late, dated back
    admitted("B", at(2021, 5, 1))
    client.force_login(esg_manager)

    response = refresh(client, 2021)

    assert "2021 refreshed: 2 production suppliers." in response.content.decode()
    frozen = YearEnd.objects.get(year=2021)
    assert frozen.production_suppliers == 2
    assert frozen.suppliers.get(supplier=supplier).csr_agreement_signed is True


def test_procurement_staff_may_not_refresh(client, procurement_user):
    SupplierFactory()
    freeze(2021)
    client.force_login(procurement_user)
    page = client.get(reverse("admin:reports_yearend_changelist"))
    assert page.status_code == 200
    assert b'value="refresh"' not in page.content
