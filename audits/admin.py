"""The audit programme in the Django admin: ESG managers decide, procurement staff read.

Admin classes shape input and output only. Report acceptance, return and cancellation go through
``services.audit_accept`` / ``audit_return`` / ``audit_cancel``; CAP review through ``services.cap_review``;
closure through ``services.closure_verify``; extensions through ``services.extension_decide``; the annual
plan through ``planning.propose_plan`` and ``planning.create_planned_audits``. Findings, plans, progress
reports and evidence come from agencies and suppliers through the API, so they are read-only here.

Lists run a fixed number of queries whatever the number of rows: finding counts and rectification status
are annotated in ``get_queryset`` (rectification status by ``deadlines.rectification_status_expression``),
related rows come with ``list_select_related``.
"""

from __future__ import annotations

import calendar
from urllib.parse import urlencode

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, Count, Exists, OuterRef, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from common.admin import ExportMixin
from common.queries import count_per_row
from suppliers import roles

from . import deadlines, planning, services
from . import exports as exported
from .deadlines import RectificationStatus
from .models import (
    Audit,
    AuditAgency,
    Auditor,
    AuditPolicy,
    ClosureVerification,
    CodeProvision,
    Evidence,
    ExtensionRequest,
    Finding,
    PerformanceBand,
    ProgressUpdate,
    RedLine,
    Severity,
)

AuditStatus = Audit.Status

BADGE_STYLE = "display:inline-block;padding:1px 8px;border-radius:9px;font-weight:bold;background:{};color:{}"
RED = ("#c62828", "#fff")
RECTIFICATION_COLOURS = {
    RectificationStatus.CLOSED_ON_TIME: ("#2e7d32", "#fff"),
    RectificationStatus.CLOSED_LATE: ("#f0a500", "#222"),
    RectificationStatus.OPEN_WITHIN_DEADLINE: ("#1565c0", "#fff"),
    RectificationStatus.OVERDUE: RED,
}
BAND_COLOURS = {
    PerformanceBand.HIGH: ("#2e7d32", "#fff"),
    PerformanceBand.MEDIUM: ("#f0a500", "#222"),
    PerformanceBand.LOW: RED,
}


def _badge(css: str, colours: tuple[str, str], text: str) -> str:
    return format_html('<span class="{}" style="{}">{}</span>', css, format_html(BADGE_STYLE, *colours), text)


def rectification_badge(status: str | None) -> str:
    """Closed on time / closed late / open within deadline / overdue (red); a dash without a deadline."""
    if not status:
        return "—"
    return _badge(
        f"rectification-badge rectification-{status}",
        RECTIFICATION_COLOURS[status],
        RectificationStatus(status).label,
    )


def band_badge(band: str) -> str:
    if not band:
        return "—"
    return _badge(f"band-badge band-{band}", BAND_COLOURS[band], PerformanceBand(band).label)


def _lines(lines) -> str:
    return format_html("<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((line,) for line in lines)))


def _count(findings: QuerySet[Finding]) -> Coalesce:
    """The number of these findings per audit, as a subquery (no GROUP BY on the audit list)."""
    return count_per_row(findings, per="audit")


def _can_browse_users(request: HttpRequest) -> bool:
    """Autocomplete on users needs the right to view user accounts; others pick from the auditor role."""
    return request.user.has_perm("auth.view_user")


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))


def ask_reason(
    modeladmin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    submit: str,
    help_text: str,
    required_message: str | None,
    label: str = "Reason",
) -> tuple[str | None, TemplateResponse | None]:
    """The second step of an admin action that needs words from the user: returns ``(text, None)`` once they
    are given (empty text is accepted when ``required_message`` is None), or ``(None, page)`` asking for
    them."""
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["reason"].label = label
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["reason"].strip()
        if text or required_message is None:
            return text, None
        form.add_error("reason", required_message)
    return None, TemplateResponse(
        request,
        "admin/audits/action_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "opts": modeladmin.opts,
            "objects": queryset,
            "form": form,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
            "submit": submit,
            "help_text": help_text,
        },
    )


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Agencies, auditors, provisions, policy ------------------------------------------------------------


