"""The register's reference tables in the admin: business units, commodities and country risk (their scores
feed the risk model), and the onboarding policy (the admission gate's settings, one row)."""

from __future__ import annotations

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from common.admin import SingleRowMixin

from ..models import BusinessUnit, Commodity, CountryRisk, OnboardingPolicy


@admin.register(BusinessUnit)
class BusinessUnitAdmin(admin.ModelAdmin):
    list_display = ["code", "name"]
    search_fields = ["code", "name"]


@admin.register(Commodity)
class CommodityAdmin(SimpleHistoryAdmin):
    list_display = ["name", "code", "risk_score"]
    list_editable = ["risk_score"]
    search_fields = ["code", "name"]


@admin.register(CountryRisk)
class CountryRiskAdmin(SimpleHistoryAdmin):
    list_display = ["country", "score", "rationale"]
    list_editable = ["score"]
    search_fields = ["=country", "rationale"]


@admin.register(OnboardingPolicy)
class OnboardingPolicyAdmin(SingleRowMixin, SimpleHistoryAdmin):
    """One row, the onboarding gate's settings (seeded by a migration): the list opens it directly."""
