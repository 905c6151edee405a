"""No server errors, and error bodies as the OpenAPI schema describes them: the browsable API of a corrective
action plan, a long risk override reason (PostgreSQL's 100-character history column), ids and numbers out of
range in the query string and the path, pages past the end, null characters, a wrong Idempotency-Key, a URL
under /api/ that matches nothing, the report's year range."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import get_resolver, reverse
from django.utils import timezone
from django_filters import FilterSet, NumberFilter
from rest_framework.test import APIClient

from audits.models import Audit, CorrectiveActionPlan
from common.filters import IntegerFilter
from suppliers import risk
from suppliers.models import Supplier
from tests.factories import AuditorFactory, ContactFactory, FindingFactory, SupplierFactory

pytestmark = pytest.mark.django_db

BIG = "99999999999999999999"  # 20 digits: past any 64-bit id
WHOLE_NUMBER = "Give a whole number from 1 to 9223372036854775807."


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def issued_finding(supplier_contact_user):
    """A finding of an accepted audit with a submitted plan; the supplier contact is the supplier's."""
    finding = FindingFactory()
    Audit.objects.filter(pk=finding.audit_id).update(status=Audit.Status.ACCEPTED)
    ContactFactory(supplier=finding.audit.supplier, user=supplier_contact_user)
    CorrectiveActionPlan.objects.create(
        finding=finding,
        status=CorrectiveActionPlan.Status.SUBMITTED,
        root_cause="Orders accepted beyond capacity",
        corrective_action="Cap weekly hours at 60",
        preventive_action="Capacity check before accepting orders",
        owner="Plant manager",
        planned_completion=timezone.localdate() + dt.timedelta(days=30),
    )
    return finding


# --- The browsable API ---------------------------------------------------------------------------------


def test_a_supplier_contact_opens_the_plan_in_the_browsable_api(issued_finding, supplier_contact_user):
    client = APIClient()
    client.force_login(supplier_contact_user)

    response = client.get(reverse("api:finding-cap", args=[issued_finding.pk]), HTTP_ACCEPT="text/html")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    page = response.content.decode()
    assert "Orders accepted beyond capacity" in page
    assert 'name="root_cause"' in page  # the form to resubmit the plan, with the plan's own fields


@pytest.mark.parametrize("role", ["esg_manager", "procurement_user", "supplier_contact_user", "auditor"])
def test_every_read_of_the_audit_programme_renders_in_the_browsable_api(request, role, issued_finding):
    user = (
        AuditorFactory(agency=issued_finding.audit.agency).user
        if role == "auditor"
        else request.getfixturevalue(role)
    )
    client = APIClient()
    client.force_login(user)
    finding, audit = issued_finding.pk, issued_finding.audit_id
    names = {
        "audit-list": [],
        "audit-detail": [audit],
        "audit-findings": [audit],
        "finding-list": [],
        "finding-detail": [finding],
        "finding-cap": [finding],
        "finding-evidence": [finding],
        "finding-progress": [finding],
        "finding-extensions": [finding],
        "extension-list": [],
    }

    answers = {
        name: client.get(reverse(f"api:{name}", args=args) + "?format=api").status_code
        for name, args in names.items()
    }

    assert all(code < 500 for code in answers.values()), answers


# --- A risk override with a long reason ----------------------------------------------------------------

LONG_REASON = ("Press reports and an NGO investigation describe forced overtime at the second plant. " * 6)[
    :500
]


def _last_change_reason(supplier: Supplier) -> str:
    return supplier.history.order_by("-history_id").first().history_change_reason


def test_a_500_character_override_reason_is_kept_whole_through_the_api(esg_manager):
    supplier = SupplierFactory()

    response = client_for(esg_manager).post(
        reverse("api:supplier-risk-override", args=[supplier.pk]),
        {"level": "high", "reason": LONG_REASON},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["override"]["reason"] == LONG_REASON
    supplier.refresh_from_db()
    assert supplier.risk_override_reason == LONG_REASON
    reason = _last_change_reason(supplier)
    assert len(reason) == 100 and reason.startswith("Risk overridden to high: Press reports")
    assert reason.endswith("…")


def test_a_500_character_override_reason_is_kept_whole_through_the_admin(client, esg_manager):
    supplier = SupplierFactory()
    risk.risk_refresh(supplier_ids=[supplier.pk])
    client.force_login(esg_manager)

    response = client.post(
        reverse("admin:suppliers_supplier_risk_override", args=[supplier.pk]),
        {"level": "high", "reason": LONG_REASON},
    )

    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.risk_override_level, supplier.risk_override_reason) == ("high", LONG_REASON)
    assert len(_last_change_reason(supplier)) == 100
    page = client.get(reverse("admin:suppliers_supplier_change", args=[supplier.pk])).content.decode()
    assert LONG_REASON.strip() in page


# --- Numbers out of range --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "parameter"),
    [
        ("/api/v1/findings/?audit=" + BIG, "audit"),
        ("/api/v1/findings/?audit=-" + BIG, "audit"),
        ("/api/v1/findings/?audit=1.5", "audit"),
        ("/api/v1/suppliers/?buyer=" + BIG, "buyer"),
    ],
)
def test_an_id_filter_out_of_range_answers_400_naming_the_parameter(esg_manager, url, parameter):
    response = client_for(esg_manager).get(url)

    assert response.status_code == 400
    assert response.json() == {parameter: [WHOLE_NUMBER]}


def test_a_year_filter_out_of_range_answers_400(esg_manager):
    response = client_for(esg_manager).get("/api/v1/declarations/?year=" + BIG)

    assert response.status_code == 400
    assert response.json() == {
        "year": ["Give a whole number from -9223372036854775808 to 9223372036854775807."]
    }


