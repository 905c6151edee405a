"""Responsible minerals: the smelter registry (RMI smelter IDs, look-up names, RMAP status and its history),
suppliers' CMRT/EMRT declarations with the smelters they report, the due-diligence actions that follow from
smelters that are not conformant or unknown, and bulk import batches.

Rules live in ``conformance`` (what each RMAP status needs), ``services`` (writes), ``selectors`` (figures)
and ``smelter_import`` (registry files); models hold data, constraints and row-level facts.
"""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField
from simple_history.models import HistoricalRecords

from common import files
from suppliers.models import Supplier

SMELTER_ID_PATTERN = r"^CID\d{6}$"
smelter_id_validator = RegexValidator(SMELTER_ID_PATTERN, "An RMI smelter ID is 'CID' and six digits.")


def is_smelter_id(text: str) -> bool:
    return bool(re.fullmatch(SMELTER_ID_PATTERN, text or ""))


def metal_label(metal: str) -> str:
    """A metal as declared ("tin"), named in the active language when it is a known mineral."""
    return str(Mineral(metal).label) if metal in Mineral.values else metal


def name_key(text: str) -> str:
    """A name as compared for matching: case-folded, spaces collapsed."""
    return " ".join((text or "").casefold().split())


# Labels are translated (the portal shows them); the admin, the API and stored texts use English.
class Mineral(models.TextChoices):
    TIN = "tin", _("Tin")
    TANTALUM = "tantalum", _("Tantalum")
    TUNGSTEN = "tungsten", _("Tungsten")
    GOLD = "gold", _("Gold")
    COBALT = "cobalt", _("Cobalt")
    MICA = "mica", _("Mica")
    COPPER = "copper", _("Copper")
    GRAPHITE = "graphite", _("Graphite")
    LITHIUM = "lithium", _("Lithium")
    NICKEL = "nickel", _("Nickel")


class Family(models.TextChoices):
    CMRT = "CMRT", _("CMRT (tin, tantalum, tungsten, gold)")
    EMRT = "EMRT", _("EMRT (cobalt, mica, copper, graphite, lithium, nickel)")


class RmapStatus(models.TextChoices):
    CONFORMANT = "conformant", _("Conformant")
    ACTIVE = "active", _("Active (in assessment)")
    NOT_ENROLLED = "not_enrolled", _("Not enrolled / non-conformant")


# --- Registry ----------------------------------------------------------------------------------------------


class SmelterQuerySet(models.QuerySet):
    def current(self) -> SmelterQuerySet:
        """Smelters that are not merged into another."""
        return self.filter(merged_into__isnull=True)


class Smelter(models.Model):
    """A smelter or refiner known to RMI, identified by its smelter ID."""

    smelter_id = models.CharField(
        "smelter ID",
        max_length=9,
        unique=True,
        validators=[smelter_id_validator],
        help_text="CID + 6 digits.",
    )
    name = models.CharField("standard name", max_length=255)
    name_key = models.CharField(max_length=255, db_index=True, editable=False)
    metal = models.CharField(max_length=20, choices=Mineral.choices, db_index=True)
    country = CountryField(blank=True, db_index=True)
    country_name = models.CharField(
        max_length=100, blank=True, help_text="The country as the source file wrote it."
    )
    city = models.CharField(max_length=120, blank=True)
    state_province = models.CharField(max_length=120, blank=True)
    rmap_status = models.CharField(
        "RMAP status",
        max_length=20,
        choices=RmapStatus.choices,
        default=RmapStatus.NOT_ENROLLED,
        db_index=True,
    )
    status_date = models.DateField(null=True, blank=True, help_text="Date of the RMAP status.")
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged",
        help_text="Set when this record was a duplicate: declarations now point to the kept smelter.",
    )
    source_file = models.CharField(max_length=255, blank=True, help_text="File of the last import.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["updated_at", "name_key"])
    objects = SmelterQuerySet.as_manager()

    class Meta:
        ordering = ["metal", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(smelter_id__startswith="CID"), name="smelter_id_is_cid"),
            models.CheckConstraint(
                condition=Q(rmap_status__in=RmapStatus.values), name="smelter_rmap_status_valid"
            ),
            models.CheckConstraint(condition=~Q(merged_into=models.F("pk")), name="smelter_not_merged_self"),
        ]

    def __str__(self) -> str:
        return f"{self.smelter_id} {self.name} ({self.get_metal_display()})"


