"""Matches: suggested by the matching, proposed by staff, answered by the employer."""

from __future__ import annotations

import uuid

from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _

from services.accounts import tenancy_end
from services.accounts.models import User
from services.core import clock
from services.core.errors import conflict, not_found

from .. import matching, transitions
from ..models import (
    JobProfile,
    Match,
    Offer,
)
from ..policies import (
    job_staff_landlord_id,
    offer_targets_landlord,
    tenant_of,
)
from .offers import OfferNotAllowed
from .profile import NotATenant, profile_ensure

# --- Matches -----------------------------------------------------------------------------

AlreadyInterested = conflict("already_interested", _("You already answered this offer."))
OfferNotOpen = conflict("offer_not_open", _("This offer is not open any more."))
MatchingConsentRequired = conflict(
    "matching_consent_required", _("Agree to job matching before applying.")
)


def match_express_interest(*, user: User, offer: Offer) -> tuple[Match, bool]:
    """The tenant says "I'm interested" (applies directly, or accepts a suggestion)."""
    tenant = tenant_of(user)
    if tenant is None:
        raise NotATenant()
    tenancy_end.require_active(tenant, purpose=tenancy_end.JOBS)
    with transaction.atomic():
        # The offer row is locked and read again: an offer being closed meanwhile either
        # refuses the interest or closes the new match, never leaves it open on a closed offer.
        offer = transitions._lock_offer(offer.pk)
        return _express_interest(user=user, tenant=tenant, offer=offer)


def _express_interest(*, user: User, tenant, offer: Offer) -> tuple[Match, bool]:
    # Read under the offer's lock: a landlord that left the offer meanwhile
    # (`offer_untarget`) leaves no new match of its tenants behind.
    targeted = offer.target_landlords.filter(pk=tenant.landlord_id).exists()
    if offer.status != Offer.Status.PUBLISHED or not targeted:
        raise OfferNotOpen()
    profile = profile_ensure(tenant=tenant)
    if not profile.introduction_consent:
        raise transitions.IntroductionConsentRequired()
    existing = Match.objects.filter(tenant=tenant, offer=offer).first()
    if existing is not None:
        if existing.state in (Match.State.SUGGESTED, Match.State.NOT_INTERESTED):
            return transitions.match_transition(
                match=existing, actor=user, to=Match.State.INTERESTED
            ), False
        raise AlreadyInterested(extra={"match": str(existing.public_id), "state": existing.state})
    features = matching.profile_features([profile])[0]
    of = matching.OfferFeatures.of(offer)
    score = matching.score_pair(of, features, today=clock.today())
    reasons = matching.reasons_for(score=score, rome_label=offer.title, offer=of)
    try:
        with transaction.atomic():
            match = transitions.match_start(
                tenant=tenant,
                offer=offer,
                state=Match.State.INTERESTED,
                actor=user,
                score=score.total,
                reasons=reasons,
            )
    except IntegrityError:
        raise AlreadyInterested() from None
    return match, True


def match_propose(*, user: User, match: Match, expected_state: str | None = None, note: str = ""):
    return transitions.match_transition(
        match=match, actor=user, to=Match.State.PROPOSED, expected_state=expected_state, note=note
    )


ANSWERS = {
    "interested": Match.State.EMPLOYER_INTERESTED,
    "declined": Match.State.DECLINED,
    "postponed": Match.State.POSTPONED,
}


def match_answer(
    *,
    user: User,
    match: Match,
    decision: str,
    reason: str = "",
    message: str = "",
    reason_visible_to_tenant: bool = False,
    expected_state: str | None = None,
) -> Match:
    return transitions.match_transition(
        match=match,
        actor=user,
        to=ANSWERS[decision],
        expected_state=expected_state,
        data={
            "decline_reason": reason,
            "employer_message": message,
            "reason_visible_to_tenant": reason_visible_to_tenant,
        },
    )


def match_move(
    *, user: User, match: Match, to: str, expected_state: str | None, data: dict, note: str = ""
) -> Match:
    tenant = tenant_of(user)
    if tenant is not None and to != Match.State.WITHDRAWN:  # withdrawing stays possible
        tenancy_end.require_active(tenant, purpose=tenancy_end.JOBS)
    return transitions.match_transition(
        match=match, actor=user, to=to, expected_state=expected_state, data=data, note=note
    )


def matches_close_on_move_out(*, tenant, keep_job_support: bool, closed: bool = False) -> int:
    """A household member moved out (services.accounts.tenancy_end): their open matches
    become obsolete, unless they kept job support (then when their account is closed)."""
    if keep_job_support:
        return 0
    open_matches = Match.objects.filter(tenant=tenant, state__in=transitions.OPEN_STATES)
    count = 0
    for match in open_matches.order_by("id"):
        transitions.match_transition(
            match=match, actor=None, to=Match.State.OBSOLETE, note="tenant moved out"
        )
        count += 1
    return count


CandidateNotFound = not_found("candidate_not_found", _("This candidate is not available."))


@transaction.atomic
def match_suggest(*, user: User, offer: Offer, profile_id: uuid.UUID) -> Match:
    """Job staff suggest an offer to one of their candidates (a `suggested` match)."""
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is None or not offer_targets_landlord(actor=user, offer=offer):
        raise OfferNotAllowed()
    profile = (
        JobProfile.objects.filter(
            public_id=profile_id, landlord_id=landlord_id, matching_consent=True
        )
        .select_related("tenant")
        .first()
    )
    if profile is None:
        raise CandidateNotFound()
    if Match.objects.filter(tenant=profile.tenant, offer=offer).exists():
        raise AlreadyInterested()
    features = matching.profile_features([profile])[0]
    of = matching.OfferFeatures.of(offer)
    score = matching.score_pair(of, features, today=clock.today())
    return transitions.match_start(
        tenant=profile.tenant,
        offer=offer,
        state=Match.State.SUGGESTED,
        actor=None,
        score=score.total,
        reasons=matching.reasons_for(score=score, rome_label=offer.title, offer=of),
    )
