"""The in-app inbox (source of truth); devices, deliveries and preferences join it."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

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
    # False when the recipient switched the inbox off for this category but kept push:
    # the row still carries the push (its deliveries point at it) but the inbox hides it.
    in_inbox = models.BooleanField(default=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.recipient_id}"


class Device(PublicModel):
    """One push identifier (an FCM registration token today) on one user's phone."""

    class Kind(models.TextChoices):
        TOKEN = "token", _("FCM registration token")
        INSTALLATION_ID = "installation_id", _("Firebase installation id")

    class Platform(models.TextChoices):
        ANDROID = "android", "Android"
        IOS = "ios", "iOS"
        WEB = "web", "Web"

    class Reason(models.TextChoices):
        UNREGISTERED = "unregistered", _("FCM says the app was uninstalled")
        INVALID_TOKEN = "invalid_token", _("FCM rejected the identifier")
        SENDER_MISMATCH = "sender_mismatch", _("The identifier belongs to another sender")
        REMOVED = "removed", _("Removed by its user")
        LOGOUT = "logout", _("Signed out")
        LIMIT = "limit", _("Too many devices: the oldest was dropped")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="devices"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.TOKEN)
    identifier = models.CharField(max_length=512, unique=True)
    platform = models.CharField(max_length=10, choices=Platform.choices)
    app_version = models.CharField(max_length=40, blank=True)
    locale = models.CharField(max_length=16, blank=True)
    last_seen_at = models.DateTimeField()
    is_active = models.BooleanField(default=True)
    deactivated_at = models.DateTimeField(null=True, blank=True)
    deactivation_reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["user", "is_active", "-last_seen_at"])]

    def __str__(self) -> str:
        return f"{self.platform} {self.identifier[:12]}… ({self.user_id})"


class Delivery(models.Model):
    """The outbox: one push of one notification to one device, written with the inbox row.

    Never leaves the server (no public id). A worker claims due rows (a lease), sends, and
    records the outcome; the periodic sweep picks up whatever a lost task left pending.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # permanent: the device is dead, the payload is wrong, or TTL passed
        SKIPPED = "skipped"  # the device was deactivated or moved to another user meanwhile

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=200, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "device"], name="delivery_unique_notification_device"
            )
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"]),
            models.Index(fields=["claim_token"]),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} {self.status}"


class EmailDelivery(models.Model):
    """The e-mail outbox: one message for one notification, written with the inbox row.

    Claimed before it is sent (a lease), like a push `Delivery`, so a task run twice or the
    sweep racing a task sends it once. The address and the sender (the landlord's name) are
    kept as they were when the notification was written.
    """

    class Status(models.TextChoices):
        PENDING = "pending"
        SENT = "sent"
        FAILED = "failed"  # permanent: refused address (5xx), no address, or TTL passed

    notification = models.OneToOneField(
        Notification, on_delete=models.CASCADE, related_name="email_delivery"
    )
    to_address = models.EmailField()
    language = models.CharField(max_length=10, blank=True)
    sender_name = models.CharField(max_length=200, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=40, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "e-mail deliveries"
        indexes = [models.Index(fields=["status", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"e-mail {self.pk} {self.status}"


class Preference(models.Model):
    """A switch a user turned off (or back on); no row means on."""

    class Channel(models.TextChoices):
        PUSH = "push", _("Push")
        INBOX = "inbox", _("Inbox")
        EMAIL = "email", _("E-mail")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_prefs"
    )
    category = models.CharField(max_length=30)
    channel = models.CharField(max_length=10, choices=Channel.choices)
    enabled = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "channel"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category", "channel"], name="preference_unique_switch"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.category}/{self.channel}={self.enabled}"


class Announcement(PublicModel):
    """A message from a landlord's staff to all its tenants, or some residences' tenants."""

    class Status(models.TextChoices):
        PENDING = "pending"
        SENDING = "sending"
        DONE = "done"

    landlord = models.ForeignKey(
        "accounts.Landlord", on_delete=models.CASCADE, related_name="announcements"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    title = models.CharField(max_length=120)
    body = models.TextField(max_length=2000)
    residences = models.ManyToManyField("accounts.Residence", blank=True, related_name="+")
    # Marketing (not a service message): reaches only tenants who consented to push marketing.
    marketing = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # Fan-out progress: users are taken in pk order, so a re-run resumes after this one.
    fanned_out_until_user_id = models.BigIntegerField(default=0)
    recipients_count = models.PositiveIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.title
