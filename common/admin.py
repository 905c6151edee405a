"""Spreadsheet exports for admin lists, filtered as on screen.

Add ``ExportMixin`` before the admin base class and name the columns (each app keeps its lists' columns in
its own ``exports.py``)::

    @admin.register(Supplier)
    class SupplierAdmin(ExportMixin, SimpleHistoryAdmin):
        export_columns = [Column("Code", "code"), Column("Status", "get_status_display"), ...]

The list then shows "Export XLSX" and "Export CSV" buttons that download every row the list's current
filters, search and ordering select (the view builds the admin's own ``ChangeList`` from the same query
string), and two actions that export the selected rows. Both need the right to view the list.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.contrib import admin
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.text import slugify

from . import exports
from .exports import Column

FORMAT_LABELS = {"xlsx": "Export XLSX", "csv": "Export CSV"}


class ExportMixin:
    export_columns: Sequence[Column] = ()
    export_filename: str = ""  # default: the model's plural name
    export_select_related: Sequence[str] = ()
    export_prefetch_related: Sequence[str] = ()
    export_change_list_template = "common/admin/change_list_export.html"

    # --- what is exported ------------------------------------------------------------------------------

    def get_export_columns(self, request: HttpRequest) -> Sequence[Column]:
        return self.export_columns

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self.has_view_or_change_permission(request)

    def get_export_queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.export_select_related:
            queryset = queryset.select_related(*self.export_select_related)
        if self.export_prefetch_related:
            queryset = queryset.prefetch_related(*self.export_prefetch_related)
        return queryset

    def export(self, request: HttpRequest, queryset: QuerySet, fmt: str) -> HttpResponse:
        name = self.export_filename or slugify(str(self.opts.verbose_name_plural))
        return exports.export_response(
            columns=self.get_export_columns(request),
            rows=self.get_export_queryset(request, queryset),
            filename=f"{name}-{timezone.localdate():%Y-%m-%d}",
            fmt=fmt,
            title=str(self.opts.verbose_name_plural).capitalize(),
        )

    # --- the list's buttons ----------------------------------------------------------------------------

    def _export_url_name(self) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_export"

    def get_urls(self):
        return [
            path(
                "export/<str:fmt>/",
                self.admin_site.admin_view(self.export_view),
                name=self._export_url_name(),
            ),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        """Every row of the list as filtered, searched and ordered by the query string."""
        if fmt not in exports.FORMATS:
            raise Http404(f"Unknown export format “{fmt}”: use one of {', '.join(exports.FORMATS)}.")
        if not self.has_export_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters:
            changelist_url = reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
            return HttpResponseRedirect(f"{changelist_url}?{ERROR_FLAG}=1")
        return self.export(request, changelist.queryset, fmt)

    def changelist_view(self, request: HttpRequest, extra_context=None):
        response = super().changelist_view(request, extra_context)
        if (
            isinstance(response, TemplateResponse)
            and not response.is_rendered
            and self.has_export_permission(request)
        ):
            # Keep the list's own template (and its buttons) and add the export buttons to it.
            names = response.template_name
            parent = select_template([names] if isinstance(names, str) else names)
            query = request.GET.copy()
            query.pop(PAGE_VAR, None)
            suffix = f"?{query.urlencode()}" if query else ""
            response.context_data["export_parent_template"] = parent.template
            response.context_data["export_links"] = [
                {
                    "format": fmt,
                    "label": FORMAT_LABELS[fmt],
                    "url": reverse(f"admin:{self._export_url_name()}", args=[fmt]) + suffix,
                }
                for fmt in exports.FORMATS
            ]
            response.template_name = self.export_change_list_template
        return response

    # --- actions over the selected rows ----------------------------------------------------------------

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        popup = IS_POPUP_VAR in request.GET
        if self.actions is not None and not popup and self.has_export_permission(request):
            for name in ("export_selected_xlsx", "export_selected_csv"):
                actions[name] = self.get_action(name)
        return actions

    @admin.action(description="Export selected to XLSX")
    def export_selected_xlsx(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self.export(request, queryset, "xlsx")

    @admin.action(description="Export selected to CSV")
    def export_selected_csv(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return self.export(request, queryset, "csv")
