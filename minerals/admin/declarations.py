"""Declarations in the admin: uploading a CMRT or EMRT file (``services.declaration_import``), each
declaration's issues and reported smelters, and the review of reported smelters: filter the unmatched ones,
link each to a registry smelter (``services.declared_smelter_link``) or match them again
(``services.declarations_rematch``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import OuterRef
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyInline
from common.queries import count_per_row
from suppliers.models import Supplier

from .. import services
from ..models import Declaration, DeclaredSmelter
from .display import status_badge
from .filters import UnmatchedFilter
from .forms import DeclarationUploadForm, DeclaredSmelterForm


class DeclaredSmelterInline(ReadOnlyInline):
    model = DeclaredSmelter
    fields = ["row", "metal", "name", "country", "declared_cid", "smelter", "match_method"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("smelter")


@admin.register(Declaration)
class DeclarationAdmin(admin.ModelAdmin):
    list_display = [
        "supplier",
        "year",
        "family",
        "version",
        "status_badge",
        "smelter_count",
        "unmatched_count",
        "error_count",
        "uploaded_at",
    ]
    list_select_related = ["supplier"]
    list_filter = ["status", "family", "year"]
    search_fields = ["supplier__code", "supplier__name", "filename", "company_name"]
    raw_id_fields = ["supplier"]
    date_hierarchy = "uploaded_at"
    inlines = [DeclaredSmelterInline]
    actions = ["rematch"]
    readonly_fields = [
        "supplier",
        "year",
        "family",
        "template",
        "version",
        "status",
        "file",
        "filename",
        "sha256",
        "company_name",
        "effective_date",
        "issues_list",
        "superseded_by",
        "uploaded_by",
        "uploaded_at",
        "batch",
    ]

    def get_queryset(self, request):
        """Each row's smelter counts are subqueries over the declaration's own rows, which the database runs
        for the rows of the page only, not a GROUP BY over every declared smelter of every declaration."""
        rows = DeclaredSmelter.objects.filter(declaration=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                smelters_total=count_per_row(rows, per="declaration"),
                smelters_unmatched=count_per_row(rows.filter(smelter__isnull=True), per="declaration"),
            )
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = DeclarationUploadForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["supplier", "year", "upload"]})]
        return [(None, {"fields": self.readonly_fields})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj else []

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        return None  # the upload form's service call stored it

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Declaration) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="smelters", ordering="smelters_total")
    def smelter_count(self, obj: Declaration) -> int:
        return obj.smelters_total

    @admin.display(description="unmatched", ordering="smelters_unmatched")
    def unmatched_count(self, obj: Declaration) -> int:
        return obj.smelters_unmatched

    @admin.display(description="issues")
    def issues_list(self, obj: Declaration) -> str:
        if not obj.issues:
            return "None"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li><strong>{}</strong> {}!{}: {}</li>",
                (
                    (issue["severity"], issue["sheet"], issue["cell"], issue["message"])
                    for issue in obj.issues
                ),
            ),
        )

    @admin.action(description="Match unmatched smelters against the registry again", permissions=["view"])
    def rematch(self, request, queryset):
        matched = services.declarations_rematch(declarations=queryset)
        self.message_user(request, f"{matched} smelter row(s) matched now.", messages.SUCCESS)


@admin.register(DeclaredSmelter)
class DeclaredSmelterAdmin(admin.ModelAdmin):
    """Review of reported smelters: filter the unmatched ones and link each to a registry smelter."""

    form = DeclaredSmelterForm
    list_display = [
        "declaration_supplier",
        "declaration_year",
        "row",
        "metal",
        "name",
        "country",
        "declared_cid",
        "smelter",
        "match_method",
    ]
    list_select_related = ["declaration__supplier", "smelter"]
    list_filter = [UnmatchedFilter, "match_method", "metal", "declaration__status", "declaration__year"]
    search_fields = ["name", "lookup_name", "declared_cid", "declaration__supplier__code"]
    raw_id_fields = ["smelter"]
    actions = ["rematch"]
    readonly_fields = [
        "declaration",
        "row",
        "metal",
        "name",
        "lookup_name",
        "country",
        "declared_cid",
        "source",
        "recycled",
        "match_method",
        "matched_by",
        "matched_at",
    ]
    fields = [*readonly_fields[:9], "smelter", *readonly_fields[9:]]

    def has_add_permission(self, request):
        return False

    @admin.display(description="supplier", ordering="declaration__supplier__code")
    def declaration_supplier(self, obj: DeclaredSmelter) -> Supplier:
        return obj.declaration.supplier

    @admin.display(description="year", ordering="declaration__year")
    def declaration_year(self, obj: DeclaredSmelter) -> int:
        return obj.declaration.year

    def save_model(self, request, obj, form, change):
        services.declared_smelter_link(
            declared=obj, smelter=form.cleaned_data.get("smelter"), by=request.user
        )

    @admin.action(description="Match selected rows against the registry again", permissions=["change"])
    def rematch(self, request, queryset):
        declarations = Declaration.objects.filter(pk__in=queryset.values("declaration_id"))
        matched = services.declarations_rematch(declarations=declarations)
        self.message_user(request, f"{matched} smelter row(s) matched now.", messages.SUCCESS)
