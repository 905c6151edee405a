"""Admin plumbing every app's admin shares: read-only admins, badges and lists in read-only fields, pages
that ask for a reason, and spreadsheet exports of a list.

**Read-only.** ``ReadOnlyAdmin`` and ``ReadOnlyInline`` for records written only by the services (history,
logs, what agencies and suppliers send through the API): they can be viewed, never added, changed or deleted.
``SingleRowMixin`` for a settings model of one row (a policy): its list opens the row.

**Display.** ``badge`` draws a coloured label in one of the colours named here (``GREEN``, ``AMBER``,
``RED``, ``BLUE``, ``GREY``); each app maps its own statuses to them. ``bullet_list`` shows lines (unmet
conditions, a risk explanation) as a compact list.

**A reason, then the service.** ``ask_reason`` is the second step of a list action that needs words from the
user (reject the selected plans, suspend the selected suppliers); ``reason_view`` is a page of one object that
asks for a reason and calls a service with it (return a report, clear a review). Both show
``common/admin/confirm_reason.html``; each caller gives its own title, help text and service.

**Exports.** Add ``ExportMixin`` before the admin base class and name the columns (each app keeps its lists'
columns in its own ``exports.py``)::

    @admin.register(Supplier)
    class SupplierAdmin(ExportMixin, SimpleHistoryAdmin):
        export_columns = [Column("Code", "code"), Column("Status", "get_status_display"), ...]

The list then shows "Export XLSX" and "Export CSV" buttons that download every row the list's current
filters, search and ordering select (the view builds the admin's own ``ChangeList`` from the same query
string), and two actions that export the selected rows. Both need the right to view the list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import IS_POPUP_VAR, IncorrectLookupParameters
from django.contrib.admin.utils import quote
from django.contrib.admin.views.main import ERROR_FLAG, PAGE_VAR
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.loader import select_template
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join, urlize
from django.utils.safestring import mark_safe
from django.utils.text import slugify

from . import exports, importing
from .exports import Column
from .files import UploadRejected
from .importing import ImportFileError

# --- Read-only admins ----------------------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only the services write: viewed here, never added, changed or deleted."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class SingleRowMixin:
    """A settings model of one row, which ``Model.current()`` returns (creating it when missing): the list
    opens the row, which is changed here but never added or deleted."""

    def has_add_permission(self, request):
        # ``current()`` recreates the row if missing; answering without a query also keeps it out of every
        # admin page's navigation queries.
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """The list has one row: open it."""
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        name = f"{self.admin_site.name}:{self.opts.app_label}_{self.opts.model_name}_change"
        return HttpResponseRedirect(reverse(name, args=[self.model.current().pk]))


# --- Badges and lists ----------------------------------------------------------------------------------

# (background, text) of a badge.
GREEN = ("#2e7d32", "#fff")
AMBER = ("#f0a500", "#222")
RED = ("#c62828", "#fff")
BLUE = ("#1565c0", "#fff")
GREY = ("#757575", "#fff")

BADGE_STYLE = (
    "display:inline-block;white-space:nowrap;padding:1px 8px;border-radius:9px;font-weight:bold;"
    "background:{};color:{}"
)
LIST_STYLE = "margin:0;padding-left:1.2em"


def badge(text: str, *, colours: tuple[str, str], css: str = "") -> str:
    """A coloured label; ``css`` names it for pages and tests (``risk-badge risk-high``)."""
    return format_html('<span class="{}" style="{}">{}</span>', css, format_html(BADGE_STYLE, *colours), text)


def bullet_list(lines: Iterable[str]) -> str:
    return format_html(
        '<ul style="{}">{}</ul>', LIST_STYLE, format_html_join("", "<li>{}</li>", ((line,) for line in lines))
    )


# --- A reason, then the service ------------------------------------------------------------------------

REASON_TEMPLATE = "common/admin/confirm_reason.html"


class ReasonForm(forms.Form):
    reason = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 4, "cols": 60}))

    def __init__(self, *args, label: str = "Reason", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


def render_page(
    model_admin: admin.ModelAdmin, request: HttpRequest, template: str, context: dict
) -> TemplateResponse:
    """An extra page of ``model_admin``, with the site's header and navigation."""
    return TemplateResponse(
        request,
        template,
        {**model_admin.admin_site.each_context(request), "opts": model_admin.opts, **context},
    )


