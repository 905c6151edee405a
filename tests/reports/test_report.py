import datetime as dt
import threading

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext, modify_settings
from django.urls import reverse

from audits.models import Audit
from reports import selectors
from reports.models import YearEnd
from reports.tasks import freeze_last_year
from suppliers import risk
from suppliers.models import Agreement, Supplier
from tests.factories import AgreementFactory, BusinessUnitFactory, SupplierFactory
from tests.reports.builders import admitted, assessed, at, audit, build_2021, finding, history

pytestmark = pytest.mark.django_db

Status = Supplier.Status


@pytest.fixture
def register_2021():
    return build_2021()


def test_the_2021_report_has_the_figures_of_the_register(register_2021):
    report = selectors.esg_report(year=2021)

    assert report["year"] == 2021
    assert report["suppliers"] == {
        "production_total": 4,
        "mainland_china": 2,
        "other_regions": 2,
        "by_risk_level": {"low": 1, "medium": 1, "high": 1},
        "not_admitted_red_line": 1,
        "csr_agreement_signed_pct": 75.0,
    }
    assert report["audits"] == {
        "completed": 3,
        "completed_prior_year": 4,
        "change": -1,
        "performance": {"high_pct": 66.7, "medium_pct": 0.0, "low_pct": 33.3},
    }
    assert report["rectification"] == {
        "findings": 4,
        "closed_on_time": 1,
        "closed_late": 1,
        "open_within_deadline": 1,
        "overdue": 1,
    }
    assert set(report["minerals"]) == {"smelters_total", "countries", "conformant_pct", "by_mineral"}
    assert report["minerals"]["smelters_total"] == 0


def test_a_supplier_admitted_on_31_december_counts_and_one_admitted_on_1_january_does_not():
    admitted("LATE", at(2021, 12, 31, 23, 59, 59))
    admitted("NEXT", at(2022, 1, 1, 0, 0, 0))

    assert selectors.esg_report(year=2021)["suppliers"]["production_total"] == 1
    assert selectors.esg_report(year=2022)["suppliers"]["production_total"] == 2


