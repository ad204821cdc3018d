"""Jobs writes, one use case each. Each checks its policy again, whatever the caller."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from notifications.services import notify
from services.accounts import tenancy_end
from services.accounts.models import Employer, Landlord, Staff, User
from services.core import clock, periodic
from services.core.errors import conflict, invalid, not_allowed, not_found
from services.loyalty import actions as loyalty

from . import matching, unreachable, workflow
from . import notifications as kinds
from .models import (
    JobConsent,
    JobProfile,
    Match,
    Offer,
    ProfileRome,
    ProfileSkill,
    RevealedProfileView,
    RomeAppellation,
    RomeCode,
    contract_mask,
    normalize_text,
    rome_domain,
)
from .policies import (
    actor_kind,
    can_create_offer_for,
    can_edit_offer,
    can_untarget_offer,
    employer_id_of,
    employer_landlord_ids,
    identity_revealed,
    job_staff_landlord_id,
    member_reaches_offer,
    offer_targets_landlord,
    profile_of,
    tenant_of,
)
from .visibility import MatchSeen, matches_as_seen

CONSENT_VERSION = "2024-09"
CV_MAX_BYTES = 5 * 1024 * 1024
OFFER_IDLE_DAYS = 90
OFFER_WARNING_DAYS = 7
PROPOSAL_EXPIRY_DAYS = 21
PROPOSAL_REMINDER_DAYS = (7, 14)

NotATenant = not_allowed("not_a_tenant", _("Only tenants have a job profile."))
UnknownRomeCode = invalid("unknown_rome_code", _("Unknown ROME code."))
UnknownAppellation = invalid("unknown_appellation", _("Unknown ROME job title."))


# --- Profile -----------------------------------------------------------------------------


def _location_of(tenant) -> dict:
    residence = tenant.tenancy.residence
    return {
        "landlord_id": tenant.landlord_id,
        "latitude": float(residence.latitude),
        "longitude": float(residence.longitude),
        "is_qpv": residence.is_qpv,
    }


def _loaded(pk: int) -> JobProfile:
    """The profile with what its rendering reads (ROME rows, consents)."""
    return JobProfile.objects.prefetch_related(
        Prefetch("romes", queryset=ProfileRome.objects.order_by("rome_code")), "consents"
    ).get(pk=pk)


@transaction.atomic
def profile_ensure(*, tenant) -> JobProfile:
    """The tenant's profile, created empty (no consent) the first time it is asked for."""
    profile, _created = JobProfile.objects.get_or_create(
        tenant=tenant, defaults=_location_of(tenant)
    )
    return _loaded(profile.pk)


def _is_complete(profile: JobProfile) -> bool:
    return bool(
        profile.matching_consent
        and profile.romes.filter(wished=True).exists()
        and profile.contract_types
        and profile.max_distance_km > 0
    )


@transaction.atomic
def profile_update(*, tenant, data: dict[str, Any]) -> JobProfile:
    """Replace the profile's answers (PUT). ROME codes and skills go to their indexed rows."""
    tenancy_end.require_active(tenant, purpose=tenancy_end.JOBS)
    profile = profile_ensure(tenant=tenant)
    for name, value in _location_of(tenant).items():  # the tenancy may have moved
        setattr(profile, name, value)
    simple = (
        "search_status",
        "education_level",
        "languages",
        "has_driving_licence",
        "has_vehicle",
        "available_from",
        "hours_per_week",
        "available_days",
        "disability_recognition",
        "social_benefits",
    )
    for name in simple:
        if name in data:
            setattr(profile, name, data[name])
    if "travel_mode" in data or "travel_value" in data:
        profile.travel_mode = data.get("travel_mode", profile.travel_mode)
        profile.travel_value = data.get("travel_value", profile.travel_value)
        profile.max_distance_km = matching.travel_distance_km(
            profile.travel_mode, profile.travel_value
        )
    if "contract_types" in data:
        profile.contract_types = contract_mask(data["contract_types"])
    if "skills" in data:
        labels = [s.strip() for s in data["skills"] if s and s.strip()]
        profile.skills = list(dict.fromkeys(labels))
    if "wished_appellations" in data:
        codes = list(dict.fromkeys(data["wished_appellations"]))
        found = set(RomeAppellation.objects.filter(code__in=codes).values_list("code", flat=True))
        unknown = [c for c in codes if c not in found]
        if unknown:
            raise UnknownAppellation(fields={"wished_appellations": unknown})
        profile.wished_appellations = codes
    profile.save()

    if {"wished_rome_codes", "wished_appellations", "experiences"} & set(data):
        _set_romes(profile, data)
    else:
        profile_rows_sync(profile=profile)
    if "skills" in data:
        ProfileSkill.objects.filter(profile=profile).delete()
        normalized = {normalize_text(s) for s in profile.skills} - {""}
        ProfileSkill.objects.bulk_create(
            [ProfileSkill(profile=profile, skill=s[:80]) for s in sorted(normalized)]
        )
    _maybe_completed(profile)
    return _loaded(profile.pk)


