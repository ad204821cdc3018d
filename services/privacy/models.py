"""A tenant's data rights: exports asked for, erasures done (logged without the person),
and the inactivity warnings the retention task sends before it anonymises an account."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Landlord
from services.core.models import PublicModel


class ExportRequest(PublicModel):
    """A large export, built in the background into a private file and offered to its owner
    (and nobody else) until `expires_at`."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Being prepared")
        READY = "ready", _("Ready to download")
        FAILED = "failed", _("Failed")
        EXPIRED = "expired", _("Expired")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_exports"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    file = models.FileField(upload_to="privacy/exports/", blank=True)
    size_bytes = models.PositiveIntegerField(null=True, blank=True)
    ready_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One export in preparation per person: asking twice at once builds it once.
            models.UniqueConstraint(
                fields=["user"],
                condition=models.Q(status="pending"),
                name="privacy_one_pending_export",
            )
        ]

    def __str__(self) -> str:
        return f"export {self.public_id} ({self.status})"


class Erasure(PublicModel):
    """That an account was erased, by whom and when: nothing links it back to the person
    (no user, no tenant, no name); the landlord and the date are for its statistics."""

    class Origin(models.TextChoices):
        TENANT = "tenant", _("Asked by the tenant in the app")
        STAFF = "staff", _("On the tenant's written request, by staff")
        RETENTION = "retention", _("Inactive for too long (retention)")

    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    origin = models.CharField(max_length=10, choices=Origin.choices)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The written request's reference (a letter's date, a mail's subject): never a name.
    request_reference = models.CharField(max_length=200, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"erasure {self.public_id} ({self.origin})"


class InactivityWarning(models.Model):
    """The retention task warned this account that it will be anonymised; any activity
    after `warned_at` cancels it (a later inactivity is warned again)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="privacy_warning"
    )
    warned_at = models.DateTimeField()
    last_activity_at = models.DateTimeField()  # the activity the warning was counted from

    def __str__(self) -> str:
        return f"warned {self.user_id} at {self.warned_at:%Y-%m-%d}"
