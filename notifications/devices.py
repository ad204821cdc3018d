"""Devices: registration, and deactivation with their pending pushes skipped.

The one place a device is switched off, whoever asks: the user (removal, logout), the
registration limit, or the delivery worker when FCM says the token is dead (dispatch.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import Q

from services.core import clock

from .models import Delivery, Device

if TYPE_CHECKING:  # accounts is above notifications: its types only
    from services.accounts.models import User

MAX_ACTIVE_DEVICES = 10


def _lock_device(**lookup) -> Device | None:
    """The one place a device row is locked (registration racing with another account's)."""
    return Device.objects.select_for_update().filter(**lookup).first()


def device_register(
    *,
    user: User,
    identifier: str,
    platform: str,
    kind: str = Device.Kind.TOKEN,
    app_version: str = "",
    locale: str = "",
) -> tuple[Device, bool]:
    """Upsert by identifier: (device, created). A known identifier registered by someone
    else moves to `user` (a shared or handed-on phone); the previous user's pending pushes
    on it are skipped. At most MAX_ACTIVE_DEVICES stay active: the oldest are dropped."""
    now = clock.now()
    fields = {
        "user": user,
        "kind": kind,
        "platform": platform,
        "app_version": app_version or "",
        "locale": locale or "",
        "last_seen_at": now,
        "is_active": True,
        "deactivated_at": None,
        "deactivation_reason": "",
        "last_error": "",
    }
    for _attempt in range(2):
        try:
            with transaction.atomic():
                device = _lock_device(identifier=identifier)
                created = device is None
                if created:
                    device = Device.objects.create(identifier=identifier, **fields)
                else:
                    previous_user_id = device.user_id
                    for name, value in fields.items():
                        setattr(device, name, value)
                    device.save()
                    if previous_user_id != user.pk:
                        _skip_pending(device_ids=[device.pk])
                _drop_oldest(user=user, keep=device)
                return device, created
        except IntegrityError:  # registered concurrently by another request: update it
            continue
    raise IntegrityError(f"device {identifier[:12]}… could not be registered")


def _drop_oldest(*, user: User, keep: Device) -> None:
    active = list(
        Device.objects.filter(user=user, is_active=True)
        .exclude(pk=keep.pk)
        .order_by("-last_seen_at", "-id")
        .values_list("pk", flat=True)
    )
    surplus = active[MAX_ACTIVE_DEVICES - 1 :]
    if surplus:
        devices_deactivate(device_ids=surplus, reason=Device.Reason.LIMIT)


def devices_deactivate(*, device_ids: Sequence[int], reason: str, error: str = "") -> int:
    count = Device.objects.filter(pk__in=device_ids, is_active=True).update(
        is_active=False,
        deactivated_at=clock.now(),
        deactivation_reason=reason,
        last_error=error,
        updated_at=clock.now(),
    )
    _skip_pending(device_ids=device_ids)
    return count


def _skip_pending(*, device_ids: Sequence[int]) -> None:
    """Skip the device's pending deliveries. Those a worker holds right now (a live claim)
    are left to it: it checks the device's owner and state under a lock before sending
    (dispatch.deliver), and waiting here on its rows could deadlock with its recording."""
    now = clock.now()
    Delivery.objects.filter(
        Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        device_id__in=device_ids,
        status=Delivery.Status.PENDING,
    ).update(status=Delivery.Status.SKIPPED, claimed_until=None, updated_at=now)


@transaction.atomic
def device_deactivate(*, device: Device, reason: str = Device.Reason.REMOVED) -> Device:
    devices_deactivate(device_ids=[device.pk], reason=reason)
    device.refresh_from_db()
    return device


@transaction.atomic
def device_deactivate_for_logout(*, user: User, token: str) -> bool:
    """Called by POST /auth/logout/ when the app sends its token: nothing more reaches
    that phone for this user. True when a device was deactivated."""
    ids = list(
        Device.objects.filter(user=user, identifier=token, is_active=True).values_list(
            "pk", flat=True
        )
    )
    return bool(ids) and devices_deactivate(device_ids=ids, reason=Device.Reason.LOGOUT) > 0
