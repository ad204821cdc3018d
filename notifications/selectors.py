"""Reads, always scoped to the asking user: someone else's row is simply not there."""

from __future__ import annotations

import datetime
import uuid
from typing import TYPE_CHECKING

from django.db.models import Count, Q, QuerySet

from services.core import clock, stamps

from . import registry
from .kinds import ANNOUNCEMENT, CATEGORY_LABELS, LOCKED_CATEGORIES
from .models import Announcement, Delivery, Device, Notification, Preference

if TYPE_CHECKING:  # accounts is above notifications: its types only
    from services.accounts.models import User


def device_list_for_user(*, user: User) -> QuerySet[Device]:
    return Device.objects.filter(user=user, is_active=True).order_by("-last_seen_at", "-id")


def notification_list_for_user(*, user: User) -> QuerySet[Notification]:
    return Notification.objects.filter(recipient=user, in_inbox=True).order_by("-created_at", "-id")


def notification_unread_count(*, user: User) -> int:
    return notification_list_for_user(user=user).filter(read_at__isnull=True).count()


def preference_list_for_user(*, user: User) -> list[dict]:
    """Every category × channel switch, with its state (no row means on)."""
    saved = {
        (p.category, p.channel): p.enabled
        for p in Preference.objects.filter(user=user).order_by("category", "channel")
    }
    switches = []
    for category in registry.Category.ALL:
        locked = category in LOCKED_CATEGORIES
        for channel in (Preference.Channel.PUSH, Preference.Channel.INBOX):
            switches.append(
                {
                    "category": category,
                    "label": str(CATEGORY_LABELS.get(category, category)),
                    "channel": str(channel),
                    "enabled": True if locked else saved.get((category, channel), True),
                    "switchable": not locked,
                }
            )
    return switches


def announcement_list_for_user(*, user: User) -> QuerySet[Announcement]:
    if user.role == user.Role.STAFF and hasattr(user, "staff"):
        return Announcement.objects.filter(landlord_id=user.staff.landlord_id).order_by(
            "-created_at", "-id"
        )
    return Announcement.objects.none()


def announcement_ids_stalled(*, idle: datetime.timedelta) -> list[int]:
    """Announcements whose fan-out is not finished and has not moved for `idle`: the task
    was lost (a broker outage at commit) or its worker died. Re-running it resumes."""
    return list(
        Announcement.objects.filter(
            status__in=[Announcement.Status.PENDING, Announcement.Status.SENDING],
            updated_at__lt=clock.now() - idle,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def announcement_count_since(*, user: User, since: datetime.datetime) -> int:
    """Announcements the user's landlord sent since `since` (the console home)."""
    return announcement_list_for_user(user=user).filter(created_at__gte=since).count()


def announcement_delivery_counts(*, announcement: Announcement) -> dict[str, int]:
    """How far an announcement went: inbox rows written, read, pushes sent and failed."""
    notes = Notification.objects.filter(
        kind=ANNOUNCEMENT, link_type="announcement", link_id=str(announcement.public_id)
    )
    counts = notes.aggregate(
        recipients=Count("id"), read=Count("id", filter=Q(read_at__isnull=False))
    )
    counts.update(
        Delivery.objects.filter(notification__in=notes.values("id")).aggregate(
            pushes_sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
            pushes_failed=Count("id", filter=Q(status=Delivery.Status.FAILED)),
            pushes_pending=Count("id", filter=Q(status=Delivery.Status.PENDING)),
        )
    )
    return counts


def announcement_inbox_for_user(*, user: User, limit: int = 3) -> list[Notification]:
    """The latest announcements in the user's inbox (their rows: title and body as sent)."""
    return list(notification_list_for_user(user=user).filter(kind=ANNOUNCEMENT)[:limit])


def announcement_list_readable(*, user: User) -> QuerySet[Announcement]:
    """Announcements the user may open: staff their landlord's; anyone those that reached
    their inbox (where an announcement push's deep link leads)."""
    if user.role == user.Role.STAFF:
        return announcement_list_for_user(user=user)
    received = []
    for link_id in (
        notification_list_for_user(user=user)
        .filter(kind=ANNOUNCEMENT, link_type="announcement")
        .values_list("link_id", flat=True)
    ):
        try:
            received.append(uuid.UUID(link_id))
        except ValueError:
            continue
    return Announcement.objects.filter(public_id__in=received).order_by("-created_at", "-id")


def home_stamps(*, user: User) -> dict:
    """The inbox's version for the home screen's ETag (read, new or deleted rows move it):
    the rows of `notification_list_for_user`, in hand-written SQL (`stamps.sql_version`)."""
    inbox = Notification._meta.db_table
    return {
        "inbox": (
            stamps.sql_version(
                f"{inbox} WHERE {inbox}.in_inbox AND {inbox}.recipient_id = %s",
                f"{inbox}.updated_at",
            ),
            [user.pk],
        )
    }
