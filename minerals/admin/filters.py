"""List filters of the minerals admin: reported smelters matched to the registry or not."""

from __future__ import annotations

from django.contrib import admin


class UnmatchedFilter(admin.SimpleListFilter):
    title = "matched"
    parameter_name = "matched"

    def lookups(self, request, model_admin):
        return [("no", "Unmatched"), ("yes", "Matched")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(smelter__isnull=True)
        if self.value() == "yes":
            return queryset.filter(smelter__isnull=False)
        return queryset