def test_an_id_filter_in_range_still_filters(esg_manager):
    finding = FindingFactory()
    FindingFactory()

    response = client_for(esg_manager).get(f"/api/v1/findings/?audit={finding.audit_id}")

    assert response.status_code == 200
    assert [row["id"] for row in response.json()["results"]] == [finding.pk]


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/audits/{BIG}/",
        f"/api/v1/findings/{BIG}/cap/",
        f"/api/v1/suppliers/{BIG}/risk/",
        f"/api/v1/declarations/{BIG}/",
        f"/api/v1/smelters/{BIG}/",
        "/api/v1/audits/1.5/",
        "/api/v1/audits/%00/",
    ],
)
def test_an_id_in_the_path_out_of_range_is_not_found(esg_manager, path):
    response = client_for(esg_manager).get(path)

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


@pytest.mark.parametrize("page", [BIG, "0", "-1", "x"])
def test_a_page_past_the_end_is_not_found_in_json(esg_manager, page):
    SupplierFactory()

    response = client_for(esg_manager).get(f"/api/v1/suppliers/?page={page}")

    assert response.status_code == 404
    assert response.json() == {"detail": "Invalid page."}


def test_a_huge_page_size_is_capped(esg_manager):
    SupplierFactory()

    response = client_for(esg_manager).get(f"/api/v1/suppliers/?page_size={BIG}")

    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_every_integer_filter_of_the_api_refuses_numbers_out_of_range():
    """One rule for every id and number in a query string: the shared filters of ``common.filters``."""
    get_resolver().url_patterns  # noqa: B018 (imports every view, and so every filter set)
    filtersets = [
        filterset
        for filterset in _subclasses(FilterSet)
        if filterset.__module__.split(".")[0] in {"audits", "minerals", "suppliers", "reports", "reminders"}
    ]
    plain = [
        f"{filterset.__module__}.{filterset.__name__}.{name}"
        for filterset in filtersets
        for name, declared in filterset.base_filters.items()
        if isinstance(declared, NumberFilter) and not isinstance(declared, IntegerFilter)
    ]
    assert filtersets and not plain


def _subclasses(cls):
    for subclass in cls.__subclasses__():
        yield subclass
        yield from _subclasses(subclass)


# --- Other bad input ----------------------------------------------------------------------------------


def test_a_null_character_in_a_search_answers_400_with_an_object(esg_manager):
    response = client_for(esg_manager).get("/api/v1/suppliers/?search=a%00b")

    assert response.status_code == 400
    assert response.json() == {"detail": "Null characters are not allowed."}


@pytest.mark.parametrize("key", ["k" * 256, "key\x00with-null", ""])
def test_a_wrong_idempotency_key_answers_400_naming_the_header(esg_manager, key):
    audit = FindingFactory().audit

    response = client_for(esg_manager).post(
        reverse("api:audit-accept", args=[audit.pk]), HTTP_IDEMPOTENCY_KEY=key
    )

    assert response.status_code == 400
    assert response.json() == {
        "detail": "Idempotency-Key must be 1 to 255 printable characters.",
        "field": "Idempotency-Key",
    }
    assert Audit.objects.get(pk=audit.pk).status == Audit.Status.IN_PROGRESS


# --- The schema describes the errors ---------------------------------------------------------------------


@pytest.fixture
def schema(client):
    return client.get("/api/schema/?format=json").json()


def test_every_post_that_honours_an_idempotency_key_declares_its_400(schema):
    honouring = {
        (path, method): operation
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if any(parameter["name"] == "Idempotency-Key" for parameter in operation.get("parameters", []))
    }

    assert ("/api/v1/declarations/", "post") in honouring
    assert ("/api/v1/findings/{id}/cap/", "post") in honouring
    for operation in honouring.values():
        body = operation["responses"]["400"]["content"]["application/json"]["schema"]
        assert body == {"$ref": "#/components/schemas/InvalidInput"}
    invalid = schema["components"]["schemas"]["InvalidInput"]
    assert set(invalid["properties"]) == {"detail", "field"}
    assert invalid["additionalProperties"] == {"type": "array", "items": {"type": "string"}}


def test_the_report_year_range_is_declared_and_enforced(schema, esg_manager):
    this_year = timezone.localdate().year
    operation = schema["paths"]["/api/v1/reports/esg/"]["get"]
    (year,) = [parameter for parameter in operation["parameters"] if parameter["name"] == "year"]

    assert (year["schema"]["minimum"], year["schema"]["maximum"]) == (2000, this_year)
    assert "400" in operation["responses"]
    api = client_for(esg_manager)
    assert api.get(f"/api/v1/reports/esg/?year={this_year}").status_code == 200
    for outside in (1999, this_year + 1):
        response = api.get(f"/api/v1/reports/esg/?year={outside}")
        assert response.status_code == 400
        allowed = f"give a year from 2000 to {this_year}, e.g. {this_year - 1}"
        assert response.json() == {"year": [f"There is no report for {outside}: {allowed}."]}


def test_every_operation_that_needs_a_login_declares_401_403_and_its_404(schema):
    missing = []
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            if not operation.get("security") or {} in operation["security"]:
                continue
            paged = any(parameter["name"] == "page" for parameter in operation.get("parameters", []))
            wanted = {"401", "403"} | ({"404"} if "{" in path or paged else set())
            if not wanted <= operation["responses"].keys():
                missing.append(f"{method.upper()} {path}: {sorted(wanted - operation['responses'].keys())}")
    assert not missing


# --- A URL under /api/ that matches nothing ------------------------------------------------------------


def test_an_unknown_url_under_the_api_is_not_found_in_json(esg_manager):
    response = client_for(esg_manager).get("/api/v1/no-such-thing/")

    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_an_unknown_url_elsewhere_is_django_s_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
