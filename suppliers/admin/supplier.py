"""The supplier list and page in the admin: columns, filters, the master-data form with its contacts,
agreements, external ratings and status history, and the read-only lifecycle and risk sections. Status
changes, risk recomputation and override are ``workflow.SupplierWorkflowMixin``; the upload of a file of
suppliers is the shared ``common.admin.ImportMixin``.

The supplier list stays fast with 100,000 suppliers: a fixed number of queries whatever the page shows
(no per-row queries; the region is derived from the country), and no full count of the register.
"""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from common.admin import LIST_STYLE, ExportMixin, ImportMixin, ReadOnlyInline, bullet_list

from .. import exports as exported
from .. import importing, lifecycle, risk, services
from ..forms import SupplierAdminForm, SupplierImportForm
from ..models import (
    Agreement,
    Contact,
    ExternalAssessment,
    Region,
    RiskLevel,
    StatusTransition,
    Supplier,
)
from . import contacts
from .display import risk_badge
from .filters import BuyerFilter, CountryFilter, RiskLevelFilter
from .workflow import TRANSITION_ACTIONS, SupplierWorkflowMixin

# --- Supplier inlines ---------------------------------------------------------------------------------


class ContactInline(admin.TabularInline):
    """The supplier's contacts, each with where it stands in the portal (not invited, invited, joined,
    deactivated) and, for those who may manage access, links to invite, invite again, deactivate or
    reactivate it (``contacts``). The login is set by the invitation, never typed in here."""

    model = Contact
    extra = 0
    fields = ["name", "email", "phone", "role", "is_primary", "receives_reminders", "portal_access"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user__portal")

    def get_fields(self, request, obj=None):
        return [*self.fields[:-1], "portal_steps" if contacts.may_manage_access(request) else "portal_access"]

    def get_readonly_fields(self, request, obj=None):
        return ["portal_access", "portal_steps"]

    @admin.display(description="portal access")
    def portal_access(self, obj: Contact) -> str:
        return contacts.access_badge(obj) if obj.pk else "—"

    @admin.display(description="portal access")
    def portal_steps(self, obj: Contact) -> str:
        if not obj.pk:
            return "—"
        back = reverse("admin:suppliers_supplier_change", args=[obj.supplier_id])
        return format_html("{}<br>{}", contacts.access_badge(obj), contacts.access_links(obj, back=back))


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


@admin.register(Supplier)
class SupplierAdmin(ImportMixin, SupplierWorkflowMixin, ExportMixin, SimpleHistoryAdmin):
    form = SupplierAdminForm
    import_title = "Import suppliers"
    import_permission = "suppliers.import_suppliers"
    import_function = staticmethod(importing.import_suppliers)
    import_template = staticmethod(importing.suppliers_template)
    import_template_filename = "suppliers-template.xlsx"
    import_form = SupplierImportForm
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
