import datetime as dt
import io
import re

import openpyxl
import pytest
from django.contrib.auth.models import Permission
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from suppliers import lifecycle, risk
from suppliers.models import (
    BusinessUnit,
    Commodity,
    OnboardingPolicy,
    RiskAssessment,
    RiskModel,
    StatusTransition,
    Supplier,
)
from tests.factories import (
    BusinessUnitFactory,
    ExternalAssessmentFactory,
    SupplierFactory,
    UserFactory,
    make_admissible,
)

pytestmark = pytest.mark.django_db
Status = Supplier.Status

CHANGELIST = reverse("admin:suppliers_supplier_changelist")
# Session, user, filter choices (countries, business units), one page of rows and its count: the same
# number whatever the register's size.
CHANGELIST_MAX_QUERIES = 6


def change_url(supplier) -> str:
    return reverse("admin:suppliers_supplier_change", args=[supplier.pk])


def transition_url(supplier) -> str:
    return reverse("admin:suppliers_supplier_transition", args=[supplier.pk])


def override_url(supplier) -> str:
    return reverse("admin:suppliers_supplier_risk_override", args=[supplier.pk])


def shown_codes(response) -> list[str]:
    return [supplier.code for supplier in response.context["cl"].result_list]


def message_texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def logged_in(client, user):
    client.force_login(user)
    return client


# --- The supplier list ---------------------------------------------------------------------------------


def _register(count: int, *, start: int, units, buyers) -> list[Supplier]:
    """Suppliers with business units, buyers, external assessments, computed risk and some overrides."""
    suppliers = Supplier.objects.bulk_create(
        Supplier(
            code=f"R{start + i:06d}",
            name=f"Register supplier {start + i}",
            category=Supplier.Category.PRODUCTION if i % 3 else Supplier.Category.NON_PRODUCTION,
            country=["CN", "VN", "TW", "DE"][i % 4],
            buyer=buyers[i % len(buyers)],
            commodity=Commodity.objects.order_by("pk")[i % 5],
        )
        for i in range(count)
    )
    through = Supplier.business_units.through
    through.objects.bulk_create(
        through(supplier_id=s.pk, businessunit_id=units[i % len(units)].pk) for i, s in enumerate(suppliers)
    )
    for supplier in suppliers[::7]:
        ExternalAssessmentFactory(supplier=supplier)
    risk.risk_refresh(supplier_ids=[s.pk for s in suppliers])
    Supplier.objects.filter(pk__in=[s.pk for s in suppliers[::10]]).update(
        risk_override_level="high", risk_override_reason="Press reports of excessive overtime."
    )
    return suppliers


def test_the_supplier_list_runs_the_same_few_queries_for_5_and_300_suppliers(
    admin_client, django_assert_max_num_queries
):
    units = list(BusinessUnit.objects.all())
    buyers = [UserFactory(is_staff=True) for _ in range(4)]
    _register(5, start=0, units=units, buyers=buyers)
    with CaptureQueriesContext(connection) as few:
        response = admin_client.get(CHANGELIST)
    assert len(shown_codes(response)) == 5

    _register(295, start=5, units=units, buyers=buyers)
    with django_assert_max_num_queries(CHANGELIST_MAX_QUERIES), CaptureQueriesContext(connection) as many:
        response = admin_client.get(CHANGELIST)

    assert len(shown_codes(response)) == 100  # one page
    assert len(many) == len(few)
    assert response.content.count(b'class="risk-badge risk-') == 100
    assert b"override</span>" in response.content


def test_the_list_shows_region_risk_badge_and_buyer(admin_client):
    buyer = UserFactory(username="li.wei", is_staff=True)
    supplier = SupplierFactory(code="TW-1", country="TW", buyer=buyer)
    risk.risk_refresh(supplier_ids=[supplier.pk])
    supplier.refresh_from_db()

    response = admin_client.get(CHANGELIST)

    row = re.search(rb"<tr>.*?TW-1.*?</tr>", response.content, re.S).group(0).decode()
    assert "Taiwan" in row
    assert 'title="Other countries and regions">Other<' in row
    assert f'class="risk-badge risk-{supplier.risk_level}"' in row
    assert "li.wei" in row


