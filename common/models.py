from django.conf import settings
from django.db import models
from django.utils import timezone


class IdempotentRequest(models.Model):
    """The first response to a POST carrying an ``Idempotency-Key``, replayed when the key comes again."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        # The table was created by the audits app, where the model lived first; it kept its name.
        db_table = "audits_idempotentrequest"
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_unique_key_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


class PortalAccount(models.Model):
    """What the portal keeps on an outside user (a supplier contact or an auditor) beyond Django's user: the
    language they read the portal and their e-mails in, and their invitation. Who the user works for is
    elsewhere, and exactly one place: ``suppliers.Contact.user`` or ``audits.Auditor.user``."""

    class Language(models.TextChoices):
        ENGLISH = "en", "English"
        CHINESE = "zh-hans", "简体中文"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="portal")
    # Empty until chosen: the first visit to the portal stores the browser's language.
    language = models.CharField(max_length=10, choices=Language.choices, blank=True)
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    joined_at = models.DateTimeField(
        null=True, blank=True, help_text="When the invitee first chose a password."
    )

    def __str__(self) -> str:
        return f"Portal account of {self.user}"
