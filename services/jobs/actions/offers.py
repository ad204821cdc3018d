"""Offers: posted by landlord staff or an employer's member, targeted, published, closed."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Employer, Landlord, User
from services.core import clock
from services.core.errors import conflict, invalid, not_allowed

from .. import transitions
from ..models import (
    Match,
    Offer,
    RomeAppellation,
    RomeCode,
)
from ..policies import (
    can_create_offer_for,
    can_edit_offer,
    can_untarget_offer,
    employer_id_of,
    employer_landlord_ids,
    job_staff_landlord_id,
    member_reaches_offer,
)
from .profile import UnknownAppellation, UnknownRomeCode

# --- Offers ------------------------------------------------------------------------------

OfferLocationRequired = invalid("offer_location_required", _("Give the workplace's coordinates."))
OfferNotAllowed = not_allowed("offer_not_allowed", _("You may not manage offers of this employer."))
OfferNotOwner = not_allowed(
    "offer_not_owner",
    _(
        "Only the employer and the landlord that created this offer may change it; "
        "you may take your landlord off its targets."
    ),
)
OfferBeyondAccess = not_allowed(
    "offer_beyond_access",
    _(
        "This offer is also shown to the tenants of a landlord that did not give you access: "
        "only a colleague with access to all its landlords may change it."
    ),
)
LandlordNotPartner = invalid(
    "landlord_not_partner", _("Offers may only target landlords partnered with the employer.")
)
InvalidOfferStatus = conflict("invalid_offer_status", _("The offer cannot go to that status now."))
OfferNotEditable = conflict(
    "offer_not_editable", _("A filled or closed offer cannot be edited any more.")
)

OFFER_STATUS_STEPS = {
    Offer.Status.DRAFT: {Offer.Status.PUBLISHED, Offer.Status.CLOSED},
    Offer.Status.PUBLISHED: {Offer.Status.PAUSED, Offer.Status.FILLED, Offer.Status.CLOSED},
    Offer.Status.PAUSED: {Offer.Status.PUBLISHED, Offer.Status.FILLED, Offer.Status.CLOSED},
    Offer.Status.FILLED: set(),
    Offer.Status.CLOSED: set(),
}

OFFER_FIELDS = (
    "title",
    "description",
    "contract_type",
    "hours_per_week",
    "salary_min_cents",
    "salary_max_cents",
    "address",
    "postcode",
    "city",
    "latitude",
    "longitude",
    "start_date",
    "positions",
    "required_skills",
    "driving_licence_required",
)


def _own_landlord_ids(actor: User) -> set[int] | None:
    """The targets this actor sets: staff their landlord; a member the landlords that
    granted it access (None: no limit)."""
    landlord_id = job_staff_landlord_id(actor)
    if landlord_id is not None:
        return {landlord_id}
    if employer_id_of(actor) is not None:
        return set(employer_landlord_ids(actor))
    return None


def _targets(*, actor: User, employer: Employer, wanted: list[Landlord] | None) -> list[Landlord]:
    partners = list(employer.landlords.order_by("id"))
    own = _own_landlord_ids(actor)
    if own is not None:
        partners = [p for p in partners if p.pk in own]
    if wanted is None:
        return partners
    partner_ids = {p.pk for p in partners}
    if any(w.pk not in partner_ids for w in wanted):
        raise LandlordNotPartner(
            fields={"target_landlords": [str(LandlordNotPartner.default_message)]}
        )
    return list(wanted)


def _apply_appellation(offer: Offer, data: dict) -> None:
    if data.get("appellation"):
        appellation = (
            RomeAppellation.objects.select_related("rome").filter(code=data["appellation"]).first()
        )
        if appellation is None:
            raise UnknownAppellation(fields={"appellation": [data["appellation"]]})
        offer.appellation = appellation
        offer.rome_code = appellation.rome.code
    elif data.get("rome_code"):
        if not RomeCode.objects.filter(code=data["rome_code"]).exists():
            raise UnknownRomeCode(fields={"rome_code": [data["rome_code"]]})
        offer.rome_code = data["rome_code"]
        offer.appellation = None


RomeRequired = invalid("rome_required", _("Give the job's ROME title or code."))


@transaction.atomic
def offer_create(*, actor: User, employer: Employer, data: dict, target_landlords=None) -> Offer:
    if not can_create_offer_for(actor=actor, employer=employer):
        raise OfferNotAllowed()
    targets = _targets(actor=actor, employer=employer, wanted=target_landlords)
    if not targets:
        raise LandlordNotPartner(
            fields={"target_landlords": [str(LandlordNotPartner.default_message)]}
        )
    offer = Offer(
        employer=employer, created_by=actor, owner_landlord_id=job_staff_landlord_id(actor)
    )
    for name in OFFER_FIELDS:
        if name in data:
            setattr(offer, name, data[name])
    if offer.latitude is None or offer.longitude is None:
        offer.latitude = float(employer.latitude) if employer.latitude is not None else None
        offer.longitude = float(employer.longitude) if employer.longitude is not None else None
    _apply_appellation(offer, data)
    if not offer.rome_code:
        raise RomeRequired(fields={"appellation": [str(RomeRequired.default_message)]})
    if offer.latitude is None:
        raise OfferLocationRequired(fields={"latitude": [str(_("Required."))]})
    now = clock.now()
    offer.last_activity_at = now
    if data.get("status") == Offer.Status.PUBLISHED:
        offer.status = Offer.Status.PUBLISHED
        offer.published_at = now
    offer.full_clean(exclude=["target_landlords", "created_by", "appellation"])
    offer.save()
    offer.target_landlords.set(targets)
    return offer


@transaction.atomic
def offer_update(*, actor: User, offer: Offer, data: dict, target_landlords=None) -> Offer:
    offer = transitions._lock_offer(offer.pk)
    if not can_edit_offer(actor=actor, offer=offer):
        if member_reaches_offer(actor=actor, offer=offer):
            raise OfferBeyondAccess()
        raise OfferNotOwner()
    if offer.status in (Offer.Status.FILLED, Offer.Status.CLOSED):
        changed = [n for n in OFFER_FIELDS if n in data and data[n] != getattr(offer, n)]
        if data.get("appellation") and data["appellation"] != getattr(
            offer.appellation, "code", None
        ):
            changed.append("appellation")
        if data.get("rome_code") and data["rome_code"] != offer.rome_code:
            changed.append("rome_code")
        if target_landlords is not None and {t.pk for t in target_landlords} != {
            t.pk for t in offer.target_landlords.all()
        }:
            changed.append("target_landlords")
        if changed:
            raise OfferNotEditable(
                fields={name: [str(OfferNotEditable.default_message)] for name in changed},
                extra={"status": offer.status},
            )
    for name in OFFER_FIELDS:
        if name in data:
            setattr(offer, name, data[name])
    _apply_appellation(offer, data)
    now = clock.now()
    new_status = data.get("status")
    if new_status and new_status != offer.status:
        if new_status not in OFFER_STATUS_STEPS[offer.status]:
            raise InvalidOfferStatus(extra={"status": offer.status})
        offer.status = new_status
        if new_status == Offer.Status.PUBLISHED and offer.published_at is None:
            offer.published_at = now
    offer.last_activity_at = now
    offer.expiry_warned_at = None
    offer.full_clean(exclude=["target_landlords", "created_by", "appellation"])
    offer.save()
    if target_landlords is not None:
        targets = _targets(actor=actor, employer=offer.employer, wanted=target_landlords)
        own = _own_landlord_ids(actor)
        before = list(offer.target_landlords.all())
        if own is not None:
            # Each (un)targets the landlords it speaks for; the others' choices stay.
            targets = [t for t in before if t.pk not in own] + targets
        offer.target_landlords.set(targets)
        kept = {t.pk for t in targets}
        _close_landlord_matches(
            offer=offer, landlord_ids=[t.pk for t in before if t.pk not in kept]
        )
    if offer.status in (Offer.Status.FILLED, Offer.Status.CLOSED):
        transitions.close_open_matches(offer=offer, note=f"offer {offer.status}")
    return offer


def _close_landlord_matches(*, offer: Offer, landlord_ids: list[int]) -> None:
    """A landlord taken off an offer's targets: its tenants' open matches on it become
    obsolete (the other landlords' are untouched). The offer is already locked."""
    if not landlord_ids:
        return
    open_matches = Match.objects.filter(
        offer=offer, landlord_id__in=landlord_ids, state__in=transitions.OPEN_STATES
    )
    for match in open_matches.order_by("id"):
        transitions.match_transition(
            match=match, actor=None, to=Match.State.OBSOLETE, note="landlord left the offer"
        )


OfferNotTargeted = not_allowed(
    "offer_not_targeted", _("Only staff of a landlord this offer targets may leave it.")
)


@transaction.atomic
def offer_untarget(*, actor: User, offer: Offer) -> Offer:
    """Job staff take their own landlord off an offer's targets, whoever owns it: their
    tenants stop seeing it and their open matches on it become obsolete; the offer and the
    other landlords' matches are untouched."""
    offer = transitions._lock_offer(offer.pk)
    if not can_untarget_offer(actor=actor, offer=offer):
        raise OfferNotTargeted()
    landlord_id = job_staff_landlord_id(actor)
    offer.target_landlords.remove(landlord_id)
    _close_landlord_matches(offer=offer, landlord_ids=[landlord_id])
    return offer
