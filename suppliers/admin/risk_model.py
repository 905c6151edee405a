"""The risk model in the admin: its versions (saving an edited version stores the next one) and the
stored assessments, each with the factors, weights and hard rules it was computed with."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db import transaction
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from common.admin import ReadOnlyAdmin, bullet_list

from ..forms import RiskModelForm
from ..models import RiskAssessment, RiskModel
from .display import risk_badge


@admin.register(RiskModel)
class RiskModelAdmin(admin.ModelAdmin):
    """Versions are never edited: saving an edited version stores a new one, so that every stored
    assessment keeps pointing at the weights it was computed with."""

    form = RiskModelForm
    list_display = [
        "__str__",
        "note",
        "weights_summary",
        "medium_threshold",
        "high_threshold",
        "created_at",
        "created_by",
    ]
    list_select_related = ["created_by"]
    readonly_fields = ["version", "created_at", "created_by"]
    fieldsets = [
        (None, {"fields": ["version", "note", "created_at", "created_by"]}),
        ("Weights (they must add up to 100)", {"fields": [f"weight_{f}" for f in RiskModel.FACTORS]}),
        ("Thresholds (0 < medium < high ≤ 100)", {"fields": ["medium_threshold", "high_threshold"]}),
        ("Country and commodity", {"fields": ["default_country_score", "default_commodity_score"]}),
        (
            "Audit performance",
            {
                "fields": [
                    "audit_score_high_performer",
                    "audit_score_medium_performer",
                    "audit_score_low_performer",
                    "audit_score_no_audit",
                ]
            },
        ),
        (
            "Open findings (points per open finding)",
            {"fields": ["findings_points_priority", "findings_points_major", "findings_points_minor"]},
        ),
        ("External rating", {"fields": ["external_score_missing"]}),
        (
            "Materiality",
            {
                "fields": [
                    "materiality_base",
                    "materiality_tier1",
                    "materiality_production",
                    "materiality_strategic",
                    "materiality_high_spend",
                    "high_spend_threshold_usd",
                    "usd_rates",
                ]
            },
        ),
    ]

    @admin.display(description="weights")
    def weights_summary(self, obj: RiskModel) -> str:
        return ", ".join(f"{factor} {weight}" for factor, weight in obj.weights().items())

    def has_change_permission(self, request, obj=None):
        # Changing a version means adding the next one.
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        return False

    @transaction.atomic
    def save_model(self, request, obj, form, change):
        if change and not form.has_changed():
            return
        based_on = obj.version
        latest = (
            RiskModel.objects.select_for_update()
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        obj.pk = None
        obj._state.adding = True
        obj.version = (latest or 0) + 1
        obj.created_at = timezone.now()
        obj.created_by = request.user
        obj.save()
        text = f"Saved as risk model v{obj.version}"
        if change:
            text += f"; v{based_on} is kept unchanged"
        self.message_user(
            request, text + ". Suppliers are reassessed with it in the nightly risk refresh.", messages.INFO
        )


@admin.register(RiskAssessment)
class RiskAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["supplier", "level_badge", "score", "score_level", "model", "computed_at"]
    list_select_related = ["supplier", "model"]
    list_filter = ["level", "model"]
    search_fields = ["=supplier__code"]
    search_help_text = "Supplier code."
    show_full_result_count = False
    fields = [
        "supplier",
        "model",
        "computed_at",
        "score",
        "score_level",
        "level",
        "factors_table",
        "hard_rules_list",
        "fingerprint",
    ]
    readonly_fields = fields

    @admin.display(description="level", ordering="level")
    def level_badge(self, obj: RiskAssessment) -> str:
        return risk_badge(obj.level)

    @admin.display(description="factors")
    def factors_table(self, obj: RiskAssessment) -> str:
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}%</td><td>{}</td><td>{}</td></tr>",
            (
                (f["label"], f"{f['score']:g}", f["weight"], f"{f['contribution']:g}", f["detail"])
                for f in obj.factors
            ),
        )
        return format_html(
            "<table><thead><tr><th>Factor</th><th>Score</th><th>Weight</th><th>Contribution</th>"
            "<th>From</th></tr></thead><tbody>{}</tbody></table>",
            rows,
        )

    @admin.display(description="hard rules")
    def hard_rules_list(self, obj: RiskAssessment) -> str:
        return bullet_list(obj.hard_rules) if obj.hard_rules else "None."
