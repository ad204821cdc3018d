"""Shapes only: every rule lives in services.volunteering.actions."""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api.fields import BoundedDateField, BoundedDateTimeField
from services.volunteering.actions import LAT_WITHOUT_LNG, NEW_SLOT_INCOMPLETE
from services.volunteering.models import Mission, Signup, Slot
from services.volunteering.selectors import DISTANCE_SCALE


class VolunteeringEnumField(serializers.ChoiceField):
    """A choice field documented as its own named enum component, so the names never collide
    with other areas' `status` or `category` enums (no ENUM_NAME_OVERRIDES needed)."""

    def __init__(self, *, enum_name: str, **kwargs):
        self.enum_name = enum_name
        super().__init__(**kwargs)


class VolunteeringEnumFieldExtension(OpenApiSerializerFieldExtension):
    target_class = VolunteeringEnumField

    def map_serializer_field(self, auto_schema, direction):
        component = ResolvedComponent(
            name=self.target.enum_name,
            type=ResolvedComponent.SCHEMA,
            object=self.target.enum_name,
            schema={"type": "string", "enum": [str(key) for key in self.target.choices]},
        )
        auto_schema.registry.register_on_missing(component)
        return component.ref


def _category(**kwargs):
    return VolunteeringEnumField(
        enum_name="VolunteeringCategoryEnum", choices=Mission.Category.choices, **kwargs
    )


def _mission_status(**kwargs):
    return VolunteeringEnumField(
        enum_name="VolunteeringMissionStatusEnum", choices=Mission.Status.choices, **kwargs
    )


class VolunteeringMySignupOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = VolunteeringEnumField(
        enum_name="VolunteeringSignupStatusEnum", choices=Signup.Status.choices
    )
    waitlist_position = serializers.IntegerField(allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)


class VolunteeringSlotOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    capacity = serializers.IntegerField()
    places_left = serializers.IntegerField(
        help_text="Places free now (confirmed and held offers count)."
    )
    status = VolunteeringEnumField(
        enum_name="VolunteeringSlotStatusEnum", choices=Slot.Status.choices
    )
    my_signup = serializers.SerializerMethodField()

    @extend_schema_field(VolunteeringMySignupOutput(allow_null=True))
    def get_my_signup(self, obj):
        """A tenant's own live sign-up on this slot (null for staff or when not signed up)."""
        mine = getattr(obj, "my_signups", None)
        if not mine:
            return None
        signup = mine[0]
        if signup.status != Signup.Status.WAITLISTED:
            signup.waitlist_position = None
        return VolunteeringMySignupOutput(signup).data


class VolunteeringMissionOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    title = serializers.CharField()
    description = serializers.CharField()
    category = _category()
    residence = serializers.UUIDField(
        source="residence.public_id", allow_null=True, help_text="Null: the whole landlord."
    )
    place = serializers.CharField()
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    points = serializers.IntegerField(help_text="Points per attended slot.")
    adults_only = serializers.BooleanField()
    requires_charter = serializers.BooleanField()
    status = _mission_status()
    is_initiative = serializers.SerializerMethodField()
    distance_km = serializers.SerializerMethodField()
    slots = VolunteeringSlotOutput(many=True, source="slot_list")
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_is_initiative(self, obj) -> bool:
        return obj.proposed_by_id is not None

    def get_distance_km(self, obj) -> float | None:
        """Straight-line distance when the app sent ?lat=&lng=."""
        key = getattr(obj, "distance", None)
        if key is None:
            return None
        return round(((key / DISTANCE_SCALE) ** 0.5) * 111.195, 1)


class VolunteeringSlotInput(serializers.Serializer):
    starts_at = BoundedDateTimeField(years_back=1, years_ahead=5)
    ends_at = BoundedDateTimeField(years_back=1, years_ahead=5)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000)


class VolunteeringSlotUpdateInput(serializers.Serializer):
    id = serializers.UUIDField(required=False, help_text="Omit to add a new slot.")
    starts_at = BoundedDateTimeField(years_back=1, years_ahead=5, required=False)
    ends_at = BoundedDateTimeField(years_back=1, years_ahead=5, required=False)
    capacity = serializers.IntegerField(min_value=1, max_value=10_000, required=False)

    def validate(self, attrs):
        if "id" not in attrs and not {"starts_at", "ends_at", "capacity"} <= set(attrs):
            raise serializers.ValidationError(NEW_SLOT_INCOMPLETE)
        return attrs


class VolunteeringMissionCreateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = _category()
    residence = serializers.UUIDField(required=False, allow_null=True, default=None)
    place = serializers.CharField(max_length=255)
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, min_value=-90, max_value=90)
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180
    )
    points = serializers.IntegerField(min_value=0, max_value=100_000, default=0)
    adults_only = serializers.BooleanField(default=True)
    requires_charter = serializers.BooleanField(default=False)
    status = VolunteeringEnumField(
        enum_name="VolunteeringMissionCreateStatusEnum",
        choices=[Mission.Status.DRAFT, Mission.Status.PUBLISHED],
        default=Mission.Status.DRAFT,
    )
    slots = VolunteeringSlotInput(many=True, allow_empty=False)


