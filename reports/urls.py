"""The dashboard pages, mounted at /admin/dashboard/ by ``config.urls`` (before the admin's own URLs)."""

from django.contrib import admin
from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", admin.site.admin_view(views.dashboard), name="dashboard"),
    path("esg-report/", admin.site.admin_view(views.report_download), name="esg-report-download"),
]
