"""Missions, their slots, tenants' sign-ups and the residents' charter acceptance.

Places are never stored as a counter: a slot's taken places are its `confirmed` sign-ups
plus its exclusive `offered` ones, counted under the slot's row lock
(`actions._lock_slot`), so a count can never drift from the rows it counts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Landlord, Residence, Tenant
from services.core.models import PublicModel

from .checkin import new_secret


class Mission(PublicModel):
    class Category(models.TextChoices):
        NEIGHBOUR_HELP = "neighbour_help", _("Neighbour help")
        ELDERLY = "elderly", _("Elderly neighbours")
        SHARED_GARDEN = "shared_garden", _("Shared garden")
        CLEAN_UP = "clean_up", _("Clean-up")
        EVENT = "event", _("Event")
        REPAIR_CAFE = "repair_cafe", _("Repair café")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed by a tenant")
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")
        REJECTED = "rejected", _("Rejected")

    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="missions")
    # Null: open to every tenant of the landlord.
    residence = models.ForeignKey(
        Residence, on_delete=models.PROTECT, null=True, blank=True, related_name="missions"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=30, choices=Category.choices)
    place = models.CharField(max_length=255)
    latitude = models.DecimalField(max_digits=9, decimal_places=6)
    longitude = models.DecimalField(max_digits=9, decimal_places=6)
    points = models.PositiveIntegerField(default=0)
    adults_only = models.BooleanField(default=True)
    requires_charter = models.BooleanField(default=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # An initiative: proposed by a tenant, published once staff approve it.
    proposed_by = models.ForeignKey(
        Tenant,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposed_missions",
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["landlord", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "proposed",
                        "draft",
                        "published",
                        "completed",
                        "cancelled",
                        "rejected",
                    ]
                ),
                name="mission_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Slot(PublicModel):
    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        CANCELLED = "cancelled", _("Cancelled")

    mission = models.ForeignKey(Mission, on_delete=models.CASCADE, related_name="slots")
    starts_at = models.DateTimeField(db_index=True)
    ends_at = models.DateTimeField()
    capacity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # Seeds the rotating check-in code (see checkin.py); never leaves the server.
    checkin_secret = models.CharField(max_length=64, editable=False, default=new_secret)

    class Meta:
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="slot_ends_after_start"
            ),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="slot_capacity_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.mission} @ {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def hours(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 3600


ACTIVE_STATUSES = ("confirmed", "waitlisted", "offered", "attended", "no_show")


class Signup(PublicModel):
    class Status(models.TextChoices):
        CONFIRMED = "confirmed", _("Confirmed")
        WAITLISTED = "waitlisted", _("Waitlisted")
        OFFERED = "offered", _("Place offered")
        CANCELLED = "cancelled", _("Cancelled")
        ATTENDED = "attended", _("Attended")
        NO_SHOW = "no_show", _("No-show")

    class CancelReason(models.TextChoices):
        TENANT = "tenant", _("Cancelled by the tenant")
        STAFF = "staff", _("Cancelled by the organiser")
        SLOT_CANCELLED = "slot_cancelled", _("The slot was cancelled")
        MISSION_CANCELLED = "mission_cancelled", _("The mission was cancelled")
        OFFER_LAPSED = "offer_lapsed", _("The offered place was not taken in time")

    slot = models.ForeignKey(Slot, on_delete=models.CASCADE, related_name="signups")
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="volunteer_signups")
    status = models.CharField(max_length=20, choices=Status.choices)
    # FIFO ticket, given under the slot lock; the position shown is the rank among waiters.
    waitlist_ticket = models.PositiveIntegerField(null=True, blank=True)
    offered_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    # A place freed under 2 h before the start is offered to every waiter: first to accept.
    offer_shared = models.BooleanField(default=False)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=30, choices=CancelReason.choices, blank=True)
    attendance_marked_at = models.DateTimeField(null=True, blank=True)
    attendance_marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    followup_sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["slot", "status"]),
            models.Index(fields=["status", "offer_expires_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["slot", "tenant"],
                condition=Q(status__in=ACTIVE_STATUSES),
                name="signup_one_active_per_slot",
            ),
            models.UniqueConstraint(
                fields=["slot", "waitlist_ticket"], name="signup_unique_waitlist_ticket"
            ),
            models.CheckConstraint(
                condition=Q(status__in=[*ACTIVE_STATUSES, "cancelled"]),
                name="signup_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="offered") | Q(offer_expires_at__isnull=False),
                name="signup_offer_has_deadline",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant} → {self.slot} ({self.status})"


class SignupTransition(models.Model):
    """Who moved a sign-up from which state to which, and when (append-only)."""

    signup = models.ForeignKey(Signup, on_delete=models.CASCADE, related_name="transitions")
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    reason = models.CharField(max_length=30, blank=True)
    at = models.DateTimeField()

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.signup_id}: {self.from_status or '∅'} → {self.to_status}"


CHARTER_VERSION = "2026-01"


class Volunteer(models.Model):
    """A tenant's volunteering side: the residents' charter they accepted, and the row locked
    (after the slot's) whenever one of their sign-ups becomes confirmed, so two overlapping
    slots can never both be confirmed, even by two requests at the same instant."""

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="volunteer")
    charter_version = models.CharField(max_length=20, blank=True)
    charter_accepted_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.tenant)
