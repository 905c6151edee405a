"""The supplier's workflow in the admin: status changes (the list's actions, and the "Change status" page
with its admission check), recomputing the risk of the selected suppliers and the risk override page. Each
calls one service: ``lifecycle.supplier_transition``, ``risk.risk_refresh`` and ``risk.risk_override_set`` /
``risk_override_clear``. The upload of a file of suppliers is the shared one (``common.admin.ImportMixin``,
set up on ``SupplierAdmin``)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html

from common.admin import ask_reason, bullet_list, render_page

from .. import lifecycle, risk
from ..forms import RiskOverrideForm, TransitionForm
from ..models import Supplier

Status = Supplier.Status

# A status change runs the onboarding gate for each supplier: keep one request's work bounded.
MAX_SUPPLIERS_PER_STATUS_ACTION = 500


def _transition_action(to: str, description: str):
    def action(modeladmin: SupplierWorkflowMixin, request, queryset):
        return modeladmin.transition_selected(request, queryset, to=to)

    action.__name__ = f"transition_to_{to}"
    action.transition_to = to
    return admin.action(description=description)(action)


TRANSITION_ACTIONS = [
    _transition_action(Status.SCREENING, "Move to screening"),
    _transition_action(Status.ADMITTED, "Admit"),
    _transition_action(Status.REJECTED, "Reject (not admitted)"),
    _transition_action(Status.SUSPENDED, "Suspend"),
    _transition_action(Status.ADMITTED, "Reinstate (suspended → admitted)"),
    _transition_action(Status.EXITED, "Exit"),
]
# Admit and reinstate both move to "admitted": the lifecycle tells them apart by the current status.
TRANSITION_ACTIONS[4].__name__ = "reinstate"


class SupplierWorkflowMixin:
    """The list actions and extra pages of ``SupplierAdmin``, and who may use them."""

    # --- actions ----------------------------------------------------------------------------------

    def get_actions(self, request):
        actions = super().get_actions(request)
        for name, (func, _, _) in list(actions.items()):
            to = getattr(func, "transition_to", None)
            if to is not None and not request.user.has_perm(lifecycle.permission_for(to)):
                del actions[name]
        return actions

    def transition_selected(self, request: HttpRequest, queryset: QuerySet, *, to: str):
        label = Status(to).label
        count = queryset.count()
        if count > MAX_SUPPLIERS_PER_STATUS_ACTION:
            self.message_user(
                request,
                f"Select at most {MAX_SUPPLIERS_PER_STATUS_ACTION} suppliers for a status change "
                f"(you selected {count}).",
                messages.ERROR,
            )
            return None
        reason = ""
        if to in lifecycle.REASON_REQUIRED:
            reason, page = ask_reason(
                self,
                request,
                queryset.order_by("code"),
                title=f"{label}: give a reason",
                intro=f"Move these suppliers to “{label}”:",
                describe=lambda supplier: f"{supplier} ({supplier.get_status_display()})",
                submit=f"Move to “{label}”",
                help_text="Kept with each supplier's status change.",
                required_message=f"Moving a supplier to “{label}” needs a reason.",
            )
            if page is not None:
                return page
        moved = []
        for supplier in queryset.order_by("code"):
            try:
                lifecycle.supplier_transition(supplier=supplier, to=to, by=request.user, reason=reason)
            except lifecycle.TransitionRefused as refused:
                self.message_user(request, _refusal_html(refused), messages.ERROR)
            else:
                moved.append(supplier.code)
        if moved:
            self.message_user(
                request, f"Moved {len(moved)} to “{label}”: {', '.join(moved)}.", messages.SUCCESS
            )
        return None

    @admin.action(description="Recompute risk", permissions=["change"])
    def recompute_risk(self, request, queryset):
        ids = list(queryset.values_list("pk", flat=True))
        created = risk.risk_refresh(supplier_ids=ids, force=True, by=request.user)
        self.message_user(
            request,
            f"Risk recomputed for {len(ids)} supplier(s); {created} new assessment(s) stored.",
            messages.SUCCESS,
        )

    # --- extra pages ------------------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/transition/",
                view(self.transition_view),
                name="{}_{}_transition".format(*info),
            ),
            path(
                "<path:object_id>/risk-override/",
                view(self.risk_override_view),
                name="{}_{}_risk_override".format(*info),
            ),
            *super().get_urls(),
        ]

    def _page(self, request, template: str, context: dict):
        return render_page(self, request, f"admin/suppliers/supplier/{template}", context)

    def _supplier_or_redirect(self, request, object_id):
        supplier = self.get_object(request, unquote(object_id))
        if supplier is None:
            return None, self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        return supplier, None

    def _change_url(self, supplier: Supplier) -> str:
        return reverse("admin:suppliers_supplier_change", args=[supplier.pk])

    def transition_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        supplier, redirect = self._supplier_or_redirect(request, object_id)
        if redirect:
            return redirect
        if not self.has_view_or_change_permission(request, supplier):
            raise PermissionDenied
        allowed = lifecycle.allowed_transitions(supplier=supplier)
        offered = [s for s in allowed if request.user.has_perm(lifecycle.permission_for(s))]
        form = TransitionForm(request.POST or None, allowed=allowed, offered=offered)
        refusal = None
        if request.method == "POST" and form.is_valid():
            to, reason = form.cleaned_data["to"], form.cleaned_data["reason"]
            previous = supplier.get_status_display()
            try:
                lifecycle.supplier_transition(supplier=supplier, to=to, by=request.user, reason=reason)
            except lifecycle.TransitionRefused as refused:
                refusal = refused
            else:
                self.message_user(
                    request,
                    f"{supplier.code} moved from “{previous}” to “{Status(to).label}”.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(supplier))
        return self._page(
            request,
            "transition.html",
            {
                "title": f"Change status: {supplier}",
                "original": supplier,
                "form": form,
                "refusal": refusal,
                "check": lifecycle.admission_check(supplier=supplier),
                "offered": offered,
            },
        )

    def risk_override_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not request.user.has_perm("suppliers.override_risk"):
            raise PermissionDenied
        supplier, redirect = self._supplier_or_redirect(request, object_id)
        if redirect:
            return redirect
        form = RiskOverrideForm(
            request.POST if request.method == "POST" and "clear" not in request.POST else None,
            initial={"level": supplier.risk_override_level or supplier.risk_level or None},
        )
        try:
            if request.method == "POST" and "clear" in request.POST:
                risk.risk_override_clear(
                    supplier=supplier, by=request.user, reason=request.POST.get("clear_reason", "")
                )
                self.message_user(request, f"Risk override of {supplier.code} removed.", messages.SUCCESS)
                return HttpResponseRedirect(self._change_url(supplier))
            if form.is_bound and form.is_valid():
                updated = risk.risk_override_set(
                    supplier=supplier,
                    level=form.cleaned_data["level"],
                    reason=form.cleaned_data["reason"],
                    by=request.user,
                )
                self.message_user(
                    request,
                    f"Risk of {supplier.code} overridden: now {updated.get_risk_level_display()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(supplier))
        except risk.OverrideRefused as refused:
            form.add_error(None, str(refused))
        return self._page(
            request,
            "risk_override.html",
            {
                "title": f"Risk override: {supplier}",
                "original": supplier,
                "form": form,
                "current": self.risk(supplier),
            },
        )


def _refusal_html(refused: lifecycle.TransitionRefused) -> str:
    if not refused.unmet:
        return refused.message
    return format_html("{}{}", refused.message, bullet_list(refused.unmet))