def test_search_finds_suppliers_by_code_and_by_name(admin_client):
    SupplierFactory(code="SZ-0042", name="Shenzhen Bright Display")
    SupplierFactory(code="VN-0007", name="Hanoi Packaging")

    assert shown_codes(admin_client.get(CHANGELIST, {"q": "SZ-0042"})) == ["SZ-0042"]
    assert shown_codes(admin_client.get(CHANGELIST, {"q": "sz-00"})) == ["SZ-0042"]
    assert shown_codes(admin_client.get(CHANGELIST, {"q": "packaging"})) == ["VN-0007"]


@pytest.fixture
def varied_register(admin_user):
    tv = BusinessUnitFactory(code="tv")
    SupplierFactory(code="A-SCREEN", status=Status.SCREENING)
    SupplierFactory(code="B-HIGH", risk_level="high")
    SupplierFactory(code="C-NONPROD", category=Supplier.Category.NON_PRODUCTION)
    SupplierFactory(code="D-TIER2", key_indirect=True, parent=SupplierFactory(code="D-PARENT"))
    SupplierFactory(code="E-VIETNAM", country="VN")
    SupplierFactory(code="F-TV", business_units=[tv])
    SupplierFactory(code="G-MINE", buyer=admin_user)
    return {"tv": tv}


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "screening"}, ["A-SCREEN"]),
        ({"risk": "high"}, ["B-HIGH"]),
        ({"category__exact": "non_production"}, ["C-NONPROD"]),
        ({"tier__exact": "2"}, ["D-TIER2"]),
        ({"country": "VN"}, ["E-VIETNAM"]),
        ({"business_units__id__exact": "{tv}"}, ["F-TV"]),
        ({"buyer": "mine"}, ["G-MINE"]),
    ],
)
def test_each_filter_narrows_the_list(admin_client, varied_register, params, expected):
    params = {key: value.format(tv=varied_register["tv"].pk) for key, value in params.items()}
    assert len(shown_codes(admin_client.get(CHANGELIST))) == 8

    assert shown_codes(admin_client.get(CHANGELIST, params)) == expected


def test_the_country_filter_offers_only_countries_with_suppliers(admin_client):
    SupplierFactory(country="VN")

    response = admin_client.get(CHANGELIST)

    assert b"Vietnam" in response.content
    assert b"Zimbabwe" not in response.content


# --- The supplier page ---------------------------------------------------------------------------------


def test_the_supplier_page_shows_badge_explanation_admission_conditions(admin_client):
    supplier = SupplierFactory(status=Status.SCREENING)
    risk.risk_refresh(supplier_ids=[supplier.pk])
    supplier = Supplier.objects.select_related("risk_assessment__model").get(pk=supplier.pk)

    response = admin_client.get(change_url(supplier))

    html = response.content.decode()
    assert f'class="risk-badge risk-{supplier.risk_level}"' in html
    lines = risk.explanation(supplier=supplier)
    assert len(lines) == 7  # the score line and six factors
    for line in lines:
        assert escape(line) in html
    for condition in lifecycle.admission_check(supplier=supplier).conditions:
        assert escape(condition.message) in html
    assert "Not admissible: some conditions are not met." in html
    assert "<strong>Not met:</strong> The Integrity Commitment is not on file." in html
    assert "<strong>Met:</strong> No open red-line finding." in html