class SmelterAlias(models.Model):
    """A look-up name under which suppliers report a smelter (RMI's "Smelter Look-up" column)."""

    smelter = models.ForeignKey(Smelter, on_delete=models.CASCADE, related_name="aliases")
    metal = models.CharField(max_length=20, choices=Mineral.choices)
    name = models.CharField(max_length=255)
    name_key = models.CharField(max_length=255, editable=False)

    class Meta:
        ordering = ["metal", "name"]
        verbose_name_plural = "smelter aliases"
        constraints = [
            models.UniqueConstraint(fields=["metal", "name_key"], name="smelter_alias_unique_per_metal")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.metal})"


class SmelterStatusChange(models.Model):
    """One change of a smelter's RMAP status, as an import found it."""

    smelter = models.ForeignKey(Smelter, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=RmapStatus.choices)
    to_status = models.CharField(max_length=20, choices=RmapStatus.choices)
    status_date = models.DateField(null=True, blank=True)
    source_file = models.CharField(max_length=255, blank=True)
    changed_at = models.DateTimeField(default=timezone.now)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["smelter", "-changed_at", "-pk"]
        indexes = [models.Index(fields=["smelter", "-changed_at"], name="smelter_status_change_time")]

    def __str__(self) -> str:
        return f"{self.smelter_id}: {self.from_status} → {self.to_status} ({self.status_date or 'no date'})"


# --- Policy --------------------------------------------------------------------------------------------