class AuditorUserMixin:
    """The auditor's login: autocomplete for those who may browse user accounts, otherwise a choice among
    the users in the auditor role (a short list)."""

    def get_autocomplete_fields(self, request):
        return ["user"] if _can_browse_users(request) else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user" and not _can_browse_users(request):
            kwargs["queryset"] = (
                db_field.remote_field.model.objects.filter(groups__name=roles.AUDITOR)
                .distinct()
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AuditorInline(AuditorUserMixin, admin.TabularInline):
    model = Auditor
    extra = 0
    fields = ["user", "qualifications"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


@admin.register(AuditAgency)
class AuditAgencyAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "email", "active", "auditor_count"]
    list_filter = ["active"]
    search_fields = ["name", "code"]
    prepopulated_fields = {"code": ["name"]}
    inlines = [AuditorInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(auditor_total=Count("auditors"))

    @admin.display(description="auditors", ordering="auditor_total")
    def auditor_count(self, obj: AuditAgency) -> int:
        return obj.auditor_total


@admin.register(Auditor)
class AuditorAdmin(AuditorUserMixin, admin.ModelAdmin):
    list_display = ["__str__", "user", "agency", "qualifications"]
    list_select_related = ["user", "agency"]
    list_filter = ["agency"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "agency__name"]
    fields = ["user", "agency", "qualifications"]


@admin.register(CodeProvision)
class CodeProvisionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "section", "code_version", "active"]
    list_editable = ["title", "active"]
    list_filter = ["code_version", "section", "active"]
    search_fields = ["code", "title"]


@admin.register(AuditPolicy)
class AuditPolicyAdmin(SimpleHistoryAdmin):
    """One row: deadlines and performance bands. Changes are kept in its history; due dates already fixed on
    findings do not move."""

    fieldsets = [
        (
            "Corrective action plan due (days after the report is accepted)",
            {"fields": ["cap_days_priority", "cap_days_major", "cap_days_minor"]},
        ),
        (
            "Rectification due (days after the report is accepted)",
            {
                "fields": [
                    "rectify_days_priority",
                    "rectify_days_major",
                    "rectify_days_minor",
                    "max_rectify_days",
                ],
                "description": "Red-line findings use the priority periods.",
            },
        ),
        ("Performance bands (score 0–200)", {"fields": ["high_performer_above", "medium_performer_from"]}),
        ("Agencies", {"fields": ["report_due_days"]}),
    ]

    def has_add_permission(self, request):
        # The row is seeded by a migration and ``AuditPolicy.current()`` recreates it if missing; answering
        # without a query also keeps it out of every admin page's navigation queries.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """The list has one row: open it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(
            reverse("admin:audits_auditpolicy_change", args=[AuditPolicy.current().pk])
        )


# --- Audit list filters --------------------------------------------------------------------------------


class YesNoExistsFilter(admin.SimpleListFilter):
    """Audits with / without a finding matching ``findings(on)``."""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def findings(self, on) -> QuerySet[Finding]:
        raise NotImplementedError

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        exists = Exists(self.findings(timezone.localdate()).filter(audit=OuterRef("pk")))
        return queryset.filter(exists if self.value() == "yes" else ~exists)


class HasRedLineFilter(YesNoExistsFilter):
    title = "has red-line findings"
    parameter_name = "red_line"

    def findings(self, on):
        return Finding.objects.red_line()


class HasOverdueFilter(YesNoExistsFilter):
    title = "has overdue findings"
    parameter_name = "overdue"

    def findings(self, on):
        return Finding.objects.overdue(on=on)


class FindingSeverityFilter(admin.SimpleListFilter):
    title = "finding severity"
    parameter_name = "severity"

    def lookups(self, request, model_admin):
        return Severity.choices

    def queryset(self, request, queryset):
        if self.value() not in Severity.values:
            return queryset
        return queryset.filter(Exists(Finding.objects.filter(audit=OuterRef("pk"), severity=self.value())))