def test_status_and_risk_are_not_editable_on_the_supplier_form(admin_client):
    supplier = SupplierFactory(code="S-1", status=Status.CANDIDATE)
    response = admin_client.get(change_url(supplier))
    form = response.context["adminform"].form
    assert not {"status", "risk_level", "risk_score", "risk_override_level"} & set(form.fields)

    data = {
        "code": "S-1",
        "name": "Renamed",
        "category": "production",
        "tier": "1",
        "country": "CN",
        "status": "admitted",
        "risk_level": "low",
        "risk_override_level": "low",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "agreements-TOTAL_FORMS": "0",
        "agreements-INITIAL_FORMS": "0",
        "external_assessments-TOTAL_FORMS": "0",
        "external_assessments-INITIAL_FORMS": "0",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
    }
    response = admin_client.post(change_url(supplier), data)

    assert response.status_code == 302, response.context["adminform"].form.errors
    supplier.refresh_from_db()
    assert supplier.name == "Renamed"
    assert (supplier.status, supplier.risk_level, supplier.risk_override_level) == ("candidate", "", "")


def test_the_history_page_lists_who_changed_what_and_why(admin_client, esg_manager):
    supplier = SupplierFactory()
    risk.risk_refresh(supplier_ids=[supplier.pk])
    risk.risk_override_set(
        supplier=supplier, level="high", reason="Fire at the plant in May.", by=esg_manager
    )

    response = admin_client.get(reverse("admin:suppliers_supplier_history", args=[supplier.pk]))

    html = response.content.decode()
    assert "Risk reassessed" in html
    assert "Risk overridden to high: Fire at the plant in May." in html
    assert "esg" in html


def test_the_status_history_is_shown_on_the_supplier_page(admin_client, esg_manager):
    supplier = SupplierFactory(status=Status.SCREENING)
    lifecycle.supplier_transition(
        supplier=supplier,
        to=Status.REJECTED,
        by=esg_manager,
        reason="Refused to disclose working-hour records.",
    )

    html = admin_client.get(change_url(supplier)).content.decode()

    assert "Refused to disclose working-hour records." in html
    assert escape("The Integrity Commitment is not on file.") in html


# --- Status changes ------------------------------------------------------------------------------------


def test_admitting_a_supplier_without_evidence_lists_every_unmet_condition(client, esg_manager):
    supplier = SupplierFactory(code="S-BARE", status=Status.SCREENING)
    unmet = lifecycle.admission_check(supplier=supplier).unmet

    response = logged_in(client, esg_manager).post(transition_url(supplier), {"to": "admitted", "reason": ""})

    assert response.status_code == 200
    refusal = re.search(r'<div class="errornote" id="refusal">(.*?)</div>', response.content.decode(), re.S)
    assert "S-BARE cannot be admitted:" in refusal.group(1)
    assert re.findall(r"<li>(.*?)</li>", refusal.group(1)) == [escape(text) for text in unmet]
    assert len(unmet) == 4
    supplier.refresh_from_db()
    assert supplier.status == Status.SCREENING
    assert not StatusTransition.objects.exists()


def test_an_esg_manager_admits_an_admissible_supplier_and_the_step_is_recorded(client, esg_manager):
    supplier = make_admissible(SupplierFactory(code="S-OK", status=Status.SCREENING))

    response = logged_in(client, esg_manager).post(
        transition_url(supplier), {"to": "admitted", "reason": "All onboarding documents checked."}
    )

    assert response.status_code == 302
    assert response.url == change_url(supplier)
    assert "S-OK moved from “Screening” to “Admitted”." in message_texts(response)
    supplier.refresh_from_db()
    assert supplier.status == Status.ADMITTED
    step = StatusTransition.objects.get(supplier=supplier)
    assert (step.from_status, step.to_status, step.by, step.reason) == (
        "screening",
        "admitted",
        esg_manager,
        "All onboarding documents checked.",
    )


def test_procurement_is_not_offered_admit_and_is_refused_when_trying(client, procurement_user):
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))
    client = logged_in(client, procurement_user)

    page = client.get(transition_url(supplier))
    assert '<option value="candidate">' in page.content.decode()
    assert '<option value="admitted">' not in page.content.decode()

    response = client.post(transition_url(supplier), {"to": "admitted", "reason": ""})

    assert escape("You may not move suppliers to 'Admitted'.") in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.status == Status.SCREENING