def _set_romes(profile: JobProfile, data: dict) -> None:
    existing = {row.rome_code: row for row in profile.romes.all()}
    if "wished_rome_codes" in data or "wished_appellations" in data:
        wished = set(data.get("wished_rome_codes") or ())
        wished |= set(
            RomeAppellation.objects.filter(code__in=profile.wished_appellations).values_list(
                "rome__code", flat=True
            )
        )
    else:
        wished = {code for code, row in existing.items() if row.wished}
    if "experiences" in data:
        experience = {}
        for item in data["experiences"]:
            experience[item["rome_code"]] = max(
                experience.get(item["rome_code"], 0), int(item.get("years") or 0)
            )
    else:
        experience = {code: row.experience_years for code, row in existing.items()}
    codes = wished | set(experience)
    known = set(RomeCode.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = sorted(codes - known)
    if unknown:
        raise UnknownRomeCode(fields={"rome_code": unknown})
    ProfileRome.objects.filter(profile=profile).delete()
    ProfileRome.objects.bulk_create(
        [
            ProfileRome(
                profile=profile,
                rome_code=code,
                domain=rome_domain(code),
                wished=code in wished,
                experience_years=experience.get(code, 0),
                **ProfileRome.copied_from(profile),
            )
            for code in sorted(codes)
        ]
    )


def profile_rows_sync(*, profile: JobProfile) -> None:
    """Copy what the candidate search filters on onto the profile's ROME rows (one UPDATE);
    called by every action that changes it, in the same transaction."""
    ProfileRome.objects.filter(profile=profile).update(**ProfileRome.copied_from(profile))


def _maybe_completed(profile: JobProfile) -> None:
    if profile.completed_at is None and _is_complete(profile):
        profile.completed_at = clock.now()
        profile.save(update_fields=["completed_at", "updated_at"])
        loyalty.points_award(
            tenant=profile.tenant,
            rule="job_profile_completed",
            source=profile,
            idempotency_key=f"jobs:job_profile_completed:{profile.public_id}",
        )


@transaction.atomic
def consent_set(
    *, tenant, purpose: str, granted: bool, version: str = CONSENT_VERSION
) -> JobProfile:
    """Grant or withdraw a purpose. Withdrawing matching takes the tenant out of every
    candidate list at once (the search filters on the flag) and drops pending suggestions."""
    if granted:  # withdrawing stays possible after moving out
        tenancy_end.require_active(tenant, purpose=tenancy_end.JOBS)
    profile = JobProfile.objects.select_for_update().get(pk=profile_ensure(tenant=tenant).pk)
    JobConsent.objects.create(
        profile=profile, purpose=purpose, granted=granted, version=version, at=clock.now()
    )
    field = {"matching": "matching_consent", "introduction": "introduction_consent"}[purpose]
    setattr(profile, field, granted)
    profile.save(update_fields=[field, "updated_at"])
    profile_rows_sync(profile=profile)
    if purpose == JobConsent.Purpose.MATCHING and not granted:
        for match in Match.objects.filter(tenant=tenant, state=Match.State.SUGGESTED).order_by(
            "id"
        ):
            workflow.match_transition(
                match=match, actor=None, to=Match.State.OBSOLETE, note="matching consent withdrawn"
            )
    _maybe_completed(profile)
    return _loaded(profile.pk)


CvNotPdf = invalid("cv_not_pdf", _("The CV must be a PDF file."))
CvTooLarge = invalid("cv_too_large", _("The CV must be 5 MB or less."))


@transaction.atomic
def cv_upload(*, tenant, upload) -> JobProfile:
    """Keep a PDF CV (sniffed: the content must start with %PDF-, whatever its name says)."""
    tenancy_end.require_active(tenant, purpose=tenancy_end.JOBS)
    if upload.size > CV_MAX_BYTES:
        raise CvTooLarge(fields={"file": [str(CvTooLarge.default_message)]})
    upload.seek(0)
    head = upload.read(1024)
    if b"%PDF-" not in head[:1024] or not head.lstrip().startswith(b"%PDF-"):
        raise CvNotPdf(fields={"file": [str(CvNotPdf.default_message)]})
    upload.seek(0)
    profile = JobProfile.objects.select_for_update().get(pk=profile_ensure(tenant=tenant).pk)
    old = profile.cv.name if profile.cv else None
    profile.cv.save(f"{uuid.uuid4().hex}.pdf", ContentFile(upload.read()), save=False)
    profile.cv_name = (getattr(upload, "name", "") or "cv.pdf")[-200:]
    profile.cv_uploaded_at = clock.now()
    profile.save(update_fields=["cv", "cv_name", "cv_uploaded_at", "updated_at"])
    if old:
        storage = profile.cv.storage
        transaction.on_commit(lambda: storage.delete(old))
    return _loaded(profile.pk)


NoCv = not_found("no_cv", _("No CV was uploaded."))


@transaction.atomic
def cv_delete(*, tenant) -> None:
    profile = JobProfile.objects.select_for_update().filter(tenant=tenant).first()
    if profile is None or not profile.cv:
        raise NoCv()
    old, storage = profile.cv.name, profile.cv.storage
    profile.cv = ""
    profile.cv_name = ""
    profile.cv_uploaded_at = None
    profile.save(update_fields=["cv", "cv_name", "cv_uploaded_at", "updated_at"])
    transaction.on_commit(lambda: storage.delete(old))


CvNotShared = not_found("cv_not_shared", _("No CV to show for this match."))


@transaction.atomic
def match_cv_open(*, user: User, match: Match):
    """The CV of a match's tenant: the tenant, or the employer once introduced (logged)."""
    profile = profile_of(match.tenant)
    if profile is None or not profile.cv:
        raise NoCv()
    if tenant_of(user) is not None:
        return profile
    if actor_kind(actor=user, match=match) != "employer" or not identity_revealed(match=match):
        raise CvNotShared()
    RevealedProfileView.objects.create(match=match, viewer=user, what="cv", at=clock.now())
    return profile


def matches_show(*, viewer: User, matches) -> list[MatchSeen]:
    """The matches as `viewer` may see them (`visibility.matches_as_seen`), logging each
    revealed identity shown to an employer: the tenant reads that log (`/me/profile-views/`)."""
    seen = matches_as_seen(viewer=viewer, matches=matches)
    now = clock.now()
    RevealedProfileView.objects.bulk_create(
        RevealedProfileView(match=item.match, viewer=viewer, what="profile", at=now)
        for item in seen
        if item.logs_a_view
    )
    return seen


# --- Offers ------------------------------------------------------------------------------

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
        raise invalid("offer_location_required", _("Give the workplace's coordinates."))(
            fields={"latitude": [str(_("Required."))]}
        )
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
    offer = workflow.offer_lock(offer.pk)
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
        workflow.close_open_matches(offer=offer, note=f"offer {offer.status}")
    return offer


def _close_landlord_matches(*, offer: Offer, landlord_ids: list[int]) -> None:
    """A landlord taken off an offer's targets: its tenants' open matches on it become
    obsolete (the other landlords' are untouched). The offer is already locked."""
    if not landlord_ids:
        return
    open_matches = Match.objects.filter(
        offer=offer, landlord_id__in=landlord_ids, state__in=workflow.OPEN_STATES
    )
    for match in open_matches.order_by("id"):
        workflow.match_transition(
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
    offer = workflow.offer_lock(offer.pk)
    if not can_untarget_offer(actor=actor, offer=offer):
        raise OfferNotTargeted()
    landlord_id = job_staff_landlord_id(actor)
    offer.target_landlords.remove(landlord_id)
    _close_landlord_matches(offer=offer, landlord_ids=[landlord_id])
    return offer


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
        offer = workflow.offer_lock(offer.pk)
        return _express_interest(user=user, tenant=tenant, offer=offer)


def _express_interest(*, user: User, tenant, offer: Offer) -> tuple[Match, bool]:
    # Read under the offer's lock: a landlord that left the offer meanwhile
    # (`offer_untarget`) leaves no new match of its tenants behind.
    targeted = offer.target_landlords.filter(pk=tenant.landlord_id).exists()
    if offer.status != Offer.Status.PUBLISHED or not targeted:
        raise OfferNotOpen()
    profile = profile_ensure(tenant=tenant)
    if not profile.introduction_consent:
        raise workflow.IntroductionConsentRequired()
    existing = Match.objects.filter(tenant=tenant, offer=offer).first()
    if existing is not None:
        if existing.state in (Match.State.SUGGESTED, Match.State.NOT_INTERESTED):
            return workflow.match_transition(
                match=existing, actor=user, to=Match.State.INTERESTED
            ), False
        raise AlreadyInterested(extra={"match": str(existing.public_id), "state": existing.state})
    features = matching.profile_features([profile])[0]
    of = matching.OfferFeatures.of(offer)
    score = matching.score_pair(of, features, today=clock.today())
    reasons = matching.reasons_for(score=score, rome_label=offer.title, offer=of)
    try:
        with transaction.atomic():
            match = workflow.match_start(
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
    return workflow.match_transition(
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
    return workflow.match_transition(
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
    return workflow.match_transition(
        match=match, actor=user, to=to, expected_state=expected_state, data=data, note=note
    )


def matches_close_on_move_out(*, tenant, keep_job_support: bool, closed: bool = False) -> int:
    """A household member moved out (services.accounts.tenancy_end): their open matches
    become obsolete, unless they kept job support (then when their account is closed)."""
    if keep_job_support:
        return 0
    open_matches = Match.objects.filter(tenant=tenant, state__in=workflow.OPEN_STATES)
    count = 0
    for match in open_matches.order_by("id"):
        workflow.match_transition(
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
    return workflow.match_start(
        tenant=profile.tenant,
        offer=offer,
        state=Match.State.SUGGESTED,
        actor=None,
        score=score.total,
        reasons=matching.reasons_for(score=score, rome_label=offer.title, offer=of),
    )


# --- Periodic work (called by tasks.py) --------------------------------------------------


def proposals_expire_and_remind() -> dict[str, int]:
    """Proposed/postponed matches: a reminder to the employer at 7 and 14 days without an
    answer, expiry (tenant told) at 21 days. Safe to run twice: reminders are counted."""
    now = clock.now()
    done = {"expired": 0, "reminded": 0}
    loop = periodic.Loop("jobs.proposals_expire_and_remind")
    waiting = Match.objects.filter(state__in=workflow.AWAITING_EMPLOYER).order_by("id")
    for match in waiting.filter(state_changed_at__lte=now - timedelta(days=PROPOSAL_EXPIRY_DAYS)):
        with loop.item(match.pk, skip=workflow.StaleState):
            workflow.match_transition(
                match=match,
                actor=None,
                to=Match.State.EXPIRED,
                expected_state=match.state,
                note=f"no answer after {PROPOSAL_EXPIRY_DAYS} days",
            )
            done["expired"] += 1
    for index, days in enumerate(PROPOSAL_REMINDER_DAYS, start=1):
        due = waiting.filter(
            state_changed_at__lte=now - timedelta(days=days),
            state_changed_at__gt=now - timedelta(days=PROPOSAL_EXPIRY_DAYS),
            reminders_sent__lt=index,
        ).select_related("offer__employer", "landlord")
        for match in due:
            with loop.item(match.pk):
                updated = Match.objects.filter(
                    pk=match.pk, reminders_sent__lt=index, state=match.state
                ).update(reminders_sent=index)
                if not updated:
                    continue
                members = workflow._employer_members(match)
                notify(
                    recipients=members,
                    kind=kinds.PROPOSAL_REMINDER,
                    params={"offer": match.offer.title, "days": days},
                    link_id=match.public_id,
                    sender=match.landlord.name,
                )
                # Nobody there to read it: the proposer hears of it (never expires unseen).
                unreachable.proposer_told_if_unreachable(match, members=members, days=days)
                done["reminded"] += 1
    return done


def offers_expire_and_warn() -> dict[str, int]:
    """Published offers untouched for 90 days close; the employer is told 7 days before."""
    now = clock.now()
    done = {"closed": 0, "warned": 0}
    loop = periodic.Loop("jobs.offers_expire_and_warn")
    idle = Offer.objects.filter(status=Offer.Status.PUBLISHED).order_by("id")
    for offer in idle.filter(last_activity_at__lte=now - timedelta(days=OFFER_IDLE_DAYS)):
        with loop.item(offer.pk):
            locked = workflow.offer_lock(offer.pk)
            if locked.status != Offer.Status.PUBLISHED:
                continue
            locked.status = Offer.Status.CLOSED
            locked.save(update_fields=["status", "updated_at"])
            workflow.close_open_matches(offer=locked, note="offer expired")
            done["closed"] += 1
    warn_before = now - timedelta(days=OFFER_IDLE_DAYS - OFFER_WARNING_DAYS)
    for offer in idle.filter(
        last_activity_at__lte=warn_before,
        last_activity_at__gt=now - timedelta(days=OFFER_IDLE_DAYS),
        expiry_warned_at__isnull=True,
    ).select_related("employer"):
        with loop.item(offer.pk):
            if not Offer.objects.filter(pk=offer.pk, expiry_warned_at__isnull=True).update(
                expiry_warned_at=now
            ):
                continue
            closes_on = (offer.last_activity_at + timedelta(days=OFFER_IDLE_DAYS)).date()
            members = workflow.offer_members(offer)
            notify(
                recipients=members,
                kind=kinds.OFFER_EXPIRING,
                params={"offer": offer.title, "date": closes_on.isoformat()},
                link_id=offer.public_id,
                sender=", ".join(
                    offer.target_landlords.order_by("name").values_list("name", flat=True)
                ),
            )
            done["warned"] += 1
    return done


def _suggest_for(offer: Offer, *, today, limit: int) -> list[tuple[int, Match]]:
    """The `suggested` matches started for one offer's strong candidates: (profile id, match)."""
    features = matching.OfferFeatures.of(offer)
    landlord_ids = [landlord.pk for landlord in offer.target_landlords.all()]
    ranked = matching.rank_candidates(features, landlord_ids=landlord_ids, today=today, limit=limit)
    taken = set(
        Match.objects.filter(
            offer=offer, tenant_id__in=[p.tenant_id for p, _s in ranked]
        ).values_list("tenant_id", flat=True)
    )
    started = []
    for profile, score in ranked:
        if score.total < matching.STRONG_MATCH or profile.tenant_id in taken:
            continue
        score.reasons = matching.reasons_for(score=score, rome_label=offer.title, offer=features)
        try:
            with transaction.atomic():
                match = workflow.match_start(
                    tenant=profile.tenant,
                    offer=offer,
                    state=Match.State.SUGGESTED,
                    actor=None,
                    score=score.total,
                    reasons=score.reasons,
                )
        except IntegrityError:
            continue
        started.append((profile.pk, match))
    return started


def matches_suggest_and_digest(*, limit_per_offer: int = 20) -> dict[str, int]:
    """Daily: strong candidates of each published offer get a `suggested` match, and each
    tenant with new suggestions gets at most one digest a day."""
    today = clock.today()
    new: dict[int, list[Match]] = {}
    loop = periodic.Loop("jobs.matches_suggest_and_digest")
    offers = Offer.objects.filter(status=Offer.Status.PUBLISHED).prefetch_related(
        "target_landlords"
    )
    for offer in offers.order_by("id"):
        with loop.item(offer.pk):  # one offer's suggestions stand or fall together
            started = _suggest_for(offer, today=today, limit=limit_per_offer)
            for profile_id, match in started:
                new.setdefault(profile_id, []).append(match)
    digests = 0
    for profile in JobProfile.objects.filter(pk__in=list(new)).select_related("tenant__user"):
        with loop.item(profile.pk):
            if (
                not JobProfile.objects.filter(pk=profile.pk)
                .exclude(last_digest_on=today)
                .update(last_digest_on=today)
            ):
                continue
            matches = sorted(new[profile.pk], key=lambda m: -m.score)
            notify(
                recipients=[profile.tenant.user],
                kind=kinds.NEW_MATCHES,
                params={"count": len(matches), "best": matches[0].offer.title},
            )
            digests += 1
    return {"suggested": sum(len(v) for v in new.values()), "digests": digests}


def staff_weekly_digest() -> int:
    """Weekly: each job advisor/admin learns how many interested tenants wait for them."""
    sent = 0
    loop = periodic.Loop("jobs.staff_weekly_digest")
    waiting = {}
    for landlord_id in Match.objects.filter(state=Match.State.INTERESTED).values_list(
        "landlord_id", flat=True
    ):
        waiting[landlord_id] = waiting.get(landlord_id, 0) + 1
    staff = Staff.objects.filter(
        landlord_id__in=list(waiting), role__in=("admin", "job_advisor"), user__is_active=True
    ).select_related("user")
    for member in staff.order_by("id"):
        with loop.item(member.pk):
            notify(
                recipients=[member.user],
                kind=kinds.STAFF_WEEKLY,
                params={"count": waiting[member.landlord_id]},
            )
            sent += 1
    return sent
