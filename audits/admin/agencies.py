"""Who audits, and against what: audit agencies with their auditors, the code provisions findings refer to,
and the audit and deadline policy (one row, with its history).

An agency's page invites its auditors to the portal (``services.auditor_invite``: e-mail, name, language) and
lists them with whether they have joined, each with a link to send the invitation again. Deactivating the
agency ends its auditors' access at once (``Auditor.objects.active()``)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from simple_history.admin import SimpleHistoryAdmin

from common.admin import SingleRowMixin, render_page
from common.exceptions import ApplicationError
from suppliers import roles

from .. import services
from ..models import AuditAgency, Auditor, AuditPolicy, CodeProvision
from .forms import InviteAuditorForm


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


def _when(at) -> str:
    return f"{timezone.localtime(at):%Y-%m-%d %H:%M}"


class AuditorInline(AuditorUserMixin, admin.TabularInline):
    model = Auditor
    extra = 0
    fields = ["user", "qualifications", "portal_access"]
    readonly_fields = ["portal_access"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user__portal", "agency")

    @admin.display(description="portal")
    def portal_access(self, obj: Auditor) -> str:
        """Joined (chose a password) or invited, and the link that sends the invitation again (someone who
        joined and forgot their password resets it from the portal's sign-in page)."""
        if obj.pk is None:
            return "—"
        account = getattr(obj.user, "portal", None)
        if account is not None and account.joined_at:
            state = format_html('<span class="auditor-joined">Joined {}</span>', _when(account.joined_at))
        elif account is not None and account.invited_at:
            state = format_html(
                '<span class="auditor-invited">Invited {}, not joined yet</span>', _when(account.invited_at)
            )
        else:
            state = mark_safe('<span class="auditor-not-invited">Not invited</span>')
        if not obj.user.is_active:
            return format_html("{} (login deactivated)", state)
        if account is not None and account.joined_at:
            return state
        again = reverse("admin:audits_auditagency_invite", args=[obj.agency_id])
        query = urlencode({"email": obj.user.email, "name": obj.user.get_full_name()})
        label = "Send the invitation again" if account is not None and account.invited_at else "Invite"
        return format_html('{} · <a class="auditor-reinvite" href="{}?{}">{}</a>', state, again, query, label)


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

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/invite/",
                self.admin_site.admin_view(self.invite_view),
                name="{}_{}_invite".format(*info),
            ),
            *super().get_urls(),
        ]

    def invite_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Invite an auditor of this agency to the portal, or send an invitation again
        (``services.auditor_invite``)."""
        agency = self.get_object(request, unquote(object_id))
        if agency is None:
            raise Http404(f"No audit agency with id {object_id}.")
        if not self.has_change_permission(request, agency):
            raise PermissionDenied
        change_url = reverse("admin:audits_auditagency_change", args=[agency.pk])
        if request.method == "POST":
            form = InviteAuditorForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                try:
                    auditor = services.auditor_invite(
                        agency=agency,
                        email=data["email"],
                        name=data["name"],
                        language=data["language"],
                        qualifications=data["qualifications"],
                        by=request.user,
                    )
                except ApplicationError as refused:
                    form.add_error("email" if refused.field in (None, "email") else None, refused.message)
                else:
                    self.message_user(
                        request,
                        f"Invitation sent to {auditor.user.email}: the link to choose a password works once.",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(change_url)
        else:
            form = InviteAuditorForm(
                initial={key: request.GET[key] for key in ("email", "name") if key in request.GET}
            )
        return render_page(
            self,
            request,
            "admin/audits/auditagency/invite.html",
            {
                "title": f"Invite an auditor of {agency.name}",
                "here": "Invite an auditor",
                "original": agency,
                "form": form,
                "cancel_url": change_url,
            },
        )


@admin.register(Auditor)
class AuditorAdmin(AuditorUserMixin, admin.ModelAdmin):
    list_display = ["__str__", "user", "agency", "qualifications"]
    list_select_related = ["user", "agency"]
    list_filter = ["agency"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "user__email", "agency__name"]
    fields = ["user", "agency", "qualifications"]


@admin.register(CodeProvision)
class CodeProvisionAdmin(admin.ModelAdmin):
    list_display = ["code", "title", "title_zh_hans", "section", "code_version", "active"]
    list_editable = ["title", "title_zh_hans", "active"]
    list_filter = ["code_version", "section", "active"]
    search_fields = ["code", "title", "title_zh_hans"]


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
