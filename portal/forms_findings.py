"""Forms of the supplier's work on a finding: the corrective action plan, monthly progress with evidence, an
extension request, rectification evidence and the plan reported carried out. The forms take the input; the
services in ``audits.services`` decide (their refusals are put on the field they name)."""

from __future__ import annotations

import datetime as dt

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from common.files import DOCUMENTS, PrivateUploadField

EVIDENCE_ACCEPT = ",".join(f".{kind}" for kind in sorted(DOCUMENTS.kinds)) + ",.jpeg"


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        super().__init__(format="%Y-%m-%d", **kwargs)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class EvidenceFilesField(PrivateUploadField):
    """One or more evidence files, each checked by content like every upload (``PrivateUploadField``); every
    refused file is listed, by name."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("accept", DOCUMENTS)
        super().__init__(**kwargs)
        self.widget.attrs.setdefault("accept", EVIDENCE_ACCEPT)

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, (list, tuple)) else [data]) if upload]
        if not uploads:
            if self.required:
                raise ValidationError(self.error_messages["required"], code="required")
            return []
        cleaned, errors = [], []
        for upload in uploads:
            try:
                cleaned.append(super().clean(upload, initial))
            except ValidationError as refused:
                errors.extend(refused.error_list)
        if errors:
            raise ValidationError(errors)
        return cleaned


class CapForm(forms.Form):
    root_cause = forms.CharField(
        label=_("Root cause"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why did the problem happen? Look beyond the single case."),
    )
    corrective_action = forms.CharField(
        label=_("Corrective action"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you will do to correct the problem found."),
    )
    preventive_action = forms.CharField(
        label=_("Preventive action"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("What you will change so that it does not happen again."),
    )
    owner = forms.CharField(
        label=_("Owner"),
        max_length=150,
        help_text=_("Name and title of the person responsible at your company."),
    )
    planned_completion = forms.DateField(
        label=_("Planned completion date"),
        widget=DateInput(),
        help_text=_("No later than the rectification due date."),
    )


def months_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """The first days of the months from ``last`` back to ``first``, most recent first."""
    months, month = [], last.replace(day=1)
    while month >= first.replace(day=1):
        months.append(month)
        month = (month - dt.timedelta(days=1)).replace(day=1)
    return months


class ProgressForm(forms.Form):
    month = forms.TypedChoiceField(label=_("Month reported on"), coerce=dt.date.fromisoformat)
    percent_complete = forms.IntegerField(
        label=_("Percent complete"),
        min_value=0,
        max_value=100,
        help_text=_("How much of the plan is done, 0–100."),
    )
    note = forms.CharField(
        label=_("Progress made"),
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was done this month, and what is left."),
    )
    evidence = EvidenceFilesField(
        label=_("Evidence files"),
        required=False,
        help_text=_(
            "Photos, records or documents (PDF, JPG, PNG, XLSX, DOCX). You can choose several files."
        ),
    )

    def __init__(self, *args, months: list[dt.date], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["month"].choices = [(m.isoformat(), f"{m:%Y-%m}") for m in months]


class ExtensionForm(forms.Form):
    requested_due = forms.DateField(
        label=_("New rectification due date"),
        widget=DateInput(),
        help_text=_("The date by which the rectification will be complete."),
    )
    reason = forms.CharField(
        label=_("Reason"),
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Why more time is needed, and what you are doing meanwhile."),
    )


class RectificationEvidenceForm(forms.Form):
    evidence = EvidenceFilesField(
        label=_("Evidence files"),
        help_text=_(
            "Photos, records or documents (PDF, JPG, PNG, XLSX, DOCX). You can choose several files."
        ),
    )
    description = forms.CharField(
        label=_("Description"), max_length=255, required=False, help_text=_("What the files show.")
    )


class ImplementedForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        widget=forms.Textarea(attrs={"rows": 3}),
        required=False,
        help_text=_("How the plan was carried out."),
    )
