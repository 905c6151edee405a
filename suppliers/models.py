"""The supplier register: suppliers, their contacts, agreements, external assessments, lifecycle
history, and the risk model with its stored assessments.

Rules live in ``services``/``selectors`` modules (``lifecycle.py``, ``risk.py``); models hold data,
constraints and row-level facts.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Case, F, Q, QuerySet, Value, When
from django.db.models.lookups import Exact
from django.utils import timezone
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from common import files

from . import roles

score_validators = [MinValueValidator(0), MaxValueValidator(100)]
currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use a three-letter ISO 4217 currency code, e.g. USD.")

MAINLAND_CHINA = "CN"


class Region(models.TextChoices):
    MAINLAND_CHINA = "mainland_china", "Mainland China"
    OTHER = "other", "Other countries and regions"


def region_for_country(country_code: str) -> str:
    """Reporting region: mainland China, or everything else (Hong Kong, Macau and Taiwan included)."""
    return Region.MAINLAND_CHINA if country_code == MAINLAND_CHINA else Region.OTHER


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class BusinessUnit(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Commodity(models.Model):
    """Commodity or process, with its inherent ESG risk (the commodity factor of the risk model)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120, unique=True)
    risk_score = models.PositiveSmallIntegerField(
        validators=score_validators,
        help_text="Inherent ESG risk of this commodity or process, 0 (none) to 100.",
    )
    rationale = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "commodities"
        constraints = [
            models.CheckConstraint(
                condition=Q(risk_score__gte=0, risk_score__lte=100), name="commodity_risk_score_0_100"
            )
        ]

    def __str__(self) -> str:
        return self.name


