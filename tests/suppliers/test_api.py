from decimal import Decimal

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse
from rest_framework.test import APIClient

from suppliers.models import RiskAssessment, StatusTransition, Supplier
from tests.factories import (
    BusinessUnitFactory,
    CommodityFactory,
    ContactFactory,
    SupplierFactory,
    UserFactory,
    make_admissible,
)

pytestmark = pytest.mark.django_db

LIST = reverse("api:supplier-list")


def detail(supplier, name="detail"):
    return reverse(f"api:supplier-{name}", kwargs={"pk": supplier.pk})


@pytest.fixture
def api():
    return APIClient()


def logged_in(user) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def codes(response) -> list[str]:
    return [row["code"] for row in response.json()["results"]]


# --- authentication ---------------------------------------------------------------------------------------


def test_anonymous_caller_is_refused(api):
    supplier = SupplierFactory()
    assert api.get(LIST).status_code == 401
    assert api.get(detail(supplier)).status_code == 401
    assert api.post(LIST, {"code": "X1"}).status_code == 401


def test_token_from_username_and_password_authenticates_later_requests(api, procurement_user):
    SupplierFactory(code="TOKEN-1")
    response = api.post(
        reverse("api:auth-token"), {"username": "buyer", "password": "correct-horse-battery"}, format="json"
    )
    assert response.status_code == 200
    token = response.json()["token"]

    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    listing = api.get(LIST)
    assert listing.status_code == 200
    assert codes(listing) == ["TOKEN-1"]


def test_token_endpoint_refuses_a_wrong_password(api, procurement_user):
    response = api.post(reverse("api:auth-token"), {"username": "buyer", "password": "wrong"}, format="json")
    assert response.status_code == 400
    assert "token" not in response.json()


# --- list: filters, search, ordering, pagination ----------------------------------------------------------


@pytest.fixture
def register(procurement_user):
    phones = BusinessUnitFactory(code="smartphone", name="Smartphone")
    tv = BusinessUnitFactory(code="tv", name="TV")
    battery = CommodityFactory(code="battery", name="Battery")
    other_buyer = UserFactory(username="other-buyer")
    a = SupplierFactory(
        code="A-ASSEMBLY",
        name="Alpha Assembly",
        legal_name="Alpha Precision Ltd",
        status=Supplier.Status.ADMITTED,
        risk_level="high",
        risk_score=Decimal("71"),
        buyer=procurement_user,
        business_units=[phones],
        commodity=battery,
    )
    b = SupplierFactory(
        code="B-LOGISTICS",
        name="Bravo Logistics",
        category=Supplier.Category.NON_PRODUCTION,
        country="VN",
        risk_level="low",
        risk_score=Decimal("20"),
        buyer=other_buyer,
        business_units=[tv],
    )
    c = SupplierFactory(
        code="C-CELLS",
        name="Charlie Cells",
        key_indirect=True,
        parent=a,
        country="TW",
        risk_level="medium",
        risk_score=Decimal("45"),
        status=Supplier.Status.SCREENING,
        business_units=[phones, tv],
    )
    return {"a": a, "b": b, "c": c, "other_buyer": other_buyer}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=admitted", ["A-ASSEMBLY"]),
        ("status=admitted&status=screening", ["A-ASSEMBLY", "C-CELLS"]),
        ("risk_level=low", ["B-LOGISTICS"]),
        ("category=non_production", ["B-LOGISTICS"]),
        ("tier=2", ["C-CELLS"]),
        ("country=TW", ["C-CELLS"]),
        ("business_unit=tv", ["B-LOGISTICS", "C-CELLS"]),
        ("mine=true", ["A-ASSEMBLY"]),
        ("parent=A-ASSEMBLY", ["C-CELLS"]),
        ("search=precision", ["A-ASSEMBLY"]),
        ("search=b-log", ["B-LOGISTICS"]),
        ("search=charlie", ["C-CELLS"]),
        ("ordering=-risk_score", ["A-ASSEMBLY", "C-CELLS", "B-LOGISTICS"]),
        ("ordering=name", ["A-ASSEMBLY", "B-LOGISTICS", "C-CELLS"]),
    ],
)
def test_list_filters_searches_and_orders(register, procurement_user, query, expected):
    response = logged_in(procurement_user).get(f"{LIST}?{query}")
    assert response.status_code == 200
    assert codes(response) == expected


def test_list_filters_by_buyer_id(register, procurement_user):
    response = logged_in(procurement_user).get(LIST, {"buyer": register["other_buyer"].pk})
    assert codes(response) == ["B-LOGISTICS"]


