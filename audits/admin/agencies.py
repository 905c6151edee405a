"""Who audits, and against what: audit agencies with their auditors, the code provisions findings refer to,
and the audit and deadline policy (one row, with its history)."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin

from common.admin import SingleRowMixin
from suppliers import roles

from ..models import AuditAgency, Auditor, AuditPolicy, CodeProvision


def _can_browse_users(request: HttpRequest) -> bool:
    """Autocomplete on users needs the right to view user accounts; others pick from the auditor role."""
    return request.user.has_perm("auth.view_user")


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
class AuditPolicyAdmin(SingleRowMixin, SimpleHistoryAdmin):
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
