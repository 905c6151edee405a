"""The records around a finding's closure, each with its own list: extension requests (approved or rejected
with a reason through ``services.extension_decide``), closure verifications and evidence files. All are
written by the services; here they are read and decided on."""

from __future__ import annotations

from django.contrib import admin, messages
from django.template.defaultfilters import filesizeformat

from common.admin import ReadOnlyAdmin, ask_reason

from .. import services
from ..models import ClosureVerification, Evidence, ExtensionRequest
from .display import evidence_link


@admin.register(ExtensionRequest)
class ExtensionRequestAdmin(ReadOnlyAdmin):
    list_display = [
        "finding_reference",
        "supplier",
        "previous_due",
        "requested_due",
        "reason",
        "status",
        "requested_by",
        "requested_at",
        "decided_by",
        "decision_reason",
    ]
    list_select_related = ["finding__audit__supplier", "requested_by", "decided_by"]
    list_filter = ["status"]
    search_fields = ["finding__audit__reference", "^finding__audit__supplier__code"]
    show_full_result_count = False
    actions = ["approve", "reject"]

    def has_decide_permission(self, request) -> bool:
        return request.user.has_perm("audits.change_extensionrequest")

    @admin.display(description="finding", ordering="finding__audit__reference")
    def finding_reference(self, obj: ExtensionRequest) -> str:
        return obj.finding.reference

    @admin.display(description="supplier", ordering="finding__audit__supplier__code")
    def supplier(self, obj: ExtensionRequest) -> str:
        return str(obj.finding.audit.supplier)

    def _decide(self, request, queryset, *, approve: bool):
        verb = "Approve" if approve else "Reject"
        reason, page = ask_reason(
            self,
            request,
            queryset,
            title=f"{verb} extension requests",
            submit=f"{verb} the requests",
            help_text="Kept with each request"
            + (" and in the finding's history with the new due date." if approve else "."),
            required_message=f"{'Approving' if approve else 'Rejecting'} an extension needs a reason.",
        )
        if page is not None:
            return page
        decided = []
        for extension in queryset.order_by("requested_at"):
            try:
                services.extension_decide(
                    extension=extension, by=request.user, approve=approve, reason=reason
                )
            except services.AuditError as error:
                self.message_user(request, f"{extension.finding.reference}: {error.message}", messages.ERROR)
            else:
                decided.append(extension.finding.reference)
        if decided:
            self.message_user(
                request, f"{'Approved' if approve else 'Rejected'}: {', '.join(decided)}.", messages.SUCCESS
            )
        return None

    @admin.action(description="Approve (moves the due date)", permissions=["decide"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description="Reject", permissions=["decide"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, approve=False)


@admin.register(ClosureVerification)
class ClosureVerificationAdmin(ReadOnlyAdmin):
    list_display = ["finding_reference", "method", "follow_up_audit", "verified_by", "verified_at", "note"]
    list_select_related = ["finding__audit", "follow_up_audit", "verified_by"]
    list_filter = ["method"]
    search_fields = ["finding__audit__reference"]
    show_full_result_count = False

    @admin.display(description="finding", ordering="finding__audit__reference")
    def finding_reference(self, obj: ClosureVerification) -> str:
        return obj.finding.reference


@admin.register(Evidence)
class EvidenceAdmin(ReadOnlyAdmin):
    list_display = [
        "file_link",
        "finding_reference",
        "purpose",
        "content_type",
        "size_display",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    list_select_related = ["finding__audit", "uploaded_by"]
    list_filter = ["purpose"]
    search_fields = ["original_name", "sha256", "finding__audit__reference"]
    show_full_result_count = False
    fields = [
        "file_link",
        "finding_reference",
        "purpose",
        "description",
        "content_type",
        "size_display",
        "sha256",
        "uploaded_by",
        "uploaded_at",
    ]
    readonly_fields = fields

    @admin.display(description="file", ordering="original_name")
    def file_link(self, obj: Evidence) -> str:
        return evidence_link(obj)

    @admin.display(description="finding", ordering="finding__audit__reference")
    def finding_reference(self, obj: Evidence) -> str:
        return obj.finding.reference

    @admin.display(description="size", ordering="size")
    def size_display(self, obj: Evidence) -> str:
        return filesizeformat(obj.size)
