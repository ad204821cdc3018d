"""Sign-ups: signing up, cancelling, accepting an offered place, offers lapsing."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import Tenant, User
from services.core import clock, periodic
from services.core.errors import NotAllowed, NotFound, conflict

from .. import notifications as kinds
from ..models import (
    ACTIVE_STATUSES,
    CHARTER_VERSION,
    Signup,
    SignupTransition,
    Slot,
)
from ..policies import (
    can_cancel_signup,
    can_see_mission,
)
from .places import (
    PENDING,
    S,
    _fill,
    _lock_slot,
    _lock_volunteer,
    _move,
    _overlapping_confirmed,
    _params,
    _taken,
    _touch,
)

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
