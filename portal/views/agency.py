"""The auditor's pages: their agency's audits (the list and one audit), recording the audit (dates, score,
report file), its findings by form or by the findings workbook, their evidence, submitting the report, and
verifying a closure by follow-up audit.

Every object comes from the API's scopes (``audits_visible_to``, ``findings_visible_to``,
``evidence_visible_to``), so another agency's audit or finding is 404, and an auditor of a deactivated agency
is nobody. Each POST calls one service of ``audits.services`` and shows its refusal on the form; what may be
changed when is the services' rule (``Audit.is_editable_by_auditor`` only decides which forms to show).
"""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Case, Count, IntegerField, Value, When
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audits import services
from audits.api.permissions import (
    ISSUED,
    audits_visible_to,
    evidence_visible_to,
    findings_visible_to,
    refuse_verification_method,
)
from audits.models import Audit, AuditPolicy, ClosureVerification, Evidence, Finding
from common.exceptions import ApplicationError
from common.files import UploadRejected

from ..access import auditor_required
from ..forms_agency import AuditFilterForm, AuditForm, EvidenceForm, FileForm, FindingForm, VerifyForm

PAGE_SIZE = 50
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _refused(form, error: ApplicationError) -> None:
    """A service's refusal on the form: on its field when the form has it, else above the form."""
    form.add_error(error.field if error.field in form.fields else None, error.message)


def _audit_or_404(request, pk: int) -> Audit:
    return get_object_or_404(
        audits_visible_to(user=request.user).select_related("supplier", "agency", "lead_auditor__user"), pk=pk
    )


def _finding_or_404(request, pk: int) -> Finding:
    return get_object_or_404(
        findings_visible_to(user=request.user).select_related(
            "audit__supplier", "audit__agency", "provision", "cap", "verification__follow_up_audit"
        ),
        pk=pk,
    )


def _report_form(data=None, files=None) -> FileForm:
    return FileForm(
        data,
        files,
        prefix="report",
        label=_("Report file"),
        help_text=_(
            "PDF (or DOCX, XLSX, JPEG, PNG), recognised by content. A new file replaces the earlier one."
        ),
    )


def _workbook_form(data=None, files=None) -> FileForm:
    return FileForm(
        data,
        files,
        prefix="workbook",
        label=_("Filled findings workbook (.xlsx)"),
        help_text=_("All or nothing: if any row has an error, nothing is saved."),
    )


# --- The audits --------------------------------------------------------------------------------------------


@auditor_required
def agency_audits(request):
    """The agency's audits, those awaiting the report first; a fixed number of queries per page."""
    filters = AuditFilterForm(request.GET or None)
    audits = (
        filters.filter(audits_visible_to(user=request.user))
        .select_related("supplier")
        .annotate(
            findings_count=Count("findings", distinct=True),
            awaiting=Case(
                When(status__in=Audit.AWAITING_REPORT, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            ),
        )
        .order_by("awaiting", "-planned_start", "-pk")
    )
    page = Paginator(audits, PAGE_SIZE).get_page(request.GET.get("page"))
    policy = AuditPolicy.current()
    rows = [(audit, audit.report_due(policy=policy)) for audit in page]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "portal/agency/audits.html",
        {"nav": "audits", "filters": filters, "page": page, "rows": rows, "query": query.urlencode()},
    )


def _audit_page(request, audit: Audit, **forms):
    """The audit's page; ``forms`` replaces a form by the one just posted (with its errors)."""
    language = get_language() or "en"
    findings = list(
        findings_visible_to(user=request.user)
        .filter(audit=audit)
        .select_related("provision", "cap")
        .annotate(evidence_count=Count("evidence", distinct=True))
        .order_by("number")
    )
    for finding in findings:
        finding.provision_title = finding.provision.title_in(language)
    editable = audit.is_editable_by_auditor
    context = {
        "nav": "audits",
        "audit": audit,
        "report_due": audit.report_due(policy=AuditPolicy.current()),
        "findings": findings,
        "editable": editable,
        "issued": audit.status in ISSUED,
        "audit_form": AuditForm.for_audit(audit) if editable else None,
        "report_form": _report_form() if editable else None,
        "workbook_form": _workbook_form() if editable else None,
        "workbook_errors": None,
        **forms,
    }
    return render(request, "portal/agency/audit.html", context)


def _save_changes(request, form, *, save, done: str, back: tuple[str, int]):
    """Send the fields the user changed to ``save`` (one service call), then back to the page with ``done``;
    None when the form or the service refused (the errors are on the form)."""
    if not form.is_valid():
        return None
    changes = {name: form.cleaned_data[name] for name in form.changed_data}
    if not changes:
        messages.info(request, _("Nothing changed."))
        return redirect(back[0], pk=back[1])
    try:
        save(changes)
    except ApplicationError as error:
        _refused(form, error)
        return None
    messages.success(request, done)
    return redirect(back[0], pk=back[1])


