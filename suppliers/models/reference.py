"""Reference data the register and the risk model read: the reporting region, the risk levels, business
units, commodities and country risk (two factors of the risk model), and the onboarding gate's policy."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

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
