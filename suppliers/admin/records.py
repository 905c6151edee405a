"""A supplier's records as lists of their own, for searching across the register: contacts, agreements
(and the agreement texts suppliers sign online), external assessments and status changes (the last written
only by ``lifecycle``, so read-only here)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ImportMixin, ReadOnlyAdmin, bullet_list

from ..importing.agreements import agreements_template, import_agreements
from ..importing.assessments import assessments_template, import_assessments
from ..importing.lifecycle import import_lifecycle
from ..importing.lifecycle import template as lifecycle_template
from ..models import Agreement, AgreementText, Contact, ExternalAssessment, StatusTransition


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = ["name", "email", "role", "supplier", "is_primary", "receives_reminders"]
    list_select_related = ["supplier"]
    list_filter = ["role", "is_primary"]
    search_fields = ["name", "email", "=supplier__code"]
    autocomplete_fields = ["supplier"]
    raw_id_fields = ["user"]
    show_full_result_count = False


# What an online signature recorded is evidence: never edited by hand.
SIGNED_ONLINE = ["text", "signatory_title", "signed_at", "signed_ip", "signed_user"]


@admin.register(Agreement)
class AgreementAdmin(ImportMixin, SimpleHistoryAdmin):
    import_title = "Import agreements"
    import_permission = "suppliers.add_agreement"
    import_function = staticmethod(import_agreements)
    import_template = staticmethod(agreements_template)
    import_template_filename = "agreements-template.xlsx"

    list_display = ["supplier", "kind", "signed_on", "signed_by", "expires_on", "text", "signed_at"]
    list_select_related = ["supplier", "text"]
    list_filter = ["kind", ("signed_at", admin.EmptyFieldListFilter)]
    search_fields = ["=supplier__code", "signed_by"]
    autocomplete_fields = ["supplier"]
    readonly_fields = SIGNED_ONLINE
    show_full_result_count = False

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.signed_at is not None:  # signed online: the record is the signature
            return [*SIGNED_ONLINE, "supplier", "kind", "signed_on", "signed_by", "expires_on"]
        return self.readonly_fields


@admin.register(AgreementText)
class AgreementTextAdmin(SimpleHistoryAdmin):
    """The texts suppliers sign in the portal. A text once signed is kept as signed: only withdrawing it
    (``active``) remains possible; a new wording is a new version."""

    list_display = ["kind", "version", "title_en", "published_on", "active", "valid_for_years"]
    list_filter = ["kind", "active"]
    search_fields = ["version", "title_en", "title_zh"]
    fields = [
        "kind",
        "version",
        "published_on",
        "active",
        "valid_for_years",
        "title_en",
        "body_en",
        "title_zh",
        "body_zh",
    ]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.signatures.exists():
            return [field for field in self.fields if field != "active"]
        return []

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.signatures.exists():
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ExternalAssessment)
class ExternalAssessmentAdmin(ImportMixin, SimpleHistoryAdmin):
    import_title = "Import external assessments"
    import_permission = "suppliers.add_externalassessment"
    import_function = staticmethod(import_assessments)
    import_template = staticmethod(assessments_template)
    import_template_filename = "assessments-template.xlsx"

    list_display = ["supplier", "kind", "score", "scale_max", "rating", "assessed_on", "valid_until"]
    list_select_related = ["supplier"]
    list_filter = ["kind"]
    search_fields = ["=supplier__code", "reference"]
    autocomplete_fields = ["supplier"]
    show_full_result_count = False


@admin.register(StatusTransition)
class StatusTransitionAdmin(ImportMixin, ReadOnlyAdmin):
    import_title = "Import lifecycle history"
    import_permission = "suppliers.approve_supplier"
    import_function = staticmethod(import_lifecycle)
    import_template = staticmethod(lifecycle_template)
    import_template_filename = "lifecycle-template.xlsx"
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
