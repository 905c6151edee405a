"""Forms of the register's admin pages. They collect input; the services in ``services``, ``lifecycle`` and
``risk`` decide whether it is allowed."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q

from common.admin import ImportForm

from . import lifecycle, services
from .models import (
    ELIGIBLE_BUYER,
    RiskLevel,
    RiskModel,
    Supplier,
    buyer_not_eligible_message,
    eligible_buyers,
)


class SupplierAdminForm(forms.ModelForm):
    """The supplier's own fields (``services.EDITABLE_FIELDS``), checked by the master data's rules
    (``services.supplier_problems``) and saved by ``services.supplier_create`` / ``supplier_update`` (the
    admin's ``save_model``); status and risk change only through the lifecycle and risk services."""

    class Meta:
        model = Supplier
        fields = services.EDITABLE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "parent" in self.fields:
            # The search offers tier-1 suppliers only; any other is refused by the rule, which says why.
            self.fields["parent"].queryset = Supplier.objects.all()
        if "buyer" in self.fields:
            # Buyers are procurement staff (``models.ELIGIBLE_BUYER``): a short list, and one procurement
            # staff can pick from without the right to browse user accounts. A current buyer who is no longer
            # eligible stays listed, so that the form shows who it is and says so instead of clearing it.
            current = self.instance.buyer_id if self.instance.pk else None
            self.fields["buyer"].queryset = (
                get_user_model()
                .objects.filter(ELIGIBLE_BUYER | Q(pk=current))
                .distinct()
                .order_by("username")
            )
            self.fields["buyer"].error_messages["invalid_choice"] = (
                "That user is not an active staff user in the Procurement role."
            )

    def clean_buyer(self):
        buyer = self.cleaned_data.get("buyer")
        if buyer is not None and not eligible_buyers().filter(pk=buyer.pk).exists():
            raise forms.ValidationError(buyer_not_eligible_message(buyer))
        return buyer

    def clean(self):
        cleaned = super().clean()
        values = {name: cleaned[name] for name in self._meta.fields if name in cleaned}
        problems = services.supplier_problems(
            supplier=self.instance if self.instance.pk else None, values=values
        )
        for field, message in problems.items():
            if field not in self.errors:  # a field refused already is not also refused by the rule
                self.add_error(field, message)
        return cleaned


class TransitionForm(forms.Form):
    to = forms.ChoiceField(label="New status")
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Needed when the new status is "
        + ", ".join(f"“{Supplier.Status(s).label}”" for s in sorted(lifecycle.REASON_REQUIRED))
        + ". Kept with the status change.",
    )

    def __init__(self, *args, allowed: list[str], offered: list[str], **kwargs):
        """``allowed``: the steps the lifecycle allows from the current status (what the form accepts);
        ``offered``: those the user may take (what the select shows). The service has the last word."""
        super().__init__(*args, **kwargs)
        field = self.fields["to"]
        field.choices = [(s, Supplier.Status(s).label) for s in allowed]
        field.widget.choices = [("", "---------")] + [(s, Supplier.Status(s).label) for s in offered]


class RiskOverrideForm(forms.Form):
    level = forms.ChoiceField(choices=RiskLevel.choices, label="Risk level")
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="Why the computed level does not fit this supplier. Kept in the supplier's history.",
    )


class SupplierImportForm(ImportForm):
    file = forms.FileField(
        label="Supplier list",
        help_text="A CSV file or an Excel workbook (.xlsx), laid out as the template. The whole file is "
        "imported, or nothing.",
    )


class RiskModelForm(forms.ModelForm):
    """Editing a version saves a new one (see ``RiskModelAdmin.save_model``). The weights and thresholds
    are checked by the model's constraints, which ``ModelForm`` validation runs."""

    class Meta:
        model = RiskModel
        fields = [
            "note",
            *(f"weight_{factor}" for factor in RiskModel.FACTORS),
            "medium_threshold",
            "high_threshold",
            "default_country_score",
            "default_commodity_score",
            "audit_score_high_performer",
            "audit_score_medium_performer",
            "audit_score_low_performer",
            "audit_score_no_audit",
            "findings_points_priority",
            "findings_points_major",
            "findings_points_minor",
            "external_score_missing",
            "materiality_base",
            "materiality_tier1",
            "materiality_production",
            "materiality_strategic",
            "materiality_high_spend",
            "high_spend_threshold_usd",
            "usd_rates",
        ]
        widgets = {"note": forms.TextInput(attrs={"size": 80})}

    def clean(self):
        cleaned = super().clean()
        weights = [cleaned.get(f"weight_{factor}") for factor in RiskModel.FACTORS]
        if None not in weights and sum(weights) != 100:
            # The constraint's message follows; this line tells by how much the weights are off.
            self.add_error(None, f"The weights add up to {sum(weights)}.")
        return cleaned
