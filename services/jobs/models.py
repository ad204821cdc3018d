"""Job matching rows: the ROME reference, tenants' profiles and consents, offers, matches.

Columns the candidate search filters on (coordinates, consent, ROME codes, skills) are kept
on the profile and its two child tables so the ranking runs in SQL on indexes.
"""

import unicodedata
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from services.accounts.models import Employer, Landlord, Tenant
from services.core.models import PublicModel


def normalize_text(value: str) -> str:
    """Lower-case, without accents or punctuation runs: "Ménage" and "menage" meet."""
    decomposed = unicodedata.normalize("NFKD", value or "")
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join("".join(c if c.isalnum() else " " for c in plain).split())


def rome_domain(code: str) -> str:
    """The ROME domain of a family: "K2204" -> "K22" (families of one trade area)."""
    return (code or "")[:3]


class RomeCode(models.Model):
    """A ROME job family (reference data, loaded by a data migration)."""

    code = models.CharField(max_length=5, unique=True)
    label = models.CharField(max_length=255)
    search = models.CharField(max_length=255, db_index=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.label}"


class RomeAppellation(models.Model):
    """A ROME job title (appellation) and its family."""

    code = models.CharField(max_length=10, unique=True)
    label = models.CharField(max_length=255)
    rome = models.ForeignKey(RomeCode, on_delete=models.CASCADE, related_name="appellations")
    search = models.CharField(max_length=255, db_index=True)

    class Meta:
        ordering = ["label", "id"]

    def __str__(self) -> str:
        return self.label


class ContractType(models.TextChoices):
    CDI = "cdi", _("Permanent contract (CDI)")
    CDD = "cdd", _("Fixed-term contract (CDD)")
    INTERIM = "interim", _("Temporary work (intérim)")
    ALTERNANCE = "alternance", _("Work-study (alternance)")
    IAE = "iae", _("Integration job (insertion/IAE)")
    PART_TIME = "part_time", _("Part time")


# Contract types are a bit mask on the profile, so "wanted" is one AND in SQL.
CONTRACT_BITS = {value: 1 << index for index, value in enumerate(ContractType.values)}


def contract_mask(values) -> int:
    mask = 0
    for value in values or ():
        mask |= CONTRACT_BITS[value]
    return mask


def contract_list(mask: int) -> list[str]:
    return [value for value, bit in CONTRACT_BITS.items() if mask & bit]


# The furthest a profile may travel; also the half-side of the candidate search's bounding box.
MAX_TRAVEL_KM = 50


class JobProfile(PublicModel):
    class SearchStatus(models.TextChoices):
        ACTIVE = "active", _("Actively searching")
        OPEN = "open", _("Open to offers")
        NOT_SEARCHING = "not_searching", _("Not searching")

    class Education(models.TextChoices):
        NONE = "none", _("No diploma")
        CAP_BEP = "cap_bep", _("CAP / BEP")
        BAC = "bac", _("Baccalauréat")
        BAC2 = "bac2", _("Bac +2")
        BAC3 = "bac3", _("Bac +3 and above")

    class TravelMode(models.TextChoices):
        KM = "km", _("Distance")
        WALK = "walk", _("On foot")
        BIKE = "bike", _("By bike")
        TRANSIT = "transit", _("Public transport")
        CAR = "car", _("By car")

    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="job_profile")
    # Copied from the tenant's residence so the candidate search never joins the tenancy.
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    latitude = models.FloatField()
    longitude = models.FloatField()
    is_qpv = models.BooleanField(default=False)

    search_status = models.CharField(
        max_length=20, choices=SearchStatus.choices, default=SearchStatus.OPEN
    )
    wished_appellations = models.JSONField(default=list, blank=True)  # appellation codes
    skills = models.JSONField(default=list, blank=True)  # labels as typed
    experiences = models.JSONField(default=list, blank=True)  # [{rome_code, years}]
    education_level = models.CharField(max_length=10, choices=Education.choices, blank=True)
    languages = models.JSONField(default=list, blank=True)  # ["fr", "ar", ...]
    has_driving_licence = models.BooleanField(default=False)
    has_vehicle = models.BooleanField(default=False)
    travel_mode = models.CharField(max_length=10, choices=TravelMode.choices, default="km")
    travel_value = models.PositiveSmallIntegerField(default=10)  # km, or minutes
    max_distance_km = models.FloatField(default=10)  # travel_value turned into a distance
    available_from = models.DateField(null=True, blank=True)
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    available_days = models.JSONField(default=list, blank=True)  # ["mon", ...]
    contract_types = models.PositiveSmallIntegerField(default=0)  # CONTRACT_BITS mask
    # Sensitive situations: optional, never shown to an employer, never used to rank.
    disability_recognition = models.BooleanField(null=True, blank=True)
    social_benefits = models.BooleanField(null=True, blank=True)

    # The current state of each consent (the history is JobConsent).
    matching_consent = models.BooleanField(default=False)
    introduction_consent = models.BooleanField(default=False)

    cv = models.FileField(upload_to="jobs/cv/", blank=True)
    cv_name = models.CharField(max_length=200, blank=True)
    cv_uploaded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_digest_on = models.DateField(null=True, blank=True)  # at most one digest a day

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(max_distance_km__gte=0) & Q(max_distance_km__lte=MAX_TRAVEL_KM),
                name="jobs_profile_distance_range",
            ),
        ]

    def __str__(self) -> str:
        return f"profile of {self.tenant}"