class MineralsPolicy(models.Model):
    """Due-diligence and collection settings; one row, edited by ESG managers in the admin."""

    dd_deadline_days = models.PositiveIntegerField(
        "due-diligence deadline (days)",
        default=90,
        validators=[MinValueValidator(1)],
        help_text="Days a supplier has to carry out due diligence on, or replace, a non-conformant or "
        "unknown smelter.",
    )
    follow_up_days = models.PositiveIntegerField(
        "follow-up of smelters in assessment (days)",
        default=180,
        validators=[MinValueValidator(1)],
        help_text="Days after which a supplier checks again on an active smelter (in RMAP assessment): "
        "when its assessment is due to end.",
    )
    remind_missing_declarations = models.BooleanField(
        default=False,
        help_text="Remind active production suppliers without an accepted declaration for the reporting year "
        "being collected, from 30 days before the due date.",
    )
    declaration_due_month = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(12)]
    )
    declaration_due_day = models.PositiveSmallIntegerField(
        default=31,
        validators=[MinValueValidator(1), MaxValueValidator(31)],
        help_text="Declarations on a calendar year are due on this month and day of the next year.",
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = "minerals policy"
        verbose_name_plural = "minerals policy"

    def __str__(self) -> str:
        return "Minerals policy"

    @classmethod
    def current(cls) -> MineralsPolicy:
        policy, _ = cls.objects.get_or_create(pk=1)
        return policy

    def declaration_due(self, *, year: int) -> dt.date:
        """Due date of the declarations on ``year`` (the reporting year)."""
        month, day = self.declaration_due_month, self.declaration_due_day
        while True:
            try:
                return dt.date(year + 1, month, day)
            except ValueError:  # e.g. 31 June: the month's last day
                day -= 1

    def reporting_year(self, *, on: dt.date) -> int:
        """The reporting year whose declarations are being collected on ``on``: the previous calendar year."""
        return on.year - 1


# --- Declarations ----------------------------------------------------------------------------------------


def declaration_upload_to(instance: Declaration, filename: str) -> str:
    return f"minerals/declarations/{instance.supplier_id}/{instance.year}/{files.random_name(filename)}"


class Declaration(models.Model):
    """One uploaded CMRT or EMRT file of a supplier for a reporting year, with what the parser found."""

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("Accepted")
        REJECTED = "rejected", _("Rejected (has errors)")
        SUPERSEDED = "superseded", _("Superseded")

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="mineral_declarations")
    year = models.PositiveSmallIntegerField(
        "reporting year", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    family = models.CharField(max_length=4, choices=Family.choices)
    template = models.CharField(max_length=10, help_text="Template named in the file (CMRT or EMRT).")
    version = models.CharField(max_length=10, blank=True)
    file = files.PrivateFileField(
        upload_to=declaration_upload_to,
        accept=files.DECLARATION,
        visible_to="minerals.api.permissions.declarations_visible_to",
        download_name="filename",
    )
    filename = models.CharField(max_length=255, help_text="Name of the uploaded file.")
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveIntegerField(default=0)
    company_name = models.CharField(max_length=255, blank=True)
    effective_date = models.DateField(null=True, blank=True)
    minerals_in_scope = models.JSONField(default=list, blank=True)
    parse_result = models.JSONField(default=dict, blank=True)
    issues = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, db_index=True)
    superseded_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="supersedes"
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    batch = models.ForeignKey(
        "ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="declarations"
    )

    class Meta:
        ordering = ["-uploaded_at", "-pk"]
        indexes = [
            models.Index(fields=["year", "status"], name="declaration_year_status"),
            models.Index(fields=["supplier", "year", "family"], name="declaration_supplier_year"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "year", "family"],
                condition=Q(status="accepted"),
                name="declaration_one_accepted_per_family",
                violation_error_message="A supplier has one accepted declaration per template and year.",
            ),
            models.CheckConstraint(condition=Q(family__in=Family.values), name="declaration_family_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.family} {self.year} of {self.supplier_id} ({self.get_status_display()})"


class DeclaredSmelter(models.Model):
    """A row of a declaration's Smelter List, and the registry smelter it was matched to."""

    class MatchMethod(models.TextChoices):
        CID = "cid", "Smelter ID"
        ALIAS = "alias", "Look-up name"
        NAME = "name", "Standard name, metal and country"
        MANUAL = "manual", "Linked by hand"
        UNMATCHED = "unmatched", "Unmatched"

    declaration = models.ForeignKey(Declaration, on_delete=models.CASCADE, related_name="smelters")
    row = models.PositiveIntegerField(help_text="Row of the Smelter List sheet.")
    metal = models.CharField(max_length=20)
    name = models.CharField(max_length=255, blank=True)
    lookup_name = models.CharField(max_length=255, blank=True)
    country = models.CharField(max_length=100, blank=True, help_text="Country as declared.")
    declared_cid = models.CharField("smelter ID as declared", max_length=20, blank=True)
    source = models.CharField(max_length=100, blank=True)
    recycled = models.BooleanField(null=True, blank=True, help_text="100% recycled or scrap sources.")
    smelter = models.ForeignKey(
        Smelter, null=True, blank=True, on_delete=models.PROTECT, related_name="declared"
    )
    match_method = models.CharField(max_length=10, choices=MatchMethod.choices, db_index=True)
    matched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    matched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["declaration", "row"]
        indexes = [
            models.Index(
                fields=["declaration"], condition=Q(smelter__isnull=True), name="declared_smelter_unmatched"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(smelter__isnull=True, match_method="unmatched")
                | (Q(smelter__isnull=False) & ~Q(match_method="unmatched")),
                name="declared_smelter_match_consistent",
                violation_error_message="A matched row needs a smelter; an unmatched one has none.",
            )
        ]

    def __str__(self) -> str:
        label = self.declared_cid or self.name or self.lookup_name or "?"
        return f"Row {self.row}: {label} ({self.metal})"

    @property
    def metal_label(self) -> str:
        return metal_label(self.metal)


def draft_upload_to(instance: DeclarationDraft, filename: str) -> str:
    return f"minerals/drafts/{instance.supplier_id}/{files.random_name(filename)}"


class DeclarationDraft(models.Model):
    """A CMRT/EMRT file checked for a supplier contact before they submit it: the file and the checker's
    messages, counted nowhere (``services.declaration_check``). Submitting imports the same file as a
    declaration (``services.declaration_submit``); a draft not submitted is deleted with its file after
    ``services.DRAFT_HOURS``. The file is served nowhere (no ``visible_to``)."""

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    year = models.PositiveSmallIntegerField(
        "reporting year", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    family = models.CharField(max_length=4, choices=Family.choices)
    version = models.CharField(max_length=10, blank=True)
    file = files.PrivateFileField(upload_to=draft_upload_to, accept=files.DECLARATION)
    filename = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField(default=0)
    company_name = models.CharField(max_length=255, blank=True)
    smelter_count = models.PositiveIntegerField(default=0)
    issues = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warning_count = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "checked declaration file (not submitted)"

    def __str__(self) -> str:
        return f"{self.filename} ({self.family} {self.year}, checked {self.created_at:%Y-%m-%d %H:%M})"


# --- Due diligence -----------------------------------------------------------------------------------------


def evidence_upload_to(instance: DueDiligenceAction, filename: str) -> str:
    return f"minerals/due-diligence/{instance.supplier_id}/{files.random_name(filename)}"


class DueDiligenceActionQuerySet(models.QuerySet):
    def open(self) -> DueDiligenceActionQuerySet:
        return self.filter(status=DueDiligenceAction.Status.OPEN)


class DueDiligenceAction(models.Model):
    """A smelter a supplier reported that is not RMAP conformant, and what the supplier must do by the
    deadline (``conformance``): for a non-conformant or unknown smelter, third-party due diligence under RMAP
    requirements or replacement; for an active one, a check on its assessment when that is due."""

    class Kind(models.TextChoices):
        DUE_DILIGENCE = "due_diligence", _("Third-party due diligence under RMAP")
        REPLACEMENT = "replacement", _("Replace the smelter")
        FOLLOW_UP = "follow_up", _("Check the RMAP assessment's outcome")

    class Reason(models.TextChoices):
        NON_CONFORMANT = "non_conformant", _("Non-conformant smelter")
        UNKNOWN = "unknown", _("Unknown smelter")
        IN_ASSESSMENT = "in_assessment", _("Active smelter (in RMAP assessment)")

    class Status(models.TextChoices):
        OPEN = "open", pgettext_lazy("status", "Open")
        CLOSED = "closed", _("Closed")

    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="dd_actions")
    year = models.PositiveSmallIntegerField("reporting year")
    family = models.CharField(max_length=4, choices=Family.choices)
    key = models.CharField(max_length=300, editable=False, help_text="What the action is about.")
    smelter = models.ForeignKey(
        Smelter, null=True, blank=True, on_delete=models.PROTECT, related_name="dd_actions"
    )
    declared = models.ForeignKey(
        DeclaredSmelter, null=True, blank=True, on_delete=models.SET_NULL, related_name="dd_actions"
    )
    metal = models.CharField(max_length=20)
    smelter_label = models.CharField(max_length=300)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.DUE_DILIGENCE)
    created_at = models.DateTimeField(default=timezone.now)
    deadline = models.DateField(db_index=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_by_declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.SET_NULL, related_name="closed_dd_actions"
    )
    evidence = files.PrivateFileField(
        upload_to=evidence_upload_to,
        blank=True,
        visible_to="minerals.api.permissions.due_diligence_visible_to",
        help_text="The supplier's evidence: sent with their response, or attached when the action is closed.",
    )
    note = models.TextField(blank=True)
    response = models.TextField(
        blank=True, help_text="What the supplier reports having done (``services.dd_action_respond``)."
    )
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords()
    objects = DueDiligenceActionQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "pk"]
        verbose_name = "due-diligence action"
        indexes = [
            models.Index(
                fields=["supplier", "year", "family"], condition=Q(status="open"), name="dd_action_open"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier", "year", "family", "key"],
                condition=Q(status="open"),
                name="dd_action_one_open_per_smelter",
            ),
            models.CheckConstraint(
                condition=Q(status="open", closed_at__isnull=True)
                | Q(status="closed", closed_at__isnull=False),
                name="dd_action_closed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.smelter_label} ({self.supplier_id}, {self.year})"

    @property
    def metal_label(self) -> str:
        return metal_label(self.metal)


# --- Bulk import ---------------------------------------------------------------------------------------


def batch_upload_to(instance: ImportBatchFile, filename: str) -> str:
    return f"minerals/batches/{instance.batch_id}/{files.random_name(filename)}"


class ImportBatch(models.Model):
    """Many declaration files uploaded at once, imported by background tasks, one per file."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Running"
        DONE = "done", "Done"

    year = models.PositiveSmallIntegerField(
        "reporting year", validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    supplier = models.ForeignKey(
        Supplier,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Every file is of this supplier. Empty: each file's supplier is found from the file name "
        "(starting with the supplier code) or the company named in the file.",
    )
    files_total = models.PositiveIntegerField(default=0)
    files_done = models.PositiveIntegerField(default=0)
    files_failed = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = "declaration import batch"
        verbose_name_plural = "declaration import batches"

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.files_done + self.files_failed}/{self.files_total})"


class ImportBatchFile(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        RUNNING = "running", "Importing"
        DONE = "done", "Imported"
        FAILED = "failed", "Failed"

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="files")
    # Checked when its import runs: a file that is not a declaration fails alone, not the whole batch.
    file = files.PrivateFileField(
        upload_to=batch_upload_to,
        accept=None,
        visible_to="minerals.api.permissions.batch_files_visible_to",
        download_name="filename",
    )
    filename = models.CharField(max_length=255)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    message = models.TextField(blank=True)
    declaration = models.ForeignKey(
        Declaration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["batch", "pk"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_status_display()})"
