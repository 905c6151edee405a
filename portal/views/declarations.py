"""The supplier contact's responsible-minerals pages: their CMRT/EMRT declarations and what is asked for,
uploading a file in two steps (checked, then submitted), one declaration with its messages and smelters, and
a due-diligence action on a smelter with the supplier's answer.

Objects come from the API's scopes (``minerals.api.permissions``); every write is one service of
``minerals.services``: ``declaration_check`` (step 1: parse and check, kept as a draft that counts nowhere),
``declaration_submit`` (step 2: the same file imported, refused while it has errors) and
``dd_action_respond``.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.files import UploadRejected
from minerals import conformance, services
from minerals.api.permissions import (
    declaration_drafts_visible_to,
    declarations_visible_to,
    due_diligence_visible_to,
)
from minerals.cmrt.result import stored_message
from minerals.models import Declaration, DeclaredSmelter, DueDiligenceAction, MineralsPolicy
from minerals.selectors import declaration_request

from ..access import supplier_required
from ..forms_supplier import DeclarationUploadForm, DueDiligenceResponseForm

ERROR = "error"


def checks(issues: list[dict]) -> list[dict]:
    """A file's messages as the page lists them: errors first, then warnings, each in the reader's language
    with its sheet and cell."""
    shown = [
        {
            "sheet": issue.get("sheet", ""),
            "cell": issue.get("cell", ""),
            "severity": issue.get("severity", ""),
            "message": stored_message(issue),
        }
        for issue in issues
    ]
    return sorted(shown, key=lambda issue: issue["severity"] != ERROR)


def _upload_years(today) -> list[int]:
    """The years offered for an upload: the reporting year being collected first, then this year and the
    five before it (the service refuses any other)."""
    collected = MineralsPolicy.current().reporting_year(on=today)
    years = [collected, *range(today.year, today.year - 6, -1)]
    return list(dict.fromkeys(years))


def _open_actions(user):
    return due_diligence_visible_to(user=user).open().select_related("smelter").order_by("deadline", "pk")


@supplier_required
def declarations(request):
    today = timezone.localdate()
    rows = (
        declarations_visible_to(user=request.user)
        .select_related("uploaded_by")
        .annotate(smelter_total=Count("smelters"))
        .order_by("-year", "-uploaded_at", "-pk")
    )
    return render(
        request,
        "portal/declarations/list.html",
        {
            "nav": "declarations",
            "asked": declaration_request(supplier_id=request.portal.supplier.pk, on=today),
            "declarations": rows,
            "actions": _open_actions(request.user),
        },
    )


@supplier_required
def declaration_upload(request):
    """Step 1: the file is checked and parsed; the next page shows every message before it is submitted."""
    today = timezone.localdate()
    years = _upload_years(today)
    form = DeclarationUploadForm(
        request.POST or None, request.FILES or None, years=years, initial={"year": years[0]}
    )
    if request.method == "POST" and form.is_valid():
        try:
            draft = services.declaration_check(
                supplier=request.portal.supplier,
                year=form.cleaned_data["year"],
                upload=form.cleaned_data["file"],
                by=request.user,
            )
        except UploadRejected as refused:
            form.add_error("file", refused.message)
        except ApplicationError as refused:
            form.add_error(refused.field if refused.field in form.fields else "file", refused.message)
        else:
            return redirect("portal:declaration_draft", pk=draft.pk)
    return render(request, "portal/declarations/upload.html", {"nav": "declarations", "form": form})


@supplier_required
def declaration_draft(request, pk):
    """Step 2: the checked file's messages; submitting imports it (refused while it has errors)."""
    draft = get_object_or_404(declaration_drafts_visible_to(user=request.user), pk=pk)
    refusal = ""
    if request.method == "POST":
        try:
            declaration = services.declaration_submit(draft=draft, by=request.user)
        except ApplicationError as refused:
            refusal = refused.message
        except UploadRejected as refused:
            refusal = refused.message
        else:
            messages.success(
                request,
                _("%(file)s is submitted: your %(template)s declaration for %(year)d is accepted.")
                % {"file": declaration.filename, "template": declaration.family, "year": declaration.year},
            )
            return redirect("portal:declaration", pk=declaration.pk)
    return render(
        request,
        "portal/declarations/draft.html",
        {"nav": "declarations", "draft": draft, "checks": checks(draft.issues), "refusal": refusal},
        status=200,
    )


@supplier_required
def declaration(request, pk):
    found = get_object_or_404(declarations_visible_to(user=request.user).select_related("uploaded_by"), pk=pk)
    smelters = DeclaredSmelter.objects.filter(declaration=found).select_related("smelter").order_by("row")
    actions = _open_actions(request.user).filter(declared__declaration=found)
    return render(
        request,
        "portal/declarations/detail.html",
        {
            "nav": "declarations",
            "declaration": found,
            "checks": checks(found.issues),
            "smelters": smelters,
            "actions": actions,
            "accepted": found.status == Declaration.Status.ACCEPTED,
        },
    )


@supplier_required
def dd_action(request, pk):
    action = get_object_or_404(
        due_diligence_visible_to(user=request.user).select_related(
            "smelter", "declared__declaration", "closed_by_declaration"
        ),
        pk=pk,
    )
    form = DueDiligenceResponseForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dd_action_respond(
                action=action,
                by=request.user,
                note=form.cleaned_data["note"],
                evidence=form.cleaned_data.get("evidence"),
            )
        except UploadRejected as refused:
            form.add_error("evidence", refused.message)
        except ApplicationError as refused:
            form.add_error(refused.field if refused.field in form.fields else None, refused.message)
        else:
            messages.success(request, _("Your answer is sent. We will review it and close the action."))
            return redirect("portal:dd_action", pk=action.pk)
    return render(
        request,
        "portal/declarations/dd_action.html",
        {
            "nav": "declarations",
            "action": action,
            "why": conformance.why(action.reason),
            "form": form,
            "is_open": action.status == DueDiligenceAction.Status.OPEN,
        },
    )


urlpatterns = [
    path("declarations/", declarations, name="declarations"),
    path("declarations/new/", declaration_upload, name="declaration_upload"),
    path("declarations/new/<int:pk>/", declaration_draft, name="declaration_draft"),
    path("declarations/<int:pk>/", declaration, name="declaration"),
    path("smelter-actions/<int:pk>/", dd_action, name="dd_action"),
]
