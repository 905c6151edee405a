from django.contrib import admin

from .models import YearEnd


@admin.register(YearEnd)
class YearEndAdmin(admin.ModelAdmin):
    """Finished years whose supplier figures are frozen. Deleting one (say, after correcting a backdated
    agreement or lifecycle step) makes the report and the dashboard work that year out again on next use."""

    list_display = ("year", "production_suppliers", "frozen_at")
    readonly_fields = ("year", "production_suppliers", "frozen_at")

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
