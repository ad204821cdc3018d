"""Reads, always scoped to who asks: another landlord's or company's rows are not there."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from statistics import median

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from services.accounts.models import User
from services.core import clock
from services.core.errors import invalid, not_allowed
from services.core.extensions import volunteer_hours_for

from . import matching
from .models import (
    JobConsent,
    JobProfile,
    Match,
    MatchTransition,
    Offer,
    ProfileRome,
    ProfileSkill,
    RevealedProfileView,
    RomeAppellation,
    RomeCode,
    normalize_text,
)
from .policies import (
    candidate_pseudonym,
    employer_id_of,
    employer_landlord_ids,
    job_staff_landlord_id,
    tenant_of,
)

UnknownLandlord = invalid("unknown_landlord", _("Unknown landlord."))

# --- ROME reference ----------------------------------------------------------------------


def rome_search(*, q: str, limit: int = 20) -> list[dict]:
    """Families whose code or label match, then job titles; accent- and case-insensitive."""
    q = (q or "").replace("\x00", "")  # PostgreSQL refuses NUL in a text parameter
    needle = normalize_text(q)
    if not needle:
        return []
    words = needle.split()
    code_q = Q(code__iexact=q.strip())
    label_q = Q()
    for word in words:
        label_q &= Q(search__contains=word)
    results = [
        {"kind": "family", "code": c.code, "label": c.label, "rome_code": c.code}
        for c in RomeCode.objects.filter(code_q | label_q).order_by("code")[:limit]
    ]
    remaining = limit - len(results)
    if remaining > 0:
        titles = (
            RomeAppellation.objects.filter(label_q | Q(rome__code__iexact=q.strip()))
            .select_related("rome")
            .order_by("label", "id")[:remaining]
        )
        results.extend(
            {"kind": "appellation", "code": a.code, "label": a.label, "rome_code": a.rome.code}
            for a in titles
        )
    return results


def rome_labels(codes) -> dict[str, str]:
    return dict(RomeCode.objects.filter(code__in=list(codes)).values_list("code", "label"))


# --- Profiles ----------------------------------------------------------------------------


def profile_for_tenant(*, tenant) -> JobProfile | None:
    return (
        JobProfile.objects.filter(tenant=tenant)
        .prefetch_related(
            Prefetch("romes", queryset=ProfileRome.objects.order_by("rome_code")),
            "consents",
        )
        .first()
    )


# --- Offers ------------------------------------------------------------------------------


def offer_list_for_user(*, user: User, status: str | None = None) -> QuerySet[Offer]:
    """The offers `user` may see (tenants: published ones for their landlord); `status`
    narrows them."""
    qs = _offers_visible_to(user)
    return qs.filter(status=status) if status else qs


def _offers_visible_to(user: User) -> QuerySet[Offer]:
    qs = Offer.objects.select_related("employer", "appellation").prefetch_related(
        "target_landlords"
    )
    tenant = tenant_of(user)
    if tenant is not None:
        return qs.filter(status=Offer.Status.PUBLISHED, target_landlords=tenant.landlord_id)
    targeting = Offer.target_landlords.through.objects
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is not None:
        # Offers targeting the landlord, and those its staff created (even once untargeted).
        return qs.filter(
            Q(pk__in=targeting.filter(landlord_id=landlord_id).values("offer_id"))
            | Q(owner_landlord_id=landlord_id)
        )
    employer_id = employer_id_of(user)
    if employer_id is not None:
        # Only offers for landlords that granted this member their partnership (a colleague's
        # offer for another landlord stays hidden), or that target nobody any more.
        granted = targeting.filter(landlord_id__in=employer_landlord_ids(user))
        return qs.filter(employer_id=employer_id).filter(
            Q(pk__in=granted.values("offer_id")) | ~Q(pk__in=targeting.values("offer_id"))
        )
    return qs.none()


@dataclass
class FeedItem:
    offer: Offer
    score: matching.Score


def offer_feed_for_tenant(
    *,
    user: User,
    contract: str | None = None,
    max_km: float | None = None,
    rome: str | None = None,
    limit: int = 20,
) -> list[FeedItem]:
    """Published offers for this tenant, best first (scored in Python: a landlord publishes
    tens of offers, not thousands)."""
    offers = offer_list_for_user(user=user).order_by("-published_at", "-id")
    if contract:
        offers = offers.filter(contract_type=contract)
    if rome:
        offers = offers.filter(rome_code__startswith=rome.strip().upper())
    items = offer_feed_scores(user=user, offers=list(offers[:500]))
    if max_km is not None:
        items = [item for item in items if item.score.distance_km <= max_km]
    items.sort(key=lambda item: (-item.score.total, item.score.distance_km, item.offer.pk))
    return items[:limit]


def offer_feed_scores(*, user: User, offers: list[Offer]) -> list[FeedItem]:
    """The tenant's score and reasons for each of `offers`, in their order (the feed, and its
    sync walk page by page): a fixed number of queries whatever the offers."""
    tenant = tenant_of(user)
    profile = JobProfile.objects.filter(tenant=tenant).first()
    if profile is None:
        residence = tenant.tenancy.residence
        profile = JobProfile(
            tenant=tenant,
            landlord_id=tenant.landlord_id,
            latitude=float(residence.latitude),
            longitude=float(residence.longitude),
        )
        features = matching.ProfileFeatures(
            pk=0,
            latitude=profile.latitude,
            longitude=profile.longitude,
            max_distance_km=profile.max_distance_km,
            romes={},
            skills=frozenset(),
            contract_types=0,
            hours_per_week=None,
            available_from=None,
            has_driving_licence=False,
            is_qpv=False,
        )
    else:
        features = matching.profile_features([profile])[0]
    today = clock.today()
    labels = rome_labels({o.rome_code for o in offers})
    items = []
    for offer in offers:
        of = matching.OfferFeatures.of(offer)
        score = matching.score_pair(of, features, today=today)
        score.penalty = 0  # fairness ranks candidates, not a tenant's own offers
        score.reasons = matching.reasons_for(
            score=score,
            rome_label=offer.title or labels.get(offer.rome_code, ""),
            offer=of,
            exact_distance=True,
        )
        items.append(FeedItem(offer=offer, score=score))
    return items


# --- Candidates --------------------------------------------------------------------------


@dataclass
class CandidateCard:
    profile: JobProfile
    score: matching.Score
    volunteer_hours: float
    match: Match | None
    pseudonym: uuid.UUID


def candidate_landlord_ids(*, user: User, offer: Offer) -> list[int]:
    """Staff rank their own landlord's tenants; an employer member every targeted landlord's
    that granted it their partnership and is still a partner (ending a partnership, or the
    member's access, stops the sharing at once)."""
    targets = [landlord.pk for landlord in offer.target_landlords.all()]
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is not None:
        return [landlord_id] if landlord_id in targets else []
    if employer_id_of(user) == offer.employer_id:
        granted = employer_landlord_ids(user)
        return [pk for pk in targets if pk in granted]
    return []


def offer_candidates(*, user: User, offer: Offer, limit: int = 20) -> list[CandidateCard]:
    """Ranked anonymised cards: the SQL ranking, then one query each for ROME codes, skills,
    existing matches and volunteer hours, whatever the number of cards."""
    landlord_ids = candidate_landlord_ids(user=user, offer=offer)
    features = matching.OfferFeatures.of(offer)
    qs = matching.candidate_queryset(
        features, landlord_ids=landlord_ids, today=clock.today(), limit=limit
    )
    rows = list(
        qs.prefetch_related(
            Prefetch("romes", queryset=ProfileRome.objects.order_by("rome_code")),
            Prefetch("skill_rows", queryset=ProfileSkill.objects.order_by("skill")),
        )
    )
    existing = Match.objects.filter(offer=offer, tenant_id__in=[r.tenant_id for r in rows])
    side = "staff" if job_staff_landlord_id(user) is not None else "employer"
    if side == "employer":
        # An employer learns of a match only once it is proposed to it: not whether the
        # tenant was suggested the offer, said "not interested" or withdrew before that.
        existing = existing.filter(proposed_at__isnull=False)
    matches = {m.tenant_id: m for m in existing}
    hours = volunteer_hours_for([r.tenant_id for r in rows]) if rows else {}
    label = offer.title
    cards = []
    for row in rows:
        score = matching.score_from_row(row, features)
        score.reasons = matching.reasons_for(score=score, rome_label=label, offer=features)
        cards.append(
            CandidateCard(
                profile=row,
                score=score,
                volunteer_hours=float(hours.get(row.tenant_id, 0) or 0),
                match=matches.get(row.tenant_id),
                pseudonym=candidate_pseudonym(profile=row, offer=offer, side=side),
            )
        )
    return cards


# --- Matches -----------------------------------------------------------------------------


def match_list_for_user(
    *, user: User, state: str | None = None, offer: uuid.UUID | None = None
) -> QuerySet[Match]:
    """The matches `user` may see; `state` and `offer` (an offer's public id) narrow them."""
    qs = _matches_visible_to(user)
    if state:
        qs = qs.filter(state=state)
    if offer is not None:
        qs = qs.filter(offer__public_id=offer)
    return qs


def _matches_visible_to(user: User) -> QuerySet[Match]:
    qs = Match.objects.select_related(
        "offer__employer",
        "tenant__user",
        "tenant__job_profile",
        "landlord",
    )
    tenant = tenant_of(user)
    if tenant is not None:
        return qs.filter(tenant=tenant)
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is not None:
        return qs.filter(landlord_id=landlord_id)
    employer_id = employer_id_of(user)
    if employer_id is not None:
        return qs.filter(
            offer__employer_id=employer_id,
            proposed_at__isnull=False,
            landlord_id__in=employer_landlord_ids(user),
        )
    return qs.none()


def match_transitions(*, match: Match, side: str | None) -> list[MatchTransition]:
    """The match's history as `side` may read it. An employer reads it from the proposal
    on (not whether the tenant first said "not interested"), without the tenant's and the
    system's notes (e.g. that the tenant was hired elsewhere)."""
    rows = list(match.transitions.order_by("at", "id"))
    if side != "employer":
        return rows
    shown = [row for row in rows if match.proposed_at and row.at >= match.proposed_at]
    for row in shown:
        if row.actor_kind in ("tenant", "system"):
            row.note = ""
    return shown


NotJobStaff = not_allowed("not_job_staff", _("Only job advisors and admins see job statistics."))

# --- Stats -------------------------------------------------------------------------------


def job_stats(*, user: User) -> dict:
    """The landlord's pipeline: matches by state, hires, median days to the employer's answer."""
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is None:  # community staff: `landlord_id=None` would count untargeted offers
        raise NotJobStaff()
    matches = Match.objects.filter(landlord_id=landlord_id)
    by_state = {
        row["state"]: row["n"]
        for row in matches.values("state").annotate(n=Count("id")).order_by("state")
    }
    answered = matches.filter(proposed_at__isnull=False, answered_at__isnull=False).values_list(
        "proposed_at", "answered_at"
    )
    delays = [
        (answered_at - proposed_at).total_seconds() / 86400 for proposed_at, answered_at in answered
    ]
    waiting = matches.filter(state=Match.State.INTERESTED).count()
    return {
        "matches_by_state": {state: by_state.get(state, 0) for state in Match.State.values},
        "hires": by_state.get(Match.State.HIRED, 0),
        "waiting_for_staff": waiting,
        "median_days_to_employer_answer": round(median(delays), 1) if delays else None,
        "published_offers": Offer.objects.filter(
            target_landlords=landlord_id, status=Offer.Status.PUBLISHED
        ).count(),
        "profiles_with_matching_consent": JobProfile.objects.filter(
            landlord_id=landlord_id, matching_consent=True
        ).count(),
    }


def match_counts_waiting_for_staff(*, user: User) -> dict[str, int] | None:
    """The console home's jobs to-do, in one query: proposals the employer has not answered
    yet, and tenants who said they are interested and wait to be proposed. None for staff
    who do not handle jobs."""
    landlord_id = job_staff_landlord_id(user)
    if landlord_id is None:
        return None
    return Match.objects.filter(landlord_id=landlord_id).aggregate(
        awaiting_employer=Count("id", filter=Q(state=Match.State.PROPOSED)),
        interested=Count("id", filter=Q(state=Match.State.INTERESTED)),
    )


def consent_history_for_tenant(*, tenant) -> list[JobConsent]:
    """The tenant's own job consents (matching, introduction), newest first."""
    return list(JobConsent.objects.filter(profile__tenant=tenant).order_by("-at", "-id"))


def profile_views_for_tenant(*, tenant) -> list[dict]:
    """Who saw the tenant's revealed identity: the company and when, never the member."""
    return [
        {"company": company, "what": what, "at": at}
        for company, what, at in RevealedProfileView.objects.filter(match__tenant=tenant)
        .order_by("-at", "-id")
        .values_list("match__offer__employer__name", "what", "at")
    ]
