"""Volunteering writes, one use case each.

Every change to a slot's places (sign-up, cancel, accept, lapse, capacity, attendance)
runs under `_lock_slot`, the one place a slot row is locked, so capacity is exact under
concurrency. Notifications are written in the same transaction (a rollback sends nothing).
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import Residence, Tenant, User
from services.core import clock, periodic, ratelimit
from services.core.errors import NotAllowed, NotFound, conflict, invalid
from services.loyalty import actions as loyalty

from . import checkin
from . import notifications as kinds
from .models import (
    ACTIVE_STATUSES,
    CHARTER_VERSION,
    Mission,
    Signup,
    SignupTransition,
    Slot,
    Volunteer,
)
from .policies import (
    MISSION_MANAGERS,
    can_cancel_signup,
    can_manage_missions,
    can_mark_attendance,
    can_propose_initiative,
    can_see_mission,
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


# --- sign-ups ---------------------------------------------------------------------------

SlotStarted = conflict("slot_started", _("This slot has already started."))
SlotCancelled = conflict("slot_cancelled", _("This slot is cancelled."))
AlreadySignedUp = conflict("already_signed_up", _("You are already signed up for this slot."))
OverlappingSignup = conflict(
    "overlapping_signup", _("You are already confirmed on another slot at the same time.")
)
CharterRequired = conflict(
    "charter_required", _("Please accept the residents' charter to sign up for this mission.")
)


@transaction.atomic
def signup_create(*, tenant: Tenant, slot: Slot, accept_charter: bool = False) -> Signup:
    """`confirmed` while places are left and nobody waits, else `waitlisted` (FIFO ticket)."""
    tenancy_end.require_active(tenant)  # a tenant who moved out signs up no more
    slot = _lock_slot(slot.pk)
    mission = slot.mission
    now = clock.now()
    if not can_see_mission(actor=tenant.user, mission=mission):
        raise NotFound()
    if slot.status != Slot.Status.OPEN:
        raise SlotCancelled()
    if now >= slot.starts_at:
        raise SlotStarted()
    if Signup.objects.filter(slot=slot, tenant=tenant, status__in=ACTIVE_STATUSES).exists():
        raise AlreadySignedUp()
    volunteer = _lock_volunteer(tenant)
    if mission.requires_charter and volunteer.charter_accepted_at is None:
        if not accept_charter:
            raise CharterRequired()
        volunteer.charter_version = CHARTER_VERSION
        volunteer.charter_accepted_at = now
        volunteer.save(update_fields=["charter_version", "charter_accepted_at"])

    queue = Signup.objects.filter(
        Q(status=S.WAITLISTED) | Q(status=S.OFFERED, offer_shared=True), slot=slot
    ).exists()
    signup = Signup(slot=slot, tenant=tenant)
    if not queue and _taken(slot) < slot.capacity:
        if _overlapping_confirmed(tenant, slot):
            raise OverlappingSignup()
        initial = S.CONFIRMED
        signup.confirmed_at = now
    else:
        initial = S.WAITLISTED
        last = Signup.objects.filter(slot=slot).aggregate(m=Max("waitlist_ticket"))["m"]
        signup.waitlist_ticket = (last or 0) + 1
    signup.status = initial
    try:
        with transaction.atomic():
            signup.save()
    except IntegrityError:
        raise AlreadySignedUp() from None
    SignupTransition.objects.create(
        signup=signup, from_status="", to_status=initial, actor=tenant.user, at=now
    )
    if initial == S.WAITLISTED:
        _fill(slot, now)  # from 2 h before the start, waiters are offered free places at once
        signup.refresh_from_db(fields=["status", "offered_at", "offer_expires_at", "offer_shared"])
    else:
        _touch(slot, now)
    return signup


NotCancellable = conflict("not_cancellable", _("This sign-up can no longer be cancelled."))
StaleSignup = conflict("stale_status", _("This sign-up changed meanwhile; reload it."))


def _check_expected(signup: Signup, expected_status: str | None) -> None:
    if expected_status and expected_status != signup.status:
        raise StaleSignup(extra={"status": signup.status})


@transaction.atomic
def signup_cancel(*, signup: Signup, actor: User, expected_status: str | None = None) -> Signup:
    """The tenant before the start, or staff at any time before attendance; frees the place."""
    slot = _lock_slot(signup.slot_id)
    signup = Signup.objects.select_related("tenant__user").get(pk=signup.pk)
    signup.slot = slot
    now = clock.now()
    if not can_cancel_signup(actor=actor, signup=signup):
        raise NotAllowed()
    _check_expected(signup, expected_status)
    by_tenant = actor.role == User.Role.TENANT
    if signup.status not in PENDING:
        raise NotCancellable()
    if by_tenant and now >= slot.starts_at:
        raise SlotStarted()
    frees = signup.status == S.CONFIRMED or (signup.status == S.OFFERED and not signup.offer_shared)
    reason = Signup.CancelReason.TENANT if by_tenant else Signup.CancelReason.STAFF
    _move(signup, S.CANCELLED, actor=actor, now=now, reason=reason)
    signup.cancelled_at = now
    signup.cancel_reason = reason
    signup.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
    if not by_tenant:
        notify(
            recipients=[signup.tenant.user],
            kind=kinds.SIGNUP_CANCELLED,
            params=_params(slot),
            link_id=signup.public_id,
        )
    if frees:
        _touch(slot, now)
        _fill(slot, now)
    return signup


NoOffer = conflict("no_offer", _("No place is offered to you on this sign-up."))
OfferExpired = conflict("offer_expired", _("This offer has lapsed."))
PlaceTaken = conflict("place_taken", _("Someone else took this place first."))


@transaction.atomic
def offer_accept(*, signup: Signup, tenant: Tenant, expected_status: str | None = None) -> Signup:
    """Take an offered place before its deadline; a shared offer goes to the first to accept."""
    tenancy_end.require_active(tenant)
    slot = _lock_slot(signup.slot_id)
    signup = Signup.objects.get(pk=signup.pk)
    signup.slot = slot
    now = clock.now()
    if signup.tenant_id != tenant.pk:
        raise NotFound()
    if not (signup.status == S.WAITLISTED and signup.offered_at is not None):
        _check_expected(signup, expected_status)  # a lost race says place_taken, below
    _lock_volunteer(tenant)
    if signup.status == S.WAITLISTED and signup.offered_at is not None:
        raise PlaceTaken()
    if signup.status != S.OFFERED:
        raise NoOffer()
    if now >= signup.offer_expires_at or now >= slot.starts_at:
        raise OfferExpired()
    if _overlapping_confirmed(tenant, slot):
        raise OverlappingSignup()
    shared = signup.offer_shared
    if shared and _taken(slot) >= slot.capacity:
        raise PlaceTaken()
    _move(signup, S.CONFIRMED, actor=tenant.user, now=now, reason="offer_accepted")
    signup.confirmed_at = now
    signup.offer_shared = False
    signup.save(update_fields=["status", "confirmed_at", "offer_shared", "updated_at"])
    _touch(slot, now)
    if shared and _taken(slot) >= slot.capacity:
        # The place is gone: the others wait again, keeping their place in the queue
        # (`offered_at` stays, so a late accept is told `place_taken`).
        for other in Signup.objects.filter(slot=slot, status=S.OFFERED, offer_shared=True):
            _move(other, S.WAITLISTED, actor=None, now=now, reason="place_taken")
            other.offer_shared = False
            other.offer_expires_at = None
            other.save(update_fields=["status", "offer_shared", "offer_expires_at", "updated_at"])
    return signup


def offers_expire(*, now: datetime | None = None) -> int:
    """Lapse the offers past their deadline and pass each place on (the periodic task's body).

    An exclusive offer lapses into `cancelled` (reason offer_lapsed) and the next waiter is
    offered; a shared offer (deadline = start) goes back to the queue. Safe to run twice.
    """
    now = now or clock.now()
    slot_ids = (
        Signup.objects.filter(status=S.OFFERED, offer_expires_at__lte=now)
        .values_list("slot_id", flat=True)
        .distinct()
        .order_by("slot_id")
    )
    lapsed = 0
    loop = periodic.Loop("volunteering.expire_offers")
    for slot_id in list(slot_ids):
        with loop.item(slot_id):
            lapsed += _expire_slot_offers(slot_id=slot_id, now=now)
    return lapsed


@transaction.atomic
def _expire_slot_offers(*, slot_id: int, now: datetime) -> int:
    slot = _lock_slot(slot_id)
    due = Signup.objects.filter(
        slot=slot, status=S.OFFERED, offer_expires_at__lte=now
    ).select_related("tenant__user")
    count = 0
    for signup in due.order_by("waitlist_ticket"):
        count += 1
        if signup.offer_shared:
            _move(signup, S.WAITLISTED, actor=None, now=now, reason="offer_lapsed")
            signup.offer_shared = False
            signup.offered_at = None
            signup.offer_expires_at = None
            signup.save(
                update_fields=[
                    "status",
                    "offer_shared",
                    "offered_at",
                    "offer_expires_at",
                    "updated_at",
                ]
            )
            continue
        _move(signup, S.CANCELLED, actor=None, now=now, reason=Signup.CancelReason.OFFER_LAPSED)
        signup.cancelled_at = now
        signup.cancel_reason = Signup.CancelReason.OFFER_LAPSED
        signup.save(update_fields=["status", "cancelled_at", "cancel_reason", "updated_at"])
        notify(
            recipients=[signup.tenant.user],
            kind=kinds.OFFER_LAPSED,
            params=_params(slot),
            link_id=signup.public_id,
        )
    if count:
        _touch(slot, now)
    _fill(slot, now)
    return count


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


# --- attendance -------------------------------------------------------------------------

AttendanceTooEarly = conflict(
    "attendance_too_early", _("Attendance can be marked once the slot has started.")
)
NotAttendable = conflict(
    "not_attendable", _("Only confirmed sign-ups can be marked attended or no-show.")
)
UnknownSignup = invalid("unknown_signup", _("This sign-up is not on this slot."))
DuplicateSignup = invalid("duplicate_signup", _("Each sign-up may be marked only once."))


def _attendance_key(signup: Signup) -> str:
    return f"volunteering:attendance:{signup.public_id}"


def _set_attendance(
    signup: Signup, *, attended: bool, actor: User, now: datetime, mission: Mission
) -> bool:
    """Award the points once on attendance; reverse them on a correction to no-show."""
    target = S.ATTENDED if attended else S.NO_SHOW
    if signup.status == target:
        return False
    previous = signup.status
    _move(signup, target, actor=actor, now=now, reason="attendance")
    signup.attendance_marked_at = now
    signup.attendance_marked_by = actor
    signup.save(
        update_fields=["status", "attendance_marked_at", "attendance_marked_by", "updated_at"]
    )
    if attended and mission.points:
        loyalty.points_award(
            tenant=signup.tenant,
            rule="volunteer_attendance",
            source=signup,
            idempotency_key=_attendance_key(signup),
            points=mission.points,
            issuer=actor,
        )
    elif not attended and previous == S.ATTENDED:
        loyalty.points_reverse(
            tenant=signup.tenant,
            idempotency_key=_attendance_key(signup),
            reason="attendance_corrected",
            issuer=actor,
        )
    return True


@transaction.atomic
def attendance_mark(*, actor: User, slot: Slot, marks: list[tuple[Any, bool]]) -> list[Signup]:
    """Staff mark attended / no-show in bulk, from the slot's start on; all or nothing."""
    slot = _lock_slot(slot.pk)
    mission = slot.mission
    if not can_mark_attendance(actor=actor, mission=mission):
        raise NotAllowed()
    if slot.status != Slot.Status.OPEN:
        raise SlotCancelled()
    now = clock.now()
    if now < slot.starts_at:
        raise AttendanceTooEarly()
    wanted = {str(public_id): attended for public_id, attended in marks}
    if len(wanted) != len(marks):
        counts = Counter(str(public_id) for public_id, _attended in marks)
        twice = sorted(public_id for public_id, n in counts.items() if n > 1)
        raise DuplicateSignup(fields={"signup": twice})
    signups = {
        str(s.public_id): s
        for s in Signup.objects.filter(slot=slot, public_id__in=list(wanted)).select_related(
            "tenant"
        )
    }
    unknown = sorted(set(wanted) - set(signups))
    if unknown:
        raise UnknownSignup(fields={"signup": unknown})
    result = []
    for public_id, attended in wanted.items():
        signup = signups[public_id]
        if signup.status not in (S.CONFIRMED, S.ATTENDED, S.NO_SHOW):
            raise NotAttendable(extra={"signup": public_id})
        _set_attendance(signup, attended=attended, actor=actor, now=now, mission=mission)
        result.append(signup)
    return result


CheckinClosed = conflict("checkin_closed", _("Check-in is only open during the slot."))
InvalidCheckinCode = invalid("invalid_checkin_code", _("This check-in code is not valid."))
TooManyCheckins = conflict(
    "too_many_attempts", _("Too many wrong codes. Please wait a few minutes.")
)
NotConfirmed = conflict("not_confirmed", _("You have no confirmed place on this slot."))


def signup_check_in(*, tenant: Tenant, slot: Slot, code: str) -> Signup:
    """A tenant on the slot types the organiser's rotating code during the slot: attended."""
    limit = ratelimit.Limit(f"volunteering:checkin:{tenant.pk}", CHECKIN_ATTEMPTS, CHECKIN_WINDOW)
    try:
        # Counted before the code is checked; given back unless the code was wrong.
        with ratelimit.attempt(limit, failures=(InvalidCheckinCode,)):
            return _check_in(tenant=tenant, slot=slot, code=code)
    except ratelimit.LimitReached as reached:
        raise TooManyCheckins(extra={"retry_after": reached.retry_after}) from None


@transaction.atomic
def _check_in(*, tenant: Tenant, slot: Slot, code: str) -> Signup:
    slot = _lock_slot(slot.pk)
    now = clock.now()
    if slot.status != Slot.Status.OPEN or not checkin.window_contains(
        slot.starts_at, slot.ends_at, now
    ):
        raise CheckinClosed()
    if not checkin.code_matches(slot.checkin_secret, code, now):
        raise InvalidCheckinCode(fields={"code": [str(InvalidCheckinCode.default_message)]})
    # A no-show marked early in the slot is corrected by a late arrival's check-in.
    signup = (
        Signup.objects.filter(
            slot=slot, tenant=tenant, status__in=(S.CONFIRMED, S.NO_SHOW, S.ATTENDED)
        )
        .select_related("tenant")
        .first()
    )
    if signup is None:
        raise NotConfirmed()
    if signup.status == S.ATTENDED:
        return signup
    _set_attendance(signup, attended=True, actor=tenant.user, now=now, mission=slot.mission)
    signup.checked_in_at = now
    signup.save(update_fields=["checked_in_at", "updated_at"])
    return signup


SlotOver = conflict("slot_over", _("This slot is over."))


def checkin_code_for(*, actor: User, slot: Slot) -> dict:
    """The code the organiser shows now, and when it rotates."""
    if not can_mark_attendance(actor=actor, mission=slot.mission):
        raise NotAllowed()
    if slot.status != Slot.Status.OPEN:
        raise SlotCancelled()
    now = clock.now()
    if now > slot.ends_at:
        raise SlotOver()
    return {
        "code": checkin.code_at(slot.checkin_secret, now),
        "rotates_at": checkin.step_ends_at(now),
        "valid_from": slot.starts_at,
        "valid_until": slot.ends_at,
    }


# --- completion -------------------------------------------------------------------------


def missions_complete(*, now: datetime | None = None) -> int:
    """Published missions whose last open slot has ended become `completed` (periodic task;
    safe to rerun). A mission whose slots were all cancelled is left to staff."""
    now = now or clock.now()
    open_slots = Slot.objects.filter(mission=OuterRef("pk"), status=Slot.Status.OPEN)
    over = (
        Mission.objects.filter(status=Mission.Status.PUBLISHED)
        .filter(Exists(open_slots))
        .exclude(Exists(open_slots.filter(ends_at__gte=now)))
        .values_list("pk", flat=True)
        .order_by("pk")
    )
    completed = 0
    loop = periodic.Loop("volunteering.missions_complete")
    for mission_id in list(over):
        with loop.item(mission_id):
            mission = _lock_mission(mission_id)
            ongoing = mission.slots.filter(status=Slot.Status.OPEN, ends_at__gte=now).exists()
            if mission.status != Mission.Status.PUBLISHED or ongoing:
                continue
            mission.status = Mission.Status.COMPLETED
            mission.save(update_fields=["status", "updated_at"])
            completed += 1
    return completed


# --- reminders --------------------------------------------------------------------------


def reminders_send(*, now: datetime | None = None) -> int:
    """A push 24 h before each confirmed slot; each sign-up is claimed once (safe to rerun)."""
    now = now or clock.now()
    due = Signup.objects.filter(
        status=S.CONFIRMED,
        reminder_sent_at__isnull=True,
        slot__status=Slot.Status.OPEN,
        slot__starts_at__gt=now,
        slot__starts_at__lte=now + REMINDER_AHEAD,
    ).select_related("slot__mission", "tenant__user")
    sent = 0
    loop = periodic.Loop("volunteering.reminders")
    for signup in due.order_by("id"):
        with loop.item(signup.pk):
            claimed = Signup.objects.filter(pk=signup.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if claimed:
                notify(
                    recipients=[signup.tenant.user],
                    kind=kinds.REMINDER,
                    params=_params(signup.slot, place=signup.slot.mission.place),
                    link_id=signup.public_id,
                )
                sent += 1
    return sent


def followups_send(*, now: datetime | None = None) -> int:
    """After the slot, ask each tenant who took part how it went (once, within 48 h)."""
    now = now or clock.now()
    due = Signup.objects.filter(
        status__in=(S.CONFIRMED, S.ATTENDED),
        followup_sent_at__isnull=True,
        slot__status=Slot.Status.OPEN,
        slot__ends_at__lte=now,
        slot__ends_at__gt=now - FOLLOWUP_WITHIN,
    ).select_related("slot__mission", "tenant__user")
    sent = 0
    loop = periodic.Loop("volunteering.followups")
    for signup in due.order_by("id"):
        with loop.item(signup.pk):
            claimed = Signup.objects.filter(pk=signup.pk, followup_sent_at__isnull=True).update(
                followup_sent_at=now
            )
            if claimed:
                notify(
                    recipients=[signup.tenant.user],
                    kind=kinds.FOLLOWUP,
                    params=_params(signup.slot),
                    link_id=signup.public_id,
                )
                sent += 1
    return sent
