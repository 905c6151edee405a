"""The supplier register in the Django admin, for procurement staff and ESG managers.

Admin classes shape input and output only: status changes go through ``lifecycle.supplier_transition``,
risk through ``risk.risk_refresh`` / ``risk_override_set`` / ``risk_override_clear``, imports through
``importing.import_suppliers``. Status, risk and override fields are read-only on every form.

The supplier list stays fast with 100,000 suppliers: a fixed number of queries whatever the page shows
(no per-row queries; the region is derived from the country), and no full count of the register.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django_countries import countries
from simple_history.admin import SimpleHistoryAdmin

from common.admin import (
    AMBER,
    GREEN,
    LIST_STYLE,
    RED,
    ExportMixin,
    ReadOnlyAdmin,
    ReadOnlyInline,
    ask_reason,
    badge,
    bullet_list,
    render_page,
)

from . import exports as exported
from . import importing, lifecycle, risk, services
from .forms import (
    RiskModelForm,
    RiskOverrideForm,
    SupplierAdminForm,
    SupplierImportForm,
    TransitionForm,
)
from .models import (
    Agreement,
    BusinessUnit,
    Commodity,
    Contact,
    CountryRisk,
    ExternalAssessment,
    OnboardingPolicy,
    Region,
    RiskAssessment,
    RiskLevel,
    RiskModel,
    StatusTransition,
    Supplier,
)

Status = Supplier.Status

RISK_COLOURS = {RiskLevel.LOW: GREEN, RiskLevel.MEDIUM: AMBER, RiskLevel.HIGH: RED}
# A status change runs the onboarding gate for each supplier: keep one request's work bounded.
MAX_SUPPLIERS_PER_STATUS_ACTION = 500


def risk_badge(level: str, *, overridden: bool = False, title: str = "") -> str:
    """A coloured low / medium / high badge; "override" marks a manually set level."""
    if not level:
        return format_html('<span class="risk-badge risk-none">{}</span>', "Not assessed")
    marker = (
        format_html(' <span class="risk-override" title="{}">override</span>', title) if overridden else ""
    )
    return format_html(
        "{}{}",
        badge(RiskLevel(level).label, colours=RISK_COLOURS[level], css=f"risk-badge risk-{level}"),
        marker,
    )


# --- Supplier list filters ----------------------------------------------------------------------------


class RiskLevelFilter(admin.SimpleListFilter):
    title = "risk level"
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return [*RiskLevel.choices, ("none", "Not assessed")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(risk_level="")
        if self.value() in RiskLevel.values:
            return queryset.filter(risk_level=self.value())
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Only the countries the register has suppliers in (one indexed DISTINCT query), not all 249."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = Supplier.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(((str(code), countries.name(code)) for code in codes), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


class BuyerFilter(admin.SimpleListFilter):
    title = "buyer"
    parameter_name = "buyer"

    def lookups(self, request, model_admin):
        return [("mine", "My suppliers"), ("none", "No buyer")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.bought_by(request.user)
        if self.value() == "none":
            return queryset.filter(buyer=None)
        return queryset


# --- Supplier inlines ---------------------------------------------------------------------------------


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "role", "is_primary", "receives_reminders", "user"]
    raw_id_fields = ["user"]


class AgreementInline(admin.TabularInline):
    model = Agreement
    extra = 0
    fields = ["kind", "signed_on", "signed_by", "expires_on", "file"]


class ExternalAssessmentInline(admin.TabularInline):
    model = ExternalAssessment
    extra = 0
    fields = ["kind", "scheme", "score", "scale_max", "assessed_on", "valid_until", "reference", "file"]


class StatusTransitionInline(ReadOnlyInline):
    model = StatusTransition
    verbose_name_plural = "status history"
    fields = ["from_status", "to_status", "by", "at", "reason", "unmet"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")

    @admin.display(description="unmet conditions")
    def unmet(self, obj: StatusTransition) -> str:
        return bullet_list(obj.unmet_conditions) if obj.unmet_conditions else "—"


# --- Supplier -----------------------------------------------------------------------------------------


def _transition_action(to: str, description: str):
    def action(modeladmin: SupplierAdmin, request, queryset):
        return modeladmin.transition_selected(request, queryset, to=to)

    action.__name__ = f"transition_to_{to}"
    action.transition_to = to
    return admin.action(description=description)(action)


TRANSITION_ACTIONS = [
    _transition_action(Status.SCREENING, "Move to screening"),
    _transition_action(Status.ADMITTED, "Admit"),
    _transition_action(Status.REJECTED, "Reject (not admitted)"),
    _transition_action(Status.SUSPENDED, "Suspend"),
    _transition_action(Status.ADMITTED, "Reinstate (suspended → admitted)"),
    _transition_action(Status.EXITED, "Exit"),
]
# Admit and reinstate both move to "admitted": the lifecycle tells them apart by the current status.
TRANSITION_ACTIONS[4].__name__ = "reinstate"


@admin.register(Supplier)
class SupplierAdmin(ExportMixin, SimpleHistoryAdmin):
    form = SupplierAdminForm
    export_columns = exported.SUPPLIERS
    export_select_related = exported.SUPPLIER_SELECT_RELATED
    export_prefetch_related = exported.SUPPLIER_PREFETCH_RELATED
    list_display = [
        "code",
        "name",
        "category",
        "tier_number",
        "country_name",
        "region",
        "status",
        "risk",
        "buyer",
    ]
    list_display_links = ["code", "name"]
    list_select_related = ["buyer"]
    list_filter = [
        "status",
        RiskLevelFilter,
        "category",
        "tier",
        CountryFilter,
        "business_units",
        BuyerFilter,
    ]
    search_fields = ["^code", "name"]
    search_help_text = "Code (from the start) or part of the name."
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter choice is too slow on a large register
    list_per_page = 100
    autocomplete_fields = ["parent", "commodity"]
    filter_horizontal = ["business_units"]
    inlines = [ContactInline, AgreementInline, ExternalAssessmentInline, StatusTransitionInline]
    actions = [*TRANSITION_ACTIONS, "recompute_risk"]
    readonly_fields = [
        "status",
        "status_changed_at",
        "admission",
        "risk_badge",
        "risk_score",
        "risk_explanation",
        "risk_override",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "code",
                    "name",
                    "legal_name",
                    "category",
                    "tier",
                    "parent",
                    "commodity",
                    "business_units",
                    "country",
                    "buyer",
                ]
            },
        ),
        ("Spend and materiality", {"fields": ["annual_spend", "currency", "strategic"]}),
        (
            "Lifecycle",
            {
                "fields": ["status", "status_changed_at", "admission"],
                "description": "The status changes only with “Change status” or the list's actions.",
            },
        ),
        ("Risk", {"fields": ["risk_badge", "risk_score", "risk_explanation", "risk_override"]}),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]

    # Reverting to a historical version would write status and risk fields past the services.
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Supplier versions are shown, not restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.fieldsets[:2]

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related("risk_assessment__model", "risk_override_by")
        field = self.opts.pk if from_field is None else self.opts.get_field(from_field)
        try:
            return queryset.get(**{field.name: field.to_python(object_id)})
        except (Supplier.DoesNotExist, ValidationError, ValueError):
            return None

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name, (func, _, _) in list(actions.items()):
            to = getattr(func, "transition_to", None)
            if to is not None and not request.user.has_perm(lifecycle.permission_for(to)):
                del actions[name]
        return actions

    def save_model(self, request, obj, form, change):
        """The master data goes through ``services``, which also reassesses the risk after commit."""
        values = {name: form.cleaned_data[name] for name in form._meta.fields if name in form.cleaned_data}
        if change:
            services.supplier_update(supplier=obj, by=request.user, **values)
        else:
            obj.pk = services.supplier_create(by=request.user, **values).pk
            obj.refresh_from_db()
            obj._state.adding = False

    def save_related(self, request, form, formsets, change):
        # The business units were saved with the supplier (``save_model``); the inlines are saved here.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)
        # External ratings are a risk input too.
        if change and any(fs.model is ExternalAssessment and fs.has_changed() for fs in formsets):
            services.reassess_after_commit([form.instance.pk])

    # --- columns and read-only fields --------------------------------------------------------------

    @admin.display(description="tier", ordering="tier")
    def tier_number(self, obj: Supplier) -> str:
        return f"Tier {obj.tier}"

    @admin.display(description="country", ordering="country")
    def country_name(self, obj: Supplier) -> str:
        # The field's own display builds the whole country list for every row.
        return obj.country.name

    @admin.display(description="region")
    def region(self, obj: Supplier) -> str:
        if obj.region == Region.MAINLAND_CHINA:
            return Region.MAINLAND_CHINA.label
        return format_html('<span title="{}">Other</span>', Region.OTHER.label)

    @admin.display(description="risk", ordering="risk_level")
    def risk(self, obj: Supplier) -> str:
        return risk_badge(
            obj.risk_level,
            overridden=bool(obj.risk_override_level),
            title=f"Overridden: {obj.risk_override_reason}",
        )

    @admin.display(description="risk level")
    def risk_badge(self, obj: Supplier) -> str:
        return self.risk(obj)

    @admin.display(description="why")
    def risk_explanation(self, obj: Supplier) -> str:
        return bullet_list(risk.explanation(supplier=obj))

    @admin.display(description="manual override")
    def risk_override(self, obj: Supplier) -> str:
        if not obj.risk_override_level:
            return "None."
        at = timezone.localtime(obj.risk_override_at) if obj.risk_override_at else None
        return format_html(
            "{} {}, set by {} on {}.<br>Reason: {}",
            risk_badge(obj.risk_override_level),
            RiskLevel(obj.risk_override_level).label,
            obj.risk_override_by or "unknown",
            f"{at:%Y-%m-%d %H:%M}" if at else "unknown date",
            obj.risk_override_reason,
        )

    @admin.display(description="admission check")
    def admission(self, obj: Supplier) -> str:
        check = lifecycle.admission_check(supplier=obj)
        verdict = (
            "All conditions for admission are met."
            if check.admissible
            else "Not admissible: some conditions are not met."
        )
        items = format_html_join(
            "",
            '<li class="{}"><strong>{}</strong> {}</li>',
            (
                ("condition-met" if c.met else "condition-unmet", "Met:" if c.met else "Not met:", c.message)
                for c in check.conditions
            ),
        )
        return format_html('<p>{}</p><ul style="{}">{}</ul>', verdict, LIST_STYLE, items)

    # --- actions ----------------------------------------------------------------------------------

    def transition_selected(self, request: HttpRequest, queryset: QuerySet, *, to: str):
        label = Status(to).label
        count = queryset.count()
        if count > MAX_SUPPLIERS_PER_STATUS_ACTION:
            self.message_user(
                request,
                f"Select at most {MAX_SUPPLIERS_PER_STATUS_ACTION} suppliers for a status change "
                f"(you selected {count}).",
                messages.ERROR,
            )
            return None
        reason = ""
        if to in lifecycle.REASON_REQUIRED:
            reason, page = ask_reason(
                self,
                request,
                queryset.order_by("code"),
                title=f"{label}: give a reason",
                intro=f"Move these suppliers to “{label}”:",
                describe=lambda supplier: f"{supplier} ({supplier.get_status_display()})",
                submit=f"Move to “{label}”",
                help_text="Kept with each supplier's status change.",
                required_message=f"Moving a supplier to “{label}” needs a reason.",
            )
            if page is not None:
                return page
        moved = []
        for supplier in queryset.order_by("code"):
            try:
                lifecycle.supplier_transition(supplier=supplier, to=to, by=request.user, reason=reason)
            except lifecycle.TransitionRefused as refused:
                self.message_user(request, _refusal_html(refused), messages.ERROR)
            else:
                moved.append(supplier.code)
        if moved:
            self.message_user(
                request, f"Moved {len(moved)} to “{label}”: {', '.join(moved)}.", messages.SUCCESS
            )
        return None

    @admin.action(description="Recompute risk", permissions=["change"])
    def recompute_risk(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        created = risk.risk_refresh(supplier_ids=ids, force=True, by=request.user)
        self.message_user(
            request,
            f"Risk recomputed for {len(ids)} supplier(s); {created} new assessment(s) stored.",
            messages.SUCCESS,
        )

    # --- extra pages ------------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("import/", view(self.import_view), name="{}_{}_import".format(*info)),
            path(
                "<path:object_id>/transition/",
                view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            path(
                "<path:object_id>/risk-override/",
                view(self.risk_override_view),
                name="{}_{}_risk_override".format(*info),
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, context: dict):
        return render_page(self, request, f"admin/suppliers/supplier/{template}", context)

    def _supplier_or_redirect(self, request, object_id):
        supplier = self.get_object(request, unquote(object_id))
        if supplier is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return supplier, None

    def _change_url(self, supplier: Supplier) -> str:
        return reverse("admin:suppliers_supplier_change", args=[supplier.pk])

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        supplier, redirect = self._supplier_or_redirect(request, object_id)
        if redirect:
            return redirect
        if not self.has_view_or_change_permission(request, supplier):
            raise PermissionDenied
        allowed = lifecycle.allowed_transitions(supplier=supplier)
        offered = [s for s in allowed if request.user.has_perm(lifecycle.permission_for(s))]
        form = TransitionForm(request.POST or None, allowed=allowed, offered=offered)
        refusal = None
        if request.method == "POST" and form.is_valid():
            to, reason = form.cleaned_data["to"], form.cleaned_data["reason"]
            previous = supplier.get_status_display()
            try:
                lifecycle.supplier_transition(supplier=supplier, to=to, by=request.user, reason=reason)
            except lifecycle.TransitionRefused as refused:
                refusal = refused
            else:
                self.message_user(
                    request,
                    f"{supplier.code} moved from “{previous}” to “{Status(to).label}”.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(supplier))
        return self._page(
            request,
            "transition.html",
            {
                "title": f"Change status: {supplier}",
                "original": supplier,
                "form": form,
                "refusal": refusal,
                "check": lifecycle.admission_check(supplier=supplier),
                "offered": offered,
            },
        )

    def risk_override_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("suppliers.override_risk"):
            raise PermissionDenied
        supplier, redirect = self._supplier_or_redirect(request, object_id)
        if redirect:
            return redirect
        form = RiskOverrideForm(
            request.POST if request.method == "POST" and "clear" not in request.POST else None,
            initial={"level": supplier.risk_override_level or supplier.risk_level or None},
        )
        try:
            if request.method == "POST" and "clear" in request.POST:
                risk.risk_override_clear(
                    supplier=supplier, by=request.user, reason=request.POST.get("clear_reason", "")
                )
                self.message_user(request, f"Risk override of {supplier.code} removed.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(supplier))
            if form.is_bound and form.is_valid():
                updated = risk.risk_override_set(
                    supplier=supplier,
                    level=form.cleaned_data["level"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
                self.message_user(
                    request,
                    f"Risk of {supplier.code} overridden: now {updated.get_risk_level_display()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(supplier))
        except risk.OverrideRefused as refused:
            form.add_error(None, str(refused))
        return self._page(
            request,
            "risk_override.html",
            {
                "title": f"Risk override: {supplier}",
                "original": supplier,
                "form": form,
                "current": self.risk(supplier),
            },
        )

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("suppliers.import_suppliers"):
            raise PermissionDenied
        form = SupplierImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                result = importing.import_suppliers(fileobj=upload, filename=upload.name, by=request.user)
            except importing.ImportFileError as error:
                form.add_error("file", str(error))
            else:
                if result.ok:
                    self.message_user(request, f"{result.filename}: {result.summary}.", messages.SUCCESS)
                    return HttpResponseRedirect(reverse("admin:suppliers_supplier_changelist"))
        return self._page(
            request,
            "import.html",
            {
                "title": "Import suppliers",
                "form": form,
                "result": result,
            },
        )


def _refusal_html(refused: lifecycle.TransitionRefused) -> str:
    if not refused.unmet:
        return refused.message
    return format_html("{}{}", refused.message, bullet_list(refused.unmet))


# --- Reference tables ---------------------------------------------------------------------------------


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Commodity)
class CommodityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "risk_score"]
    list_editable = ["risk_score"]
    search_fields = ["code", "name"]


@admin.register(CountryRisk)
class CountryRiskAdmin(SimpleHistoryAdmin):
    list_display = ["country", "score", "rationale"]
    list_editable = ["score"]
    search_fields = ["=country", "rationale"]


@admin.register(OnboardingPolicy)
class OnboardingPolicyAdmin(SimpleHistoryAdmin):
    """One row, the onboarding gate's settings: the list opens it directly."""

    def has_add_permission(self, request):
        # The row is seeded by a migration and ``OnboardingPolicy.current()`` recreates it if missing;
        # answering without a query keeps it out of every admin page's navigation queries.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        policy = OnboardingPolicy.current()
        return HttpResponseRedirect(reverse("admin:suppliers_onboardingpolicy_change", args=[policy.pk]))


