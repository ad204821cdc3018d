"""Jobs shapes. Inputs check shape only; the actions decide. Names are project-unique."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import BoundedDateField, BoundedDateTimeField
from services.jobs.matching import distance_band, localized_reasons
from services.jobs.models import (
    ContractType,
    JobConsent,
    JobProfile,
    Match,
    Offer,
    contract_list,
)
from services.jobs.selectors import match_transitions

CONTRACTS_HELP = " | ".join(ContractType.values)
STATES_HELP = " | ".join(Match.State.values)


class StateField(serializers.CharField):
    """A match state (plain string in the schema: one enum per name keeps OpenAPI clean)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", STATES_HELP)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if value not in Match.State.values:
            raise serializers.ValidationError(f"Unknown state: {value}.")
        return value


# --- ROME --------------------------------------------------------------------------------


class JobsRomeOutput(serializers.Serializer):
    kind = serializers.CharField(help_text="family | appellation")
    code = serializers.CharField()
    label = serializers.CharField()
    rome_code = serializers.CharField(help_text="The ROME family (e.g. K2204).")


# --- Profile -----------------------------------------------------------------------------


class JobsExperienceField(serializers.Serializer):
    rome_code = serializers.CharField(max_length=5)
    years = serializers.IntegerField(min_value=0, max_value=60)


class JobsConsentStateOutput(serializers.Serializer):
    granted = serializers.BooleanField()
    version = serializers.CharField(allow_null=True)
    at = serializers.DateTimeField(allow_null=True)


class JobsConsentsOutput(serializers.Serializer):
    matching = JobsConsentStateOutput()
    introduction = JobsConsentStateOutput()


class JobsCvOutput(serializers.Serializer):
    name = serializers.CharField()
    uploaded_at = serializers.DateTimeField()


class JobsProfileOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    wished_rome_codes = serializers.SerializerMethodField()
    experiences = serializers.SerializerMethodField()
    contract_types = serializers.SerializerMethodField()
    consents = serializers.SerializerMethodField()
    cv = serializers.SerializerMethodField()
    completed = serializers.SerializerMethodField()

    class Meta:
        model = JobProfile
        fields = (
            "id",
            "search_status",
            "wished_rome_codes",
            "wished_appellations",
            "skills",
            "experiences",
            "education_level",
            "languages",
            "has_driving_licence",
            "has_vehicle",
            "travel_mode",
            "travel_value",
            "max_distance_km",
            "available_from",
            "hours_per_week",
            "available_days",
            "contract_types",
            "disability_recognition",
            "social_benefits",
            "consents",
            "cv",
            "completed",
            "updated_at",
        )

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_wished_rome_codes(self, obj):
        return [row.rome_code for row in obj.romes.all() if row.wished]

    @extend_schema_field(JobsExperienceField(many=True))
    def get_experiences(self, obj):
        return [
            {"rome_code": row.rome_code, "years": row.experience_years}
            for row in obj.romes.all()
            if row.experience_years
        ]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_contract_types(self, obj):
        return contract_list(obj.contract_types)

    @extend_schema_field(JobsConsentsOutput)
    def get_consents(self, obj):
        latest = {}
        for consent in obj.consents.all():  # newest first
            latest.setdefault(consent.purpose, consent)
        out = {}
        for purpose in JobConsent.Purpose.values:
            consent = latest.get(purpose)
            out[purpose] = {
                "granted": bool(consent and consent.granted),
                "version": consent.version if consent else None,
                "at": consent.at if consent else None,
            }
        return JobsConsentsOutput(out).data

    @extend_schema_field(JobsCvOutput(allow_null=True))
    def get_cv(self, obj):
        if not obj.cv:
            return None
        return JobsCvOutput({"name": obj.cv_name, "uploaded_at": obj.cv_uploaded_at}).data

    def get_completed(self, obj) -> bool:
        return obj.completed_at is not None


