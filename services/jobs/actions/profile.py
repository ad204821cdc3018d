"""The tenant's job profile, consents and CV, and the views of it that are logged."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from services.accounts import tenancy_end
from services.accounts.models import User
from services.core import clock
from services.core.errors import invalid, not_allowed, not_found
from services.loyalty import actions as loyalty

from .. import matching, transitions
from ..models import (
    JobConsent,
    JobProfile,
    Match,
    ProfileRome,
    ProfileSkill,
    RevealedProfileView,
    RomeAppellation,
    RomeCode,
    contract_mask,
    normalize_text,
    rome_domain,
)
from ..policies import (
    actor_kind,
    identity_revealed,
    profile_of,
    tenant_of,
)
from ..visibility import MatchSeen, matches_as_seen

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
def _lock_profile(**lookup) -> JobProfile | None:
    """The one place a job profile row is locked (consents, CV, edits of one profile)."""
    return JobProfile.objects.select_for_update().filter(**lookup).first()


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
    profile = _lock_profile(pk=profile_ensure(tenant=tenant).pk)
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
            transitions.match_transition(
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
    profile = _lock_profile(pk=profile_ensure(tenant=tenant).pk)
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
    profile = _lock_profile(tenant=tenant)
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