@admin.register(RiskModel)
class RiskModelAdmin(admin.ModelAdmin):
    """Versions are never edited: saving an edited version stores a new one, so that every stored
    assessment keeps pointing at the weights it was computed with."""

    form = RiskModelForm
    list_display = [
        "__str__",
        "note",
        "weights_summary",
        "medium_threshold",
        "high_threshold",
        "created_at",
        "created_by",
    ]
    list_select_related = ["created_by"]
    readonly_fields = ["version", "created_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["version", "note", "created_at", "created_by"]}),
        ("Weights (they must add up to 100)", {"fields": [f"weight_{f}" for f in RiskModel.FACTORS]}),
        ("Thresholds (0 < medium < high ≤ 100)", {"fields": ["medium_threshold", "high_threshold"]}),
        ("Country and commodity", {"fields": ["default_country_score", "default_commodity_score"]}),
        (
            "Audit performance",
            {
                "fields": [
                    "audit_score_high_performer",
                    "audit_score_medium_performer",
                    "audit_score_low_performer",
                    "audit_score_no_audit",
                ]
            },
        ),
        (
            "Open findings (points per open finding)",
            {"fields": ["findings_points_priority", "findings_points_major", "findings_points_minor"]},
        ),
        ("External rating", {"fields": ["external_score_missing"]}),
        (
            "Materiality",
            {
                "fields": [
                    "materiality_base",
                    "materiality_tier1",
                    "materiality_production",
                    "materiality_strategic",
                    "materiality_high_spend",
                    "high_spend_threshold_usd",
                    "usd_rates",
                ]
            },
        ),
    ]

    @admin.display(description="weights")
    def weights_summary(self, obj: RiskModel) -> str:
        return ", ".join(f"{factor} {weight}" for factor, weight in obj.weights().items())

    def has_change_permission(self, request, obj=None):
        # Changing a version means adding the next one.
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        based_on = obj.version
        latest = (
            RiskModel.objects.select_for_update()
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        obj.pk = None
        obj._state.adding = True
        obj.version = (latest or 0) + 1
        obj.created_at = timezone.now()
        obj.created_by = request.user
        obj.save()
        text = f"Saved as risk model v{obj.version}"
        if change:
            text += f"; v{based_on} is kept unchanged"
        self.message_user(
            request, text + ". Suppliers are reassessed with it in the nightly risk refresh.", messages.INFO
        )


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "level_badge", "score", "score_level", "model", "computed_at"]
    list_select_related = ["supplier", "model"]
    list_filter = ["level", "model"]
    search_fields = ["=supplier__code"]
    search_help_text = "Supplier code."
    show_full_result_count = False
    fields = [
        "supplier",
        "model",
        "computed_at",
        "score",
        "score_level",
        "level",
        "factors_table",
        "hard_rules_list",
        "fingerprint",
    ]
    readonly_fields = fields

    @admin.display(description="level", ordering="level")
    def level_badge(self, obj: RiskAssessment) -> str:
        return risk_badge(obj.level)

    @admin.display(description="factors")
    def factors_table(self, obj: RiskAssessment) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}%</td><td>{}</td><td>{}</td></tr>",
            (
                (f["label"], f"{f['score']:g}", f["weight"], f"{f['contribution']:g}", f["detail"])
                for f in obj.factors
            ),
        )
        return format_html(
            "<table><thead><tr><th>Factor</th><th>Score</th><th>Weight</th><th>Contribution</th>"
            "<th>From</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="hard rules")
    def hard_rules_list(self, obj: RiskAssessment) -> str:
        return bullet_list(obj.hard_rules) if obj.hard_rules else "None."


# --- Supplier records ---------------------------------------------------------------------------------


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "role", "supplier", "is_primary", "receives_reminders"]
    list_select_related = ["supplier"]
    list_filter = ["role", "is_primary"]
    search_fields = ["name", "email", "=supplier__code"]
    autocomplete_fields = ["supplier"]
    raw_id_fields = ["user"]
    show_full_result_count = False