def ask_reason(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    queryset: QuerySet,
    *,
    title: str,
    submit: str,
    help_text: str,
    required_message: str | None,
    label: str = "Reason",
    intro: str = "Selected:",
    describe: Callable[[Model], str] = str,
) -> tuple[str | None, TemplateResponse | None]:
    """The second step of a list action that needs words from the user: returns ``(text, None)`` once they
    are given (empty text is accepted when ``required_message`` is None), or ``(None, page)`` asking for
    them. The page lists the selected rows (``describe`` names each) and posts the action again."""
    form = ReasonForm(request.POST if "apply" in request.POST else None, label=label)
    if form.is_bound and form.is_valid():
        text = form.cleaned_data["reason"].strip()
        if text or required_message is None:
            return text, None
        form.add_error("reason", required_message)
    return None, render_page(
        model_admin,
        request,
        REASON_TEMPLATE,
        {
            "title": title,
            "intro": intro,
            "objects": [(obj.pk, describe(obj)) for obj in queryset],
            "form": form,
            "submit": submit,
            "help_text": help_text,
            "action": request.POST.get("action"),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        },
    )


def reason_view(
    model_admin: admin.ModelAdmin,
    request: HttpRequest,
    obj: Model,
    *,
    service: Callable[[str], str],
    title: str,
    submit: str,
    help_text: str = "",
    label: str = "Reason",
    here: str = "",
    intro: str = "",
    invalid: tuple[type[Exception], ...] = (),
    conflict: tuple[type[Exception], ...] = (),
    template: str = REASON_TEMPLATE,
    extra_context: dict | None = None,
) -> HttpResponse:
    """A page of one object that asks for a reason, then calls ``service(reason)``, which does the work and
    returns what to tell the user; the page then goes back to the object. A refusal of a kind in ``invalid``
    (the reason is missing or wrong) is shown on the form to correct; one in ``conflict`` (the object is no
    longer in a state that allows it) is reported on the object's page. The caller checks permissions."""
    change_url = reverse(
        f"{model_admin.admin_site.name}:{obj._meta.app_label}_{obj._meta.model_name}_change",
        args=[quote(obj.pk)],
    )
    form = ReasonForm(request.POST if request.method == "POST" else None, label=label)
    if form.is_bound and form.is_valid():
        try:
            done = service(form.cleaned_data["reason"])
        except invalid as refused:
            form.add_error("reason", _message(refused))
        except conflict as refused:
            model_admin.message_user(request, _message(refused), messages.ERROR)
            return HttpResponseRedirect(change_url)
        else:
            model_admin.message_user(request, done, messages.SUCCESS)
            return HttpResponseRedirect(change_url)
    return render_page(
        model_admin,
        request,
        template,
        {
            "title": title,
            "here": here or title,
            "original": obj,
            "intro": intro,
            "form": form,
            "submit": submit,
            "help_text": help_text,
            "cancel_url": change_url,
            **(extra_context or {}),
        },
    )


def _message(refused: Exception) -> str:
    return getattr(refused, "message", None) or str(refused)


# --- Exports ---------------------------------------------------------------------------------------------

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


# --- Imports ------------------------------------------------------------------------------------------------


class ImportForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="A CSV file or an Excel workbook (.xlsx), laid out as the template. The whole file is "
        "imported, or nothing.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > settings.UPLOAD_MAX_BYTES:
            raise forms.ValidationError(
                f"{upload.name} is {filesizeformat(upload.size)}; the largest accepted upload is "
                f"{filesizeformat(settings.UPLOAD_MAX_BYTES)}."
            )
        return upload