def test_list_rejects_an_unknown_filter_value_naming_the_parameter(register, procurement_user):
    response = logged_in(procurement_user).get(LIST, {"status": "approved"})
    assert response.status_code == 400
    assert "status" in response.json()


def test_list_is_paginated_by_page_number(procurement_user):
    SupplierFactory.create_batch(7)
    client = logged_in(procurement_user)
    first = client.get(LIST, {"page_size": 3}).json()
    last = client.get(LIST, {"page_size": 3, "page": 3}).json()
    assert first["count"] == 7
    assert len(first["results"]) == 3
    assert first["next"] is not None and first["previous"] is None
    assert len(last["results"]) == 1
    assert last["next"] is None


def test_representation_carries_codes_region_buyer_and_links(register, procurement_user):
    row = logged_in(procurement_user).get(detail(register["c"])).json()
    assert row["parent"] == "A-ASSEMBLY"
    assert sorted(row["business_units"]) == ["smartphone", "tv"]
    assert row["country"] == "TW"
    assert row["region"] == "other"
    assert row["tier"] == 2
    assert row["risk_override"] is None
    assert row["links"]["risk"].endswith(f"/api/v1/suppliers/{register['c'].pk}/risk/")
    a = logged_in(procurement_user).get(detail(register["a"])).json()
    assert a["region"] == "mainland_china"
    assert a["commodity"] == "battery"
    assert a["buyer"] == procurement_user.pk
    assert a["buyer_email"] == "buyer@example.com"


# --- create and update ------------------------------------------------------------------------------------


def test_buyer_registers_a_supplier_and_its_risk_is_assessed(
    procurement_user, django_capture_on_commit_callbacks
):
    BusinessUnitFactory(code="smartphone")
    CommodityFactory(code="battery", risk_score=80)
    client = logged_in(procurement_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            LIST,
            {
                "code": "NEW-1",
                "name": "New Cells",
                "category": "production",
                "country": "CN",
                "business_units": ["smartphone"],
                "commodity": "battery",
                "annual_spend": "2500000.00",
                "currency": "USD",
            },
            format="json",
        )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "candidate"
    assert body["buyer"] == procurement_user.pk

    fetched = client.get(body["links"]["self"]).json()
    assert fetched["risk_level"] in {"low", "medium", "high"}
    assert fetched["risk_score"] is not None


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"tier": 2}, "parent", "tier-1 parent"),
        ({"tier": 1, "parent": "PARENT-1"}, "parent", "has no parent"),
        ({"tier": 2, "parent": "NOPE"}, "parent", "NOPE"),
        ({"business_units": ["smartphone", "toasters"]}, "business_units", "toasters"),
        ({"commodity": "unobtainium"}, "commodity", "unobtainium"),
        ({"annual_spend": "1000.00"}, "currency", "needs a currency"),
        ({"currency": "EUR"}, "annual_spend", "without annual spend"),
        ({"annual_spend": "10.00", "currency": "usd"}, "currency", "ISO 4217"),
        ({"country": "XX"}, "country", "XX"),
        ({"code": "DUP-1"}, "code", "already exists"),
    ],
)
def test_create_refuses_invalid_master_data_naming_the_field(procurement_user, payload, field, words):
    BusinessUnitFactory(code="smartphone")
    SupplierFactory(code="PARENT-1")
    SupplierFactory(code="DUP-1")
    data = {"code": "NEW-2", "name": "New", "category": "production", "country": "CN", **payload}
    response = logged_in(procurement_user).post(LIST, data, format="json")
    assert response.status_code == 400
    errors = response.json()
    assert list(errors) == [field]
    assert words in " ".join(errors[field])
    assert not Supplier.objects.filter(code="NEW-2").exists()


