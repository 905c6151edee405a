"""Forms of the audit programme's admin: planning one audit (``AuditForm``), the annual plan (``PlanForm``)
and inviting an agency's auditor to the portal (``InviteAuditorForm``)."""

from __future__ import annotations

import calendar

from django import forms
from django.conf import settings
from django.db.models import Q

from ..models import Audit, AuditAgency, Auditor


class AuditForm(forms.ModelForm):
    """What the ESG manager plans: the supplier, site, agency and dates. Everything after that goes through
    the services (the agency's work through the API; acceptance, return and cancellation here)."""

    class Meta:
        model = Audit
        fields = [
            "supplier",
            "site",
            "agency",
            "lead_auditor",
            "type",
            "protocol",
            "planned_start",
            "planned_end",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        current = self.instance.agency_id if self.instance.pk else None
        if "agency" in self.fields:
            self.fields["agency"].queryset = AuditAgency.objects.filter(Q(active=True) | Q(pk=current))
        if "lead_auditor" in self.fields:
            self.fields["lead_auditor"].queryset = Auditor.objects.select_related("user", "agency")

    def clean(self):
        cleaned = super().clean()
        lead, agency = cleaned.get("lead_auditor"), cleaned.get("agency")
        if lead is not None and agency is not None and lead.agency_id != agency.pk:
            self.add_error("lead_auditor", f"{lead} does not work for {agency}.")
        return cleaned


class PlanForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100)
    start_month = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        choices=[("", "As early as possible")]
        + [(month, calendar.month_name[month]) for month in range(1, 13)],
        required=False,
        help_text="Planned audits are spread from this month to December, highest priority first.",
    )

    def __init__(self, *args, today, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["year"].initial = today.year + 1 if today.month >= 10 else today.year

    def clean(self):
        """Plans are for months still to come: from next month in the current year."""
        cleaned = super().clean()
        year, today = cleaned.get("year"), self.today
        if year is None:
            return cleaned
        if year < today.year:
            self.add_error("year", f"{year} is over: plan {today.year + (today.month == 12)} or later.")
            return cleaned
        if year == today.year and today.month == 12:
            self.add_error("year", f"No month of {year} is left to plan: plan {year + 1}.")
            return cleaned
        earliest = today.month + 1 if year == today.year else 1
        month = cleaned.get("start_month") or earliest
        if month < earliest:
            self.add_error(
                "start_month",
                f"Start in {calendar.month_name[earliest]} or later: earlier months of {year} are over "
                "or under way.",
            )
        cleaned["start_month"] = month
        return cleaned


class InviteAuditorForm(forms.Form):
    email = forms.EmailField(label="E-mail", max_length=254)
    name = forms.CharField(label="Name", max_length=150, required=False)
    language = forms.ChoiceField(
        label="Language",
        choices=[("", "The browser's, on the first visit"), *settings.LANGUAGES],
        required=False,
        help_text="The portal and the invitation e-mail are written in it; the auditor can change it later.",
    )
    qualifications = forms.CharField(max_length=255, required=False)
