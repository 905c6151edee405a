"""The supplier's audits and findings, and their work on a finding: the corrective action plan, monthly
progress with evidence, rectification evidence and the plan reported carried out, and extension requests.

Objects come from the API's scopes (``audits.api.permissions``): another supplier's audit or finding is 404,
and of a finding's evidence the supplier sees only what the supplier side added (never the auditor's evidence
or notes). Each form calls one service of ``audits.services``; a refusal is shown on the field it names, in
the user's language.
"""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from audits import deadlines, services
from audits.api.permissions import audits_visible_to, evidence_visible_to, findings_visible_to
from audits.models import CorrectiveActionPlan, Evidence, Finding, Severity
from common.exceptions import ApplicationError

from ..access import supplier_required
from ..forms_findings import (
    CapForm,
    ExtensionForm,
    ImplementedForm,
    ProgressForm,
    RectificationEvidenceForm,
    months_between,
)
from ..selectors import finding_title, provision_title, rectification_status

CapStatus = CorrectiveActionPlan.Status


def _refused(form, error: ApplicationError) -> None:
    """A service's refusal on the field it names (on the form when the form has no such field)."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _finding_of(request, pk: int) -> Finding:
    return get_object_or_404(
        findings_visible_to(user=request.user).select_related(
            "audit__agency", "provision", "cap", "verification"
        ),
        pk=pk,
    )


def _posted(request):
    return request.POST if request.method == "POST" else None


def _context(request, finding: Finding, **extra) -> dict:
    """What every page of a finding shows at its top."""
    cap = getattr(finding, "cap", None)
    return {
        "nav": "audits",
        "finding": finding,
        "finding_title": finding_title(finding),
        "provision": provision_title(finding),
        "cap": cap,
        "status": rectification_status(finding, today=timezone.localdate()),
        "works_on": finding.needs_cap and not finding.is_closed and finding.rectification_due is not None,
        # The CAP deadline still runs (``deadlines.CAP_NOT_IN``): its due date shows days left or overdue.
        "cap_pending": finding.needs_cap
        and not finding.is_closed
        and (cap is None or cap.status in deadlines.CAP_NOT_IN),
        **extra,
    }


# --- Audits and findings (read) ------------------------------------------------------------------------


@supplier_required
def supplier_audits(request):
    actionable = ~Q(findings__severity=Severity.OBSERVATION)
    audits = (
        audits_visible_to(user=request.user)
        .select_related("agency")
        .annotate(
            findings_total=Count("findings"),
            findings_open=Count("findings", filter=actionable & Q(findings__closed_at__isnull=True)),
        )
        .order_by("-accepted_on", "-pk")
    )
    return render(request, "portal/supplier/audits.html", {"audits": audits, "nav": "audits"})


@supplier_required
def supplier_audit(request, pk: int):
    audit = get_object_or_404(audits_visible_to(user=request.user).select_related("agency"), pk=pk)
    today = timezone.localdate()
    findings = list(
        findings_visible_to(user=request.user)
        .filter(audit=audit)
        .select_related("provision", "cap")
        .order_by("number")
    )
    rows = []
    for finding in findings:
        finding.audit = audit
        rows.append(
            {
                "finding": finding,
                "provision": provision_title(finding),
                "cap": getattr(finding, "cap", None),
                "status": rectification_status(finding, today=today),
            }
        )
    return render(request, "portal/supplier/audit.html", {"audit": audit, "rows": rows, "nav": "audits"})


@supplier_required
def finding(request, pk: int):
    finding = _finding_of(request, pk)
    evidence = evidence_visible_to(user=request.user, finding=finding).order_by("uploaded_at")
    context = _context(
        request,
        finding,
        evidence=list(evidence),
        progress=list(finding.progress_updates.order_by("-month")),
        extensions=list(finding.extensions.order_by("-requested_at")),
        verification=getattr(finding, "verification", None),
    )
    return render(request, "portal/supplier/finding.html", context)


# --- Acting on a finding -------------------------------------------------------------------------------


@supplier_required
@require_http_methods(["GET", "POST"])
def finding_cap(request, pk: int):
    finding = _finding_of(request, pk)
    cap = getattr(finding, "cap", None)
    initial = {}
    if cap is not None and cap.status != CapStatus.NOT_STARTED:
        initial = {
            name: getattr(cap, name)
            for name in (
                "root_cause",
                "corrective_action",
                "preventive_action",
                "owner",
                "planned_completion",
            )
        }
    form = CapForm(_posted(request), initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.cap_submit(finding=finding, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("Your corrective action plan for %(finding)s is submitted. The company will review it.")
                % {"finding": finding.reference},
            )
            return redirect("portal:finding_cap", pk=finding.pk)
    context = _context(request, finding, form=form, can_submit=services.cap_can_be_submitted(cap))
    return render(request, "portal/supplier/finding_cap.html", context)


def _report_months(finding: Finding, today: dt.date) -> list[dt.date]:
    return months_between(finding.audit.accepted_on or today, today)


@supplier_required
@require_http_methods(["GET", "POST"])
def finding_progress(request, pk: int):
    finding = _finding_of(request, pk)
    today = timezone.localdate()
    months = _report_months(finding, today)
    default = months[1] if len(months) > 1 else months[0]  # last month's report is the one due
    form = ProgressForm(
        _posted(request),
        request.FILES if request.method == "POST" else None,
        months=months,
        initial={"month": default},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            update = services.progress_submit(
                finding=finding,
                by=request.user,
                month=data["month"],
                percent_complete=data["percent_complete"],
                note=data["note"],
                evidence=data["evidence"],
            )
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("Your progress report on %(month)s is submitted.") % {"month": f"{update.month:%Y-%m}"},
            )
            return redirect("portal:finding_progress", pk=finding.pk)
    evidence = evidence_visible_to(user=request.user, finding=finding).filter(
        purpose=Evidence.Purpose.PROGRESS
    )
    context = _context(
        request,
        finding,
        form=form,
        progress=list(finding.progress_updates.order_by("-month")),
        evidence=list(evidence.order_by("-uploaded_at")),
    )
    return render(request, "portal/supplier/finding_progress.html", context)


@supplier_required
@require_http_methods(["GET", "POST"])
def finding_extension(request, pk: int):
    finding = _finding_of(request, pk)
    form = ExtensionForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        try:
            services.extension_request(finding=finding, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("Your extension request is sent. The company will decide on it."))
            return redirect("portal:finding_extension", pk=finding.pk)
    extensions = list(finding.extensions.order_by("-requested_at"))
    pending = any(e.status == e.Status.PENDING for e in extensions)
    context = _context(request, finding, form=form, extensions=extensions, pending=pending)
    return render(request, "portal/supplier/finding_extension.html", context)


@supplier_required
@require_http_methods(["GET", "POST"])
def finding_rectification(request, pk: int):
    """Rectification evidence (one or more files), and the approved plan reported carried out."""
    finding = _finding_of(request, pk)
    step = request.POST.get("step") if request.method == "POST" else None
    evidence_form = RectificationEvidenceForm(
        request.POST if step == "evidence" else None, request.FILES if step == "evidence" else None
    )
    implemented_form = ImplementedForm(request.POST if step == "implemented" else None)
    if step == "evidence" and evidence_form.is_valid():
        try:
            attached = services.rectification_evidence_attach(
                finding=finding,
                by=request.user,
                uploads=evidence_form.cleaned_data["evidence"],
                description=evidence_form.cleaned_data["description"],
            )
        except ApplicationError as error:
            _refused(evidence_form, error)
        else:
            count = len(attached)
            messages.success(
                request,
                ngettext(
                    "%(count)d file added to the rectification evidence.",
                    "%(count)d files added to the rectification evidence.",
                    count,
                )
                % {"count": count},
            )
            return redirect("portal:finding_rectification", pk=finding.pk)
    if step == "implemented" and implemented_form.is_valid():
        try:
            services.cap_implement(
                finding=finding, by=request.user, note=implemented_form.cleaned_data["note"]
            )
        except ApplicationError as error:
            _refused(implemented_form, error)
        else:
            messages.success(
                request, _("The plan is reported carried out. The company will verify the rectification.")
            )
            return redirect("portal:finding_rectification", pk=finding.pk)
    evidence = evidence_visible_to(user=request.user, finding=finding).filter(
        purpose=Evidence.Purpose.RECTIFICATION
    )
    cap = getattr(finding, "cap", None)
    context = _context(
        request,
        finding,
        evidence_form=evidence_form,
        implemented_form=implemented_form,
        evidence=list(evidence.order_by("-uploaded_at")),
        can_report_implemented=cap is not None and cap.status == CapStatus.APPROVED,
    )
    return render(request, "portal/supplier/finding_rectification.html", context)


urlpatterns = [
    path("audits/", supplier_audits, name="supplier_audits"),
    path("audits/<int:pk>/", supplier_audit, name="supplier_audit"),
    path("findings/<int:pk>/", finding, name="finding"),
    path("findings/<int:pk>/cap/", finding_cap, name="finding_cap"),
    path("findings/<int:pk>/progress/", finding_progress, name="finding_progress"),
    path("findings/<int:pk>/extension/", finding_extension, name="finding_extension"),
    path("findings/<int:pk>/rectification/", finding_rectification, name="finding_rectification"),
]