class VolunteeringMissionUpdateInput(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True)
    category = _category(required=False)
    residence = serializers.UUIDField(required=False, allow_null=True)
    place = serializers.CharField(max_length=255, required=False)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    points = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    adults_only = serializers.BooleanField(required=False)
    requires_charter = serializers.BooleanField(required=False)
    status = VolunteeringEnumField(
        enum_name="VolunteeringMissionTargetStatusEnum",
        choices=[
            Mission.Status.DRAFT,
            Mission.Status.PUBLISHED,
            Mission.Status.COMPLETED,
            Mission.Status.CANCELLED,
        ],
        required=False,
        help_text="draft → published → completed, or cancelled (cancels every sign-up).",
    )
    expected_status = _mission_status(
        required=False,
        help_text="The status you last saw; 409 stale_status when it changed meanwhile.",
    )
    slots = VolunteeringSlotUpdateInput(many=True, required=False)


class VolunteeringMissionFilterInput(serializers.Serializer):
    category = _category(required=False)
    residence = serializers.UUIDField(required=False)
    date = BoundedDateField(
        years_back=10, years_ahead=10, required=False, help_text="Missions with a slot that day."
    )
    status = _mission_status(required=False)
    lat = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    lng = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    updated_since = BoundedDateTimeField(years_back=50, years_ahead=1, required=False)

    def validate(self, attrs):
        if ("lat" in attrs) != ("lng" in attrs):
            raise serializers.ValidationError({"lng": [LAT_WITHOUT_LNG]})
        return attrs


class VolunteeringInitiativeInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    category = _category()
    place = serializers.CharField(
        max_length=255, required=False, help_text="Default: my residence."
    )
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-180, max_value=180, required=False
    )
    slots = VolunteeringSlotInput(many=True, allow_empty=False)


class VolunteeringInitiativeReviewInput(serializers.Serializer):
    decision = VolunteeringEnumField(
        enum_name="VolunteeringInitiativeDecisionEnum", choices=["approve", "reject"]
    )
    points = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    note = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class VolunteeringSignupCreateInput(serializers.Serializer):
    accept_charter = serializers.BooleanField(
        required=False, default=False, help_text="Accept the residents' charter (asked once)."
    )


class VolunteeringSignupTransitionInput(serializers.Serializer):
    expected_status = VolunteeringEnumField(
        enum_name="VolunteeringSignupStatusEnum",
        choices=Signup.Status.choices,
        required=False,
        help_text="The status you last saw; 409 stale_status when it changed meanwhile.",
    )


class VolunteeringSignupOutput(serializers.Serializer):
    id = serializers.UUIDField(source="public_id")
    status = VolunteeringEnumField(
        enum_name="VolunteeringSignupStatusEnum", choices=Signup.Status.choices
    )
    waitlist_position = serializers.SerializerMethodField()
    slot = serializers.UUIDField(source="slot.public_id")
    mission = serializers.UUIDField(source="slot.mission.public_id")
    mission_title = serializers.CharField(source="slot.mission.title")
    starts_at = serializers.DateTimeField(source="slot.starts_at")
    ends_at = serializers.DateTimeField(source="slot.ends_at")
    tenant_name = serializers.CharField(source="tenant.user.full_name")
    offer_expires_at = serializers.DateTimeField(allow_null=True)
    offer_shared = serializers.BooleanField(
        help_text="Offered to every waiter at once: the first to accept takes the place."
    )
    cancel_reason = serializers.CharField()
    checked_in_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def get_waitlist_position(self, obj) -> int | None:
        if obj.status != Signup.Status.WAITLISTED:
            return None
        return getattr(obj, "waitlist_position", None)


class VolunteeringSignupFilterInput(serializers.Serializer):
    slot = serializers.UUIDField(required=False)
    status = VolunteeringEnumField(
        enum_name="VolunteeringSignupStatusEnum", choices=Signup.Status.choices, required=False
    )
    updated_since = BoundedDateTimeField(years_back=50, years_ahead=1, required=False)


class VolunteeringAttendanceItemInput(serializers.Serializer):
    signup = serializers.UUIDField()
    attended = serializers.BooleanField()


class VolunteeringCheckInInput(serializers.Serializer):
    code = serializers.CharField(max_length=12)


class VolunteeringCheckInCodeOutput(serializers.Serializer):
    code = serializers.CharField()
    rotates_at = serializers.DateTimeField()
    valid_from = serializers.DateTimeField()
    valid_until = serializers.DateTimeField()


class VolunteeringRecordCategoryOutput(serializers.Serializer):
    category = _category()
    hours = serializers.FloatField()
    missions = serializers.IntegerField()
    sessions = serializers.IntegerField()


class VolunteeringRecordSessionOutput(serializers.Serializer):
    signup = serializers.UUIDField()
    mission = serializers.UUIDField()
    title = serializers.CharField()
    category = _category()
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    hours = serializers.FloatField()
    points = serializers.IntegerField()


class VolunteeringRecordOutput(serializers.Serializer):
    hours = serializers.FloatField(help_text="Validated hours (attended slots).")
    missions = serializers.IntegerField()
    sessions = serializers.IntegerField()
    by_category = VolunteeringRecordCategoryOutput(many=True)
    attended = VolunteeringRecordSessionOutput(many=True)