class YearFilter(admin.SimpleListFilter):
    """Years that occur in ``field`` (one indexed DISTINCT query)."""

    field = ""

    def lookups(self, request, model_admin):
        years = Audit.objects.order_by().dates(self.field, "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        return (
            queryset.filter(**{f"{self.field}__year": int(value)}) if value and value.isdigit() else queryset
        )


class AuditYearFilter(YearFilter):
    title = "year (audit end)"
    parameter_name = "year"
    field = "actual_end"


class PlannedYearFilter(YearFilter):
    title = "year (planned start)"
    parameter_name = "planned_year"
    field = "planned_start"


# --- Audit ---------------------------------------------------------------------------------------------


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


def cap_status_display(finding: Finding) -> str:
    """The CAP's status, marked in red when the plan itself is overdue (``deadlines.is_cap_overdue``)."""
    cap = getattr(finding, "cap", None)
    if cap is None:
        return "—" if not finding.needs_cap else "No plan yet"
    if deadlines.is_cap_overdue(finding=finding, on=timezone.localdate()):
        return format_html("{} {}", cap.get_status_display(), _badge("cap-overdue", RED, "CAP overdue"))
    return cap.get_status_display()


class AuditForm(forms.ModelForm):
    """What the ESG manager plans: the supplier, site, agency and dates. Everything after that goes through
    the services (the agency's work through the API; acceptance, return and cancellation here)."""

    class Meta:
        model = Audit
        fields = [
            "supplier",
            "site",
            "agency",
            "lead_auditor",
            "type",
            "protocol",
            "planned_start",
            "planned_end",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.agency_id if self.instance.pk else None
        if "agency" in self.fields:
            self.fields["agency"].queryset = AuditAgency.objects.filter(Q(active=True) | Q(pk=current))
        if "lead_auditor" in self.fields:
            self.fields["lead_auditor"].queryset = Auditor.objects.select_related("user", "agency")

    def clean(self):
        cleaned = super().clean()
        lead, agency = cleaned.get("lead_auditor"), cleaned.get("agency")
        if lead is not None and agency is not None and lead.agency_id != agency.pk:
            self.add_error("lead_auditor", f"{lead} does not work for {agency}.")
        return cleaned


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
    "accepted_on",
    "accepted_by",
    "closed_at",
    "cancelled_reason",
    "created_at",
    "updated_at",
]