class JobsProfileInput(serializers.Serializer):
    search_status = serializers.ChoiceField(choices=JobProfile.SearchStatus.choices)
    wished_rome_codes = serializers.ListField(
        child=serializers.CharField(max_length=5), max_length=10, required=False
    )
    wished_appellations = serializers.ListField(
        child=serializers.CharField(max_length=10), max_length=10, required=False
    )
    skills = serializers.ListField(
        child=serializers.CharField(max_length=80), max_length=30, required=False
    )
    experiences = JobsExperienceField(many=True, required=False)
    education_level = serializers.ChoiceField(
        choices=JobProfile.Education.choices, required=False, allow_blank=True
    )
    languages = serializers.ListField(
        child=serializers.CharField(max_length=10), max_length=10, required=False
    )
    has_driving_licence = serializers.BooleanField(required=False)
    has_vehicle = serializers.BooleanField(required=False)
    travel_mode = serializers.ChoiceField(choices=JobProfile.TravelMode.choices, required=False)
    travel_value = serializers.IntegerField(
        min_value=0, max_value=300, required=False, help_text="km, or minutes for a mode."
    )
    available_from = BoundedDateField(years_back=5, years_ahead=2, required=False, allow_null=True)
    hours_per_week = serializers.IntegerField(
        min_value=1, max_value=48, required=False, allow_null=True
    )
    available_days = serializers.ListField(
        child=serializers.ChoiceField(choices=["mon", "tue", "wed", "thu", "fri", "sat", "sun"]),
        max_length=7,
        required=False,
    )
    contract_types = serializers.ListField(
        child=serializers.CharField(), required=False, help_text=CONTRACTS_HELP
    )

    def validate_contract_types(self, value):
        unknown = [v for v in value if v not in ContractType.values]
        if unknown:
            raise serializers.ValidationError(f"Unknown contract types: {unknown}.")
        return value

    disability_recognition = serializers.BooleanField(
        required=False, allow_null=True, help_text="Optional; never shown to employers."
    )
    social_benefits = serializers.BooleanField(
        required=False, allow_null=True, help_text="Optional; never shown to employers."
    )


class JobsConsentInput(serializers.Serializer):
    purpose = serializers.ChoiceField(choices=JobConsent.Purpose.choices)
    granted = serializers.BooleanField()
    version = serializers.CharField(max_length=20, required=False)