class ImportMixin:
    """An "Import from a file" button on the list, a page that uploads a file to ``import_function``
    (``common.importing``: all or nothing, every error shown by row and column) and a link to download the
    template (``import_template``). Needs ``import_permission``. ``import_form``: the upload form (a subclass
    of ``ImportForm`` may label the file in the importer's words).

    A file of more than ``settings.IMPORT_ASYNC_ROWS`` rows (default 5,000) of an importer registered by name
    (``common.importing.register_importer``) is queued as an ``ImportJob`` instead; the user is taken to the
    job's page, which reloads itself every two seconds with the progress, then shows the result and errors.
    A successful import's notes (e.g. the frozen years it changed: ``common.importing.after_import``) are
    shown as warnings, their links clickable."""

    import_title = "Import"
    import_permission = ""
    change_list_template = "common/admin/change_list_import.html"
    import_function: Callable | None = None
    import_template: Callable[[], bytes] | None = None
    import_template_filename = "template.xlsx"
    import_form: type[ImportForm] = ImportForm  # a subclass may name the file field in the importer's words

    def has_import_permission(self, request: HttpRequest) -> bool:
        return bool(self.import_permission) and request.user.has_perm(self.import_permission)

    def _import_url_name(self, what: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{what}"

    def get_urls(self):
        return [
            path(
                "import/", self.admin_site.admin_view(self.import_view), name=self._import_url_name("import")
            ),
            path(
                "import/template/",
                self.admin_site.admin_view(self.import_template_view),
                name=self._import_url_name("import_template"),
            ),
            path(
                "import/jobs/<int:job_id>/",
                self.admin_site.admin_view(self.import_job_view),
                name=self._import_url_name("import_job"),
            ),
            *super().get_urls(),
        ]

    def import_template_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        response = HttpResponse(
            type(self).import_template(),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
        response["Content-Disposition"] = f'attachment; filename="{self.import_template_filename}"'
        return response

    def _importer_name(self) -> str | None:
        return importing.importer_name(type(self).import_function)

    def _queue_if_large(self, request: HttpRequest, upload) -> HttpResponse | None:
        """Queue a large file as a background job and go to its page; None for a file imported now."""
        name = self._importer_name()
        if name is None:
            return None
        rows = importing.count_rows(upload, filename=upload.name)
        if rows is None or rows <= settings.IMPORT_ASYNC_ROWS:
            return None
        job = importing.import_job_queue(
            importer_name=name, fileobj=upload, filename=upload.name, by=request.user, rows_total=rows
        )
        return HttpResponseRedirect(reverse(f"admin:{self._import_url_name('import_job')}", args=[job.pk]))

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_import_permission(request):
            raise PermissionDenied
        form = self.import_form(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                queued = self._queue_if_large(request, upload)
                if queued is not None:
                    return queued
                result = type(self).import_function(fileobj=upload, filename=upload.name, by=request.user)
            except ImportFileError as error:
                form.add_error("file", str(error))
            except UploadRejected as refused:
                form.add_error("file", refused.message)
            else:
                if result.ok:
                    importing.after_import(result)
                    self.message_user(request, f"{result.filename}: {result.summary}.", messages.SUCCESS)
                    for note in result.notes:
                        self.message_user(request, linked_note(note), messages.WARNING)
                    return HttpResponseRedirect(reverse(f"admin:{self._import_url_name('changelist')}"))
        return render_page(
            self,
            request,
            "common/admin/import.html",
            {
                "title": self.import_title,
                "form": form,
                "result": result,
                "template_url": reverse(f"admin:{self._import_url_name('import_template')}"),
            },
        )

    def import_job_view(self, request: HttpRequest, job_id: int) -> HttpResponse:
        """A background import: its progress while it runs (the page reloads itself), then its result. A job
        left running by a worker that died is queued again here (``import_jobs_restart_stale``), so the user
        who watches it is never left with a page that says "Running" for ever."""
        from .models import ImportJob, import_jobs_restart_stale

        if not self.has_import_permission(request):
            raise PermissionDenied
        job = ImportJob.objects.filter(pk=job_id, importer=self._importer_name()).first()
        if job is None:
            raise Http404("No such import.")
        if job.status == ImportJob.Status.RUNNING and import_jobs_restart_stale(job_ids=[job.pk]):
            job.refresh_from_db()
            self.message_user(
                request,
                "The worker importing this file was lost; the file has been queued again.",
                messages.WARNING,
            )
        return render_page(
            self,
            request,
            "common/admin/import_job.html",
            {
                "title": f"{self.import_title}: {job.filename}",
                "job": job,
                "notes": [linked_note(note) for note in job.notes],
                "import_url": reverse(f"admin:{self._import_url_name('import')}"),
                "changelist_url": reverse(f"admin:{self._import_url_name('changelist')}"),
            },
        )

    def changelist_view(self, request: HttpRequest, extra_context=None):
        extra_context = extra_context or {}
        if self.has_import_permission(request):
            extra_context["import_url"] = reverse(f"admin:{self._import_url_name('import')}")
            extra_context["import_label"] = self.import_title
        return super().changelist_view(request, extra_context)


def linked_note(note: str) -> str:
    """A note of an import with its web addresses as links (the rest escaped)."""
    return mark_safe(urlize(note, autoescape=True))  # urlize escapes all but the links