@admin.register(Audit)
class AuditAdmin(SimpleHistoryAdmin):
    form = AuditForm
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

    def has_accept_permission(self, request) -> bool:
        return request.user.has_perm("audits.accept_audit")

    def has_plan_permission(self, request) -> bool:
        return request.user.has_perm("audits.plan_audits")

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
        return _badge("overdue-count", RED, f"{obj.overdue_finding_count} overdue")

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

    # --- extra pages ---------------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path("plan/", view(self.plan_view), name="{}_{}_plan".format(*info)),
            path("<path:object_id>/accept/", view(self.accept_view), name="{}_{}_accept".format(*info)),
            path("<path:object_id>/return/", view(self.return_view), name="{}_{}_return".format(*info)),
            path("<path:object_id>/cancel/", view(self.cancel_view), name="{}_{}_cancel".format(*info)),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, context: dict) -> TemplateResponse:
        return TemplateResponse(
            request,
            f"admin/audits/audit/{template}",
            {**self.admin_site.each_context(request), "opts": self.opts, **context},
        )

    def _audit(self, request, object_id) -> Audit:
        audit = self.get_object(request, unquote(object_id))
        if audit is None or not self.has_view_or_change_permission(request, audit):
            raise Http404(f"No audit with id {object_id}.")
        return audit

    def _change_url(self, audit: Audit) -> str:
        return reverse("admin:audits_audit_change", args=[audit.pk])

    def accept_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_accept_permission(request):
            raise PermissionDenied
        audit = self._audit(request, object_id)
        if request.method == "POST":
            try:
                accepted = services.audit_accept(audit=audit, by=request.user)
            except services.AuditError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, accepted_message(accepted), messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(audit))
        today = timezone.localdate()
        policy = AuditPolicy.current()
        findings = audit.findings.select_related("provision").order_by("number")
        preview = [
            (
                finding,
                deadlines.deadlines_for(
                    severity=finding.severity, red_line=finding.red_line, accepted_on=today, policy=policy
                ),
            )
            for finding in findings
        ]
        return self._page(
            request,
            "decision.html",
            {
                "title": f"Accept report {audit.reference}",
                "original": audit,
                "here": "Accept report",
                "preview": preview,
                "today": today,
                "band": PerformanceBand(policy.band_for(audit.score)).label
                if audit.score is not None
                else "",
                "submit": "Accept report and fix deadlines",
            },
        )

    def _reason_view(self, request, audit: Audit, *, service, title: str, here: str, submit: str, help_text):
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                changed = service(audit=audit, by=request.user, reason=form.cleaned_data["reason"])
            except services.Invalid as error:
                form.add_error("reason", error.message)
            except services.Conflict as error:
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(self._change_url(audit))
            else:
                self.message_user(
                    request,
                    f"{changed.reference} is now {changed.get_status_display().lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(audit))
        return self._page(
            request,
            "decision.html",
            {
                "title": title,
                "original": audit,
                "here": here,
                "form": form,
                "submit": submit,
                "help_text": help_text,
            },
        )

    def return_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_accept_permission(request):
            raise PermissionDenied
        audit = self._audit(request, object_id)
        return self._reason_view(
            request,
            audit,
            service=services.audit_return,
            title=f"Return report {audit.reference} to {audit.agency}",
            here="Return to agency",
            submit="Return to agency",
            help_text="The agency reads this before correcting and resubmitting the report.",
        )

    def cancel_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        audit = self._audit(request, object_id)
        if not self.has_change_permission(request, audit):
            raise PermissionDenied
        return self._reason_view(
            request,
            audit,
            service=services.audit_cancel,
            title=f"Cancel audit {audit.reference}",
            here="Cancel audit",
            submit="Cancel audit",
            help_text="Kept with the audit.",
        )

    def plan_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_plan_permission(request):
            raise PermissionDenied
        today = timezone.localdate()
        bound = request.POST if request.method == "POST" else (request.GET if "year" in request.GET else None)
        form = PlanForm(bound, today=today)
        proposals = None
        if form.is_valid():
            year = form.cleaned_data["year"]
            proposals = planning.propose_plan(year=year, today=today)
            if request.method == "POST":
                ticked = set(request.POST.getlist("supplier"))
                chosen = [p for p in proposals if str(p.supplier.pk) in ticked]
                if not chosen:
                    self.message_user(
                        request, "Tick at least one supplier to plan an audit for.", messages.ERROR
                    )
                else:
                    try:
                        created = planning.create_planned_audits(
                            proposals=chosen,
                            year=year,
                            by=request.user,
                            start_month=form.cleaned_data["start_month"],
                        )
                    except services.AuditError as error:
                        self.message_user(request, error.message, messages.ERROR)
                    else:
                        skipped = len(chosen) - len(created)
                        text = f"Created {len(created)} planned audit(s) for {year}."
                        if skipped:
                            text += f" {skipped} supplier(s) already had an audit planned that year."
                        self.message_user(request, text, messages.SUCCESS)
                        changelist = reverse("admin:audits_audit_changelist")
                        return HttpResponseRedirect(f"{changelist}?{urlencode({'planned_year': year})}")
        return self._page(
            request,
            "plan.html",
            {"title": "Annual audit plan", "form": form, "proposals": proposals, "here": "Annual audit plan"},
        )


def accepted_message(audit: Audit) -> str:
    """What acceptance fixed: the band and each finding's deadlines."""
    fixed = [
        f"F{number:02d} CAP due {cap_due:%Y-%m-%d}, rectification due {due:%Y-%m-%d}"
        for number, cap_due, due in audit.findings.filter(rectification_due__isnull=False)
        .order_by("number")
        .values_list("number", "cap_due", "rectification_due")
    ]
    text = (
        f"{audit.reference} accepted on {audit.accepted_on:%Y-%m-%d}: "
        f"{PerformanceBand(audit.performance_band).label.lower()} (score {audit.score})."
    )
    if fixed:
        return f"{text} Deadlines fixed: {'; '.join(fixed)}."
    return f"{text} No finding needs corrective action: the audit is closed."


class PlanForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    start_month = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        choices=[("", "As early as possible")]
        + [(month, calendar.month_name[month]) for month in range(1, 13)],
        required=False,
        help_text="Planned audits are spread from this month to December, highest priority first.",
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["year"].initial = today.year + 1 if today.month >= 10 else today.year

    def clean(self):
        """Plans are for months still to come: from next month in the current year."""
        cleaned = super().clean()
        year, today = cleaned.get("year"), self.today
        if year is None:
            return cleaned
        if year < today.year:
            self.add_error("year", f"{year} is over: plan {today.year + (today.month == 12)} or later.")
            return cleaned
        if year == today.year and today.month == 12:
            self.add_error("year", f"No month of {year} is left to plan: plan {year + 1}.")
            return cleaned
        earliest = today.month + 1 if year == today.year else 1
        month = cleaned.get("start_month") or earliest
        if month < earliest:
            self.add_error(
                "start_month",
                f"Start in {calendar.month_name[earliest]} or later: earlier months of {year} are over "
                "or under way.",
            )
        cleaned["start_month"] = month
        return cleaned


# --- Findings: the CAP tracker -------------------------------------------------------------------------


class RedLineFilter(admin.SimpleListFilter):
    title = "red line"
    parameter_name = "red_line"

    def lookups(self, request, model_admin):
        return [("yes", "Any red line"), ("no", "No red line"), *RedLine.choices]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.red_line()
        if self.value() == "no":
            return queryset.filter(red_line="")
        if self.value() in RedLine.values:
            return queryset.filter(red_line=self.value())
        return queryset


class RectificationStatusFilter(admin.SimpleListFilter):
    """On the ``rectification`` annotation of ``FindingAdmin.get_queryset`` (today's status)."""

    title = "rectification status today"
    parameter_name = "rectification"

    def lookups(self, request, model_admin):
        return RectificationStatus.choices

    def queryset(self, request, queryset):
        if self.value() in RectificationStatus.values:
            return queryset.filter(rectification=self.value())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(rectification=RectificationStatus.OVERDUE)
        if self.value() == "no":
            return queryset.exclude(rectification=RectificationStatus.OVERDUE)
        return queryset


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


def evidence_link(evidence: Evidence) -> str:
    return format_html(
        '<a href="{}">{}</a>',
        evidence.file.url,
        evidence.original_name,
    )


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
class FindingAdmin(ExportMixin, SimpleHistoryAdmin):
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
    readonly_fields = [
        "reference_display",
        "audit_link",
        "supplier_display",
        "provision",
        "severity",
        "red_line",
        "description",
        "evidence_notes",
        "cap_due",
        "rectification_due",
        "original_rectification_due",
        "rectification_display",
        "closed_on",
        "cap_status",
        "cap_details",
        "verification_details",
    ]

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

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

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
        return _badge("red-line", RED, RedLine(obj.red_line).label)

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
            ("Reviewed", _who_when(cap.reviewed_by, cap.reviewed_at)),
            ("Review note", cap.review_note),
            ("Implemented", _who_when(None, cap.implemented_at)),
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


def _who_when(user, at) -> str:
    if at is None:
        return ""
    when = f"{timezone.localtime(at):%Y-%m-%d %H:%M}"
    return f"{when} by {user}" if user else when


# --- Extensions, verifications, evidence ---------------------------------------------------------------


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
