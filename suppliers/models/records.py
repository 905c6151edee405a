"""What the company keeps on file about a supplier: its contacts, signed agreements (with the published
texts a supplier signs online) and external ESG assessments (RBA, EcoVadis and other ratings), with where
their files are stored."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from common import files

from .supplier import Supplier


class ContactQuerySet(models.QuerySet):
    def with_access(self) -> ContactQuerySet:
        """Contacts whose portal and API login works now: the contact and its login are active. Everything
        that recognises a supplier contact (``suppliers.accounts.contact_of``, hence every scope) goes
        through this, so that deactivating a contact ends its access at once."""
        return self.filter(active=True, user__is_active=True)


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
    active = models.BooleanField(
        default=True,
        help_text="Untick when the person leaves the supplier: their portal login stops working at once and "
        "they receive no more reminders.",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="supplier_contact",
        help_text="Login of this contact for the portal and the API (supplier contact role); set by "
        "inviting the contact.",
    )

    objects = ContactQuerySet.as_manager()
    history = HistoricalRecords()

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


class AgreementKind(models.TextChoices):
    # Labels are translated (the portal shows them); the admin and the API use English.
    CSR_AGREEMENT = "csr_agreement", _("Supplier Social Responsibility (CSR) Agreement")
    CODE_OF_CONDUCT = "code_of_conduct", _("Supplier Code of Conduct acknowledgement")
    INTEGRITY_COMMITMENT = "integrity_commitment", _("Integrity Commitment")


class AgreementTextQuerySet(models.QuerySet):
    def published(self, *, on: dt.date) -> AgreementTextQuerySet:
        """Texts a supplier may sign on ``on``: active and published by then, newest first."""
        return self.filter(active=True, published_on__lte=on).order_by("kind", "-published_on", "-pk")


class AgreementText(models.Model):
    """A version of an agreement the company publishes for suppliers to sign online, in English and
    Simplified Chinese. The newest active text published by today is the one to sign
    (``suppliers.agreements``). A text once signed never changes: a new wording is a new version."""

    kind = models.CharField(max_length=30, choices=AgreementKind.choices)
    version = models.CharField(max_length=30, help_text='The version label suppliers see, e.g. "2026.1".')
    title_en = models.CharField("title (English)", max_length=200)
    title_zh = models.CharField("title (Simplified Chinese)", max_length=200)
    body_en = models.TextField("text (English)")
    body_zh = models.TextField("text (Simplified Chinese)")
    published_on = models.DateField(help_text="From this day on, suppliers sign this version.")
    active = models.BooleanField(
        default=True, help_text="Untick to withdraw the version: suppliers then sign the newest other one."
    )
    valid_for_years = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="A signature expires after this many years and must be renewed. Empty: it does not expire.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AgreementTextQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["kind", "-published_on", "-pk"]
        verbose_name = "agreement text"
        constraints = [
            models.UniqueConstraint(fields=["kind", "version"], name="agreement_text_unique_version"),
        ]

    def __str__(self) -> str:
        return f"{AgreementKind(self.kind).label} {self.version}"

    def title(self, language: str) -> str:
        return self.title_zh if language.startswith("zh") else self.title_en

    def body(self, language: str) -> str:
        return self.body_zh if language.startswith("zh") else self.body_en


class Agreement(models.Model):
    Kind = AgreementKind

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="agreements")
    kind = models.CharField(max_length=30, choices=Kind.choices)
    signed_on = models.DateField(
        null=True, blank=True, help_text="Empty while the agreement is sent but unsigned."
    )
    signed_by = models.CharField(
        max_length=150,
        blank=True,
        help_text="Name (and, for agreements on paper, title) of the signatory; online: the name as typed.",
    )
    expires_on = models.DateField(null=True, blank=True)
    file = files.PrivateFileField(
        upload_to=agreement_upload_to,
        blank=True,
        visible_to="suppliers.api.permissions.suppliers_visible_to",
        through="supplier",
    )
    # Signed online in the portal (``suppliers.agreements.agreement_sign``): the exact text, the name and
    # title as typed, when, from which address and by which login.
    text = models.ForeignKey(
        AgreementText,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="signatures",
        help_text="The text version signed online.",
    )
    signatory_title = models.CharField(
        max_length=150, blank=True, help_text="Title of the signatory, as typed."
    )
    signed_at = models.DateTimeField(null=True, blank=True, help_text="When it was signed online.")
    signed_ip = models.GenericIPAddressField("signed from address", null=True, blank=True)
    signed_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The portal login that signed it.",
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
    rating = models.CharField(
        max_length=30,
        blank=True,
        help_text='The band or medal the scheme gives, e.g. "gold" (EcoVadis: platinum, gold, silver, '
        'bronze) or the VAP band ("high performer").',
    )
    reference = models.CharField(max_length=100, blank=True)
    file = files.PrivateFileField(
        upload_to=assessment_upload_to,
        blank=True,
        visible_to="suppliers.api.permissions.suppliers_visible_to",
        through="supplier",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

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