def test_procurement_cannot_use_the_admit_action_either(client, procurement_user):
    supplier = make_admissible(SupplierFactory(status=Status.SCREENING))
    client = logged_in(client, procurement_user)

    actions = dict(client.get(CHANGELIST).context["action_form"].fields["action"].choices)
    assert "transition_to_admitted" not in actions
    assert "transition_to_screening" in actions

    client.post(CHANGELIST, {"action": "transition_to_admitted", "_selected_action": [supplier.pk]})
    supplier.refresh_from_db()
    assert supplier.status == Status.SCREENING


def test_rejecting_needs_a_reason(client, esg_manager):
    supplier = SupplierFactory(status=Status.SCREENING)
    client = logged_in(client, esg_manager)

    response = client.post(transition_url(supplier), {"to": "rejected", "reason": "  "})
    assert escape("Moving a supplier to 'Not admitted' needs a reason.") in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.status == Status.SCREENING

    response = client.post(transition_url(supplier), {"to": "rejected", "reason": "Child labour found."})
    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.status == Status.REJECTED
    assert supplier.transitions.get().reason == "Child labour found."


def test_the_suspend_action_asks_for_a_reason_before_acting(client, esg_manager):
    first, second = SupplierFactory.create_batch(2, status=Status.ADMITTED)
    client = logged_in(client, esg_manager)
    selection = {"action": "transition_to_suspended", "_selected_action": [first.pk, second.pk]}

    page = client.post(CHANGELIST, selection)
    assert page.status_code == 200
    assert b"Move these suppliers to" in page.content
    first.refresh_from_db()
    assert first.status == Status.ADMITTED

    page = client.post(CHANGELIST, {**selection, "apply": "yes", "reason": ""})
    assert escape("Moving a supplier to “Suspended” needs a reason.") in page.content.decode()

    response = client.post(CHANGELIST, {**selection, "apply": "yes", "reason": "Overdue corrective actions."})
    assert response.status_code == 302
    assert {s.status for s in Supplier.objects.filter(pk__in=[first.pk, second.pk])} == {Status.SUSPENDED}
    assert StatusTransition.objects.filter(reason="Overdue corrective actions.", by=esg_manager).count() == 2


def test_the_admit_action_reports_each_refused_supplier_with_its_unmet_conditions(client, esg_manager):
    ready = make_admissible(SupplierFactory(code="S-READY", status=Status.SCREENING))
    bare = SupplierFactory(code="S-BARE", status=Status.SCREENING)

    response = logged_in(client, esg_manager).post(
        CHANGELIST, {"action": "transition_to_admitted", "_selected_action": [ready.pk, bare.pk]}
    )

    texts = message_texts(response)
    assert "Moved 1 to “Admitted”: S-READY." in texts
    refused = next(text for text in texts if text.startswith("S-BARE cannot be admitted:"))
    assert refused.count("<li>") == 4
    assert escape("The Supplier Social Responsibility (CSR) Agreement is not on file.") in refused
    bare.refresh_from_db()
    assert bare.status == Status.SCREENING


# --- Risk ----------------------------------------------------------------------------------------------


def test_recompute_risk_action_assesses_the_selected_suppliers(client, procurement_user):
    supplier = SupplierFactory()
    assert supplier.risk_level == ""

    response = logged_in(client, procurement_user).post(
        CHANGELIST, {"action": "recompute_risk", "_selected_action": [supplier.pk]}
    )

    assert "Risk recomputed for 1 supplier(s); 1 new assessment(s) stored." in message_texts(response)
    supplier.refresh_from_db()
    assert supplier.risk_level in {"low", "medium", "high"}
    assert RiskAssessment.objects.get(supplier=supplier).model == RiskModel.objects.current()


