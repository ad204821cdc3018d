"""The engine of places: locks, sign-up moves and the waitlist fill."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from notifications.services import notify
from services.accounts.models import Tenant, User

from .. import notifications as kinds
from ..models import (
    Mission,
    Signup,
    SignupTransition,
    Slot,
    Volunteer,
)

OFFER_WINDOW = timedelta(hours=24)
LAST_CALL = timedelta(hours=2)
CHECKIN_ATTEMPTS = 10
CHECKIN_WINDOW = timedelta(minutes=10)
REMINDER_AHEAD = timedelta(hours=24)
FOLLOWUP_WITHIN = timedelta(hours=48)

S = Signup.Status
PENDING = (S.CONFIRMED, S.WAITLISTED, S.OFFERED)


# --- helpers ----------------------------------------------------------------------------


def _lock_slot(slot_id: int) -> Slot:
    """The one place a slot row is locked: every change to its places goes through here."""
    return Slot.objects.select_for_update(of=("self",)).select_related("mission").get(pk=slot_id)


def _lock_volunteer(tenant: Tenant) -> Volunteer:
    """The one place a volunteer row is locked: always after the slot's, never before (so no
    deadlock). It serialises one tenant's confirmations across different slots."""
    volunteer = Volunteer.objects.select_for_update().filter(tenant=tenant).first()
    if volunteer is None:
        try:
            with transaction.atomic():
                Volunteer.objects.create(tenant=tenant)
        except IntegrityError:
            pass  # created by a concurrent request meanwhile
        volunteer = Volunteer.objects.select_for_update().get(tenant=tenant)
    return volunteer


def _lock_volunteers(tenant_ids: list[int]) -> None:
    """Lock several volunteers at once (a slot move), after the slot's, in id order; the rows
    of tenants who never went through `_lock_volunteer` need no lock (nothing confirmed)."""
    list(
        Volunteer.objects.select_for_update()
        .filter(tenant_id__in=tenant_ids)
        .order_by("id")
        .values_list("id", flat=True)
    )


def _lock_mission(mission_id: int) -> Mission:
    """The one place a mission row is locked (status changes, edits)."""
    return Mission.objects.select_for_update().get(pk=mission_id)


def _touch(slot: Slot, now: datetime) -> None:
    """Its places changed: phones syncing missions with ?updated_since= see it again."""
    Slot.objects.filter(pk=slot.pk).update(updated_at=now)


def _when(at: datetime) -> str:
    return timezone.localtime(at).strftime("%d/%m/%Y %H:%M")


def _params(slot: Slot, **extra) -> dict:
    return {"mission": slot.mission.title, "start": _when(slot.starts_at), **extra}


def _move(signup: Signup, to: str, *, actor: User | None, now: datetime, reason: str = ""):
    SignupTransition.objects.create(
        signup=signup,
        from_status=signup.status if signup.pk else "",
        to_status=to,
        actor=actor,
        reason=reason,
        at=now,
    )
    signup.status = to


def _taken(slot: Slot) -> int:
    return Signup.objects.filter(
        Q(status=S.CONFIRMED) | Q(status=S.OFFERED, offer_shared=False), slot=slot
    ).count()


HOLDING = (S.CONFIRMED, S.ATTENDED)  # a tenant's place at a time (attended: during the slot)


def _overlapping_confirmed(tenant: Tenant, slot: Slot) -> bool:
    return (
        Signup.objects.filter(
            tenant=tenant,
            status__in=HOLDING,
            slot__starts_at__lt=slot.ends_at,
            slot__ends_at__gt=slot.starts_at,
        )
        .exclude(slot=slot)
        .exists()
    )


def offer_deadline(*, slot: Slot, now: datetime) -> datetime:
    """24 h, or until 2 h before the start when that is sooner."""
    return min(now + OFFER_WINDOW, slot.starts_at - LAST_CALL)


def _fill(slot: Slot, now: datetime) -> list[Signup]:
    """Offer the slot's free places to the waitlist (the slot is locked by the caller).

    More than 2 h before the start, the first waiters get an exclusive offer each, with a
    deadline; from 2 h before the start, every waiter is offered at once (first to accept).
    """
    if (
        slot.status != Slot.Status.OPEN
        or slot.mission.status != Mission.Status.PUBLISHED
        or now >= slot.starts_at
    ):
        return []
    free = slot.capacity - _taken(slot)
    if free <= 0:
        return []
    waiters = Signup.objects.filter(slot=slot, status=S.WAITLISTED).select_related("tenant__user")
    shared = slot.starts_at - now <= LAST_CALL
    if shared:
        deadline = slot.starts_at
        chosen = list(waiters.order_by("waitlist_ticket"))
    else:
        deadline = offer_deadline(slot=slot, now=now)
        chosen = list(waiters.order_by("waitlist_ticket")[:free])
    for signup in chosen:
        _move(signup, S.OFFERED, actor=None, now=now, reason="place_freed")
        signup.offered_at = now
        signup.offer_expires_at = deadline
        signup.offer_shared = shared
        signup.save(
            update_fields=["status", "offered_at", "offer_expires_at", "offer_shared", "updated_at"]
        )
        notify(
            recipients=[signup.tenant.user],
            kind=kinds.PLACE_OFFERED,
            params=_params(slot, deadline=_when(deadline)),
            link_id=signup.public_id,
        )
    return chosen
