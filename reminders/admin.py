from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import OuterRef
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdmin, reason_view
from common.queries import count_per_row
from suppliers.admin import SupplierAdmin
from suppliers.lifecycle import TransitionRefused, supplier_clear_suspension_review
from suppliers.models import Supplier

from . import registry
from .models import Digest, DigestItem, EscalationStage, Reminder, ReminderRun
from .selectors import open_escalations


@admin.register(EscalationStage)
class EscalationStageAdmin(admin.ModelAdmin):
    list_display = [
        "stage",
        "name",
        "offset_days",
        "notify_responsible",
        "notify_buyer",
        "notify_esg_managers",
        "notify_procurement_heads",
        "flag_supplier",
    ]
    list_editable = [
        "offset_days",
        "notify_responsible",
        "notify_buyer",
        "notify_esg_managers",
        "notify_procurement_heads",
        "flag_supplier",
    ]
    ordering = ["stage"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class KindFilter(admin.SimpleListFilter):
    title = "kind"
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(kind.key, kind.label) for kind in registry.all_kinds()]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


class StageFilter(admin.SimpleListFilter):
    """The ladder's stages, from its own small table (not ``SELECT DISTINCT`` over the whole log)."""

    title = "stage"
    parameter_name = "stage"

    def lookups(self, request, model_admin):
        return [(str(stage), str(stage)) for stage in EscalationStage.objects.values_list("stage", flat=True)]

    def queryset(self, request, queryset):
        return queryset.filter(stage=self.value()) if self.value() else queryset


class CappedCountPaginator(Paginator):
    """Counts at most ``CAP`` rows: the log holds millions, and the pages beyond are reached by filtering."""

    CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.CAP].count()


class DeliveryStatusFilter(admin.SimpleListFilter):
    title = "delivery status"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return Digest.Status.choices

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(digest_items__digest__status=self.value()).distinct()
        return queryset


class DigestFilter(admin.SimpleListFilter):
    """The items of one digest (``?digest=<id>``): where a digest too long to list them all links to."""

    title = "digest"
    parameter_name = "digest"

    def lookups(self, request, model_admin):
        digest = Digest.objects.filter(pk=self.value()).first() if str(self.value()).isdigit() else None
        return [(str(digest.pk), f"{digest.recipient}, {digest.run.day:%Y-%m-%d}")] if digest else []

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        if not str(self.value()).isdigit():
            return queryset.none()
        return queryset.filter(digest_items__digest=int(self.value()))


@admin.register(Reminder)
class ReminderAdmin(ReadOnlyAdmin):
    """The reminder log: every (item, kind, stage) notified, once. Newest first by primary key, so that a page
    is read backwards along the primary key's index instead of sorting the log; no date hierarchy (it reads
    the dates of the whole log) but a date filter; the count stops at ``CappedCountPaginator.CAP``."""

    list_display = ["created_at", "kind_label", "stage", "supplier", "item_id", "due_date", "recipients"]
    list_filter = [KindFilter, StageFilter, DeliveryStatusFilter, DigestFilter, "created_at"]
    list_select_related = ["supplier"]
    search_fields = ["supplier__code", "supplier__name", "=digest_items__digest__recipient"]
    search_help_text = "Supplier code or name, or a recipient's exact e-mail."
    show_full_result_count = False
    ordering = ["-pk"]
    sortable_by = []  # every other order would sort the whole log
    paginator = CappedCountPaginator

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("digests")

    @admin.display(description="kind")
    def kind_label(self, obj):
        return registry.get(obj.kind).label

    @admin.display(description="recipients (delivery status)")
    def recipients(self, obj):
        return format_html_join(
            ", ", "{} ({})", ((d.recipient, d.get_status_display()) for d in obj.digests.all())
        )


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    """Digests, newest run first. Each row's item count is a subquery that the database runs for the rows of
    the page only (over the digest-item index), not a GROUP BY over every digest's items."""

    list_display = ["recipient", "run", "status", "attempts", "sent_at", "item_count", "last_error_short"]
    list_filter = ["status", "run__day"]
    list_select_related = ["run"]
    search_fields = ["recipient"]
    readonly_fields = [
        "recipient",
        "run",
        "status",
        "attempts",
        "subject",
        "sent_at",
        "next_attempt_at",
        "last_error",
        "items_in_log",
    ]
    exclude = ["reminders", "claimed_at"]

    @admin.display(description="items")
    def items_in_log(self, obj):
        url = reverse("admin:reminders_reminder_changelist") + f"?digest={obj.pk}"
        return format_html('<a href="{}">{} item(s) in the reminder log</a>', url, obj.items.count())

    def get_queryset(self, request):
        items = DigestItem.objects.filter(digest=OuterRef("pk"))
        return super().get_queryset(request).annotate(n_items=count_per_row(items, per="digest"))

    @admin.display(description="items")
    def item_count(self, obj):
        return obj.n_items

    @admin.display(description="last error")
    def last_error_short(self, obj):
        return obj.last_error[:80]


