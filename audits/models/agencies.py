"""Audit agencies and their auditors, and which auditors have access now."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class AuditAgency(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=150, unique=True)
    email = models.EmailField(blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "audit agencies"

    def __str__(self) -> str:
        return self.name


class AuditorQuerySet(models.QuerySet):
    def active(self) -> AuditorQuerySet:
        """Auditors who have access now: their login and their agency are active. Everything that
        recognises an auditor (the API's scopes, ``for_agency_of``) goes through this, so that deactivating
        an agency or a user cuts off access at once."""
        return self.filter(agency__active=True, user__is_active=True)


class Auditor(models.Model):
    """An auditor's login and the one agency they work for."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="auditor")
    agency = models.ForeignKey(AuditAgency, on_delete=models.PROTECT, related_name="auditors")
    qualifications = models.CharField(max_length=255, blank=True)

    objects = AuditorQuerySet.as_manager()

    class Meta:
        ordering = ["agency", "user__username"]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} ({self.agency})"
