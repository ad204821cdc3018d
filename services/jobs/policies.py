"""Who may do what in jobs. Actions check these again, whatever the caller."""

import uuid

from django.core.exceptions import ObjectDoesNotExist

from services.accounts import roles
from services.accounts.models import Staff, User
from services.accounts.selectors import partner_landlord_ids

from .models import Match, Offer

JOB_STAFF_ROLES = (Staff.Role.ADMIN, Staff.Role.JOB_ADVISOR)


def job_staff_landlord_id(actor: User) -> int | None:
    """The landlord of a staff member who handles jobs (admin, job advisor), else None."""
    staff = roles.staff_of(actor)
    if staff is not None and staff.role in JOB_STAFF_ROLES:
        return staff.landlord_id
    return None


def employer_id_of(actor: User) -> int | None:
    member = roles.member_of(actor)
    return member.employer_id if member is not None else None


tenant_of = roles.tenant_of


def employer_landlord_ids(actor: User) -> frozenset[int]:
    """The landlords whose candidates and matches this employer member reaches: the
    partnerships each landlord granted this member (not the company's others)."""
    if employer_id_of(actor) is None:
        return frozenset()
    return partner_landlord_ids(user=actor)


def member_reaches_offer(*, actor: User, offer: Offer) -> bool:
    """A member sees its company's offers that target a landlord that granted it access
    (or that target nobody any more); a colleague's offer for another landlord stays hidden."""
    if employer_id_of(actor) != offer.employer_id:
        return False
    targets = {landlord.pk for landlord in offer.target_landlords.all()}
    return not targets or bool(targets & employer_landlord_ids(actor))


def offer_targets_landlord(*, actor: User, offer: Offer) -> bool:
    """Job staff of a landlord the offer targets (they suggest it, rank their tenants)."""
    landlord_id = job_staff_landlord_id(actor)
    return landlord_id is not None and offer.target_landlords.filter(pk=landlord_id).exists()


def member_speaks_for_offer(*, actor: User, offer: Offer) -> bool:
    """A member changes its company's offer only when every landlord the offer targets
    granted it access: editing or closing a shared offer changes what each landlord's
    tenants read and ends their open matches, and a landlord that did not grant this member
    must not see that happen through it (issue 10 §1–2)."""
    if employer_id_of(actor) != offer.employer_id:
        return False
    targets = {landlord.pk for landlord in offer.target_landlords.all()}
    return targets <= employer_landlord_ids(actor)


def can_edit_offer(*, actor: User, offer: Offer) -> bool:
    """Only the offer's owners edit or close it: the employer (its members granted access by
    every landlord the offer targets, `member_speaks_for_offer`) and job staff of the
    landlord whose staff created it. Another targeted landlord may only take itself off the
    targets (`can_untarget_offer`)."""
    if member_speaks_for_offer(actor=actor, offer=offer):
        return True
    landlord_id = job_staff_landlord_id(actor)
    return landlord_id is not None and offer.owner_landlord_id == landlord_id


def can_untarget_offer(*, actor: User, offer: Offer) -> bool:
    return offer_targets_landlord(actor=actor, offer=offer)


def can_create_offer_for(*, actor: User, employer) -> bool:
    if employer_id_of(actor) == employer.pk:
        return True
    landlord_id = job_staff_landlord_id(actor)
    return landlord_id is not None and employer.landlords.filter(pk=landlord_id).exists()


def withdraw_reason_shown(*, side: str | None) -> bool:
    """The tenant's own reason for withdrawing is for the tenant and its landlord's staff,
    never the employer (identity revealed or not)."""
    return side in ("tenant", "staff")


def actor_kind(*, actor: User | None, match: Match) -> str | None:
    """Which side of this match the actor is on: tenant, staff, employer (or None)."""
    if actor is None:
        return "system"
    tenant = tenant_of(actor)
    if tenant is not None:
        return "tenant" if tenant.pk == match.tenant_id else None
    if job_staff_landlord_id(actor) == match.landlord_id:
        return "staff"
    if (
        employer_id_of(actor) == match.offer.employer_id
        and match.proposed_at is not None
        and match.landlord_id in employer_landlord_ids(actor)
    ):
        return "employer"
    return None


def identity_revealed(*, match: Match) -> bool:
    """The employer sees who the tenant is only after the tenant agreed to be introduced
    (on this match, and still now: withdrawing the consent hides it again)."""
    if match.introduced_at is None or match.proposed_at is None:
        return False
    profile = profile_of(match.tenant)
    return profile is not None and profile.introduction_consent


def profile_of(tenant):
    try:
        return tenant.job_profile
    except ObjectDoesNotExist:
        return None


def candidate_pseudonym(*, profile, offer, side: str | None) -> uuid.UUID:
    """How a candidate is named to `side`. Job staff get the profile's id; an employer a
    pseudonym of its own for each offer and workplace, so the distance bands of several
    offers, or of one offer moved around, cannot be put together to locate a tenant, nor a
    name once revealed be recognised on other cards after the tenant withdrew the consent."""
    if side == "staff" or side == "tenant":
        return profile.public_id
    place = f"{float(offer.latitude):.5f},{float(offer.longitude):.5f}"
    return uuid.uuid5(offer.public_id, f"{profile.public_id}@{place}")
