"""Forms of the minerals admin: a registry smelter (with the duplicate it merges into), uploading one
declaration, linking a reported smelter, closing a due-diligence action and a bulk import of many files.
The upload forms call their service in ``clean``, so that a refused file shows on the form's field."""

from __future__ import annotations

from django import forms

from common.files import UploadRejected

from .. import services
from ..models import (
    Declaration,
    DeclaredSmelter,
    DueDiligenceAction,
    ImportBatch,
    Smelter,
    is_smelter_id,
    name_key,
)


class SmelterForm(forms.ModelForm):
    merge_into = forms.CharField(
        required=False,
        max_length=9,
        label="Merge into",
        help_text="Smelter ID of the registry entry to keep, when this one is its duplicate: look-up names, "
        "declared smelters, due-diligence actions and status history move to it.",
    )

    class Meta:
        model = Smelter
        fields = [
            "smelter_id",
            "name",
            "metal",
            "country",
            "country_name",
            "city",
            "state_province",
            "rmap_status",
            "status_date",
        ]

    def clean_merge_into(self):
        text = self.cleaned_data["merge_into"].strip().upper()
        if not text:
            return None
        if not is_smelter_id(text):
            raise forms.ValidationError("Give a smelter ID: CID and six digits.")
        kept = Smelter.objects.filter(smelter_id=text).first()
        if kept is None:
            raise forms.ValidationError(f"No registry smelter has the ID {text}.")
        if self.instance.pk and kept.pk == self.instance.pk:
            raise forms.ValidationError("A smelter cannot be merged into itself.")
        return kept

    def save(self, commit=True):
        self.instance.name_key = name_key(self.instance.name)
        return super().save(commit=commit)


class StoredByServiceForm(forms.ModelForm):
    """An add form whose ``clean`` stores the object through a service (so that a refusal shows on the form);
    saving returns what the service stored."""

    request = None  # set by the admin's get_form
    stored = None

    def save(self, commit=True):
        return self.stored

    def save_m2m(self):
        return None


class DeclarationUploadForm(StoredByServiceForm):
    """The add form: a supplier, a reporting year and the file; everything else comes from the file."""

    upload = forms.FileField(label="CMRT or EMRT file (.xlsx)")

    class Meta:
        model = Declaration
        fields = ["supplier", "year"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.stored = services.declaration_import(
                supplier=cleaned["supplier"],
                year=cleaned["year"],
                upload=cleaned["upload"],
                by=self.request.user if self.request else None,
            )
        except (services.MineralsError, UploadRejected) as refused:
            field = refused.field if isinstance(refused, services.MineralsError) else "upload"
            self.add_error("upload" if field in (None, "file") else field, refused.message)
        return cleaned


class DeclaredSmelterForm(forms.ModelForm):
    class Meta:
        model = DeclaredSmelter
        fields = ["smelter"]
        help_texts = {"smelter": "The registry smelter this row reports (empty: unmatched)."}


class DueDiligenceCloseForm(forms.ModelForm):
    close = forms.BooleanField(
        required=False, label="Close this action", help_text="With a note, a file, or both."
    )
    closing_note = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3, "cols": 60}))
    closing_evidence = forms.FileField(required=False, label="Evidence")

    class Meta:
        model = DueDiligenceAction
        fields = ["kind", "deadline"]

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("close")
            and not (cleaned.get("closing_note") or "").strip()
            and not cleaned.get("closing_evidence")
        ):
            self.add_error("closing_note", "Give a note or attach the evidence that closes the action.")
        return cleaned


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ImportBatchForm(StoredByServiceForm):
    files = MultipleFileField(
        label="Files",
        help_text="Several CMRT/EMRT workbooks (.xlsx), or ZIP archives of them. Without a supplier, "
        "each file name must start with the supplier code (e.g. S000123_CMRT_2025.xlsx), or the company "
        "unique ID in the file must be the supplier code.",
    )

    class Meta:
        model = ImportBatch
        fields = ["year", "supplier"]

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        try:
            self.stored = services.import_batch_create(
                uploads=cleaned["files"],
                year=cleaned["year"],
                supplier=cleaned.get("supplier"),
                by=self.request.user if self.request else None,
            )
        except services.MineralsError as refused:
            self.add_error("files", refused.message)
        return cleaned
