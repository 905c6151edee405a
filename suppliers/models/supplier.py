"""The supplier and its lifecycle: who may be its buyer, the supplier itself with its tier, status, risk
fields and suspension-review flag, and the recorded status transitions."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from .. import roles
from .reference import (
    MAINLAND_CHINA,
    BusinessUnit,
    Commodity,
    Region,
    RiskLevel,
    currency_validator,
    region_for_country,
)

# Who may be a supplier's responsible buyer (and so receive its reminders): an active staff user in the
# Procurement role. The one rule: the buyer field's choices and validation, the API, the importer and the
# reminders' recipients all read it (``eligible_buyers``).
ELIGIBLE_BUYER = Q(is_active=True, is_staff=True, groups__name=roles.PROCUREMENT)
BUYER_NOT_ELIGIBLE = "User %(value)s is not an active staff user in the Procurement role."


def eligible_buyers() -> QuerySet:
    """Users who may be a supplier's buyer (``ELIGIBLE_BUYER``)."""
    return get_user_model().objects.filter(ELIGIBLE_BUYER)


def buyer_not_eligible_message(user) -> str:
    """The field error for a buyer who is not (or no longer) eligible, naming them."""
    return f"{user.get_username()} is not an active staff user in the Procurement role."


class SupplierQuerySet(models.QuerySet):
    def with_region(self) -> SupplierQuerySet:
        return self.annotate(
            reporting_region=Case(
                When(country=MAINLAND_CHINA, then=Value(Region.MAINLAND_CHINA.value)),
                default=Value(Region.OTHER.value),
                output_field=models.CharField(),
            )
        )

    def bought_by(self, user) -> SupplierQuerySet:
        return self.filter(buyer=user)

    def production(self) -> SupplierQuerySet:
        return self.filter(category=Supplier.Category.PRODUCTION)


class Supplier(models.Model):
    class Category(models.TextChoices):
        PRODUCTION = "production", "Production"
        NON_PRODUCTION = "non_production", "Non-production"

    class Tier(models.IntegerChoices):
        DIRECT = 1, "Direct (tier 1)"
        KEY_INDIRECT = 2, "Key indirect (tier 2)"

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        SCREENING = "screening", "Screening"
        ADMITTED = "admitted", "Admitted"
        SUSPENDED = "suspended", "Suspended"
        EXITED = "exited", "Exited"
        REJECTED = "rejected", "Not admitted"

    code = models.CharField(
        max_length=32,
        unique=True,
        validators=[
            RegexValidator(r"^[A-Za-z0-9][A-Za-z0-9._-]*$", "Letters, digits, '.', '_' and '-' only.")
        ],
    )
    name = models.CharField(max_length=200, db_index=True)
    legal_name = models.CharField(max_length=255, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.DIRECT, db_index=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="key_indirect_suppliers",
        limit_choices_to={"tier": 1},
        help_text="For a key indirect (tier 2) supplier: the tier-1 supplier it supplies.",
    )
    business_units = models.ManyToManyField(BusinessUnit, blank=True, related_name="suppliers")
    commodity = models.ForeignKey(
        Commodity,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="suppliers",
        verbose_name="commodity / process",
    )
    country = CountryField(db_index=True)
    buyer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="bought_suppliers",
        verbose_name="responsible buyer",
        limit_choices_to=ELIGIBLE_BUYER,
        error_messages={"invalid": BUYER_NOT_ELIGIBLE},
        help_text="An active staff user in the Procurement role.",
    )
    annual_spend = models.DecimalField(
        max_digits=16, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    currency = models.CharField(max_length=3, blank=True, validators=[currency_validator])
    strategic = models.BooleanField(default=False, help_text="Strategic supplier (raises materiality).")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.CANDIDATE, db_index=True)
    status_changed_at = models.DateTimeField(default=timezone.now)

    # Risk, kept current by suppliers.risk: the effective level is the override when one is set
    # (except that hard rules such as an open red-line finding always win).
    risk_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True, db_index=True)
    risk_score = models.DecimalField(max_digits=5, decimal_places=2, null=True, blank=True)
    risk_assessment = models.ForeignKey(
        "RiskAssessment", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    risk_override_level = models.CharField(max_length=10, choices=RiskLevel.choices, blank=True)
    risk_override_reason = models.TextField(blank=True)
    risk_override_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    risk_override_at = models.DateTimeField(null=True, blank=True)
    # Set by escalation (an item overdue past the last stage); cleared by an ESG manager after review.
    suspension_review = models.BooleanField(
        default=False, db_index=True, help_text="Flagged for suspension review."
    )
    suspension_review_reason = models.TextField(blank=True)
    suspension_review_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "risk_assessment"])
    objects = SupplierQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        permissions = [
            ("approve_supplier", "Can admit, reject, suspend, reinstate and exit suppliers"),
            ("override_risk", "Can override a supplier's risk level"),
            ("import_suppliers", "Can import suppliers from CSV or XLSX"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(Q(tier=1) & Q(parent__isnull=True)) | (Q(tier=2) & Q(parent__isnull=False)),
                name="supplier_tier2_has_parent_tier1_has_none",
                violation_error_message="A key indirect (tier 2) supplier needs its tier-1 parent; "
                "a direct supplier has none.",
            ),
            models.CheckConstraint(
                condition=Q(annual_spend__isnull=True) | ~Q(currency=""),
                name="supplier_spend_has_currency",
                violation_error_message="Annual spend needs a currency.",
            ),
            models.CheckConstraint(
                condition=Q(risk_override_level="") | ~Q(risk_override_reason=""),
                name="supplier_risk_override_has_reason",
                violation_error_message="A risk override needs a reason.",
            ),
            models.CheckConstraint(condition=~Q(parent=F("pk")), name="supplier_not_own_parent"),
        ]
        indexes = [models.Index(fields=["buyer", "status"], name="supplier_buyer_status")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    @property
    def region(self) -> str:
        return region_for_country(str(self.country))


class StatusTransition(models.Model):
    """One lifecycle step of a supplier: from, to, who, when, why, and the gate's verdict at the time."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, choices=Supplier.Status.choices)
    to_status = models.CharField(max_length=20, choices=Supplier.Status.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    reason = models.TextField(blank=True)
    unmet_conditions = models.JSONField(default=list, blank=True)
    red_line = models.BooleanField(
        default=False, help_text="Open red-line findings existed when this step was taken."
    )

    class Meta:
        ordering = ["supplier", "at", "pk"]
        indexes = [models.Index(fields=["to_status", "at"], name="transition_to_at")]

    def __str__(self) -> str:
        return f"{self.supplier_id}: {self.from_status} → {self.to_status} at {self.at:%Y-%m-%d %H:%M}"