class CountryRisk(models.Model):
    """Country ESG risk (the country factor of the risk model); countries without a row use the default."""

    country = CountryField(unique=True)
    score = models.PositiveSmallIntegerField(validators=score_validators)
    rationale = models.CharField(max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["country"]
        verbose_name = "country risk"
        verbose_name_plural = "country risks"
        constraints = [
            models.CheckConstraint(condition=Q(score__gte=0, score__lte=100), name="country_risk_score_0_100")
        ]

    def __str__(self) -> str:
        return f"{self.country.name}: {self.score}"


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


class Contact(models.Model):
    class Role(models.TextChoices):
        SALES = "sales", "Sales / account manager"
        ESG = "esg", "ESG / CSR"
        QUALITY = "quality", "Quality"
        EHS = "ehs", "Environment, health and safety"
        MINERALS = "minerals", "Responsible minerals"
        MANAGEMENT = "management", "Management"
        OTHER = "other", "Other"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=150)
    email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.ESG)
    is_primary = models.BooleanField(default=False)
    receives_reminders = models.BooleanField(default=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supplier_contact",
        help_text="Login of this contact for the supplier API (supplier contact role).",
    )

    class Meta:
        ordering = ["supplier", "-is_primary", "name"]
        constraints = [
            models.UniqueConstraint(fields=["supplier", "email"], name="contact_unique_email_per_supplier"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


def agreement_upload_to(instance: Agreement, filename: str) -> str:
    return f"suppliers/{instance.supplier_id}/agreements/{files.random_name(filename)}"


def assessment_upload_to(instance: ExternalAssessment, filename: str) -> str:
    return f"suppliers/{instance.supplier_id}/assessments/{files.random_name(filename)}"


class Agreement(models.Model):
    class Kind(models.TextChoices):
        CSR_AGREEMENT = "csr_agreement", "Supplier Social Responsibility (CSR) Agreement"
        CODE_OF_CONDUCT = "code_of_conduct", "Supplier Code of Conduct acknowledgement"
        INTEGRITY_COMMITMENT = "integrity_commitment", "Integrity Commitment"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    signed_on = models.DateField(
        null=True, blank=True, help_text="Empty while the agreement is sent but unsigned."
    )
    signed_by = models.CharField(max_length=150, blank=True, help_text="Name and title of the signatory.")
    expires_on = models.DateField(null=True, blank=True)
    file = files.PrivateFileField(
        upload_to=agreement_upload_to,
        blank=True,
        visible_to="suppliers.api.permissions.suppliers_visible_to",
        through="supplier",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["supplier", "kind", "-signed_on"]
        indexes = [models.Index(fields=["supplier", "kind"], name="agreement_supplier_kind")]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(signed_on__isnull=True)
                | Q(expires_on__gt=F("signed_on")),
                name="agreement_expires_after_signed",
                violation_error_message="The expiry date must be after the signing date.",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.signed_on or 'unsigned'})"

    def is_in_force(self, on: dt.date) -> bool:
        return (
            self.signed_on is not None
            and self.signed_on <= on
            and (self.expires_on is None or self.expires_on >= on)
        )


class ExternalAssessment(models.Model):
    class Kind(models.TextChoices):
        RBA_VAP = "rba_vap", "RBA Validated Assessment (VAP)"
        RBA_SAQ = "rba_saq", "RBA Self-Assessment Questionnaire"
        ECOVADIS = "ecovadis", "EcoVadis rating"
        OTHER = "other", "Other rating"

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="external_assessments")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    scheme = models.CharField(max_length=100, blank=True, help_text="Name of the scheme for 'other'.")
    score = models.DecimalField(max_digits=6, decimal_places=1, validators=[MinValueValidator(0)])
    scale_max = models.DecimalField(
        max_digits=6,
        decimal_places=1,
        default=Decimal("200"),
        help_text="Highest possible score on this scheme (200 for a VAP, 100 for EcoVadis).",
    )
    assessed_on = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    file = files.PrivateFileField(
        upload_to=assessment_upload_to,
        blank=True,
        visible_to="suppliers.api.permissions.suppliers_visible_to",
        through="supplier",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["supplier", "-assessed_on"]
        indexes = [models.Index(fields=["supplier", "kind", "-assessed_on"], name="assessment_supplier_kind")]
        constraints = [
            models.CheckConstraint(condition=Q(scale_max__gt=0), name="assessment_scale_positive"),
            models.CheckConstraint(
                condition=Q(score__lte=F("scale_max")), name="assessment_score_within_scale"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=F("assessed_on")),
                name="assessment_valid_after_assessed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.score}/{self.scale_max} ({self.assessed_on})"

    @property
    def normalized_score(self) -> Decimal:
        """Score on a 0–100 scale, higher is better."""
        return (self.score / self.scale_max * 100).quantize(Decimal("0.1"))


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


class OnboardingPolicy(models.Model):
    """The onboarding gate's settings; one row, edited by ESG managers in the admin."""

    vap_max_age_days = models.PositiveIntegerField(
        default=730, help_text="An RBA VAP report counts as ESG evidence for this many days after the audit."
    )
    accept_onboarding_audit = models.BooleanField(
        default=True, help_text="A completed onboarding audit by a third-party agency counts as ESG evidence."
    )
    require_integrity_commitment = models.BooleanField(
        default=True, help_text="New suppliers must also sign the Integrity Commitment."
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "onboarding policy"
        verbose_name_plural = "onboarding policy"

    def __str__(self) -> str:
        return "Onboarding policy"

    @classmethod
    def current(cls) -> OnboardingPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy


class RiskModelQuerySet(models.QuerySet):
    def current(self) -> RiskModel:
        model = self.order_by("-version").first()
        if model is None:
            model = self.create(version=1, note="Default model")
        return model


class RiskModel(models.Model):
    """One version of the risk model. Versions are never edited: every change saves a new version."""

    FACTORS = ("country", "commodity", "audit", "findings", "external", "materiality")

    version = models.PositiveIntegerField(unique=True)
    note = models.CharField(max_length=255, blank=True, help_text="What changed and why.")
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    weight_country = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    weight_commodity = models.PositiveSmallIntegerField(default=15, validators=score_validators)
    weight_audit = models.PositiveSmallIntegerField(default=25, validators=score_validators)
    weight_findings = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    weight_external = models.PositiveSmallIntegerField(default=10, validators=score_validators)
    weight_materiality = models.PositiveSmallIntegerField(default=10, validators=score_validators)

    medium_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("40"),
        help_text="Scores from this value are medium risk.",
    )
    high_threshold = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("60"),
        help_text="Scores from this value are high risk.",
    )

    default_country_score = models.PositiveSmallIntegerField(
        default=50,
        validators=score_validators,
        help_text="Country factor for a country missing from the table.",
    )
    default_commodity_score = models.PositiveSmallIntegerField(
        default=50, validators=score_validators, help_text="Commodity factor when none is recorded."
    )
    audit_score_high_performer = models.PositiveSmallIntegerField(default=10, validators=score_validators)
    audit_score_medium_performer = models.PositiveSmallIntegerField(default=45, validators=score_validators)
    audit_score_low_performer = models.PositiveSmallIntegerField(default=85, validators=score_validators)
    audit_score_no_audit = models.PositiveSmallIntegerField(
        default=70, validators=score_validators, help_text="No audit yet counts as elevated risk."
    )
    findings_points_priority = models.PositiveSmallIntegerField(default=40, validators=score_validators)
    findings_points_major = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    findings_points_minor = models.PositiveSmallIntegerField(default=5, validators=score_validators)
    external_score_missing = models.PositiveSmallIntegerField(
        default=60, validators=score_validators, help_text="External factor without a valid rating."
    )
    materiality_base = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_tier1 = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_production = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_strategic = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    materiality_high_spend = models.PositiveSmallIntegerField(default=20, validators=score_validators)
    high_spend_threshold_usd = models.DecimalField(
        max_digits=16,
        decimal_places=2,
        default=Decimal("1000000"),
        help_text="Annual spend (converted to USD with the rates below) from which spend adds materiality.",
    )
    usd_rates = models.JSONField(
        default=dict,
        blank=True,
        help_text='USD value of one unit of each currency, e.g. {"CNY": 0.14, "EUR": 1.08}. '
        "Spend in a currency missing here does not count towards materiality.",
    )

    objects = RiskModelQuerySet.as_manager()

    class Meta:
        ordering = ["-version"]
        verbose_name = "risk model version"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    weight_country__lte=100,
                    weight_commodity__lte=100,
                    weight_audit__lte=100,
                    weight_findings__lte=100,
                    weight_external__lte=100,
                    weight_materiality__lte=100,
                ),
                name="risk_model_weights_at_most_100",
            ),
            models.CheckConstraint(
                condition=Exact(
                    F("weight_country")
                    + F("weight_commodity")
                    + F("weight_audit")
                    + F("weight_findings")
                    + F("weight_external")
                    + F("weight_materiality"),
                    100,
                ),
                name="risk_model_weights_sum_100",
                violation_error_message="The six weights must add up to 100.",
            ),
            models.CheckConstraint(
                condition=Q(
                    medium_threshold__gt=0, medium_threshold__lt=F("high_threshold"), high_threshold__lte=100
                ),
                name="risk_model_thresholds_ordered",
                violation_error_message="Thresholds must satisfy 0 < medium < high ≤ 100.",
            ),
        ]

    def __str__(self) -> str:
        return f"Risk model v{self.version}"

    def weights(self) -> dict[str, int]:
        return {factor: getattr(self, f"weight_{factor}") for factor in self.FACTORS}

    def level_for(self, score: Decimal) -> str:
        if score >= self.high_threshold:
            return RiskLevel.HIGH
        if score >= self.medium_threshold:
            return RiskLevel.MEDIUM
        return RiskLevel.LOW


class RiskAssessment(models.Model):
    """A stored assessment: inputs, each factor's contribution, the hard rules that applied, the model
    version and the time, so that anyone can answer "why is this supplier high risk?"."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="risk_assessments")
    model = models.ForeignKey(RiskModel, on_delete=models.PROTECT, related_name="assessments")
    computed_at = models.DateTimeField(default=timezone.now)
    score = models.DecimalField(max_digits=5, decimal_places=2)
    score_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, help_text="Level from the score alone."
    )
    level = models.CharField(max_length=10, choices=RiskLevel.choices, help_text="Level after hard rules.")
    factors = models.JSONField(default=list)
    hard_rules = models.JSONField(default=list, blank=True)
    fingerprint = models.CharField(max_length=64, help_text="Hash of the inputs and the model version.")

    class Meta:
        ordering = ["-computed_at", "-pk"]
        get_latest_by = "computed_at"
        indexes = [models.Index(fields=["supplier", "-computed_at"], name="assessment_supplier_time")]

    def __str__(self) -> str:
        return (
            f"{self.supplier_id}: {self.level} ({self.score}) v{self.model_id} at {self.computed_at:%Y-%m-%d}"
        )