def test_the_year_ends_at_midnight_in_the_projects_time_zone(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # 1 January 2022 00:30 in Shanghai is still 31 December 2021 in UTC: it belongs to 2022.
    admitted("SH", dt.datetime(2021, 12, 31, 16, 30, tzinfo=dt.UTC))

    assert selectors.esg_report(year=2021)["suppliers"]["production_total"] == 0
    assert selectors.esg_report(year=2022)["suppliers"]["production_total"] == 1


def test_a_supplier_admitted_before_the_year_counts_until_it_leaves():
    admitted("STAYS", at(2015, 1, 1))
    admitted("LEFT", at(2015, 1, 1), (Status.SUSPENDED, at(2020, 12, 31, 23, 0)))
    admitted("BACK", at(2015, 1, 1), (Status.SUSPENDED, at(2020, 5, 1)), (Status.ADMITTED, at(2021, 12, 1)))

    assert selectors.esg_report(year=2021)["suppliers"]["production_total"] == 2
    assert selectors.esg_report(year=2020)["suppliers"]["production_total"] == 3


def test_only_rejections_for_red_line_findings_in_the_year_count_as_not_admitted_for_red_line():
    def rejected(code, when, red_line):
        history(
            SupplierFactory(code=code),
            (Status.SCREENING, at(2021, 1, 2)),
            (Status.REJECTED, when),
            red_line=red_line,
        )

    rejected("RED", at(2021, 12, 31, 23, 59), True)
    rejected("OTHER", at(2021, 6, 1), False)
    rejected("NEXT", at(2022, 1, 1), True)

    assert selectors.esg_report(year=2021)["suppliers"]["not_admitted_red_line"] == 1


def test_a_csr_agreement_expiring_before_year_end_is_not_counted():
    csr = Agreement.Kind.CSR_AGREEMENT
    for code, expires in [
        ("OK", None),
        ("LAST-DAY", dt.date(2021, 12, 31)),
        ("EXPIRED", dt.date(2021, 12, 30)),
    ]:
        supplier = admitted(code, at(2020, 1, 1))
        AgreementFactory(supplier=supplier, kind=csr, signed_on=dt.date(2020, 1, 1), expires_on=expires)
    AgreementFactory(supplier=admitted("UNSIGNED", at(2020, 1, 1)), kind=csr, signed_on=None, expires_on=None)
    AgreementFactory(
        supplier=admitted("SIGNED-LATER", at(2020, 1, 1)), kind=csr, signed_on=dt.date(2022, 1, 1)
    )
    admitted("CODE-ONLY", at(2020, 1, 1))

    # 2 of 6, rounded to one decimal.
    assert selectors.esg_report(year=2021)["suppliers"]["csr_agreement_signed_pct"] == 33.3


def test_an_audit_ending_31_december_counts_for_that_year_and_one_ending_1_january_for_the_next():
    december, january = SupplierFactory(code="DEC"), SupplierFactory(code="JAN")
    audit(december, dt.date(2021, 12, 31))
    audit(january, dt.date(2022, 1, 1))

    assert selectors.esg_report(year=2021)["audits"]["completed"] == 1
    report_2022 = selectors.esg_report(year=2022)["audits"]
    assert (report_2022["completed"], report_2022["completed_prior_year"], report_2022["change"]) == (1, 1, 0)


def test_only_accepted_reports_count_as_completed_audits_and_each_supplier_once():
    twice = SupplierFactory(code="TWICE")
    audit(twice, dt.date(2021, 2, 1), band="low")
    audit(twice, dt.date(2021, 9, 1), band="high", status=Audit.Status.CLOSED)
    audit(SupplierFactory(code="SUBMITTED"), dt.date(2021, 3, 1), status=Audit.Status.REPORT_SUBMITTED)
    audit(SupplierFactory(code="CANCELLED"), dt.date(2021, 3, 1), status=Audit.Status.CANCELLED)

    audits = selectors.esg_report(year=2021)["audits"]

    assert audits["completed"] == 1
    # The latest audit of the year decides the supplier's band.
    assert audits["performance"] == {"high_pct": 100.0, "medium_pct": 0.0, "low_pct": 0.0}


def test_performance_shares_are_rounded_half_up_to_one_decimal():
    bands = ["high"] * 1 + ["medium"] * 6 + ["low"] * 1  # 12.5 / 75.0 / 12.5
    for number, band in enumerate(bands):
        audit(SupplierFactory(code=f"S{number}"), dt.date(2021, 5, 1), band=band)

    assert selectors.esg_report(year=2021)["audits"]["performance"] == {
        "high_pct": 12.5,
        "medium_pct": 75.0,
        "low_pct": 12.5,
    }


def test_rectification_counts_the_years_findings_as_they_stood_on_31_december():
    supplier = SupplierFactory(code="RECT")
    done = audit(supplier, dt.date(2021, 6, 1))
    finding(done, due=dt.date(2021, 12, 31), closed=dt.date(2021, 12, 31))  # closed on the due date
    finding(done, due=dt.date(2021, 12, 31))  # due on 31 Dec: still within its deadline that day
    finding(done, due=dt.date(2021, 12, 30), closed=dt.date(2022, 1, 2))  # open and late on 31 Dec

    assert selectors.esg_report(year=2021)["rectification"] == {
        "findings": 3,
        "closed_on_time": 1,
        "closed_late": 0,
        "open_within_deadline": 1,
        "overdue": 1,
    }


def test_the_current_years_figures_are_as_of_today_with_current_risk_levels():
    supplier = admitted("NOW", at(2021, 1, 5), country="CN")
    assessed(supplier, "low", at(2021, 2, 1))
    risk.risk_override_set(
        supplier=supplier, level="high", reason="Media report of forced overtime.", by=None
    )
    done = audit(supplier, dt.date(2021, 3, 1))
    finding(done, due=dt.date(2021, 9, 1))

    today = dt.date(2021, 6, 1)
    report = selectors.esg_report(year=2021, today=today)

    assert report["suppliers"]["by_risk_level"] == {"low": 0, "medium": 0, "high": 1}
    assert report["rectification"]["open_within_deadline"] == 1
    assert report["rectification"]["overdue"] == 0
    # The same year seen from later: the stored assessment at year end, and the finding overdue.
    later = selectors.esg_report(year=2021, today=dt.date(2022, 6, 1))
    assert later["suppliers"]["by_risk_level"] == {"low": 1, "medium": 0, "high": 0}
    assert later["rectification"]["overdue"] == 1


def test_a_business_unit_narrows_every_supplier_figure(register_2021):
    unit = BusinessUnitFactory(code="tv", name="TV")
    register_2021["A"].business_units.add(unit)
    register_2021["R1"].business_units.add(unit)

    figures = selectors.dashboard_figures(year=2021, business_unit=unit, today=dt.date(2026, 1, 1))

    assert figures["suppliers"]["production_total"] == 1
    assert figures["suppliers"]["not_admitted_red_line"] == 1
    assert figures["audits"]["completed"] == 1
    assert figures["rectification"]["findings"] == 2


def test_overdue_findings_are_counted_by_the_escalation_stage_their_days_overdue_reached():
    supplier = SupplierFactory(code="LATE")
    done = audit(supplier, dt.date(2021, 1, 1))
    on = dt.date(2021, 12, 31)
    for days in (1, 13, 14, 29, 30, 200):
        finding(done, due=on - dt.timedelta(days=days))
    finding(done, due=on)  # due today: not overdue yet

    stages = selectors.overdue_by_stage(on=on)

    assert [(row["stage"], row["count"]) for row in stages] == [(1, 2), (2, 2), (3, 2)]


def test_the_report_runs_the_same_number_of_queries_for_few_and_many_suppliers():
    def grow(prefix, n):
        for i in range(n):
            supplier = admitted(f"{prefix}{i}", at(2021, 2, 1), country="CN" if i % 2 else "VN")
            assessed(supplier, "medium", at(2021, 3, 1))
            finding(audit(supplier, dt.date(2021, 4, 1)), due=dt.date(2021, 5, 1))

    def count_queries():
        """Queries of the year while it runs, when it is frozen on first use after it ended, and after."""
        counts = []
        for today in (dt.date(2021, 12, 31), None, None):
            with CaptureQueriesContext(connection) as captured:
                report = selectors.esg_report(year=2021, today=today)
            counts.append(len(captured))
        return counts, report

    grow("FEW", 2)
    few, _ = count_queries()
    YearEnd.objects.all().delete()  # as if the year had not been frozen yet
    grow("MANY", 25)
    many, report = count_queries()

    assert report["suppliers"]["production_total"] == 27
    assert many == few
    assert few[0] <= 14
    assert few[2] <= few[0]
    assert YearEnd.objects.get(year=2021).production_suppliers == 27


def test_without_the_minerals_app_the_minerals_figures_are_zero():
    with modify_settings(INSTALLED_APPS={"remove": ["minerals"]}):
        figures = selectors.mineral_figures(year=2021)
    assert figures == {"smelters_total": 0, "countries": 0, "conformant_pct": 0.0, "by_mineral": {}}


@pytest.mark.parametrize("value", ["abc", "1999", "21.5", "", None, "٢٠٢١", "-2021"])
def test_a_year_that_is_not_a_report_year_is_refused_with_the_years_that_are(value):
    with pytest.raises(selectors.InvalidYear) as refused:
        selectors.report_year(value=value, today=dt.date(2026, 5, 1))
    assert "give a year from 2000 to 2026" in refused.value.message


def test_next_year_is_refused_and_this_year_accepted():
    today = dt.date(2026, 5, 1)
    with pytest.raises(selectors.InvalidYear, match="There is no report for 2027"):
        selectors.report_year(value="2027", today=today)
    assert selectors.report_year(value=" 2026 ", today=today) == 2026
    assert selectors.report_year(value=2000, today=today) == 2000


def test_a_finished_year_keeps_its_figures_until_an_esg_manager_deletes_the_frozen_year(
    client, esg_manager, procurement_user
):
    supplier = admitted("LATE-PAPER", at(2020, 1, 1))
    assert selectors.esg_report(year=2021)["suppliers"]["csr_agreement_signed_pct"] == 0.0
    # A CSR Agreement signed in 2021 is entered only now: the published figure stays ...
    AgreementFactory(
        supplier=supplier, kind=Agreement.Kind.CSR_AGREEMENT, signed_on=dt.date(2021, 3, 1), expires_on=None
    )
    assert selectors.esg_report(year=2021)["suppliers"]["csr_agreement_signed_pct"] == 0.0
    delete_url = reverse("admin:reports_yearend_delete", args=[2021])
    client.force_login(procurement_user)
    assert client.post(delete_url, {"post": "yes"}).status_code == 403
    # ... until an ESG manager deletes the frozen year: it is worked out again on next use.
    client.force_login(esg_manager)
    assert client.get(reverse("admin:reports_yearend_changelist")).status_code == 200
    assert client.post(delete_url, {"post": "yes"}).status_code == 302
    assert selectors.esg_report(year=2021)["suppliers"]["csr_agreement_signed_pct"] == 100.0


def test_the_current_year_is_never_frozen():
    admitted("NOW", at(2021, 1, 5))
    selectors.esg_report(year=2021, today=dt.date(2021, 12, 31))

    assert not YearEnd.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs two connections writing at once")
def test_two_requests_freezing_the_same_year_at_once_store_it_once():
    for i in range(30):
        admitted(f"RACE{i}", at(2021, 2, 1), country="CN" if i % 3 else "VN")
    barrier, results = threading.Barrier(2), []

    def report():
        try:
            barrier.wait(timeout=10)
            results.append(selectors.esg_report(year=2021)["suppliers"])
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert [r["production_total"] for r in results] == [30, 30]
    assert results[0] == results[1]
    assert YearEnd.objects.get(year=2021).suppliers.count() == 30


def test_the_nightly_task_freezes_last_year_once_it_is_over():
    admitted("JAN", at(2021, 1, 5))
    admitted("DEC", at(2021, 12, 31), country="CN")
    with time_machine.travel(at(2021, 12, 31, 23), tick=False):
        assert freeze_last_year.delay().get() == 0  # 2020, before any of them
    with time_machine.travel(at(2022, 1, 1, 3, 15), tick=False):
        assert freeze_last_year.delay().get() == 2
        assert freeze_last_year.delay().get() == 2

    assert list(YearEnd.objects.order_by("year").values_list("year", "production_suppliers")) == [
        (2020, 0),
        (2021, 2),
    ]
