from __future__ import annotations

import datetime as dt

from django import forms

from suppliers.models import BusinessUnit

from . import selectors


class DashboardFilterForm(forms.Form):
    """The dashboard's filters (GET): a year, and optionally one business unit."""

    year = forms.TypedChoiceField(coerce=int, required=False)
    business_unit = forms.ModelChoiceField(
        queryset=BusinessUnit.objects.order_by("name"),
        required=False,
        empty_label="All business units",
        label="Business unit",
    )

    def __init__(self, *args, today: dt.date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today
        self.fields["year"].choices = [
            (year, str(year)) for year in range(today.year, selectors.MIN_YEAR - 1, -1)
        ]

    def clean_year(self) -> int:
        return self.cleaned_data.get("year") or self.today.year

    def filters(self) -> tuple[int, BusinessUnit | None]:
        """The chosen year and business unit; this year and all units for whatever is missing or invalid."""
        if self.is_valid():
            return self.cleaned_data["year"], self.cleaned_data["business_unit"]
        year = self.cleaned_data.get("year") or self.today.year
        return year, self.cleaned_data.get("business_unit")
