"""The list of background imports (``ImportJob``) in the admin: read-only, with status, progress, who uploaded
which file when, and a link to the job's page under the list it imports into (``ImportMixin``). Registered
by ``CommonConfig.ready()``: the shared ``common.admin`` module holds the mixins every app's admin uses."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .admin import AMBER, BLUE, GREEN, GREY, RED, ImportMixin, ReadOnlyAdmin, badge
from .models import ImportJob

STATUS_COLOURS = {
    ImportJob.Status.QUEUED: GREY,
    ImportJob.Status.RUNNING: BLUE,
    ImportJob.Status.DONE: GREEN,
    ImportJob.Status.FAILED: RED,
}


class ImportJobAdmin(ReadOnlyAdmin):
    list_display = [
        "filename",
        "importer",
        "status_badge",
        "progress",
        "summary",
        "user",
        "created_at",
        "finished_at",
        "restarts",
    ]
    list_select_related = ["user"]
    list_filter = ["status", "importer"]
    search_fields = ["filename", "user__username"]
    date_hierarchy = "created_at"
    readonly_fields = ["errors", "notes"]
    show_full_result_count = False

    @admin.display(description="status", ordering="status")
    def status_badge(self, job: ImportJob) -> str:
        colours = (
            AMBER if job.status == ImportJob.Status.RUNNING and job.restarts else STATUS_COLOURS[job.status]
        )
        return badge(
            job.get_status_display(), colours=colours, css=f"import-job-status import-job-{job.status}"
        )

    @admin.display(description="rows read")
    def progress(self, job: ImportJob) -> str:
        total = f" of {job.rows_total:,}" if job.rows_total else ""
        return f"{job.rows_done:,}{total} ({job.percent} %)"

    def _job_pages(self, request: HttpRequest) -> dict[str, str]:
        """Importer name -> the URL name of its job page, for the importers this user may use: found among the
        site's admins with an upload (``ImportMixin``), once per request, without a query."""
        pages = {}
        for model_admin in self.admin_site._registry.values():
            if isinstance(model_admin, ImportMixin) and model_admin.has_import_permission(request):
                name = model_admin._importer_name()
                if name is not None:
                    pages[name] = f"{self.admin_site.name}:{model_admin._import_url_name('import_job')}"
        return pages

    def get_list_display(self, request: HttpRequest):
        pages = self._job_pages(request)

        def job_page(job: ImportJob) -> str:
            url_name = pages.get(job.importer)
            if url_name is None:
                return "—"
            return format_html('<a href="{}">Job page</a>', reverse(url_name, args=[job.pk]))

        link: Callable[[ImportJob], str] = admin.display(description="job page")(job_page)
        return [*self.list_display, link]
