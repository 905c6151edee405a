"""Due diligence in the admin: the actions opened for the smelters a supplier reports, with the supplier's
answer (``services.dd_action_respond``, from the portal), closed with a note or evidence
(``services.dd_action_close``), and the minerals policy that sets their deadlines."""

from __future__ import annotations

from django.contrib import admin, messages
from simple_history.admin import SimpleHistoryAdmin

from common.admin import SingleRowMixin
from common.files import UploadRejected

from .. import services
from ..models import DueDiligenceAction, MineralsPolicy
from .forms import DueDiligenceCloseForm


@admin.register(DueDiligenceAction)
class DueDiligenceActionAdmin(SimpleHistoryAdmin):
    form = DueDiligenceCloseForm
    list_display = [
        "supplier",
        "year",
        "family",
        "smelter_label",
        "reason",
        "kind",
        "deadline",
        "status",
        "responded_at",
    ]
    list_select_related = ["supplier"]
    list_filter = [
        "status",
        ("responded_at", admin.EmptyFieldListFilter),
        "reason",
        "kind",
        "family",
        "year",
    ]
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
        "response",
        "responded_at",
        "responded_by",
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
            ("Supplier's response", {"fields": ["response", "responded_at", "responded_by", "evidence"]}),
            ("Closure", {"fields": ["closed_at", "closed_by", "closed_by_declaration", "note"]}),
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


# --- Policy -----------------------------------------------------------------------------------------------


@admin.register(MineralsPolicy)
class MineralsPolicyAdmin(SingleRowMixin, SimpleHistoryAdmin):
    """One row: the list opens it directly (``MineralsPolicy.current()`` creates it when missing)."""