def test_an_esg_manager_overrides_risk_with_a_reason_and_it_shows_in_history(client, esg_manager):
    supplier = SupplierFactory(code="S-OVR")
    risk.risk_refresh(supplier_ids=[supplier.pk])
    client = logged_in(client, esg_manager)

    response = client.post(
        override_url(supplier), {"level": "high", "reason": "NGO report on forced overtime."}
    )

    assert response.status_code == 302
    supplier.refresh_from_db()
    assert (supplier.risk_override_level, supplier.risk_level, supplier.risk_override_by) == (
        "high",
        "high",
        esg_manager,
    )
    page = client.get(change_url(supplier)).content.decode()
    assert "override</span>" in page
    assert "NGO report on forced overtime." in page
    history = client.get(reverse("admin:suppliers_supplier_history", args=[supplier.pk])).content.decode()
    assert "Risk overridden to high: NGO report on forced overtime." in history


def test_an_override_without_a_reason_is_refused(client, esg_manager):
    supplier = SupplierFactory()

    response = logged_in(client, esg_manager).post(override_url(supplier), {"level": "high", "reason": ""})

    assert response.status_code == 200
    assert "A risk override needs a reason." in response.content.decode()
    supplier.refresh_from_db()
    assert supplier.risk_override_level == ""


def test_procurement_cannot_override_risk(client, procurement_user):
    supplier = SupplierFactory()
    client = logged_in(client, procurement_user)

    assert client.get(override_url(supplier)).status_code == 403
    assert client.post(override_url(supplier), {"level": "low", "reason": "Good partner."}).status_code == 403
    assert b"Risk override</a>" not in client.get(change_url(supplier)).content
    supplier.refresh_from_db()
    assert supplier.risk_override_level == ""


def test_an_esg_manager_removes_an_override(client, esg_manager):
    supplier = SupplierFactory()
    risk.risk_refresh(supplier_ids=[supplier.pk])
    risk.risk_override_set(supplier=supplier, level="low", reason="Audited last month.", by=esg_manager)

    response = logged_in(client, esg_manager).post(override_url(supplier), {"clear": "1", "clear_reason": ""})

    assert response.status_code == 302
    supplier.refresh_from_db()
    assert supplier.risk_override_level == ""
    assert supplier.risk_level == supplier.risk_assessment.level


# --- Risk model versions -------------------------------------------------------------------------------


def _risk_model_post_data(client, model: RiskModel) -> dict:
    form = client.get(reverse("admin:suppliers_riskmodel_change", args=[model.pk])).context["adminform"].form
    return {name: field.prepare_value(form[name].value()) for name, field in form.fields.items()}


def test_editing_a_risk_model_saves_a_new_version_and_keeps_the_old_one(client, esg_manager):
    first = RiskModel.objects.current()
    client = logged_in(client, esg_manager)
    data = _risk_model_post_data(client, first)
    data.update(weight_country=30, weight_commodity=5, note="More weight on country risk.")

    response = client.post(reverse("admin:suppliers_riskmodel_change", args=[first.pk]), data)

    assert response.status_code == 302
    latest = RiskModel.objects.current()
    assert latest.version == first.version + 1
    assert (latest.weight_country, latest.weight_commodity, latest.created_by) == (30, 5, esg_manager)
    first.refresh_from_db()
    assert (first.weight_country, first.weight_commodity, first.note) == (20, 15, "Default model")
    assert RiskModel.objects.count() == 2


def test_weights_that_do_not_add_up_to_100_are_refused_with_a_clear_error(client, esg_manager):
    first = RiskModel.objects.current()
    client = logged_in(client, esg_manager)
    data = {**_risk_model_post_data(client, first), "weight_country": 10}

    response = client.post(reverse("admin:suppliers_riskmodel_change", args=[first.pk]), data)

    assert response.status_code == 200
    html = response.content.decode()
    assert "The six weights must add up to 100." in html
    assert "The weights add up to 90." in html
    assert RiskModel.objects.count() == 1


