"""Forms of the supplier contact's minerals and agreements pages: a declaration file for a reporting year,
an answer to a due-diligence action, and an online signature. They take input only: the services check it
(file checks, the parser, the signing rules) and their refusals are shown on the form."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _


def _max_size_help() -> str:
    return str(filesizeformat(settings.UPLOAD_MAX_BYTES))


class DeclarationUploadForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Reporting year"), coerce=int)
    file = forms.FileField(
        label=_("CMRT or EMRT file (.xlsx)"),
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def __init__(self, *args, years: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, str(year)) for year in years]
        self.fields["file"].help_text = gettext(
            "The RMI template as you filled it in, saved as .xlsx (not .xlsm, not password-protected), at "
            "most %(size)s. It is checked first; you submit it on the next page."
        ) % {"size": _max_size_help()}


class DueDiligenceResponseForm(forms.Form):
    note = forms.CharField(
        label=_("What did you do?"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_(
            "For example: the third-party audit of the smelter and its result, the smelter replaced by which "
            "one and from when, or the outcome of its RMAP assessment."
        ),
        max_length=5000,
    )
    evidence = forms.FileField(label=_("Evidence (optional)"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["evidence"].help_text = gettext("PDF, image, Word or Excel file, at most %(size)s.") % {
            "size": _max_size_help()
        }


class AgreementSignForm(forms.Form):
    text = forms.IntegerField(widget=forms.HiddenInput)
    typed_name = forms.CharField(
        label=_("Your full name"),
        max_length=150,
        help_text=_("Typing your name here signs the text above on behalf of your company."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    title = forms.CharField(
        label=_("Your title"),
        max_length=150,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "organization-title"}),
    )
    agree = forms.BooleanField(
        label=_("I have read and agree to this text, and I may sign it for my company."),
        label_suffix="",
        error_messages={"required": _("Tick the box to confirm that you have read and agree to the text.")},
    )