class JobsCvInput(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF of at most 5 MB.")


# --- Offers ------------------------------------------------------------------------------


class JobsEmployerRefOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    name = serializers.CharField()


class JobsAppellationRefOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class JobsOfferOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    employer = JobsEmployerRefOutput()
    appellation = JobsAppellationRefOutput(allow_null=True)
    target_landlords = serializers.SerializerMethodField()
    status = serializers.CharField(help_text=" | ".join(Offer.Status.values))
    contract_type = serializers.CharField(help_text=CONTRACTS_HELP)

    class Meta:
        model = Offer
        fields = (
            "id",
            "title",
            "employer",
            "appellation",
            "rome_code",
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
            "hires",
            "required_skills",
            "driving_licence_required",
            "target_landlords",
            "status",
            "published_at",
            "created_at",
            "updated_at",
        )

    @extend_schema_field(serializers.ListField(child=serializers.UUIDField()))
    def get_target_landlords(self, obj):
        return [str(landlord.public_id) for landlord in obj.target_landlords.all()]


class JobsReasonOutput(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class JobsOfferFeedOutput(serializers.Serializer):
    """An offer as the tenant's feed shows it: with its score and reasons."""

    offer = JobsOfferOutput()
    score = serializers.IntegerField(source="score.total")
    distance_km = serializers.SerializerMethodField()
    reasons = JobsReasonOutput(many=True, source="score.reasons")

    def get_distance_km(self, obj) -> float:
        return round(obj.score.distance_km, 1)


class JobsOfferPageOutput(serializers.Serializer):
    """Staff's and employers' offers (cursor-paginated)."""

    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = JobsOfferOutput(many=True)


class JobsOfferFeedPageOutput(serializers.Serializer):
    """A tenant's ranked feed (one page, best first)."""

    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = JobsOfferFeedOutput(many=True)


class JobsOfferInput(serializers.Serializer):
    employer = serializers.UUIDField(
        required=False, help_text="Required for staff; an employer member posts for its own."
    )
    title = serializers.CharField(max_length=200)
    appellation = serializers.CharField(max_length=10, required=False, help_text="ROME title code")
    rome_code = serializers.CharField(max_length=5, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    contract_type = serializers.ChoiceField(choices=ContractType.choices)
    hours_per_week = serializers.IntegerField(
        min_value=1, max_value=48, required=False, allow_null=True
    )
    salary_min_cents = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    salary_max_cents = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    address = serializers.CharField(max_length=255, required=False, allow_blank=True)
    postcode = serializers.CharField(max_length=10, required=False, allow_blank=True)
    city = serializers.CharField(max_length=120, required=False, allow_blank=True)
    latitude = serializers.FloatField(min_value=-90, max_value=90, required=False)
    longitude = serializers.FloatField(min_value=-180, max_value=180, required=False)
    start_date = BoundedDateField(years_back=1, years_ahead=2, required=False, allow_null=True)
    positions = serializers.IntegerField(min_value=1, max_value=500, required=False)
    required_skills = serializers.ListField(
        child=serializers.CharField(max_length=80), max_length=30, required=False
    )
    driving_licence_required = serializers.BooleanField(required=False)
    target_landlords = serializers.ListField(child=serializers.UUIDField(), required=False)
    status = serializers.CharField(required=False, help_text="draft | published")

    def validate_status(self, value):
        if value not in self.allowed_statuses:
            raise serializers.ValidationError(f"Unknown status: {value}.")
        return value

    allowed_statuses = (Offer.Status.DRAFT, Offer.Status.PUBLISHED)


class JobsOfferUpdateInput(JobsOfferInput):
    status = serializers.CharField(required=False, help_text=" | ".join(Offer.Status.values))
    allowed_statuses = tuple(Offer.Status.values)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("employer")
        for field in self.fields.values():
            field.required = False


class JobsCandidateMatchOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    state = serializers.CharField(help_text=STATES_HELP)


class JobsCandidateOutput(serializers.Serializer):
    """An anonymised card: no name, contact, address, age or photo."""

    id = serializers.UUIDField(
        source="pseudonym",
        help_text="The candidate's pseudonym (an employer's differs from one offer to another).",
    )
    score = serializers.IntegerField(source="score.total")
    rank_score = serializers.IntegerField(source="score.rank_score")
    reasons = JobsReasonOutput(many=True, source="score.reasons")
    rome_codes = serializers.SerializerMethodField()
    skills = serializers.SerializerMethodField()
    distance_band = serializers.SerializerMethodField()
    available_from = serializers.DateField(source="profile.available_from", allow_null=True)
    hours_per_week = serializers.IntegerField(source="profile.hours_per_week", allow_null=True)
    available_days = serializers.ListField(
        source="profile.available_days", child=serializers.CharField()
    )
    contract_types = serializers.SerializerMethodField()
    has_driving_licence = serializers.BooleanField(source="profile.has_driving_licence")
    education_level = serializers.CharField(source="profile.education_level")
    languages = serializers.ListField(source="profile.languages", child=serializers.CharField())
    volunteer_hours = serializers.FloatField()
    match = JobsCandidateMatchOutput(allow_null=True)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_rome_codes(self, obj):
        return [row.rome_code for row in obj.profile.romes.all()]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_skills(self, obj):
        return [row.skill for row in obj.profile.skill_rows.all()]

    def get_distance_band(self, obj) -> str:
        return distance_band(obj.score.distance_km)

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_contract_types(self, obj):
        return contract_list(obj.profile.contract_types)


class JobsCandidatePageOutput(serializers.Serializer):
    next = serializers.CharField(allow_null=True)
    previous = serializers.CharField(allow_null=True)
    results = JobsCandidateOutput(many=True)


# --- Matches -----------------------------------------------------------------------------


class JobsMatchOfferOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    title = serializers.CharField()
    status = serializers.CharField()
    employer = JobsEmployerRefOutput()


class JobsCandidateIdentityOutput(serializers.Serializer):
    """The tenant behind a match. For an employer, identity fields are null until the
    tenant agreed to be introduced."""

    id = serializers.UUIDField(
        help_text="The candidate's pseudonym: the profile id for staff, per offer for employers."
    )
    revealed = serializers.BooleanField()
    first_name = serializers.CharField(allow_null=True)
    last_name = serializers.CharField(allow_null=True)
    email = serializers.CharField(allow_null=True)
    phone = serializers.CharField(allow_null=True)
    has_cv = serializers.BooleanField()


class JobsTransitionOutput(serializers.Serializer):
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor_kind = serializers.CharField()
    at = serializers.DateTimeField()
    note = serializers.CharField()


def seen_context(seen) -> dict:
    """The serializer context for matches as a viewer sees them (`actions.matches_show`)."""
    return {"seen": {item.match.pk: item for item in seen}}


class JobsMatchOutput(serializers.ModelSerializer):
    id = serializers.UUIDField(source="public_id", read_only=True)
    offer = JobsMatchOfferOutput()
    candidate = serializers.SerializerMethodField()
    decline_reason = serializers.SerializerMethodField()
    employer_message = serializers.SerializerMethodField()
    withdraw_reason = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()
    state = serializers.CharField(help_text=STATES_HELP)
    reasons = serializers.SerializerMethodField()

    class Meta:
        model = Match
        fields = (
            "id",
            "state",
            "offer",
            "candidate",
            "score",
            "reasons",
            "state_changed_at",
            "proposed_at",
            "answered_at",
            "decline_reason",
            "reason_visible_to_tenant",
            "employer_message",
            "interview_at",
            "interview_place",
            "interview_answer",
            "interview_answered_at",
            "hire_start_date",
            "withdraw_reason",
            "allowed_transitions",
            "created_at",
            "updated_at",
        )

    # What the viewer may see was decided in the domain (`services.jobs.visibility`): the
    # context carries it per match, and these fields only render it.
    def _seen(self, obj):
        return self.context["seen"][obj.pk]

    @extend_schema_field(JobsCandidateIdentityOutput)
    def get_candidate(self, obj):
        candidate = self._seen(obj).candidate
        return {
            "id": candidate.id,
            "revealed": candidate.revealed,
            "first_name": candidate.first_name,
            "last_name": candidate.last_name,
            "email": candidate.email,
            "phone": candidate.phone,
            "has_cv": candidate.has_cv,
        }

    @extend_schema_field(JobsReasonOutput(many=True))
    def get_reasons(self, obj):
        """In the reader's language, whoever's request computed them."""
        return localized_reasons(obj.reasons)

    def get_decline_reason(self, obj) -> str | None:
        return self._seen(obj).decline_reason

    def get_employer_message(self, obj) -> str | None:
        return self._seen(obj).employer_message

    def get_withdraw_reason(self, obj) -> str | None:
        """The tenant's own reason: never shown to the employer."""
        return self._seen(obj).withdraw_reason

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_allowed_transitions(self, obj):
        return self._seen(obj).allowed_transitions


class JobsMatchDetailOutput(JobsMatchOutput):
    transitions = serializers.SerializerMethodField()

    class Meta(JobsMatchOutput.Meta):
        fields = (*JobsMatchOutput.Meta.fields, "transitions")

    @extend_schema_field(JobsTransitionOutput(many=True))
    def get_transitions(self, obj):
        rows = match_transitions(match=obj, side=self._seen(obj).side)
        return JobsTransitionOutput(rows, many=True).data


class JobsMatchProposeInput(serializers.Serializer):
    expected_state = StateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)


class JobsMatchInterviewAnswerInput(serializers.Serializer):
    answer = serializers.ChoiceField(
        choices=Match.InterviewAnswer.values,
        help_text="accepted (will come) | declined (will not come) | another_time",
    )
    message = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=500,
        help_text="To the employer (e.g. when would suit); sent while the tenant agrees to be "
        "introduced.",
    )
    expected_state = StateField(required=False)


class JobsMatchAnswerInput(serializers.Serializer):
    decision = serializers.CharField(help_text="interested | declined | postponed")
    reason = serializers.CharField(
        required=False, allow_blank=True, help_text=" | ".join(Match.DeclineReason.values)
    )

    def validate_decision(self, value):
        if value not in ("interested", "declined", "postponed"):
            raise serializers.ValidationError(f"Unknown decision: {value}.")
        return value

    def validate_reason(self, value):
        if value and value not in Match.DeclineReason.values:
            raise serializers.ValidationError(f"Unknown reason: {value}.")
        return value

    message = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reason_visible_to_tenant = serializers.BooleanField(required=False, default=False)
    expected_state = StateField(required=False)


class JobsMatchTransitionInput(serializers.Serializer):
    to = StateField()
    expected_state = StateField(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=255, help_text="withdraw: why"
    )
    interview_at = BoundedDateTimeField(years_back=1, years_ahead=1, required=False)
    interview_place = serializers.CharField(required=False, max_length=255)
    hire_start_date = BoundedDateField(years_back=1, years_ahead=2, required=False)


# --- Stats -------------------------------------------------------------------------------


class JobsStatsOutput(serializers.Serializer):
    matches_by_state = serializers.DictField(child=serializers.IntegerField())
    hires = serializers.IntegerField()
    waiting_for_staff = serializers.IntegerField()
    median_days_to_employer_answer = serializers.FloatField(allow_null=True)
    published_offers = serializers.IntegerField()
    profiles_with_matching_consent = serializers.IntegerField()
