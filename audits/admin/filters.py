"""List filters of the audit programme's admin: audits by year, red line, overdue findings and finding
severity; findings by red line, today's rectification status and overdue.

Filters over findings from the audit list are ``EXISTS`` subqueries, so that an audit matches once however
many findings match; the findings' own filters read the ``rectification`` annotation of
``FindingAdmin.get_queryset``.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from ..deadlines import RectificationStatus
from ..models import Audit, Finding, RedLine, Severity

# --- Audits ----------------------------------------------------------------------------------------------


class YesNoExistsFilter(admin.SimpleListFilter):
    """Audits with / without a finding matching ``findings(on)``."""

    def lookups(self, request, model_admin):
        return [("yes", "Yes"), ("no", "No")]

    def findings(self, on) -> QuerySet[Finding]:
        raise NotImplementedError

    def queryset(self, request, queryset):
        if self.value() not in ("yes", "no"):
            return queryset
        exists = Exists(self.findings(timezone.localdate()).filter(audit=OuterRef("pk")))
        return queryset.filter(exists if self.value() == "yes" else ~exists)


class HasRedLineFilter(YesNoExistsFilter):
    title = "has red-line findings"
    parameter_name = "red_line"

    def findings(self, on):
        return Finding.objects.red_line()


class HasOverdueFilter(YesNoExistsFilter):
    title = "has overdue findings"
    parameter_name = "overdue"

    def findings(self, on):
        return Finding.objects.overdue(on=on)


class FindingSeverityFilter(admin.SimpleListFilter):
    title = "finding severity"
    parameter_name = "severity"

    def lookups(self, request, model_admin):
        return Severity.choices

    def queryset(self, request, queryset):
        if self.value() not in Severity.values:
            return queryset
        return queryset.filter(Exists(Finding.objects.filter(audit=OuterRef("pk"), severity=self.value())))


class YearFilter(admin.SimpleListFilter):
    """Years that occur in ``field`` (one indexed DISTINCT query)."""

    field = ""

    def lookups(self, request, model_admin):
        years = Audit.objects.order_by().dates(self.field, "year", order="DESC")
        return [(str(day.year), str(day.year)) for day in years]

    def queryset(self, request, queryset):
        value = self.value()
        return (
            queryset.filter(**{f"{self.field}__year": int(value)}) if value and value.isdigit() else queryset
        )


class AuditYearFilter(YearFilter):
    title = "year (audit end)"
    parameter_name = "year"
    field = "actual_end"


class PlannedYearFilter(YearFilter):
    title = "year (planned start)"
    parameter_name = "planned_year"
    field = "planned_start"


# --- Findings --------------------------------------------------------------------------------------------


class RedLineFilter(admin.SimpleListFilter):
    title = "red line"
    parameter_name = "red_line"

    def lookups(self, request, model_admin):
        return [("yes", "Any red line"), ("no", "No red line"), *RedLine.choices]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.red_line()
        if self.value() == "no":
            return queryset.filter(red_line="")
        if self.value() in RedLine.values:
            return queryset.filter(red_line=self.value())
        return queryset


class RectificationStatusFilter(admin.SimpleListFilter):
    """On the ``rectification`` annotation of ``FindingAdmin.get_queryset`` (today's status)."""

    title = "rectification status today"
    parameter_name = "rectification"

    def lookups(self, request, model_admin):
        return RectificationStatus.choices

    def queryset(self, request, queryset):
        if self.value() in RectificationStatus.values:
            return queryset.filter(rectification=self.value())
        return queryset


class OverdueFilter(admin.SimpleListFilter):
    title = "overdue"
    parameter_name = "overdue"

    def lookups(self, request, model_admin):
        return [("yes", "Overdue"), ("no", "Not overdue")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(rectification=RectificationStatus.OVERDUE)
        if self.value() == "no":
            return queryset.exclude(rectification=RectificationStatus.OVERDUE)
        return queryset