def test_unordered_thresholds_are_refused(client, esg_manager):
    first = RiskModel.objects.current()
    client = logged_in(client, esg_manager)
    data = {**_risk_model_post_data(client, first), "medium_threshold": "70", "high_threshold": "60"}

    response = client.post(reverse("admin:suppliers_riskmodel_change", args=[first.pk]), data)

    assert escape("Thresholds must satisfy 0 < medium < high ≤ 100.") in response.content.decode()
    assert RiskModel.objects.count() == 1


# --- Reference tables and roles ------------------------------------------------------------------------


def test_the_onboarding_policy_is_a_single_row_opened_from_the_list(client, esg_manager):
    policy = OnboardingPolicy.current()
    client = logged_in(client, esg_manager)

    response = client.get(reverse("admin:suppliers_onboardingpolicy_changelist"))

    assert response.url == reverse("admin:suppliers_onboardingpolicy_change", args=[policy.pk])
    assert client.get(reverse("admin:suppliers_onboardingpolicy_add")).status_code == 403
    assert client.get(reverse("admin:suppliers_onboardingpolicy_delete", args=[policy.pk])).status_code == 403
    response = client.post(response.url, {"vap_max_age_days": "365", "accept_onboarding_audit": "on"})
    assert response.status_code == 302
    policy.refresh_from_db()
    assert (policy.vap_max_age_days, policy.require_integrity_commitment) == (365, False)
    assert policy.history.first().history_user == esg_manager


def test_an_esg_manager_edits_commodity_risk_in_the_list(client, esg_manager):
    commodity = Commodity.objects.get(code="battery")
    client = logged_in(client, esg_manager)
    url = reverse("admin:suppliers_commodity_changelist")
    formset = client.get(url).context["cl"].formset
    data = {
        "form-TOTAL_FORMS": str(formset.total_form_count()),
        "form-INITIAL_FORMS": str(formset.initial_form_count()),
        "_save": "Save",
    }
    for i, form in enumerate(formset.forms):
        data[f"form-{i}-id"] = form.instance.pk
        data[f"form-{i}-risk_score"] = 90 if form.instance == commodity else form.instance.risk_score

    assert client.post(url, data).status_code == 302
    commodity.refresh_from_db()
    assert commodity.risk_score == 90
    assert commodity.history.first().history_user == esg_manager


def test_a_risk_assessment_page_shows_its_factors_as_a_table(admin_client):
    supplier = SupplierFactory()
    assessment = risk.risk_assess(supplier=supplier)

    html = admin_client.get(reverse("admin:suppliers_riskassessment_change", args=[assessment.pk])).content
    html = html.decode()

    assert "<th>Contribution</th>" in html
    for factor in assessment.factors:
        assert f"<td>{escape(factor['label'])}</td>" in html


@pytest.mark.parametrize("user_fixture", ["auditor_user", "supplier_contact_user"])
def test_auditors_and_supplier_contacts_have_no_admin_access(client, request, user_fixture):
    client = logged_in(client, request.getfixturevalue(user_fixture))

    response = client.get(CHANGELIST)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_procurement_sees_the_supplier_list_and_the_import_button(client, procurement_user):
    SupplierFactory(code="S-SEEN")

    response = logged_in(client, procurement_user).get(CHANGELIST)

    assert shown_codes(response) == ["S-SEEN"]
    assert b"Import suppliers</a>" in response.content


# --- Import --------------------------------------------------------------------------------------------

IMPORT = reverse("admin:suppliers_supplier_import")


