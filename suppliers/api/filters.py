"""Query-string filters of the supplier list."""

from __future__ import annotations

import django_filters
from django_countries.django_filters import CountryFilter

from common.filters import IdFilter
from suppliers.models import RiskLevel, Supplier


class SupplierFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(
        choices=Supplier.Status.choices, help_text="Repeat to match any of several statuses."
    )
    risk_level = django_filters.MultipleChoiceFilter(
        choices=RiskLevel.choices, help_text="Repeat to match any of several levels."
    )
    category = django_filters.ChoiceFilter(choices=Supplier.Category.choices)
    tier = django_filters.TypedChoiceFilter(choices=Supplier.Tier.choices, coerce=int)
    country = CountryFilter(help_text="ISO 3166-1 alpha-2 code, e.g. CN.")
    business_unit = django_filters.CharFilter(
        field_name="business_units__code", help_text="Business unit code."
    )
    buyer = IdFilter(field_name="buyer_id", help_text="Id of the responsible buyer.")
    mine = django_filters.BooleanFilter(
        method="filter_mine", help_text="true: only suppliers whose responsible buyer is the caller."
    )
    parent = django_filters.CharFilter(
        field_name="parent__code", help_text="Code of the tier-1 parent: its key indirect suppliers."
    )

    class Meta:
        model = Supplier
        fields = [
            "status",
            "risk_level",
            "category",
            "tier",
            "country",
            "business_unit",
            "buyer",
            "mine",
            "parent",
        ]

    def filter_mine(self, queryset, name, value):
        if value:
            return queryset.bought_by(self.request.user)
        return queryset


class SupplierContactFilter(SupplierFilter):
    """The filters a supplier contact may use: none on the register's internal fields (risk level, buyer),
    whose answer, empty or not, would tell them the value."""

    INTERNAL = ("risk_level", "buyer", "mine")

    @classmethod
    def get_filters(cls):
        filters = super().get_filters()
        for name in cls.INTERNAL:
            filters.pop(name, None)
        return filters