@admin.register(ReminderRun)
class ReminderRunAdmin(ReadOnlyAdmin):
    list_display = [
        "day",
        "started_at",
        "finished_at",
        "reminders_created",
        "digests_created",
        "suppliers_flagged",
    ]
    date_hierarchy = "day"


class SupplierWithEscalationsAdmin(SupplierAdmin):
    """The supplier page, with its open escalations and the suspension review flag."""

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), "open_escalations", "suspension_review_flag"]

    def get_fieldsets(self, request, obj=None):
        fieldsets = list(super().get_fieldsets(request, obj))
        if obj is not None:
            fieldsets.insert(-1, ("Escalations", {"fields": ["suspension_review_flag", "open_escalations"]}))
        return fieldsets

    @admin.display(description="suspension review")
    def suspension_review_flag(self, obj):
        if not obj.suspension_review:
            return "Not flagged."
        clear = format_html(
            ' <a class="button" href="{}">Clear after review…</a>',
            reverse("admin:suppliers_supplier_clear_review", args=[obj.pk]),
        )
        return format_html(
            '<strong style="color:#b00020">Flagged on {}:</strong> {}{}',
            timezone.localtime(obj.suspension_review_at).strftime("%Y-%m-%d"),
            obj.suspension_review_reason,
            clear,
        )

    @admin.display(description="open escalations")
    def open_escalations(self, obj):
        rows = open_escalations(supplier_id=obj.pk, today=timezone.localdate())
        if not rows:
            return "None."
        return format_html(
            "<table><tr><th>Stage</th><th>Kind</th><th>Item</th><th>Due</th><th>Notified</th></tr>{}</table>",
            format_html_join(
                "",
                '<tr><td>{}</td><td>{}</td><td><a href="{}">{}</a></td><td>{}</td><td>{}</td></tr>',
                ((e.stage_name, e.kind, e.url, e.title, e.due, e.notified_on) for e in rows),
            ),
        )

    def get_urls(self):
        return [
            path(
                "<path:object_id>/clear-review/",
                self.admin_site.admin_view(self.clear_review_view),
                name="suppliers_supplier_clear_review",
            ),
            *super().get_urls(),
        ]

    def clear_review_view(self, request, object_id):
        if not request.user.has_perm("suppliers.approve_supplier"):
            raise PermissionDenied("Only ESG managers clear suspension reviews.")
        supplier = self.get_object(request, object_id)
        if supplier is None:
            return redirect("admin:suppliers_supplier_changelist")

        def clear(reason: str) -> str:
            supplier_clear_suspension_review(supplier=supplier, by=request.user, reason=reason)
            return f"Suspension review of {supplier.code} cleared."

        return reason_view(
            self,
            request,
            supplier,
            service=clear,
            title=f"Clear the suspension review of {supplier}",
            here="Clear suspension review",
            intro=format_html("<strong>Flagged:</strong> {}", supplier.suspension_review_reason),
            label="Outcome of the review (required)",
            help_text="Suspend the supplier separately with “Change status” if the review decides so.",
            submit="Clear the flag",
            invalid=(TransitionRefused,),
        )


admin.site.unregister(Supplier)
admin.site.register(Supplier, SupplierWithEscalationsAdmin)