def _xlsx(rows) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Suppliers"
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_importing_a_good_file_creates_suppliers_and_returns_to_the_list(client, procurement_user):
    content = _xlsx(
        [
            ["code", "name", "category", "tier", "country"],
            ["IMP-1", "Dongguan Cables", "production", "1", "CN"],
            ["IMP-2", "Penang Logistics", "non_production", "1", "MY"],
        ]
    )
    upload = SimpleUploadedFile("suppliers.xlsx", content)

    response = logged_in(client, procurement_user).post(IMPORT, {"file": upload})

    assert response.status_code == 302
    assert response.url == CHANGELIST
    assert "suppliers.xlsx: created 2, updated 0, errors 0." in message_texts(response)
    assert set(Supplier.objects.values_list("code", flat=True)) == {"IMP-1", "IMP-2"}


def test_importing_a_bad_file_lists_every_row_error_and_creates_nothing(client, procurement_user):
    content = b"code,name,category,tier,country\nIMP-1,Good Co,production,1,CN\nIMP-2,Bad Co,factory,1,XX\n"
    upload = SimpleUploadedFile("suppliers.csv", content)

    response = logged_in(client, procurement_user).post(IMPORT, {"file": upload})

    assert response.status_code == 200
    html = response.content.decode()
    result = response.context["result"]
    assert f"suppliers.csv: {result.summary}." in html
    assert len(result.errors) >= 2
    for error in result.errors:
        assert (
            f"<tr><td>{error.row}</td><td>{escape(error.column)}</td><td>{escape(error.message)}</td></tr>"
            in html
        )
    assert {(e.row, e.column) for e in result.errors} >= {(3, "category"), (3, "country")}
    assert not Supplier.objects.exists()


def test_an_upload_over_the_size_limit_is_refused_with_the_limit(client, procurement_user, settings):
    settings.UPLOAD_MAX_BYTES = 100
    upload = SimpleUploadedFile("big.csv", b"code,name,category,tier,country\n" + b"x" * 200)

    response = logged_in(client, procurement_user).post(IMPORT, {"file": upload})

    assert (
        "big.csv is 232\xa0bytes; the largest accepted upload is 100\xa0bytes." in response.content.decode()
    )
    assert not Supplier.objects.exists()


def test_an_unreadable_file_is_reported_by_name(client, procurement_user):
    upload = SimpleUploadedFile("suppliers.xlsx", b"PK\x03\x04 cut off halfway through the download")

    response = logged_in(client, procurement_user).post(IMPORT, {"file": upload})

    assert response.status_code == 200
    assert "suppliers.xlsx: is damaged or truncated" in response.content.decode()


def test_only_users_allowed_to_import_see_the_upload_page(client):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_supplier"))

    assert logged_in(client, viewer).get(IMPORT).status_code == 403


def test_a_supplier_added_in_the_admin_is_assessed_after_commit(
    admin_client, django_capture_on_commit_callbacks
):
    data = {
        "code": "NEW-1",
        "name": "New Co",
        "category": "production",
        "tier": "1",
        "country": "DE",
        "contacts-TOTAL_FORMS": "0",
        "contacts-INITIAL_FORMS": "0",
        "agreements-TOTAL_FORMS": "0",
        "agreements-INITIAL_FORMS": "0",
        "external_assessments-TOTAL_FORMS": "0",
        "external_assessments-INITIAL_FORMS": "0",
        "transitions-TOTAL_FORMS": "0",
        "transitions-INITIAL_FORMS": "0",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(reverse("admin:suppliers_supplier_add"), data)

    assert response.status_code == 302
    supplier = Supplier.objects.get(code="NEW-1")
    assert supplier.status == Status.CANDIDATE
    assert supplier.risk_level in {"low", "medium", "high"}


def test_an_outdated_vap_report_shows_as_unmet_evidence_on_the_supplier_page(admin_client):
    supplier = SupplierFactory(code="S-VAP", status=Status.SCREENING)
    ExternalAssessmentFactory(supplier=supplier, assessed_on=dt.date.today() - dt.timedelta(days=900))

    html = admin_client.get(change_url(supplier)).content.decode()

    assert "<strong>Not met:</strong> No ESG evidence: the latest RBA VAP report" in html