class ProfileRome(models.Model):
    """One wished (or practised) ROME family of a profile: the index the search starts from.

    What the search filters on is copied here from the profile (kept equal by the profile
    actions: `actions.profile_rows_sync`) so one index answers "searchable candidates of
    these landlords in this trade, inside this bounding box and their own travel limit"
    before a single profile is read. The profile stays the authority: the search checks it
    again.
    """

    profile = models.ForeignKey(JobProfile, on_delete=models.CASCADE, related_name="romes")
    rome_code = models.CharField(max_length=5)
    domain = models.CharField(max_length=3)
    wished = models.BooleanField(default=True)
    experience_years = models.PositiveSmallIntegerField(default=0)
    # Copies of the profile's: matching consent and searching, landlord, place, travel limit.
    searchable = models.BooleanField(default=False)
    landlord = models.ForeignKey(
        Landlord, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    latitude = models.FloatField()
    longitude = models.FloatField()
    max_distance_km = models.FloatField(default=0)

    class Meta:
        ordering = ["profile_id", "rome_code"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "rome_code"], name="jobs_profilerome_unique")
        ]
        indexes = [
            # The candidate search: searchable rows of a ROME domain, then the bounding box;
            # the trailing columns make it covering (an index-only scan), on SQLite too.
            models.Index(
                fields=[
                    "domain",
                    "latitude",
                    "longitude",
                    "landlord",
                    "max_distance_km",
                    "profile",
                    "rome_code",
                    "wished",
                    "experience_years",
                ],
                name="jobs_profilerome_domain_geo",
                condition=Q(searchable=True),
            ),
            models.Index(fields=["rome_code", "profile"], name="jobs_profilerome_code"),
        ]

    def __str__(self) -> str:
        return self.rome_code

    @staticmethod
    def copied_from(profile: "JobProfile") -> dict:
        return {
            "searchable": bool(
                profile.matching_consent
                and profile.search_status != JobProfile.SearchStatus.NOT_SEARCHING
            ),
            "landlord_id": profile.landlord_id,
            "latitude": profile.latitude,
            "longitude": profile.longitude,
            "max_distance_km": profile.max_distance_km,
        }


class ProfileSkill(models.Model):
    profile = models.ForeignKey(JobProfile, on_delete=models.CASCADE, related_name="skill_rows")
    skill = models.CharField(max_length=80)  # normalize_text(label)

    class Meta:
        ordering = ["profile_id", "skill"]
        constraints = [
            models.UniqueConstraint(fields=["profile", "skill"], name="jobs_profileskill_unique")
        ]

    def __str__(self) -> str:
        return self.skill


class JobConsent(PublicModel):
    """Append-only: each grant or withdrawal of a purpose, dated and versioned."""

    class Purpose(models.TextChoices):
        MATCHING = "matching", _("Job matching")
        INTRODUCTION = "introduction", _("Being introduced to employers")

    profile = models.ForeignKey(JobProfile, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    granted = models.BooleanField()
    version = models.CharField(max_length=20)  # the text version the tenant agreed to
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.purpose}={self.granted} ({self.version})"


