from django.contrib import admin, messages
from django.db import transaction

from . import selectors
from .models import YearEnd


@admin.register(YearEnd)
class YearEndAdmin(admin.ModelAdmin):
    """Finished years whose supplier figures are frozen. After records of a frozen year changed (a backdated
    agreement or lifecycle step, an import that names the year), an ESG manager refreshes it: "Refresh" works
    its figures out again at once; deleting it has them worked out again on next use."""

    list_display = ("year", "production_suppliers", "frozen_at")
    readonly_fields = ("year", "production_suppliers", "frozen_at")
    actions = ["refresh"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(
        description="Refresh the selected years (work their figures out again)", permissions=["delete"]
    )
    def refresh(self, request, queryset):
        years = sorted(queryset.values_list("year", flat=True))
        for year in years:
            with transaction.atomic():
                YearEnd.objects.filter(year=year).delete()
                frozen = selectors.year_end(selectors.report_period(year=year))
            self.message_user(
                request,
                f"{year} refreshed: {frozen.production_suppliers} production suppliers.",
                messages.SUCCESS,
            )
