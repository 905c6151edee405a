"""List filters of the supplier list: risk level (or not assessed), country and buyer."""

from __future__ import annotations

from django.contrib import admin
from django_countries import countries

from ..models import RiskLevel, Supplier


class RiskLevelFilter(admin.SimpleListFilter):
    title = "risk level"
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return [*RiskLevel.choices, ("none", "Not assessed")]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(risk_level="")
        if self.value() in RiskLevel.values:
            return queryset.filter(risk_level=self.value())
        return queryset


class CountryFilter(admin.SimpleListFilter):
    """Only the countries the register has suppliers in (one indexed DISTINCT query), not all 249."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        codes = Supplier.objects.order_by().values_list("country", flat=True).distinct()
        return sorted(((str(code), countries.name(code)) for code in codes), key=lambda choice: choice[1])

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


class BuyerFilter(admin.SimpleListFilter):
    title = "buyer"
    parameter_name = "buyer"

    def lookups(self, request, model_admin):
        return [("mine", "My suppliers"), ("none", "No buyer")]

    def queryset(self, request, queryset):
        if self.value() == "mine":
            return queryset.bought_by(request.user)
        if self.value() == "none":
            return queryset.filter(buyer=None)
        return queryset
