"""Missions and their slots (staff), and the initiatives tenants propose."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import Residence, Tenant, User
from services.core import clock
from services.core.errors import NotAllowed, conflict, invalid

from .. import notifications as kinds
from ..models import (
    Mission,
    Signup,
    Slot,
)
from ..policies import (
    MISSION_MANAGERS,
    can_manage_missions,
    can_propose_initiative,
)
from .places import (
    HOLDING,
    LAST_CALL,
    PENDING,
    S,
    _fill,
    _lock_mission,
    _lock_slot,
    _lock_volunteers,
    _move,
    _params,
    _taken,
)
from .signups import SlotStarted

# --- missions and slots (staff) ---------------------------------------------------------

InvalidResidence = invalid("invalid_residence", _("Unknown residence."))
InvalidSlot = invalid("invalid_slot", _("A slot must end after it starts and be in the future."))
InvalidTransition = conflict("invalid_transition", _("This status change is not possible."))
StaleStatus = conflict("stale_status", _("The mission changed meanwhile; reload it."))
SignupsOutsideResidence = conflict(
    "signups_outside_residence",
    _(
        "Tenants of other residences are signed up: cancel their sign-ups before restricting "
        "the mission to one residence."
    ),
)
MissionNotOver = conflict(
    "mission_not_over",
    _("A slot of this mission is still to come: cancel the mission or wait for its end."),
)
CapacityBelowTaken = conflict(
    "capacity_below_taken", _("The capacity cannot go below the places already taken.")
)
UnknownSlot = invalid("unknown_slot", _("Unknown slot."))
NoSlot = invalid("no_slot", _("A mission needs at least one slot."))
# Said by the API while parsing volunteering input (declared here for their translations).
NEW_SLOT_INCOMPLETE = _("A new slot needs starts_at, ends_at and capacity.")
LAT_WITHOUT_LNG = _("Send both lat and lng.")

MISSION_FIELDS = (
    "title",
    "description",
    "category",
    "place",
    "latitude",
    "longitude",
    "points",
    "adults_only",
    "requires_charter",
)
TRANSITIONS = {
    Mission.Status.DRAFT: {Mission.Status.PUBLISHED, Mission.Status.CANCELLED},
    Mission.Status.PUBLISHED: {Mission.Status.COMPLETED, Mission.Status.CANCELLED},
    Mission.Status.PROPOSED: {Mission.Status.CANCELLED},
}


def _where(mission: Mission) -> tuple:
    return (mission.place, Decimal(str(mission.latitude)), Decimal(str(mission.longitude)))


def _residence_for(landlord_id: int, public_id) -> Residence | None:
    if public_id is None:
        return None
    residence = Residence.objects.filter(landlord_id=landlord_id, public_id=public_id).first()
    if residence is None:
        raise InvalidResidence(fields={"residence": [str(InvalidResidence.default_message)]})
    return residence


def _check_slot_times(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    if ends_at <= starts_at or starts_at <= now:
        raise InvalidSlot(fields={"slots": [str(InvalidSlot.default_message)]})


def _create_slots(mission: Mission, slots: list[dict], now: datetime) -> list[Slot]:
    created = []
    for spec in slots:
        _check_slot_times(spec["starts_at"], spec["ends_at"], now)
        created.append(
            Slot.objects.create(
                mission=mission,
                starts_at=spec["starts_at"],
                ends_at=spec["ends_at"],
                capacity=spec["capacity"],
            )
        )
    return created


@transaction.atomic
def mission_create(
    *, actor: User, data: dict[str, Any], slots: list[dict], residence=None
) -> Mission:
    """Staff create a mission (draft or published) with its slots."""
    if not can_manage_missions(actor=actor):
        raise NotAllowed()
    landlord_id = actor.staff.landlord_id
    if not slots:
        raise NoSlot(fields={"slots": [str(NoSlot.default_message)]})
    status = data.get("status") or Mission.Status.DRAFT
    if status not in (Mission.Status.DRAFT, Mission.Status.PUBLISHED):
        raise InvalidTransition()
    mission = Mission.objects.create(
        landlord_id=landlord_id,
        residence=_residence_for(landlord_id, residence),
        status=status,
        created_by=actor,
        **{key: data[key] for key in MISSION_FIELDS if key in data},
    )
    _create_slots(mission, slots, clock.now())
    return mission


def _tell_confirmed(slot: Slot, kind: str, **extra) -> None:
    signups = Signup.objects.filter(slot=slot, status=S.CONFIRMED).select_related("tenant__user")
    for signup in signups.order_by("id"):
        notify(
            recipients=[signup.tenant.user],
            kind=kind,
            params=_params(slot, **extra),
            link_id=slot.mission.public_id,
        )


def _cancel_slot_signups(slot: Slot, *, actor: User, reason: str, now: datetime) -> int:
    signups = Signup.objects.filter(slot=slot, status__in=PENDING).select_related("tenant__user")
    count = 0
    for signup in signups.order_by("id"):
        _move(signup, S.CANCELLED, actor=actor, now=now, reason=reason)
        signup.cancelled_at = now
        signup.cancel_reason = reason
        signup.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        notify(
            recipients=[signup.tenant.user],
            kind=kinds.MISSION_CANCELLED,
            params=_params(slot),
            link_id=slot.mission.public_id,
        )
        count += 1
    return count


SlotMoveOverlaps = conflict(
    "slot_move_overlaps",
    _(
        "Some confirmed volunteers are on another slot at that time: "
        "cancel their sign-ups or choose another time."
    ),
)


def _slot_move(slot: Slot, *, starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """Move a slot (locked by the caller) that has not started. Refused when one of its
    confirmed tenants holds another slot at the new time (two confirmed slots never overlap).
    Reminders are sent again for the new time; offers keep to the 2 h before the new start."""
    if now >= slot.starts_at:
        raise SlotStarted()
    _check_slot_times(starts_at, ends_at, now)
    holders = list(
        Signup.objects.filter(slot=slot, status=S.CONFIRMED).values_list("tenant_id", flat=True)
    )
    if holders:
        _lock_volunteers(holders)
        clash = (
            Signup.objects.filter(
                tenant_id__in=holders,
                status__in=HOLDING,
                slot__starts_at__lt=ends_at,
                slot__ends_at__gt=starts_at,
            )
            .exclude(slot=slot)
            .exists()
        )
        if clash:
            raise SlotMoveOverlaps()
    slot.starts_at, slot.ends_at = starts_at, ends_at
    Signup.objects.filter(slot=slot, status=S.CONFIRMED).update(
        reminder_sent_at=None, updated_at=now
    )
    Signup.objects.filter(
        slot=slot,
        status=S.OFFERED,
        offer_shared=False,
        offer_expires_at__gt=starts_at - LAST_CALL,
    ).update(offer_expires_at=starts_at - LAST_CALL, updated_at=now)
    Signup.objects.filter(slot=slot, status=S.OFFERED, offer_shared=True).update(
        offer_expires_at=starts_at, updated_at=now
    )


@transaction.atomic
def mission_update(
    *,
    actor: User,
    mission: Mission,
    data: dict[str, Any],
    slots: list[dict] | None = None,
    residence: Any = ...,
    expected_status: str | None = None,
) -> Mission:
    """Edit a mission, its slots and its status; a change of time or place is told to the
    confirmed tenants, a cancellation to everyone signed up, a larger capacity is offered."""
    mission = _lock_mission(mission.pk)
    if not can_manage_missions(actor=actor, landlord_id=mission.landlord_id):
        raise NotAllowed()
    if expected_status and expected_status != mission.status:
        raise StaleStatus(extra={"status": mission.status})
    now = clock.now()
    old_place = _where(mission)
    for key in MISSION_FIELDS:
        if key in data:
            setattr(mission, key, data[key])
    if residence is not ...:
        mission.residence = _residence_for(mission.landlord_id, residence)
        outsiders = Signup.objects.filter(
            slot__mission=mission, status__in=PENDING, slot__ends_at__gt=now
        ).exclude(tenant__tenancy__residence=mission.residence)
        if mission.residence is not None and outsiders.exists():
            raise SignupsOutsideResidence()
    new_status = data.get("status")
    if new_status and new_status != mission.status:
        if new_status not in TRANSITIONS.get(mission.status, set()):
            raise InvalidTransition()
        if new_status == Mission.Status.COMPLETED and (
            mission.slots.filter(status=Slot.Status.OPEN, ends_at__gt=now).exists()
        ):
            raise MissionNotOver()
        mission.status = new_status
    mission.save()

    place_changed = old_place != _where(mission)
    told: set[int] = set()
    for spec in slots or []:
        if spec.get("id") is None:
            _create_slots(mission, [spec], now)
            continue
        slot_row = mission.slots.filter(public_id=spec["id"]).first()
        if slot_row is None:
            raise UnknownSlot(fields={"slots": [str(UnknownSlot.default_message)]})
        slot = _lock_slot(slot_row.pk)
        starts_at = spec.get("starts_at", slot.starts_at)
        ends_at = spec.get("ends_at", slot.ends_at)
        moved = (starts_at, ends_at) != (slot.starts_at, slot.ends_at)
        if moved:
            _slot_move(slot, starts_at=starts_at, ends_at=ends_at, now=now)
        capacity = spec.get("capacity", slot.capacity)
        if capacity < _taken(slot):
            raise CapacityBelowTaken()
        grew = capacity > slot.capacity
        slot.capacity = capacity
        slot.save(update_fields=["starts_at", "ends_at", "capacity", "updated_at"])
        if moved and slot.status == Slot.Status.OPEN:
            _tell_confirmed(slot, kinds.SLOT_CHANGED, place=mission.place)
            told.add(slot.pk)
        if grew:
            _fill(slot, now)

    if mission.status == Mission.Status.CANCELLED:
        # The slots that have not started are cancelled; those that took place keep their
        # sign-ups, so attendance can still be marked (and points earned) for them.
        upcoming = mission.slots.filter(status=Slot.Status.OPEN, starts_at__gt=now)
        for slot_row in upcoming.order_by("id"):
            slot = _lock_slot(slot_row.pk)
            slot.status = Slot.Status.CANCELLED
            slot.save(update_fields=["status", "updated_at"])
            _cancel_slot_signups(
                slot, actor=actor, reason=Signup.CancelReason.MISSION_CANCELLED, now=now
            )
    elif place_changed:
        upcoming = mission.slots.filter(status=Slot.Status.OPEN, ends_at__gt=now).order_by("id")
        for slot in upcoming:
            if slot.pk not in told:
                slot.mission = mission
                _tell_confirmed(slot, kinds.SLOT_CHANGED, place=mission.place)
    return mission


@transaction.atomic
def slot_cancel(*, actor: User, slot: Slot) -> Slot:
    """Staff cancel one slot: its sign-ups are cancelled and each tenant told."""
    slot = _lock_slot(slot.pk)
    if not can_manage_missions(actor=actor, landlord_id=slot.mission.landlord_id):
        raise NotAllowed()
    if slot.status == Slot.Status.CANCELLED:
        return slot
    now = clock.now()
    if now >= slot.starts_at:
        raise SlotStarted()
    slot.status = Slot.Status.CANCELLED
    slot.save(update_fields=["status", "updated_at"])
    _cancel_slot_signups(slot, actor=actor, reason=Signup.CancelReason.SLOT_CANCELLED, now=now)
    return slot


# --- initiatives ------------------------------------------------------------------------

NotAnInitiative = conflict("not_proposed", _("This mission is not awaiting approval."))


@transaction.atomic
def initiative_propose(*, tenant: Tenant, data: dict[str, Any], slots: list[dict]) -> Mission:
    """A tenant proposes a mission for their residence; staff approve it before publication."""
    tenancy_end.require_active(tenant)
    if not can_propose_initiative(actor=tenant.user):
        raise NotAllowed()
    if not slots:
        raise NoSlot(fields={"slots": [str(NoSlot.default_message)]})
    residence = tenant.tenancy.residence
    fields = {key: data[key] for key in MISSION_FIELDS if key in data}
    fields.pop("points", None)  # staff set the points when approving
    fields.setdefault("place", residence.address)
    fields.setdefault("latitude", residence.latitude)
    fields.setdefault("longitude", residence.longitude)
    mission = Mission.objects.create(
        landlord_id=tenant.landlord_id,
        residence=residence,
        status=Mission.Status.PROPOSED,
        created_by=tenant.user,
        proposed_by=tenant,
        **fields,
    )
    _create_slots(mission, slots, clock.now())
    reviewers = User.objects.filter(
        staff__landlord_id=tenant.landlord_id, staff__role__in=MISSION_MANAGERS, is_active=True
    ).order_by("id")
    notify(
        recipients=list(reviewers),
        kind=kinds.INITIATIVE_PROPOSED,
        params={"mission": mission.title, "residence": residence.name},
        link_id=mission.public_id,
    )
    return mission


@transaction.atomic
def initiative_review(
    *, actor: User, mission: Mission, approve: bool, points: int | None = None, note: str = ""
) -> Mission:
    """Staff approve (publish, optionally setting the points) or reject a tenant's proposal."""
    mission = _lock_mission(mission.pk)
    if not can_manage_missions(actor=actor, landlord_id=mission.landlord_id):
        raise NotAllowed()
    if mission.status != Mission.Status.PROPOSED:
        raise NotAnInitiative()
    mission.status = Mission.Status.PUBLISHED if approve else Mission.Status.REJECTED
    if approve and points is not None:
        mission.points = points
    mission.reviewed_by = actor
    mission.reviewed_at = clock.now()
    mission.review_note = note
    mission.save()
    if mission.proposed_by_id:
        notify(
            recipients=[mission.proposed_by.user],
            kind=kinds.INITIATIVE_APPROVED if approve else kinds.INITIATIVE_REJECTED,
            params={"mission": mission.title, "note": note},
            link_id=mission.public_id,
        )
    return mission
