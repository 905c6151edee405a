"""Admin of responsible minerals: the smelter registry (with merging of duplicates), declarations (upload,
issues, reported smelters), review of unmatched smelters (link to the registry), due-diligence actions
(close with evidence), bulk import batches with their progress, and the minerals policy.

Every change goes through ``minerals.services``; lists select their related rows in the same query.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from common.admin import AMBER, GREEN, GREY, RED, ExportMixin, ReadOnlyInline, badge
from common.files import UploadRejected
from common.queries import count_per_row
from suppliers.models import Supplier

from . import exports as exported
from . import services
from .models import (
    Declaration,
    DeclaredSmelter,
    DueDiligenceAction,
    ImportBatch,
    ImportBatchFile,
    MineralsPolicy,
    RmapStatus,
    Smelter,
    SmelterAlias,
    SmelterStatusChange,
    is_smelter_id,
)

STATUS_COLOURS = {
    RmapStatus.CONFORMANT: GREEN,
    RmapStatus.ACTIVE: AMBER,
    RmapStatus.NOT_ENROLLED: RED,
    Declaration.Status.ACCEPTED: GREEN,
    Declaration.Status.REJECTED: RED,
    Declaration.Status.SUPERSEDED: GREY,
}


def status_badge(value: str, label: str) -> str:
    return badge(label, colours=STATUS_COLOURS.get(value, GREY), css=f"status-badge status-{value}")


# --- Registry ----------------------------------------------------------------------------------------------


class SmelterAliasInline(admin.TabularInline):
    model = SmelterAlias
    fields = ["metal", "name"]
    extra = 0


class StatusChangeInline(ReadOnlyInline):
    model = SmelterStatusChange
    fields = ["from_status", "to_status", "status_date", "source_file", "changed_at", "changed_by"]
    readonly_fields = fields


class SmelterForm(forms.ModelForm):
    merge_into = forms.CharField(
        required=False,
        max_length=9,
        label="Merge into",
        help_text="Smelter ID of the registry entry to keep, when this one is its duplicate: look-up names, "
        "declared smelters, due-diligence actions and status history move to it.",
    )

    class Meta:
        model = Smelter
        fields = [
            "smelter_id",
            "name",
            "metal",
            "country",
            "country_name",
            "city",
            "state_province",
            "rmap_status",
            "status_date",
        ]

    def clean_merge_into(self):
        text = self.cleaned_data["merge_into"].strip().upper()
        if not text:
            return None
        if not is_smelter_id(text):
            raise forms.ValidationError("Give a smelter ID: CID and six digits.")
        kept = Smelter.objects.filter(smelter_id=text).first()
        if kept is None:
            raise forms.ValidationError(f"No registry smelter has the ID {text}.")
        if self.instance.pk and kept.pk == self.instance.pk:
            raise forms.ValidationError("A smelter cannot be merged into itself.")
        return kept

    def save(self, commit=True):
        self.instance.name_key = " ".join(self.instance.name.casefold().split())
        return super().save(commit=commit)


@admin.register(Smelter)
class SmelterAdmin(ExportMixin, SimpleHistoryAdmin):
    export_columns = exported.SMELTERS
    export_select_related = exported.SMELTER_SELECT_RELATED

    form = SmelterForm
    list_display = ["smelter_id", "name", "metal", "country", "status_badge", "status_date", "merged_into"]
    list_select_related = ["merged_into"]
    list_filter = ["metal", "rmap_status", ("merged_into", admin.EmptyFieldListFilter)]
    search_fields = ["=smelter_id", "name", "aliases__name"]
    readonly_fields = ["merged_into", "source_file", "created_at", "updated_at"]
    fieldsets = [
        (
            None,
            {"fields": ["smelter_id", "name", "metal", "country", "country_name", "city", "state_province"]},
        ),
        ("RMAP", {"fields": ["rmap_status", "status_date"]}),
        ("Duplicates", {"fields": ["merge_into", "merged_into"]}),
        ("Record", {"fields": ["source_file", "created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    inlines = [SmelterAliasInline, StatusChangeInline]

    @admin.display(description="RMAP status", ordering="rmap_status")
    def status_badge(self, obj: Smelter) -> str:
        return status_badge(obj.rmap_status, obj.get_rmap_status_display())

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        kept = form.cleaned_data.get("merge_into")
        if kept is not None:
            try:
                services.smelter_merge(duplicate=obj, into=kept, by=request.user)
            except services.Invalid as refused:
                self.message_user(request, refused.message, messages.ERROR)
            else:
                self.message_user(
                    request, f"{obj.smelter_id} merged into {kept.smelter_id}.", messages.SUCCESS
                )


# --- Declarations -------------------------------------------------------------------------------------------


class DeclaredSmelterInline(ReadOnlyInline):
    model = DeclaredSmelter
    fields = ["row", "metal", "name", "country", "declared_cid", "smelter", "match_method"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("smelter")


class DeclarationUploadForm(forms.ModelForm):
    """The add form: a supplier, a reporting year and the file; everything else comes from the file."""

    upload = forms.FileField(label="CMRT or EMRT file (.xlsx)")

    class Meta:
        model = Declaration
        fields = ["supplier", "year"]

    request = None  # set by the admin's get_form

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.declaration = services.declaration_import(
                supplier=cleaned["supplier"],
                year=cleaned["year"],
                upload=cleaned["upload"],
                by=self.request.user if self.request else None,
            )
        except (services.MineralsError, UploadRejected) as refused:
            field = refused.field if isinstance(refused, services.MineralsError) else "upload"
            self.add_error("upload" if field in (None, "file") else field, refused.message)
        return cleaned

    def save(self, commit=True):
        return self.declaration

    def save_m2m(self):
        return None


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


class UnmatchedFilter(admin.SimpleListFilter):
    title = "matched"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("no", "Unmatched"), ("yes", "Matched")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(smelter__isnull=True)
        if self.value() == "yes":
            return queryset.filter(smelter__isnull=False)
        return queryset


class DeclaredSmelterForm(forms.ModelForm):
    class Meta:
        model = DeclaredSmelter
        fields = ["smelter"]
        help_texts = {"smelter": "The registry smelter this row reports (empty: unmatched)."}


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


# --- Due diligence ------------------------------------------------------------------------------------------


class DueDiligenceCloseForm(forms.ModelForm):
    close = forms.BooleanField(
        required=False, label="Close this action", help_text="With a note, a file, or both."
    )
    closing_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    closing_evidence = forms.FileField(required=False, label="Evidence")

    class Meta:
        model = DueDiligenceAction
        fields = ["kind", "deadline"]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("close")
            and not (cleaned.get("closing_note") or "").strip()
            and not cleaned.get("closing_evidence")
        ):
            self.add_error("closing_note", "Give a note or attach the evidence that closes the action.")
        return cleaned


@admin.register(DueDiligenceAction)
class DueDiligenceActionAdmin(SimpleHistoryAdmin):
    form = DueDiligenceCloseForm
    list_display = ["supplier", "year", "family", "smelter_label", "reason", "kind", "deadline", "status"]
    list_select_related = ["supplier"]
    list_filter = ["status", "reason", "kind", "family", "year"]
    search_fields = ["supplier__code", "supplier__name", "smelter_label"]
    date_hierarchy = "deadline"
    readonly_fields = [
        "supplier",
        "year",
        "family",
        "smelter",
        "declared",
        "metal",
        "smelter_label",
        "reason",
        "created_at",
        "status",
        "closed_at",
        "closed_by",
        "closed_by_declaration",
        "evidence",
        "note",
    ]

    def has_add_permission(self, request):
        return False

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {"fields": ["supplier", "year", "family", "smelter", "declared", "metal", "smelter_label"]},
            ),
            ("Action", {"fields": ["reason", "kind", "deadline", "created_at", "status"]}),
            ("Closure", {"fields": ["closed_at", "closed_by", "closed_by_declaration", "evidence", "note"]}),
        ]
        if obj is not None and obj.status == DueDiligenceAction.Status.OPEN:
            fieldsets.append(("Close", {"fields": ["close", "closing_note", "closing_evidence"]}))
        return fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.status == DueDiligenceAction.Status.CLOSED:
            return [*self.readonly_fields, "kind", "deadline"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        obj._history_user = request.user
        super().save_model(request, obj, form, change)
        if form.cleaned_data.get("close"):
            try:
                services.dd_action_close(
                    action=obj,
                    by=request.user,
                    note=form.cleaned_data.get("closing_note", ""),
                    evidence=form.cleaned_data.get("closing_evidence"),
                )
            except (services.MineralsError, UploadRejected) as refused:
                self.message_user(request, refused.message, messages.ERROR)


# --- Bulk import --------------------------------------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ImportBatchForm(forms.ModelForm):
    files = MultipleFileField(
        label="Files",
        help_text="Several CMRT/EMRT workbooks (.xlsx), or ZIP archives of them. Without a supplier, "
        "each file name must start with the supplier code (e.g. S000123_CMRT_2025.xlsx), or the company "
        "unique ID in the file must be the supplier code.",
    )

    class Meta:
        model = ImportBatch
        fields = ["year", "supplier"]

    request = None  # set by the admin's get_form

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.batch = services.import_batch_create(
                uploads=cleaned["files"],
                year=cleaned["year"],
                supplier=cleaned.get("supplier"),
                by=self.request.user if self.request else None,
            )
        except services.MineralsError as refused:
            self.add_error("files", refused.message)
        return cleaned

    def save(self, commit=True):
        return self.batch

    def save_m2m(self):
        return None


class ImportBatchFileInline(ReadOnlyInline):
    model = ImportBatchFile
    fields = ["filename", "status", "message", "declaration"]
    readonly_fields = fields


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "supplier", "created_by", "created_at", "progress", "status"]
    list_select_related = ["supplier", "created_by"]
    list_filter = ["status", "year"]
    raw_id_fields = ["supplier"]
    inlines = [ImportBatchFileInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImportBatchForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["year", "supplier", "files"]})]
        return [
            (
                None,
                {
                    "fields": [
                        "year",
                        "supplier",
                        "status",
                        "progress",
                        "created_by",
                        "created_at",
                        "finished_at",
                    ]
                },
            )
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["year", "supplier", "status", "progress", "created_by", "created_at", "finished_at"]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        return None  # the form's service call stored the batch and queued its files

    @admin.display(description="progress")
    def progress(self, obj: ImportBatch) -> str:
        finished = obj.files_done + obj.files_failed
        percent = round(100 * finished / obj.files_total) if obj.files_total else 100
        return format_html(
            '<progress max="{}" value="{}" title="{}%"></progress> {} of {} ({} imported, {} failed)',
            obj.files_total,
            finished,
            percent,
            finished,
            obj.files_total,
            obj.files_done,
            obj.files_failed,
        )


# --- Policy -----------------------------------------------------------------------------------------------


@admin.register(MineralsPolicy)
class MineralsPolicyAdmin(SimpleHistoryAdmin):
    """One row: the list opens it directly (``MineralsPolicy.current()`` creates it when missing)."""

    def has_add_permission(self, request):
        return False  # no query here: this runs for every admin page's navigation

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        policy = MineralsPolicy.current()
        return HttpResponseRedirect(reverse("admin:minerals_mineralspolicy_change", args=[policy.pk]))