@admin.register(Agreement)
class AgreementAdmin(SimpleHistoryAdmin):
    list_display = ["supplier", "kind", "signed_on", "signed_by", "expires_on"]
    list_select_related = ["supplier"]
    list_filter = ["kind"]
    search_fields = ["=supplier__code", "signed_by"]
    autocomplete_fields = ["supplier"]
    show_full_result_count = False


@admin.register(ExternalAssessment)
class ExternalAssessmentAdmin(admin.ModelAdmin):
    list_display = ["supplier", "kind", "score", "scale_max", "assessed_on", "valid_until"]
    list_select_related = ["supplier"]
    list_filter = ["kind"]
    search_fields = ["=supplier__code", "reference"]
    autocomplete_fields = ["supplier"]
    show_full_result_count = False


@admin.register(StatusTransition)
class StatusTransitionAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "from_status", "to_status", "by", "at", "reason"]
    list_select_related = ["supplier", "by"]
    list_filter = ["to_status", "from_status"]
    search_fields = ["=supplier__code"]
    show_full_result_count = False
    fields = ["supplier", "from_status", "to_status", "by", "at", "reason", "unmet", "red_line"]
    readonly_fields = fields

    @admin.display(description="unmet conditions")
    def unmet(self, obj: StatusTransition) -> str:
        return bullet_list(obj.unmet_conditions) if obj.unmet_conditions else "None."