@auditor_required
@require_http_methods(["GET", "POST"])
def agency_audit(request, pk: int):
    """The audit's page; a POST records the audit's dates, score and summary (``services.audit_update``)."""
    audit = _audit_or_404(request, pk)
    if request.method != "POST":
        return _audit_page(request, audit)
    form = AuditForm.for_audit(audit, request.POST)
    saved = _save_changes(
        request,
        form,
        save=lambda changes: services.audit_update(audit=audit, by=request.user, **changes),
        done=_("Audit %(reference)s saved.") % {"reference": audit.reference},
        back=("portal:agency_audit", audit.pk),
    )
    return saved or _audit_page(request, audit, audit_form=form)


@auditor_required
@require_POST
def agency_audit_start(request, pk: int):
    audit = _audit_or_404(request, pk)
    try:
        started = services.audit_start(audit=audit, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _("Audit %(reference)s started on %(date)s. You can now record its findings.")
            % {"reference": started.reference, "date": started.actual_start.isoformat()},
        )
    return redirect("portal:agency_audit", pk=audit.pk)


@auditor_required
@require_POST
def agency_audit_report(request, pk: int):
    """Attach the report file (``services.audit_attach_report``), checked by size and content."""
    audit = _audit_or_404(request, pk)
    form = _report_form(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.audit_attach_report(audit=audit, upload=form.cleaned_data["file"], by=request.user)
        except UploadRejected as error:
            form.add_error("file", error.message)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("The report file is attached."))
            return redirect("portal:agency_audit", pk=audit.pk)
    return _audit_page(request, audit, report_form=form)


@auditor_required
@require_POST
def agency_audit_submit(request, pk: int):
    """Hand in the report (``services.audit_submit``); the agency can no longer change the audit after."""
    audit = _audit_or_404(request, pk)
    try:
        submitted = services.audit_submit(audit=audit, by=request.user)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "The report of audit %(reference)s is submitted. The company reviews it; you will hear if "
                "it is returned."
            )
            % {"reference": submitted.reference},
        )
    return redirect("portal:agency_audit", pk=audit.pk)


# --- Findings --------------------------------------------------------------------------------------------


@auditor_required
@require_http_methods(["GET", "POST"])
def agency_finding_new(request, pk: int):
    """Record a finding of the audit (``services.finding_create``)."""
    audit = _audit_or_404(request, pk)
    form = FindingForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        try:
            finding = services.finding_create(audit=audit, by=request.user, **form.cleaned_data)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(
                request,
                _("Finding %(reference)s recorded. Attach evidence below, or add another finding.")
                % {"reference": finding.reference},
            )
            return redirect("portal:agency_finding", pk=finding.pk)
    return render(request, "portal/agency/finding_new.html", {"nav": "audits", "audit": audit, "form": form})


def _finding_page(request, finding: Finding, *, form=None, evidence_form=None):
    editable = finding.audit.is_editable_by_auditor
    evidence = evidence_visible_to(user=request.user, finding=finding).select_related("uploaded_by")
    finding.provision_title = finding.provision.title_in(get_language() or "en")
    issued = finding.audit.status in ISSUED
    context = {
        "nav": "audits",
        "finding": finding,
        "audit": finding.audit,
        "editable": editable,
        "issued": issued,
        "cap": getattr(finding, "cap", None),
        "verification": getattr(finding, "verification", None),
        "form": form if form is not None else (FindingForm.for_finding(finding) if editable else None),
        "evidence": evidence,
        "evidence_form": evidence_form
        if evidence_form is not None
        else (EvidenceForm() if editable else None),
    }
    return render(request, "portal/agency/finding.html", context)


@auditor_required
@require_http_methods(["GET", "POST"])
def agency_finding(request, pk: int):
    """A finding of the agency's audit: its facts, evidence and, while the audit is open, its form
    (``services.finding_update``)."""
    finding = _finding_or_404(request, pk)
    if request.method != "POST":
        return _finding_page(request, finding)
    form = FindingForm.for_finding(finding, request.POST)
    saved = _save_changes(
        request,
        form,
        save=lambda changes: services.finding_update(finding=finding, by=request.user, **changes),
        done=_("Finding %(reference)s saved.") % {"reference": finding.reference},
        back=("portal:agency_finding", finding.pk),
    )
    return saved or _finding_page(request, finding, form=form)


@auditor_required
@require_POST
def agency_finding_evidence(request, pk: int):
    """Attach the auditor's evidence to a finding (``services.evidence_attach``, purpose 'finding')."""
    finding = _finding_or_404(request, pk)
    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence = services.evidence_attach(
                finding=finding,
                upload=form.cleaned_data["file"],
                by=request.user,
                purpose=Evidence.Purpose.FINDING,
                description=form.cleaned_data["description"],
            )
        except UploadRejected as error:
            form.add_error("file", error.message)
        except ApplicationError as error:
            _refused(form, error)
        else:
            messages.success(request, _("%(name)s is attached.") % {"name": evidence.original_name})
            return redirect("portal:agency_finding", pk=finding.pk)
    return _finding_page(request, finding, evidence_form=form)


