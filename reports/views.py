"""The dashboard and the report download, inside the admin (mounted under /admin/dashboard/).

Both are for procurement staff and ESG managers (``permissions.can_view_reports``); the figures come from
``selectors``, the files from ``rendering``.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from . import rendering, selectors
from .forms import DashboardFilterForm
from .permissions import can_view_reports


def dashboard(request: HttpRequest) -> TemplateResponse:
    if not can_view_reports(request.user):
        raise PermissionDenied
    today = timezone.localdate()
    form = DashboardFilterForm(request.GET or None, today=today, initial={"year": today.year})
    year, business_unit = form.filters() if form.is_bound else (today.year, None)
    figures = selectors.dashboard_figures(year=year, business_unit=business_unit, today=today)
    download = reverse("reports:esg-report-download")
    return TemplateResponse(
        request,
        "reports/dashboard.html",
        {
            **admin.site.each_context(request),
            "title": "ESG dashboard",
            "form": form,
            "year": year,
            "business_unit": business_unit,
            "figures": figures,
            "downloads": [
                (fmt.upper(), f"{download}?{urlencode({'year': year, 'format': fmt})}")
                for fmt in rendering.REPORT_FORMATS
            ],
        },
    )


def report_download(request: HttpRequest) -> HttpResponse:
    """The annual ESG report of ``?year=`` as ``?format=`` json, xlsx (default) or csv."""
    if not can_view_reports(request.user):
        raise PermissionDenied
    fmt = request.GET.get("format", "xlsx")
    if fmt not in rendering.REPORT_FORMATS:
        return HttpResponseBadRequest(
            f"format: “{fmt}” is not a report format; use one of {', '.join(rendering.REPORT_FORMATS)}.",
            content_type="text/plain; charset=utf-8",
        )
    try:
        year = selectors.report_year(value=request.GET.get("year"))
    except selectors.InvalidYear as invalid:
        return HttpResponseBadRequest(f"year: {invalid.message}", content_type="text/plain; charset=utf-8")
    content = rendering.report_file(report=selectors.esg_report(year=year), fmt=fmt)
    response = HttpResponse(content, content_type=rendering.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (
        f'attachment; filename="{rendering.report_filename(year=year, fmt=fmt)}"'
    )
    return response
