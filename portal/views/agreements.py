"""The supplier contact's agreements: what their company has signed and what it is asked to sign, and
signing a text online (``suppliers.agreements.agreement_sign``: the exact text version, the typed name and
title, the time, the address and the login are recorded as the agreement)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from common.exceptions import ApplicationError
from common.logins import client_ip
from suppliers.agreements import agreement_sign as sign
from suppliers.agreements import agreements_to_sign
from suppliers.api.permissions import suppliers_visible_to
from suppliers.models import Agreement, AgreementText

from ..access import supplier_required
from ..forms_supplier import AgreementSignForm

LANGUAGES = dict(settings.LANGUAGES)


@supplier_required
def agreements(request):
    today = timezone.localdate()
    signed = (
        Agreement.objects.filter(supplier__in=suppliers_visible_to(user=request.user))
        .select_related("text")
        .order_by("kind", "-signed_on", "-pk")
    )
    return render(
        request,
        "portal/agreements/list.html",
        {
            "nav": "agreements",
            "to_sign": agreements_to_sign(supplier=request.portal.supplier, on=today),
            "agreements": signed,
            "today": today,
        },
    )


def _reading_language(request) -> str:
    """The language the text is shown in: the one asked for (``?lang=``), else the page's."""
    asked = request.GET.get("lang", "")
    return asked if asked in LANGUAGES else request.LANGUAGE_CODE


@supplier_required
def agreement_sign(request, kind):
    supplier = request.portal.supplier
    item = next((item for item in agreements_to_sign(supplier=supplier) if item.kind == kind), None)
    if item is None:
        raise Http404
    form = AgreementSignForm(request.POST or None, initial={"text": item.text.pk})
    if request.method == "POST" and form.is_valid():
        # The text the signatory read; a version other than the current one is refused by the service.
        text = AgreementText.objects.filter(pk=form.cleaned_data["text"]).first() or AgreementText(kind="")
        try:
            sign(
                supplier=supplier,
                kind=kind,
                text=text,
                typed_name=form.cleaned_data["typed_name"],
                title=form.cleaned_data["title"],
                by=request.user,
                ip=client_ip(request),
            )
        except ApplicationError as refused:
            shown = refused.field if refused.field in ("typed_name", "title") else None  # "text" is hidden
            form.add_error(shown, refused.message)
        else:
            messages.success(
                request,
                _("%(agreement)s version %(version)s is signed. Thank you.")
                % {"agreement": item.label, "version": item.text.version},
            )
            return redirect("portal:agreements")
    language = _reading_language(request)
    other = next(code for code in LANGUAGES if code != language)
    return render(
        request,
        "portal/agreements/sign.html",
        {
            "nav": "agreements",
            "item": item,
            "text": item.text,
            "title": item.text.title(language),
            "body": item.text.body(language),
            "reading": language,
            "other_language": other,
            "other_language_name": LANGUAGES[other],
            "form": form,
        },
    )


urlpatterns = [
    path("agreements/", agreements, name="agreements"),
    path("agreements/<slug:kind>/sign/", agreement_sign, name="agreement_sign"),
]