def test_tier_two_supplier_with_its_tier_one_parent_is_accepted(procurement_user):
    SupplierFactory(code="PARENT-1")
    response = logged_in(procurement_user).post(
        LIST,
        {
            "code": "KID-1",
            "name": "Kid",
            "category": "production",
            "country": "VN",
            "tier": 2,
            "parent": "PARENT-1",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["parent"] == "PARENT-1"


def test_parent_of_key_indirect_suppliers_cannot_become_tier_two(procurement_user):
    parent = SupplierFactory(code="PARENT-1")
    SupplierFactory(key_indirect=True, parent=parent)
    other = SupplierFactory(code="OTHER-1")
    response = logged_in(procurement_user).patch(
        detail(parent), {"tier": 2, "parent": other.code}, format="json"
    )
    assert response.status_code == 400
    assert "PARENT-1 is the parent" in response.json()["tier"][0]


def test_partial_update_checks_against_the_stored_values(procurement_user):
    supplier = SupplierFactory(annual_spend=Decimal("100"), currency="USD")
    response = logged_in(procurement_user).patch(detail(supplier), {"currency": ""}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["currency"]


def test_status_and_risk_cannot_be_written_through_the_supplier(procurement_user):
    supplier = SupplierFactory(status=Supplier.Status.SCREENING)
    response = logged_in(procurement_user).patch(
        detail(supplier),
        {"name": "Renamed", "status": "admitted", "risk_level": "low", "risk_score": "1"},
        format="json",
    )
    assert response.status_code == 200
    supplier.refresh_from_db()
    assert supplier.name == "Renamed"
    assert supplier.status == Supplier.Status.SCREENING
    assert supplier.risk_level == ""
    assert supplier.risk_score is None


def test_changing_a_risk_input_reassesses_the_supplier(procurement_user, django_capture_on_commit_callbacks):
    CommodityFactory(code="packaging", risk_score=10)
    CommodityFactory(code="chemicals", risk_score=100)
    supplier = SupplierFactory(commodity=None)
    client = logged_in(procurement_user)
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(detail(supplier), {"commodity": "packaging"}, format="json")
    low = Decimal(client.get(detail(supplier)).json()["risk_score"])
    with django_capture_on_commit_callbacks(execute=True):
        client.patch(detail(supplier), {"commodity": "chemicals"}, format="json")
    high = Decimal(client.get(detail(supplier)).json()["risk_score"])
    assert high > low


def test_suppliers_are_not_deleted(esg_manager):
    supplier = SupplierFactory()
    assert logged_in(esg_manager).delete(detail(supplier)).status_code == 405
    assert Supplier.objects.filter(pk=supplier.pk).exists()


# --- admission check and transitions ----------------------------------------------------------------------


def test_admission_check_lists_every_unmet_condition(procurement_user):
    supplier = SupplierFactory(status=Supplier.Status.SCREENING)
    body = logged_in(procurement_user).get(detail(supplier, "admission-check")).json()
    assert body["admissible"] is False
    unmet_keys = {c["key"] for c in body["conditions"] if not c["met"]}
    assert unmet_keys == {"esg_evidence", "csr_agreement", "code_of_conduct", "integrity_commitment"}
    assert any("RBA VAP" in text for text in body["unmet"])
    assert any("CSR" in text and "not on file" in text for text in body["unmet"])


def test_admission_check_of_a_complete_supplier_is_admissible(procurement_user):
    supplier = make_admissible(SupplierFactory(status=Supplier.Status.SCREENING))
    body = logged_in(procurement_user).get(detail(supplier, "admission-check")).json()
    assert body["admissible"] is True
    assert body["unmet"] == []


def test_admitting_without_evidence_is_refused_with_the_unmet_conditions(esg_manager):
    supplier = SupplierFactory(code="S-GATE", status=Supplier.Status.SCREENING)
    response = logged_in(esg_manager).post(detail(supplier, "transition"), {"to": "admitted"}, format="json")
    assert response.status_code == 409
    body = response.json()
    assert "S-GATE cannot be admitted" in body["detail"]
    assert len(body["unmet"]) == 4
    assert any("Integrity Commitment" in text for text in body["unmet"])
    supplier.refresh_from_db()
    assert supplier.status == Supplier.Status.SCREENING


def test_esg_manager_admits_an_admissible_supplier(esg_manager):
    supplier = make_admissible(SupplierFactory(status=Supplier.Status.SCREENING))
    client = logged_in(esg_manager)
    response = client.post(
        detail(supplier, "transition"), {"to": "admitted", "reason": "Evidence complete"}, format="json"
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "admitted"
    assert body["transition"]["from_status"] == "screening"
    assert body["transition"]["to_status"] == "admitted"
    assert body["transition"]["by"] == "esg@example.com"
    assert client.get(detail(supplier)).json()["status"] == "admitted"

    history = client.get(detail(supplier, "transitions")).json()
    assert [(step["from_status"], step["to_status"], step["reason"]) for step in history] == [
        ("screening", "admitted", "Evidence complete")
    ]


def test_procurement_may_not_admit(procurement_user):
    supplier = make_admissible(SupplierFactory(status=Supplier.Status.SCREENING))
    response = logged_in(procurement_user).post(
        detail(supplier, "transition"), {"to": "admitted"}, format="json"
    )
    assert response.status_code == 403
    assert "Admitted" in response.json()["detail"]
    assert not StatusTransition.objects.exists()


def test_procurement_moves_a_candidate_to_screening(procurement_user):
    supplier = SupplierFactory()
    response = logged_in(procurement_user).post(
        detail(supplier, "transition"), {"to": "screening"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "screening"


def test_rejection_needs_a_reason_named_as_the_field(esg_manager):
    supplier = SupplierFactory(status=Supplier.Status.SCREENING)
    response = logged_in(esg_manager).post(detail(supplier, "transition"), {"to": "rejected"}, format="json")
    assert response.status_code == 400
    assert "needs a reason" in response.json()["reason"][0]


def test_a_step_the_lifecycle_does_not_allow_is_refused(esg_manager):
    supplier = SupplierFactory(status=Supplier.Status.CANDIDATE)
    response = logged_in(esg_manager).post(detail(supplier, "transition"), {"to": "admitted"}, format="json")
    assert response.status_code == 409
    assert "cannot move to 'Admitted'" in response.json()["detail"]


# --- who sees what ----------------------------------------------------------------------------------------


@pytest.fixture
def two_suppliers():
    return SupplierFactory(code="X-OWN"), SupplierFactory(code="Y-OTHER")


@pytest.fixture
def contact_of_x(two_suppliers, supplier_contact_user):
    ContactFactory(supplier=two_suppliers[0], user=supplier_contact_user)
    return supplier_contact_user


@pytest.mark.parametrize("role_fixture", ["procurement_user", "esg_manager"])
def test_register_staff_see_every_supplier(request, two_suppliers, role_fixture):
    client = logged_in(request.getfixturevalue(role_fixture))
    assert codes(client.get(LIST)) == ["X-OWN", "Y-OTHER"]
    assert client.get(detail(two_suppliers[1])).status_code == 200


def test_supplier_contact_sees_only_their_own_supplier(two_suppliers, contact_of_x):
    x, y = two_suppliers
    client = logged_in(contact_of_x)
    assert codes(client.get(LIST)) == ["X-OWN"]
    own = client.get(detail(x))
    assert own.status_code == 200
    assert "risk_override" not in own.json()
    assert client.get(detail(x, "admission-check")).status_code == 200
    assert client.get(detail(y)).status_code == 404
    assert client.get(detail(y, "admission-check")).status_code == 404
    assert client.post(detail(y, "transition"), {"to": "screening"}, format="json").status_code == 404


def test_supplier_contact_cannot_write_or_read_internal_risk(two_suppliers, contact_of_x):
    x, _ = two_suppliers
    client = logged_in(contact_of_x)
    assert client.patch(detail(x), {"name": "Mine now"}, format="json").status_code == 403
    assert (
        client.post(
            LIST, {"code": "Z", "name": "Z", "category": "production", "country": "CN"}, format="json"
        ).status_code
        == 403
    )
    assert client.post(detail(x, "transition"), {"to": "screening"}, format="json").status_code == 403
    assert client.get(detail(x, "risk")).status_code == 403
    assert client.get(detail(x, "transitions")).status_code == 403
    x.refresh_from_db()
    assert x.name != "Mine now"
    assert x.status == Supplier.Status.CANDIDATE


def test_contact_user_without_the_supplier_contact_role_sees_nothing(two_suppliers):
    stranger = UserFactory(username="linked-but-no-role")
    ContactFactory(supplier=two_suppliers[0], user=stranger)
    assert logged_in(stranger).get(LIST).status_code == 403


def test_auditor_sees_no_supplier_yet(two_suppliers, auditor_user):
    client = logged_in(auditor_user)
    response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["results"] == []
    assert client.get(detail(two_suppliers[0])).status_code == 404
    assert client.patch(detail(two_suppliers[0]), {"name": "x"}, format="json").status_code == 403


def test_staff_without_the_view_permission_are_refused(two_suppliers):
    staff = UserFactory(username="staff-no-perms", is_staff=True)
    assert logged_in(staff).get(LIST).status_code == 403


def test_view_permission_alone_reads_but_does_not_write(two_suppliers):
    reader = UserFactory(username="reader")
    reader.user_permissions.add(Permission.objects.get(codename="view_supplier"))
    client = logged_in(reader)
    assert codes(client.get(LIST)) == ["X-OWN", "Y-OTHER"]
    assert client.patch(detail(two_suppliers[0]), {"name": "x"}, format="json").status_code == 403


# --- risk -------------------------------------------------------------------------------------------------


def test_risk_shows_factors_whose_contributions_add_up_to_the_score(procurement_user):
    supplier = SupplierFactory(commodity=CommodityFactory(risk_score=90), strategic=True)
    client = logged_in(procurement_user)
    assert client.post(detail(supplier, "risk-recompute")).status_code == 200

    body = client.get(detail(supplier, "risk")).json()
    assert {f["key"] for f in body["factors"]} == {
        "country",
        "commodity",
        "audit",
        "findings",
        "external",
        "materiality",
    }
    total = sum(Decimal(str(f["contribution"])) for f in body["factors"])
    assert total == Decimal(body["score"])
    assert sum(f["weight"] for f in body["factors"]) == 100
    assert body["level"] == body["assessed_level"] in {"low", "medium", "high"}
    assert body["model_version"] >= 1
    assert body["explanation"][0].startswith(f"Score {body['score']} of 100")
    assert any(line.startswith("Commodity / process risk: 90") for line in body["explanation"])


def test_risk_of_a_supplier_never_assessed_says_so(procurement_user):
    supplier = SupplierFactory()
    body = logged_in(procurement_user).get(detail(supplier, "risk")).json()
    assert body["score"] is None
    assert body["factors"] == []
    assert body["explanation"] == ["Not assessed yet."]


def test_recompute_stores_a_fresh_assessment(procurement_user):
    supplier = SupplierFactory()
    client = logged_in(procurement_user)
    client.post(detail(supplier, "risk-recompute"))
    response = client.post(detail(supplier, "risk-recompute"))
    assert response.status_code == 200
    assert RiskAssessment.objects.filter(supplier=supplier).count() == 2


def test_esg_manager_overrides_risk_with_a_reason_and_clears_it(esg_manager):
    supplier = SupplierFactory()
    client = logged_in(esg_manager)
    client.post(detail(supplier, "risk-recompute"))
    response = client.post(
        detail(supplier, "risk-override"),
        {"level": "high", "reason": "Press reports of forced overtime"},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["level"] == "high"
    assert body["override"]["reason"] == "Press reports of forced overtime"
    assert body["override"]["by"] == "esg@example.com"
    assert "Manual override to high: Press reports of forced overtime" in body["explanation"]
    assert client.get(detail(supplier)).json()["risk_override"]["level"] == "high"

    cleared = client.delete(detail(supplier, "risk-override"))
    assert cleared.status_code == 200
    assert cleared.json()["override"] is None
    assert cleared.json()["level"] == cleared.json()["assessed_level"]


def test_override_without_a_reason_is_refused_naming_the_field(esg_manager):
    supplier = SupplierFactory()
    response = logged_in(esg_manager).post(
        detail(supplier, "risk-override"), {"level": "low", "reason": "  "}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {"reason": ["A risk override needs a reason."]}
    supplier.refresh_from_db()
    assert supplier.risk_override_level == ""


def test_procurement_may_not_override_risk(procurement_user):
    supplier = SupplierFactory()
    response = logged_in(procurement_user).post(
        detail(supplier, "risk-override"), {"level": "low", "reason": "Looks fine"}, format="json"
    )
    assert response.status_code == 403
    supplier.refresh_from_db()
    assert supplier.risk_override_level == ""


# --- speed ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [5, 60])
def test_list_query_count_does_not_grow_with_rows(
    procurement_user, esg_manager, django_assert_max_num_queries, rows
):
    units = [BusinessUnitFactory(), BusinessUnitFactory()]
    commodity = CommodityFactory()
    parent = SupplierFactory()
    for _ in range(rows):
        SupplierFactory(
            key_indirect=True,
            parent=parent,
            commodity=commodity,
            buyer=procurement_user,
            business_units=units,
            risk_level="high",
            risk_override_level="high",
            risk_override_reason="Watch list",
            risk_override_by=esg_manager,
        )
    client = APIClient()
    client.force_login(procurement_user)
    # Session, user, the user's and the groups' permissions, count, page, business units.
    with django_assert_max_num_queries(7):
        response = client.get(LIST, {"page_size": 100})
    assert response.status_code == 200
    assert len(response.json()["results"]) == rows + 1


# --- what a supplier contact sees ---------------------------------------------------------------------------

INTERNAL_FIELDS = {
    "buyer",
    "buyer_email",
    "annual_spend",
    "currency",
    "strategic",
    "risk_level",
    "risk_score",
    "risk_override",
}


@pytest.fixture
def rated_supplier(contact_of_x, procurement_user):
    x = Supplier.objects.get(code="X-OWN")
    Supplier.objects.filter(pk=x.pk).update(
        buyer=procurement_user,
        annual_spend=Decimal("2500000"),
        currency="USD",
        strategic=True,
        risk_level="high",
        risk_score=Decimal("77"),
    )
    return x


def test_supplier_contact_gets_no_internal_field_in_list_or_detail(rated_supplier, contact_of_x):
    client = logged_in(contact_of_x)
    row = client.get(LIST).json()["results"][0]
    one = client.get(detail(rated_supplier)).json()

    for body in (row, one):
        assert body["code"] == "X-OWN" and body["status"] == "candidate"
        assert not INTERNAL_FIELDS & body.keys()
        assert set(body["links"]) == {"self", "admission_check"}
    text = client.get(detail(rated_supplier)).content.decode()
    assert "buyer@example.com" not in text and "2500000" not in text and "77.00" not in text


def test_register_staff_get_the_internal_fields(rated_supplier, procurement_user):
    body = logged_in(procurement_user).get(detail(rated_supplier)).json()
    assert body.keys() >= INTERNAL_FIELDS
    assert (body["risk_level"], body["risk_score"], body["buyer_email"]) == (
        "high",
        "77.00",
        "buyer@example.com",
    )
    assert (body["annual_spend"], body["currency"], body["strategic"]) == ("2500000.00", "USD", True)
    assert set(body["links"]) == {"self", "admission_check", "transition", "transitions", "risk"}


@pytest.mark.parametrize("query", ["risk_level=low", "risk_level=high", "buyer=999", "mine=true"])
def test_supplier_contact_cannot_filter_by_internal_fields(rated_supplier, contact_of_x, query):
    """An internal filter would tell the value by answering empty or not: for a contact it is ignored."""
    assert codes(logged_in(contact_of_x).get(f"{LIST}?{query}")) == ["X-OWN"]


def test_schema_documents_internal_supplier_fields_as_optional(esg_manager):
    schema = logged_in(esg_manager).get(reverse("schema"), {"format": "json"}).json()
    supplier = schema["components"]["schemas"]["Supplier"]
    assert supplier["properties"].keys() >= INTERNAL_FIELDS
    assert not INTERNAL_FIELDS & set(supplier["required"])
    assert {"code", "name", "status"} <= set(supplier["required"])
    for name in INTERNAL_FIELDS:
        assert "absent for supplier contacts" in supplier["properties"][name]["description"]


# --- the buyer is procurement staff -------------------------------------------------------------------------


def test_a_supplier_contact_cannot_be_made_a_buyer(two_suppliers, contact_of_x, procurement_user):
    y = two_suppliers[1]
    response = logged_in(procurement_user).patch(detail(y), {"buyer": contact_of_x.pk}, format="json")

    assert response.status_code == 400
    assert response.json() == {
        "buyer": [f"User {contact_of_x.pk} is not an active staff user in the Procurement role."]
    }
    y.refresh_from_db()
    assert y.buyer is None


@pytest.mark.parametrize(
    "who",
    [
        {"is_staff": False, "role": "Procurement"},  # in the group but not staff
        {"is_staff": True},  # staff outside the group
        {"is_active": False, "role": "Procurement"},  # left the company
    ],
    ids=["not-staff", "not-procurement", "inactive"],
)
def test_only_active_procurement_staff_can_be_a_buyer(procurement_user, who):
    user = UserFactory(username="candidate-buyer", **{k: v for k, v in who.items() if k != "role"})
    if "role" in who:
        user.groups.add(Group.objects.get(name=who["role"]))
    payload = {"code": "NEW-B", "name": "New", "category": "production", "country": "CN", "buyer": user.pk}

    response = logged_in(procurement_user).post(LIST, payload, format="json")

    assert response.status_code == 400
    assert response.json()["buyer"] == [
        f"User {user.pk} is not an active staff user in the Procurement role."
    ]
    assert not Supplier.objects.filter(code="NEW-B").exists()


def test_procurement_staff_can_be_named_buyer(procurement_user, esg_manager):
    colleague = UserFactory(username="colleague", role="Procurement")
    payload = {
        "code": "NEW-C",
        "name": "New",
        "category": "production",
        "country": "CN",
        "buyer": colleague.pk,
    }

    response = logged_in(esg_manager).post(LIST, payload, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["buyer_email"] == "colleague@example.com"