# --- The findings workbook -------------------------------------------------------------------------------


@auditor_required
@require_http_methods(["GET", "POST"])
def agency_workbook(request, pk: int):
    """GET: the audit's findings workbook (``services.findings_workbook_build``). POST: the filled workbook
    uploaded back (``services.findings_workbook_import``): all or nothing, every error by row and column."""
    audit = _audit_or_404(request, pk)
    if request.method == "GET":
        response = HttpResponse(services.findings_workbook_build(audit=audit), content_type=XLSX)
        response["Content-Disposition"] = f'attachment; filename="{audit.reference}-findings.xlsx"'
        response["Cache-Control"] = "no-store"
        return response
    form = _workbook_form(request.POST, request.FILES)
    if form.is_valid():
        try:
            result = services.findings_workbook_import(
                audit=audit, upload=form.cleaned_data["file"], by=request.user
            )
        except ApplicationError as error:
            _refused(form, error)
        else:
            if result.ok:
                messages.success(request, _workbook_summary(result))
                return redirect("portal:agency_audit", pk=audit.pk)
            return _audit_page(request, audit, workbook_form=form, workbook_errors=result)
    return _audit_page(request, audit, workbook_form=form)


def _workbook_summary(result: services.WorkbookImport) -> str:
    parts = [
        ngettext("%(count)d finding added", "%(count)d findings added", result.created)
        % {"count": result.created},
        ngettext("%(count)d changed", "%(count)d changed", result.updated) % {"count": result.updated},
        ngettext("%(count)d unchanged", "%(count)d unchanged", result.unchanged)
        % {"count": result.unchanged},
    ]
    return _("%(name)s: %(summary)s.") % {"name": result.filename, "summary": ", ".join(parts)}


# --- Closure verification ----------------------------------------------------------------------------------


@auditor_required
@require_http_methods(["GET", "POST"])
def agency_verify(request, pk: int):
    """Record that a follow-up audit verified a finding's rectification (``services.closure_verify``): an
    auditor names one of their agency's audits of the supplier (``verification_methods``)."""
    finding = _finding_or_404(request, pk)
    method = ClosureVerification.Method.FOLLOW_UP_AUDIT
    audits = (
        audits_visible_to(user=request.user)
        .filter(supplier_id=finding.audit.supplier_id)
        .exclude(pk=finding.audit_id)
        .order_by("-planned_start", "-pk")
    )
    verification = getattr(finding, "verification", None)
    form = VerifyForm(request.POST if request.method == "POST" else None, audits=audits)
    if verification is None and form.is_bound and form.is_valid():
        refused = refuse_verification_method(request.user, finding, method)
        if refused:
            form.add_error(None, refused)
        else:
            try:
                services.closure_verify(
                    finding=finding,
                    by=request.user,
                    method=method,
                    follow_up_audit=form.cleaned_data["follow_up_audit"],
                    note=form.cleaned_data["note"],
                )
            except ApplicationError as error:
                _refused(form, error)
            else:
                messages.success(
                    request,
                    _("Finding %(reference)s is closed: verified by follow-up audit %(audit)s.")
                    % {
                        "reference": finding.reference,
                        "audit": form.cleaned_data["follow_up_audit"].reference,
                    },
                )
                return redirect("portal:agency_finding", pk=finding.pk)
    finding.provision_title = finding.provision.title_in(get_language() or "en")
    return render(
        request,
        "portal/agency/verify.html",
        {
            "nav": "audits",
            "finding": finding,
            "audit": finding.audit,
            "cap": getattr(finding, "cap", None),
            "verification": verification,
            "form": form,
            "has_audits": audits.exists() if verification is None else False,
        },
    )


urlpatterns = [
    path("agency/audits/", agency_audits, name="agency_audits"),
    path("agency/audits/<int:pk>/", agency_audit, name="agency_audit"),
    path("agency/audits/<int:pk>/start/", agency_audit_start, name="agency_audit_start"),
    path("agency/audits/<int:pk>/report/", agency_audit_report, name="agency_audit_report"),
    path("agency/audits/<int:pk>/submit/", agency_audit_submit, name="agency_audit_submit"),
    path("agency/audits/<int:pk>/findings/new/", agency_finding_new, name="agency_finding_new"),
    path("agency/findings/<int:pk>/", agency_finding, name="agency_finding"),
    path("agency/findings/<int:pk>/evidence/", agency_finding_evidence, name="agency_finding_evidence"),
    path("agency/audits/<int:pk>/workbook/", agency_workbook, name="agency_workbook"),
    path("agency/findings/<int:pk>/verify/", agency_verify, name="agency_verify"),
]
