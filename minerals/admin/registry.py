"""The smelter registry in the admin: each smelter with its look-up names and RMAP status history, and
merging a duplicate into the entry to keep (``services.smelter_merge``)."""

from __future__ import annotations

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ExportMixin, ReadOnlyInline

from .. import exports as exported
from .. import services
from ..models import Smelter, SmelterAlias, SmelterStatusChange
from .display import status_badge
from .forms import SmelterForm


class SmelterAliasInline(admin.TabularInline):
    model = SmelterAlias
    fields = ["metal", "name"]
    extra = 0


class StatusChangeInline(ReadOnlyInline):
    model = SmelterStatusChange
    fields = ["from_status", "to_status", "status_date", "source_file", "changed_at", "changed_by"]
    readonly_fields = fields


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
