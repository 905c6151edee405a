"""Bulk imports of declarations in the admin: a batch of many files (or ZIP archives) queued by
``services.import_batch_create``, and its progress file by file."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from common.admin import ReadOnlyInline

from ..models import ImportBatch, ImportBatchFile
from .forms import ImportBatchForm


class ImportBatchFileInline(ReadOnlyInline):
    model = ImportBatchFile
    fields = ["filename", "status", "message", "declaration"]
    readonly_fields = fields


@admin.register(ImportBatch)
class ImportBatchAdmin(admin.ModelAdmin):
    list_display = ["__str__", "year", "supplier", "created_by", "created_at", "progress", "status"]
    list_select_related = ["supplier", "created_by"]
    list_filter = ["status", "year"]
    raw_id_fields = ["supplier"]
    inlines = [ImportBatchFileInline]

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ImportBatchForm
        form = super().get_form(request, obj, change=change, **kwargs)
        form.request = request
        return form

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [(None, {"fields": ["year", "supplier", "files"]})]
        return [
            (
                None,
                {
                    "fields": [
                        "year",
                        "supplier",
                        "status",
                        "progress",
                        "created_by",
                        "created_at",
                        "finished_at",
                    ]
                },
            )
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return ["year", "supplier", "status", "progress", "created_by", "created_at", "finished_at"]

    def get_inlines(self, request, obj):
        return self.inlines if obj else []

    def has_change_permission(self, request, obj=None):
        return False if obj is not None else super().has_change_permission(request, obj)

    def save_model(self, request, obj, form, change):
        return None  # the form's service call stored the batch and queued its files

    @admin.display(description="progress")
    def progress(self, obj: ImportBatch) -> str:
        finished = obj.files_done + obj.files_failed
        percent = round(100 * finished / obj.files_total) if obj.files_total else 100
        return format_html(
            '<progress max="{}" value="{}" title="{}%"></progress> {} of {} ({} imported, {} failed)',
            obj.files_total,
            finished,
            percent,
            finished,
            obj.files_total,
            obj.files_done,
            obj.files_failed,
        )
