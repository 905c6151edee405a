"""The audits in the admin: the list with finding counts and overdue marks, the audit's page with its
findings, and planning one audit (``services.audit_create``). Acceptance, return, cancellation and the
annual plan are the pages of ``workflow.AuditWorkflowMixin``.

The list runs a fixed number of queries whatever the number of rows: open and overdue finding counts are
subqueries per row, the supplier and agency come with ``list_select_related``.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from common.admin import RED, ImportMixin, ReadOnlyInline, badge
from common.queries import count_per_row

from .. import deadlines, services
from ..importing import import_audits, import_template
from ..models import Audit, Finding
from .display import band_badge, cap_status_display, rectification_badge
from .filters import (
    AuditYearFilter,
    FindingSeverityFilter,
    HasOverdueFilter,
    HasRedLineFilter,
    PlannedYearFilter,
)
from .forms import AuditForm
from .workflow import AuditWorkflowMixin, accepted_message

AuditStatus = Audit.Status


def _count(findings: QuerySet[Finding]) -> Coalesce:
    """The number of these findings per audit, as a subquery (no GROUP BY on the audit list)."""
    return count_per_row(findings, per="audit")


class FindingInline(ReadOnlyInline):
    """The audit's findings as the agency reported them, with their deadlines and rectification status
    today. Findings are recorded by the agency through the API, so the list is read-only."""

    model = Finding
    show_change_link = True
    fields = [
        "number",
        "provision",
        "severity",
        "red_line",
        "cap_status",
        "cap_due",
        "rectification_due",
        "rectification_today",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("provision", "cap")

    @admin.display(description="CAP status")
    def cap_status(self, obj: Finding) -> str:
        return cap_status_display(obj)

    @admin.display(description="rectification status today")
    def rectification_today(self, obj: Finding) -> str:
        return rectification_badge(deadlines.rectification_status(finding=obj, on=timezone.localdate()))


PLAN_FIELDS = ["site", "agency", "lead_auditor", "type", "protocol", "planned_start", "planned_end"]
RECORD_FIELDS = [
    "reference",
    "supplier",
    "status",
    "actual_start",
    "actual_end",
    "score",
    "band",
    "report_link",
    "summary",
    "submitted_at",
    "submitted_by",
    "returned_at",
    "returned_by",
    "returned_reason",
    "accepted_on",
    "accepted_by",
    "closed_at",
    "cancelled_reason",
    "created_at",
    "updated_at",
]


@admin.register(Audit)
class AuditAdmin(ImportMixin, AuditWorkflowMixin, SimpleHistoryAdmin):
    form = AuditForm
    import_title = "Import audits"
    import_permission = "audits.add_audit"
    import_function = staticmethod(import_audits)
    import_template = staticmethod(import_template)
    import_template_filename = "audits-template.xlsx"
    change_list_template = "admin/audits/audit/change_list.html"  # the plan link and the import button
    list_display = [
        "reference",
        "supplier_display",
        "agency",
        "type",
        "status",
        "planned_start",
        "planned_end",
        "actual_start",
        "actual_end",
        "score",
        "band",
        "open_findings",
        "overdue_findings",
    ]
    list_select_related = ["supplier", "agency"]
    list_filter = [
        "agency",
        "status",
        "type",
        "protocol",
        AuditYearFilter,
        PlannedYearFilter,
        HasRedLineFilter,
        HasOverdueFilter,
        FindingSeverityFilter,
    ]
    search_fields = ["reference", "^supplier__code", "supplier__name"]
    search_help_text = "Audit reference, supplier code (from the start) or part of the supplier's name."
    show_full_result_count = False
    list_per_page = 100
    autocomplete_fields = ["supplier"]
    actions = ["accept_reports"]
    fieldsets = [
        (None, {"fields": ["reference", "supplier", "site", "agency", "lead_auditor", "type", "protocol"]}),
        ("Dates", {"fields": ["planned_start", "planned_end", "actual_start", "actual_end"]}),
        (
            "Report",
            {
                "fields": [
                    "status",
                    "score",
                    "band",
                    "report_link",
                    "summary",
                    "submitted_at",
                    "submitted_by",
                    "returned_at",
                    "returned_by",
                    "returned_reason",
                    "accepted_on",
                    "accepted_by",
                    "closed_at",
                    "cancelled_reason",
                ]
            },
        ),
        ("Record", {"fields": ["created_at", "updated_at"], "classes": ["collapse"]}),
    ]
    add_fieldsets = [
        (None, {"fields": ["supplier", "site", "agency", "lead_auditor", "type", "protocol"]}),
        ("Dates", {"fields": ["planned_start", "planned_end"]}),
    ]

    # Reverting to a historical version would write status and deadlines past the services.
    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied("Audit versions are shown, not restored.")
        return super().history_form_view(request, object_id, version_id, extra_context)

    def get_queryset(self, request):
        findings = Finding.objects.filter(audit=OuterRef("pk"))
        return (
            super()
            .get_queryset(request)
            .annotate(
                open_finding_count=_count(findings.actionable().open()),
                overdue_finding_count=_count(findings.overdue(on=timezone.localdate())),
            )
        )

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets if obj is not None else self.add_fieldsets

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if obj.status == AuditStatus.PLANNED:
            return RECORD_FIELDS
        return RECORD_FIELDS + PLAN_FIELDS

    def get_inlines(self, request, obj):
        return [FindingInline] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        created = services.audit_create(
            supplier=data["supplier"],
            agency=data["agency"],
            site=data["site"],
            planned_start=data["planned_start"],
            planned_end=data["planned_end"],
            type=data["type"],
            protocol=data["protocol"],
            lead_auditor=data.get("lead_auditor"),
            by=request.user,
        )
        obj.pk, obj.reference = created.pk, created.reference
        obj._state.adding, obj._state.db = False, created._state.db

    # --- columns -------------------------------------------------------------------------------------

    @admin.display(description="supplier", ordering="supplier__code")
    def supplier_display(self, obj: Audit) -> str:
        return f"{obj.supplier.code} {obj.supplier.name}"

    @admin.display(description="performance band", ordering="performance_band")
    def band(self, obj: Audit) -> str:
        return band_badge(obj.performance_band)

    @admin.display(description="open findings", ordering="open_finding_count")
    def open_findings(self, obj: Audit) -> int:
        return obj.open_finding_count

    @admin.display(description="overdue findings", ordering="overdue_finding_count")
    def overdue_findings(self, obj: Audit) -> str:
        if not obj.overdue_finding_count:
            return "0"
        return badge(f"{obj.overdue_finding_count} overdue", colours=RED, css="overdue-count")

    @admin.display(description="report file")
    def report_link(self, obj: Audit) -> str:
        if not obj.report:
            return "No report yet."
        return format_html(
            '<a href="{}">Download</a> <span class="sha256">SHA-256 {}</span>',
            obj.report.url,
            obj.report_sha256,
        )

    # --- actions -------------------------------------------------------------------------------------

    @admin.action(description="Accept the selected reports (fixes deadlines)", permissions=["accept"])
    def accept_reports(self, request, queryset):
        for audit in queryset.order_by("reference"):
            try:
                accepted = services.audit_accept(audit=audit, by=request.user)
            except services.AuditError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, accepted_message(accepted), messages.SUCCESS)
