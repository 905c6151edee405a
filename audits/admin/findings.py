"""Findings in the admin: the CAP tracker. Who is late, with what: each finding with its corrective action
plan, deadlines, today's rectification status, monthly progress, extension requests and evidence.

Findings, plans, progress reports and evidence come from agencies and suppliers through the API, so they are
read-only here; the ESG manager's decisions are list actions that call ``services.cap_review`` and
``services.closure_verify``. The list runs a fixed number of queries: the rectification status is annotated
by ``deadlines.rectification_status_expression``, related rows come with ``list_select_related``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Case, Q, Value, When
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from common.admin import RED, ExportMixin, ReadOnlyAdmin, ReadOnlyInline, ask_reason, badge

from .. import deadlines, services
from .. import exports as exported
from ..models import (
    ClosureVerification,
    Evidence,
    ExtensionRequest,
    Finding,
    ProgressUpdate,
    RedLine,
    Severity,
)
from .display import cap_status_display, evidence_link, rectification_badge, who_when
from .filters import OverdueFilter, RectificationStatusFilter, RedLineFilter


class ProgressUpdateInline(ReadOnlyInline):
    model = ProgressUpdate
    verbose_name_plural = "monthly progress reports"
    fields = ["month", "percent_complete", "note", "submitted_by", "submitted_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("submitted_by")


class ExtensionRequestInline(ReadOnlyInline):
    model = ExtensionRequest
    verbose_name_plural = "extension requests"
    fields = [
        "previous_due",
        "requested_due",
        "reason",
        "requested_by",
        "requested_at",
        "status",
        "decided_by",
        "decided_at",
        "decision_reason",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("requested_by", "decided_by")


class EvidenceInline(ReadOnlyInline):
    model = Evidence
    fields = ["file_link", "purpose", "description", "size_display", "sha256", "uploaded_by", "uploaded_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description="file")
    def file_link(self, obj: Evidence) -> str:
        return evidence_link(obj)

    @admin.display(description="size")
    def size_display(self, obj: Evidence) -> str:
        return filesizeformat(obj.size)


@admin.register(Finding)
class FindingAdmin(ExportMixin, ReadOnlyAdmin, SimpleHistoryAdmin):
    """Findings with their corrective action: who is late, with what. Read-only; decisions are actions."""

    export_columns = exported.FINDINGS
    export_select_related = exported.FINDING_SELECT_RELATED

    list_display = [
        "reference_display",
        "audit_link",
        "supplier_display",
        "provision_code",
        "severity",
        "red_line_display",
        "cap_status",
        "cap_due",
        "rectification_due",
        "rectification_display",
    ]
    list_select_related = ["audit__supplier", "audit__agency", "provision", "cap"]
    list_filter = [
        ("audit__agency", admin.RelatedFieldListFilter),
        "severity",
        RedLineFilter,
        ("cap__status", admin.ChoicesFieldListFilter),
        RectificationStatusFilter,
        OverdueFilter,
    ]
    search_fields = ["audit__reference", "^audit__supplier__code", "audit__supplier__name", "provision__code"]
    search_help_text = "Audit reference, supplier code (from the start), supplier name or provision code."
    show_full_result_count = False
    list_per_page = 100
    actions = ["approve_caps", "reject_caps", "verify_closure"]
    inlines = [ProgressUpdateInline, ExtensionRequestInline, EvidenceInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "reference_display",
                    "audit_link",
                    "supplier_display",
                    "provision",
                    "severity",
                    "red_line",
                    "description",
                    "evidence_notes",
                ]
            },
        ),
        (
            "Deadlines",
            {
                "fields": [
                    "cap_due",
                    "rectification_due",
                    "original_rectification_due",
                    "rectification_display",
                    "closed_on",
                ]
            },
        ),
        ("Corrective action plan", {"fields": ["cap_status", "cap_details"]}),
        ("Closure", {"fields": ["verification_details"]}),
    ]
    readonly_fields = [name for _, options in fieldsets for name in options["fields"]]

    def get_queryset(self, request):
        no_deadline = Q(rectification_due__isnull=True) | Q(severity=Severity.OBSERVATION)
        return (
            super()
            .get_queryset(request)
            .annotate(
                rectification=Case(
                    When(no_deadline, then=Value("")),
                    default=deadlines.rectification_status_expression(on=timezone.localdate()),
                )
            )
        )

    def get_object(self, request, object_id, from_field=None):
        queryset = self.get_queryset(request).select_related(
            "audit__supplier",
            "provision",
            "cap__reviewed_by",
            "verification__verified_by",
            "verification__follow_up_audit",
        )
        try:
            return queryset.get(pk=self.opts.pk.to_python(object_id))
        except (Finding.DoesNotExist, ValidationError, ValueError):
            return None

    def revert_disabled(self, request, obj=None):
        return True

    def has_review_cap_permission(self, request) -> bool:
        return request.user.has_perm("audits.change_correctiveactionplan")

    def has_verify_closure_permission(self, request) -> bool:
        return request.user.has_perm("audits.add_closureverification")

    # --- columns -------------------------------------------------------------------------------------

    @admin.display(description="finding", ordering="audit__reference")
    def reference_display(self, obj: Finding) -> str:
        return obj.reference

    @admin.display(description="audit", ordering="audit__reference")
    def audit_link(self, obj: Finding) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:audits_audit_change", args=[obj.audit_id]),
            obj.audit.reference,
        )

    @admin.display(description="supplier", ordering="audit__supplier__code")
    def supplier_display(self, obj: Finding) -> str:
        return f"{obj.audit.supplier.code} {obj.audit.supplier.name}"

    @admin.display(description="provision", ordering="provision__code")
    def provision_code(self, obj: Finding) -> str:
        return obj.provision.code

    @admin.display(description="red line", ordering="red_line")
    def red_line_display(self, obj: Finding) -> str:
        if not obj.red_line:
            return "—"
        return badge(RedLine(obj.red_line).label, colours=RED, css="red-line")

    @admin.display(description="CAP status", ordering="cap__status")
    def cap_status(self, obj: Finding) -> str:
        return cap_status_display(obj)

    @admin.display(description="rectification status today", ordering="rectification")
    def rectification_display(self, obj: Finding) -> str:
        return rectification_badge(getattr(obj, "rectification", None))

    @admin.display(description="plan")
    def cap_details(self, obj: Finding) -> str:
        cap = getattr(obj, "cap", None)
        if cap is None:
            return "No corrective action plan."
        rows = [
            ("Root cause", cap.root_cause),
            ("Corrective action", cap.corrective_action),
            ("Preventive action", cap.preventive_action),
            ("Owner", cap.owner),
            ("Planned completion", f"{cap.planned_completion:%Y-%m-%d}" if cap.planned_completion else ""),
            (
                "Submitted",
                f"{timezone.localtime(cap.submitted_at):%Y-%m-%d %H:%M}" if cap.submitted_at else "",
            ),
            ("Reviewed", who_when(cap.reviewed_by, cap.reviewed_at)),
            ("Review note", cap.review_note),
            ("Implemented", who_when(None, cap.implemented_at)),
            ("Implementation note", cap.implementation_note),
        ]
        return format_html(
            "<table>{}</table>",
            format_html_join("", "<tr><th>{}</th><td>{}</td></tr>", ((k, v or "—") for k, v in rows)),
        )

    @admin.display(description="verification")
    def verification_details(self, obj: Finding) -> str:
        verification = getattr(obj, "verification", None)
        if verification is None:
            return "Not verified."
        audit = verification.follow_up_audit
        return format_html(
            "{}{} by {} on {}.{}",
            verification.get_method_display(),
            f" {audit.reference}" if audit else "",
            verification.verified_by or "unknown",
            f"{timezone.localtime(verification.verified_at):%Y-%m-%d}",
            f" {verification.note}" if verification.note else "",
        )

    # --- actions -------------------------------------------------------------------------------------

    def _each(self, request, queryset, step, done: str) -> None:
        """Run ``step(finding)`` for each selected finding; report what was done and what was refused."""
        references = []
        for finding in queryset.order_by("audit__reference", "number"):
            try:
                step(finding)
            except services.AuditError as error:
                self.message_user(request, f"{finding.reference}: {error.message}", messages.ERROR)
            else:
                references.append(finding.reference)
        if references:
            self.message_user(request, f"{done}: {', '.join(references)}.", messages.SUCCESS)

    @admin.action(description="Approve CAP", permissions=["review_cap"])
    def approve_caps(self, request, queryset):
        self._each(
            request,
            queryset,
            lambda finding: services.cap_review(finding=finding, by=request.user, approve=True),
            "CAP approved",
        )

    @admin.action(description="Reject CAP (with a reason)", permissions=["review_cap"])
    def reject_caps(self, request, queryset):
        reason, page = ask_reason(
            self,
            request,
            queryset,
            title="Reject corrective action plans",
            submit="Reject the plans",
            help_text="The supplier reads this before resubmitting the plan.",
            required_message="Rejecting a plan needs a reason: the supplier reads it before resubmitting.",
        )
        if page is not None:
            return page
        self._each(
            request,
            queryset,
            lambda finding: services.cap_review(finding=finding, by=request.user, approve=False, note=reason),
            "CAP rejected",
        )
        return None

    @admin.action(description="Verify closure (desk review of evidence)", permissions=["verify_closure"])
    def verify_closure(self, request, queryset):
        note, page = ask_reason(
            self,
            request,
            queryset,
            title="Verify closure by desk review",
            submit="Verify and close",
            help_text="Optional: what the evidence showed. The findings are closed today.",
            required_message=None,
            label="Note",
        )
        if page is not None:
            return page
        self._each(
            request,
            queryset,
            lambda finding: services.closure_verify(
                finding=finding, by=request.user, method=ClosureVerification.Method.DESK_REVIEW, note=note
            ),
            "Verified and closed",
        )
        return None
