from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from common.importing import register_after_import

        register_after_import(frozen_years_changed)


def frozen_years_changed(result) -> list[str]:
    """After a successful import (``common.importing.after_import``): the finished years whose frozen figures
    (``reports.models.YearEnd``) the import changed records of, each named with where an ESG manager
    refreshes it (the "Refresh" action on Reports → Frozen years)."""
    if not result.years:
        return []
    from django.conf import settings
    from django.urls import reverse

    from .models import YearEnd

    years = sorted(YearEnd.objects.filter(year__in=result.years).values_list("year", flat=True))
    if not years:
        return []
    listed = ",".join(map(str, years))
    url = f"{settings.SITE_URL}{reverse('admin:reports_yearend_changelist')}?year__in={listed}"
    if len(years) == 1:
        return [
            f"{years[0]}'s figures are frozen and this import changed records dated in {years[0]}: refresh "
            f"them under Reports → Frozen years ({url})."
        ]
    named = ", ".join(map(str, years[:-1])) + f" and {years[-1]}"
    return [
        f"The figures of {named} are frozen and this import changed records dated in those years: refresh "
        f"them under Reports → Frozen years ({url})."
    ]