class Offer(PublicModel):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        PAUSED = "paused", _("Paused")
        FILLED = "filled", _("Filled")
        CLOSED = "closed", _("Closed")

    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="offers")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Who may edit or close it besides the employer: the landlord whose staff created it
    # (null: the employer's own). Other targeted landlords may only take themselves off.
    owner_landlord = models.ForeignKey(
        Landlord, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    appellation = models.ForeignKey(
        RomeAppellation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rome_code = models.CharField(max_length=5)
    description = models.TextField(blank=True)
    contract_type = models.CharField(max_length=20, choices=ContractType.choices)
    hours_per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    salary_min_cents = models.PositiveIntegerField(null=True, blank=True)
    salary_max_cents = models.PositiveIntegerField(null=True, blank=True)
    address = models.CharField(max_length=255, blank=True)
    postcode = models.CharField(max_length=10, blank=True)
    city = models.CharField(max_length=120, blank=True)
    latitude = models.FloatField()
    longitude = models.FloatField()
    start_date = models.DateField(null=True, blank=True)
    positions = models.PositiveSmallIntegerField(default=1)
    hires = models.PositiveSmallIntegerField(default=0)
    required_skills = models.JSONField(default=list, blank=True)
    driving_licence_required = models.BooleanField(default=False)
    target_landlords = models.ManyToManyField(Landlord, related_name="job_offers")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Touched by the employer's edits and answers; 90 days untouched -> closed.
    last_activity_at = models.DateTimeField(null=True, blank=True)
    expiry_warned_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "last_activity_at"], name="jobs_offer_status")]
        constraints = [
            models.CheckConstraint(condition=Q(positions__gte=1), name="jobs_offer_positions"),
            models.CheckConstraint(
                condition=Q(salary_min_cents__isnull=True)
                | Q(salary_max_cents__isnull=True)
                | Q(salary_max_cents__gte=models.F("salary_min_cents")),
                name="jobs_offer_salary_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Match(PublicModel):
    class State(models.TextChoices):
        SUGGESTED = "suggested", _("Suggested")
        INTERESTED = "interested", _("Interested")
        NOT_INTERESTED = "not_interested", _("Not interested")
        PROPOSED = "proposed", _("Proposed to the employer")
        EMPLOYER_INTERESTED = "employer_interested", _("Employer interested")
        DECLINED = "declined", _("Declined")
        POSTPONED = "postponed", _("Postponed")
        INTERVIEW = "interview", _("Interview")
        HIRED = "hired", _("Hired")
        NOT_HIRED = "not_hired", _("Not hired")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        EXPIRED = "expired", _("Expired")
        OBSOLETE = "obsolete", _("Obsolete")

    class DeclineReason(models.TextChoices):
        PROFILE_MISMATCH = "profile_mismatch", _("The profile does not match the job")
        POSITION_FILLED = "position_filled", _("The position has been filled")
        DISTANCE = "distance", _("Too far from the workplace")
        AVAILABILITY = "availability", _("Availability does not fit")
        EXPERIENCE = "experience", _("Not enough experience for this job")
        OTHER = "other", _("Other reason")

    class InterviewAnswer(models.TextChoices):
        """The tenant's answer to the interview the employer planned (interview_answers.py)."""

        ACCEPTED = "accepted", _("will come")
        DECLINED = "declined", _("will not come")
        ANOTHER_TIME = "another_time", _("asks for another time")

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="job_matches")
    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="matches")
    landlord = models.ForeignKey(Landlord, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=20, choices=State.choices)
    state_changed_at = models.DateTimeField()
    score = models.PositiveSmallIntegerField(default=0)
    reasons = models.JSONField(default=list, blank=True)
    introduced_at = models.DateTimeField(null=True, blank=True)
    proposed_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(default=0)
    decline_reason = models.CharField(max_length=30, choices=DeclineReason.choices, blank=True)
    employer_message = models.TextField(blank=True)
    reason_visible_to_tenant = models.BooleanField(default=False)
    interview_at = models.DateTimeField(null=True, blank=True)
    interview_place = models.CharField(max_length=255, blank=True)
    interview_answer = models.CharField(max_length=20, choices=InterviewAnswer.choices, blank=True)
    interview_answer_message = models.CharField(max_length=500, blank=True)
    interview_answered_at = models.DateTimeField(null=True, blank=True)
    hire_start_date = models.DateField(null=True, blank=True)
    withdraw_reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "offer"], name="jobs_match_unique")
        ]
        indexes = [
            models.Index(fields=["tenant", "state"], name="jobs_match_tenant_state"),
            models.Index(fields=["state", "state_changed_at"], name="jobs_match_state_time"),
        ]
        verbose_name_plural = "matches"

    def __str__(self) -> str:
        return f"{self.tenant_id} × {self.offer_id}: {self.state}"


OPEN_MATCH_STATES = (
    Match.State.SUGGESTED,
    Match.State.INTERESTED,
    Match.State.PROPOSED,
    Match.State.POSTPONED,
    Match.State.EMPLOYER_INTERESTED,
    Match.State.INTERVIEW,
)


class MatchTransition(models.Model):
    """The match's history: who moved it, from what, to what, when, and why."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="transitions")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    actor_kind = models.CharField(max_length=10)  # tenant | staff | employer | system
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    at = models.DateTimeField()
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_state or '∅'} → {self.to_state}"


class RevealedProfileView(models.Model):
    """Each time someone outside the tenant's side saw a revealed identity: who and when."""

    match = models.ForeignKey(Match, on_delete=models.CASCADE, related_name="identity_views")
    viewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    what = models.CharField(max_length=20, default="profile")  # profile | cv
    at = models.DateTimeField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"{self.viewer_id} saw {self.match_id} ({self.what})"
