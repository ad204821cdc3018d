"""The shared kernel's base rows: every row that leaves the server is named by a UUID."""

import uuid

from django.db import models


class PublicModel(models.Model):
    """Internal integer key for joins; `public_id` is the only id the API ever shows."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        abstract = True


class RateCounter(models.Model):
    """A fixed-window counter shared by every process (login lockout, activation throttle)."""

    key = models.CharField(max_length=200, unique=True)
    count = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField()
    blocked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["window_started_at"])]

    def __str__(self) -> str:
        return f"{self.key}={self.count}"


class IdempotencyRecord(models.Model):
    """The first response to a POST carrying an Idempotency-Key, replayed on retries."""

    class State(models.TextChoices):
        IN_PROGRESS = "in_progress"
        COMPLETED = "completed"

    scope = models.CharField(max_length=80)  # "user:<public_id>" or "anon"
    key = models.CharField(max_length=255)
    request_fingerprint = models.CharField(max_length=64)
    state = models.CharField(max_length=20, choices=State.choices, default=State.IN_PROGRESS)
    response_status = models.PositiveSmallIntegerField(null=True)
    response_sealed = models.TextField(blank=True)  # encrypted: may hold codes or tokens
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key"], name="idempotency_unique_scope_key")
        ]

    def __str__(self) -> str:
        return f"{self.scope}:{self.key}"


class Tombstone(models.Model):
    """A row that left some viewers' view without a trace in its own table (deleted, or taken
    away from an audience): what an incremental sync reports as `{id, removed: true}`
    (`services.core.sync`). Audiences are plain strings (`"user:12"`, `"landlord:3"`): the
    kernel knows no area's models. Purged past the sync horizon."""

    list_name = models.CharField(max_length=40)
    public_id = models.UUIDField()
    scope = models.CharField(max_length=40)
    row_created_at = models.DateTimeField()
    removed_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["list_name", "scope", "removed_at"], name="tombstone_list_scope")
        ]

    def __str__(self) -> str:
        return f"{self.list_name}:{self.public_id}@{self.scope}"
