"""Frozen figures of finished years.

Once a year is over, its production suppliers, their region, their risk level at year end and their CSR
Agreement coverage no longer change: they are worked out once from the lifecycle history and the stored
assessments (``reports.services.year_end_freeze``) and kept here, so that the report and the dashboard of a
past year count one table instead of replaying the history of every supplier on each request.
"""

from django.db import models
from django.utils import timezone

from suppliers.models import RiskLevel, Supplier


class YearEnd(models.Model):
    """A finished year whose production suppliers are frozen in ``YearEndSupplier``."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    frozen_at = models.DateTimeField(default=timezone.now)
    production_suppliers = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-year"]
        verbose_name = "frozen year"

    def __str__(self) -> str:
        return f"{self.year} (frozen {self.frozen_at:%Y-%m-%d %H:%M})"


class YearEndSupplier(models.Model):
    """One of a finished year's production suppliers, as it stood at the end of the year."""

    year = models.ForeignKey(YearEnd, on_delete=models.CASCADE, related_name="suppliers", db_column="year")
    supplier = models.ForeignKey(Supplier, on_delete=models.CASCADE, related_name="+")
    mainland_china = models.BooleanField()
    risk_level = models.CharField(
        max_length=10, choices=RiskLevel.choices, blank=True, help_text="Empty: not assessed by year end."
    )
    csr_agreement_signed = models.BooleanField(help_text="A CSR Agreement in force on 31 December.")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["year", "supplier"], name="year_end_supplier_once_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.year_id}: supplier {self.supplier_id}"
