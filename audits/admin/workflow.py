"""The audit's workflow pages in the admin: accept a submitted report (showing the deadlines it will fix),
return it to the agency or cancel the audit (each with a reason), and the annual audit plan. Each page calls
one service: ``services.audit_accept`` / ``audit_return`` / ``audit_cancel``, ``planning.propose_plan`` and
``planning.create_planned_audits``."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone

from common.admin import reason_view, render_page

from .. import deadlines, planning, services
from ..models import Audit, AuditPolicy, PerformanceBand
from .forms import PlanForm

DECISION_TEMPLATE = "admin/audits/audit/decision.html"


class AuditWorkflowMixin:
    """The extra pages of ``AuditAdmin``, and who may use them."""

    def has_accept_permission(self, request) -> bool:
        return request.user.has_perm("audits.accept_audit")

    def has_plan_permission(self, request) -> bool:
        return request.user.has_perm("audits.plan_audits")

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
        return render_page(
            self,
            request,
            DECISION_TEMPLATE,
            {
                "title": f"Accept report {audit.reference}",
                "original": audit,
                "here": "Accept report",
                "cancel_url": self._change_url(audit),
                "cancel_label": "Back",
                "preview": preview,
                "today": today,
                "band": PerformanceBand(policy.band_for(audit.score)).label
                if audit.score is not None
                else "",
                "submit": "Accept report and fix deadlines",
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

    def _reason_view(self, request, audit: Audit, *, service, **page) -> HttpResponse:
        def step(reason: str) -> str:
            changed = service(audit=audit, by=request.user, reason=reason)
            return f"{changed.reference} is now {changed.get_status_display().lower()}."

        return reason_view(
            self,
            request,
            audit,
            service=step,
            invalid=(services.Invalid,),
            conflict=(services.Conflict,),
            template=DECISION_TEMPLATE,
            extra_context={"cancel_label": "Back"},
            **page,
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
        return render_page(
            self,
            request,
            "admin/audits/audit/plan.html",
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
