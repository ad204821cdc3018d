"""Who may do what in jobs. Actions check these again, whatever the caller."""

import uuid

from django.core.exceptions import ObjectDoesNotExist

from services.accounts.models import Staff, User

from .models import Match, Offer

JOB_STAFF_ROLES = (Staff.Role.ADMIN, Staff.Role.JOB_ADVISOR)


def job_staff_landlord_id(actor: User) -> int | None:
    """The landlord of a staff member who handles jobs (admin, job advisor), else None."""
    is_staff = actor.role == User.Role.STAFF and hasattr(actor, "staff")
    if is_staff and actor.staff.role in JOB_STAFF_ROLES:
        return actor.staff.landlord_id
    return None


def employer_id_of(actor: User) -> int | None:
    if actor.role == User.Role.EMPLOYER and hasattr(actor, "employer_member"):
        return actor.employer_member.employer_id
    return None


def tenant_of(actor: User):
    if actor.role == User.Role.TENANT and hasattr(actor, "tenant"):
        return actor.tenant
    return None


def can_manage_offer(*, actor: User, offer: Offer) -> bool:
    """The employer's members, and job staff of a landlord the offer targets."""
    if employer_id_of(actor) == offer.employer_id:
        return True
    landlord_id = job_staff_landlord_id(actor)
    if landlord_id is None:
        return False
    return offer.target_landlords.filter(pk=landlord_id).exists()


def can_create_offer_for(*, actor: User, employer) -> bool:
    if employer_id_of(actor) == employer.pk:
        return True
    landlord_id = job_staff_landlord_id(actor)
    return landlord_id is not None and employer.landlords.filter(pk=landlord_id).exists()


def actor_kind(*, actor: User | None, match: Match) -> str | None:
    """Which side of this match the actor is on: tenant, staff, employer (or None)."""
    if actor is None:
        return "system"
    tenant = tenant_of(actor)
    if tenant is not None:
        return "tenant" if tenant.pk == match.tenant_id else None
    if job_staff_landlord_id(actor) == match.landlord_id:
        return "staff"
    if employer_id_of(actor) == match.offer.employer_id and match.proposed_at is not None:
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
