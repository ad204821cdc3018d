"""The inbox as a sync source (`services.core.sync`): a notification never changes audience;
a deleted one (the user's own, an erasure, a purge) is logged for its recipient."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from services.core import sync
from services.core.sync import scope

from . import selectors
from .models import Notification

if TYPE_CHECKING:  # accounts is above notifications: its types only
    from services.accounts.models import User

NOTIFICATIONS = "notifications"


def notification_sync_for_user(
    *, user: User, live: QuerySet[Notification] | None = None
) -> sync.Source:
    live = selectors.notification_list_for_user(user=user) if live is None else live
    return sync.Source(NOTIFICATIONS, live, [scope("user", user.pk)])


def register() -> None:
    """Called once from the app's ready()."""
    sync.track_deletes(Notification, NOTIFICATIONS, lambda n: [scope("user", n.recipient_id)])
