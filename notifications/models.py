"""The in-app inbox (source of truth); devices, deliveries and preferences join it."""

from django.conf import settings
from django.db import models

from services.core.models import PublicModel


class Notification(PublicModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=80)
    category = models.CharField(max_length=30)
    title = models.CharField(max_length=200)
    body = models.TextField()
    link_type = models.CharField(max_length=40, blank=True)
    link_id = models.CharField(max_length=64, blank=True)
    data = models.JSONField(default=dict, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"
