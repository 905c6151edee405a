"""A supplier's records as lists of their own, for searching across the register: contacts, agreements,
external assessments and status changes (the last written only by ``lifecycle``, so read-only here)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ReadOnlyAdmin, bullet_list

from ..models import Agreement, Contact, ExternalAssessment, StatusTransition


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
