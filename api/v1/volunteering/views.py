"""Volunteering: missions and slots, initiatives, sign-ups, attendance, check-in, record."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework.views import APIView

from api import sync
from api.conditional import ConditionalGetMixin
from api.idempotency import idempotent
from api.pagination import CursorPagination
from api.permissions import STAFF, TENANT, IsTenant, PerAction
from services.core.errors import NotFound
from services.volunteering import actions, selectors
from services.volunteering.models import Mission, Signup
from services.volunteering.sync import mission_sync_for_user, signup_sync_for_user

from . import serializers as s


class _Lookup:
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"


class MissionPagination(CursorPagination):
    """Upcoming first; nearest first when the app sends ?lat=&lng=."""

    def get_ordering(self, request, queryset, view):
        if "distance" in queryset.query.annotations:
            return ("distance", "id")
        return ("next_start", "id")


def _parse(serializer_class, data):
    parsed = serializer_class(data=data)
    parsed.is_valid(raise_exception=True)
    return parsed.validated_data


MISSION_FILTERS = [
    OpenApiParameter("category", str, enum=[c for c, _label in Mission.Category.choices]),
    OpenApiParameter("residence", OpenApiTypes.UUID),
    OpenApiParameter(
        "date",
        OpenApiTypes.DATE,
        description="Missions with a slot that day (within 10 years of today).",
    ),
    OpenApiParameter("status", str, description="Staff: filter by status."),
    OpenApiParameter("lat", OpenApiTypes.NUMBER, description="With lng: nearest first."),
    OpenApiParameter("lng", OpenApiTypes.NUMBER),
    *sync.SYNC_PARAMETERS,
]


@extend_schema(tags=["volunteering"])
class MissionViewSet(
    ConditionalGetMixin,
    _Lookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """T: published missions open to me; S: every mission of my landlord."""

    permission_classes = [PerAction]
    default_roles = (TENANT, STAFF)
    action_roles = {"create": (STAFF,), "partial_update": (STAFF,)}
    serializer_class = s.VolunteeringMissionOutput
    pagination_class = MissionPagination

    def get_queryset(self):
        filters = {}
        if self.action == "list":
            params = _parse(s.VolunteeringMissionFilterInput, self.request.query_params)
            filters = {
                "category": params.get("category"),
                "residence": params.get("residence"),
                "on_date": params.get("date"),
                "status": params.get("status"),
                "updated_since": params.get("updated_since"),
            }
            if "lat" in params:
                filters["near"] = (params["lat"], params["lng"])
            return selectors.mission_list_for_user(user=self.request.user, **filters)
        return selectors.mission_list_for_user(user=self.request.user)

    def _render(self, mission, status_code=status.HTTP_200_OK):
        fresh = selectors.mission_list_for_user(user=self.request.user).get(pk=mission.pk)
        return Response(s.VolunteeringMissionOutput(fresh).data, status=status_code)

    @extend_schema(
        parameters=MISSION_FILTERS,
        responses=sync.responses(
            sync.list_schema(s.VolunteeringMissionOutput, name="VolunteeringMissions")
        ),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            # The filters are checked (a hostile value is a 400) but a walk is the whole list.
            _parse(s.VolunteeringMissionFilterInput, request.query_params)
            return sync.respond(
                request,
                mission_sync_for_user(user=request.user),
                lambda rows: s.VolunteeringMissionOutput(rows, many=True).data,
            )
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.VolunteeringMissionCreateInput, responses={201: s.VolunteeringMissionOutput}
    )
    @idempotent
    def create(self, request):
        data = dict(_parse(s.VolunteeringMissionCreateInput, request.data))
        slots = data.pop("slots")
        residence = data.pop("residence", None)
        mission = actions.mission_create(
            actor=request.user, data=data, slots=slots, residence=residence
        )
        return self._render(mission, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.VolunteeringMissionUpdateInput, responses={200: s.VolunteeringMissionOutput}
    )
    def partial_update(self, request, id=None):
        mission = self.get_object()
        data = dict(_parse(s.VolunteeringMissionUpdateInput, request.data))
        kwargs = {
            "slots": data.pop("slots", None),
            "expected_status": data.pop("expected_status", None),
        }
        if "residence" in data:
            kwargs["residence"] = data.pop("residence")
        mission = actions.mission_update(actor=request.user, mission=mission, data=data, **kwargs)
        return self._render(mission)


@extend_schema(tags=["volunteering"])
class InitiativeViewSet(
    ConditionalGetMixin,
    _Lookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Missions proposed by tenants: T proposes and follows its own, S approves or rejects."""

    permission_classes = [PerAction]
    default_roles = (TENANT, STAFF)
    action_roles = {"create": (TENANT,), "review": (STAFF,)}
    serializer_class = s.VolunteeringMissionOutput

    def get_queryset(self):
        return selectors.initiative_list_for_user(user=self.request.user)

    def _render(self, mission, status_code=status.HTTP_200_OK):
        fresh = selectors.initiative_list_for_user(user=self.request.user).get(pk=mission.pk)
        return Response(s.VolunteeringMissionOutput(fresh).data, status=status_code)

    @extend_schema(
        request=s.VolunteeringInitiativeInput, responses={201: s.VolunteeringMissionOutput}
    )
    @idempotent
    def create(self, request):
        data = dict(_parse(s.VolunteeringInitiativeInput, request.data))
        slots = data.pop("slots")
        mission = actions.initiative_propose(tenant=request.user.tenant, data=data, slots=slots)
        return self._render(mission, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.VolunteeringInitiativeReviewInput, responses={200: s.VolunteeringMissionOutput}
    )
    @action(detail=True, methods=["post"])
    def review(self, request, id=None):
        mission = self.get_object()
        data = _parse(s.VolunteeringInitiativeReviewInput, request.data)
        mission = actions.initiative_review(
            actor=request.user,
            mission=mission,
            approve=data["decision"] == "approve",
            points=data.get("points"),
            note=data["note"],
        )
        return self._render(mission)


@extend_schema(tags=["volunteering"])
class SlotViewSet(_Lookup, viewsets.GenericViewSet):
    """A mission's slot: sign up, attendance, check-in and its code, cancellation."""

    permission_classes = [PerAction]
    default_roles = (STAFF,)
    action_roles = {"signups": (TENANT,), "check_in": (TENANT,)}
    serializer_class = s.VolunteeringSignupOutput

    def get_queryset(self):
        return selectors.slot_list_for_user(user=self.request.user)

    def _signup(self, signup, status_code=status.HTTP_200_OK):
        fresh = selectors.signup_list_for_user(user=self.request.user).get(pk=signup.pk)
        return Response(s.VolunteeringSignupOutput(fresh).data, status=status_code)

    @extend_schema(
        request=s.VolunteeringSignupCreateInput,
        responses={201: s.VolunteeringSignupOutput},
        description="`confirmed` while places are left, else `waitlisted` with its position. "
        "409: slot_started, already_signed_up, overlapping_signup, charter_required.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def signups(self, request, id=None):
        slot = self.get_object()
        data = _parse(s.VolunteeringSignupCreateInput, request.data)
        signup = actions.signup_create(
            tenant=request.user.tenant, slot=slot, accept_charter=data["accept_charter"]
        )
        return self._signup(signup, status.HTTP_201_CREATED)

    @extend_schema(
        request=s.VolunteeringAttendanceItemInput(many=True),
        responses={200: s.VolunteeringSignupOutput(many=True)},
        description="Mark each sign-up attended or no-show (from the slot's start on). "
        "Attendance awards the mission's points once; a correction to no-show reverses them.",
    )
    @action(detail=True, methods=["post"])
    def attendance(self, request, id=None):
        slot = self.get_object()
        parsed = s.VolunteeringAttendanceItemInput(data=request.data, many=True)
        parsed.is_valid(raise_exception=True)
        marks = [(item["signup"], item["attended"]) for item in parsed.validated_data]
        signups = actions.attendance_mark(actor=request.user, slot=slot, marks=marks)
        fresh = selectors.signup_list_for_user(user=request.user).filter(
            pk__in=[signup.pk for signup in signups]
        )
        return Response(s.VolunteeringSignupOutput(fresh, many=True).data)

    @extend_schema(
        request=s.VolunteeringCheckInInput,
        responses={200: s.VolunteeringSignupOutput},
        description="The tenant types the organiser's rotating code during the slot: attended.",
    )
    @action(detail=True, methods=["post"], url_path="check-in")
    def check_in(self, request, id=None):
        slot = self.get_object()
        data = _parse(s.VolunteeringCheckInInput, request.data)
        signup = actions.signup_check_in(tenant=request.user.tenant, slot=slot, code=data["code"])
        return self._signup(signup)

    @extend_schema(
        responses={200: s.VolunteeringCheckInCodeOutput},
        description="The code to show the volunteers now; it rotates every 5 minutes.",
    )
    @action(detail=True, methods=["get"], url_path="check-in-code")
    def check_in_code(self, request, id=None):
        slot = self.get_object()
        return Response(
            s.VolunteeringCheckInCodeOutput(
                actions.checkin_code_for(actor=request.user, slot=slot)
            ).data
        )

    @extend_schema(
        request=None,
        responses={200: s.VolunteeringSlotOutput},
        description="Cancel the slot: every sign-up is cancelled and each tenant told.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        slot = actions.slot_cancel(actor=request.user, slot=self.get_object())
        fresh = selectors.slot_list_for_user(user=request.user).get(pk=slot.pk)
        return Response(s.VolunteeringSlotOutput(fresh).data)


SIGNUP_FILTERS = [
    OpenApiParameter("slot", OpenApiTypes.UUID, description="Staff: the sign-ups of one slot."),
    OpenApiParameter("status", str, enum=[c for c, _label in Signup.Status.choices]),
    *sync.SYNC_PARAMETERS,
]


@extend_schema(tags=["volunteering"])
class SignupViewSet(
    ConditionalGetMixin,
    _Lookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """T: my sign-ups; S: sign-ups to my landlord's missions."""

    permission_classes = [PerAction]
    default_roles = (TENANT, STAFF)
    action_roles = {"accept_offer": (TENANT,)}
    serializer_class = s.VolunteeringSignupOutput

    def get_queryset(self):
        qs = selectors.signup_list_for_user(user=self.request.user)
        if self.action == "list":
            params = _parse(s.VolunteeringSignupFilterInput, self.request.query_params)
            if params.get("slot"):
                qs = qs.filter(slot__public_id=params["slot"])
            if params.get("status"):
                qs = qs.filter(status=params["status"])
            if params.get("updated_since"):
                qs = qs.filter(updated_at__gte=params["updated_since"])
        return qs

    def _render(self, signup):
        fresh = selectors.signup_list_for_user(user=self.request.user).get(pk=signup.pk)
        return Response(s.VolunteeringSignupOutput(fresh).data)

    @extend_schema(
        parameters=SIGNUP_FILTERS,
        responses=sync.responses(
            sync.list_schema(s.VolunteeringSignupOutput, name="VolunteeringSignups")
        ),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            _parse(s.VolunteeringSignupFilterInput, request.query_params)  # a 400 if hostile
            return sync.respond(
                request,
                signup_sync_for_user(user=request.user),
                lambda rows: s.VolunteeringSignupOutput(rows, many=True).data,
            )
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.VolunteeringSignupTransitionInput,
        responses={200: s.VolunteeringSignupOutput},
        description="The tenant before the start, staff until attendance; frees the place.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        signup = self.get_object()
        data = _parse(s.VolunteeringSignupTransitionInput, request.data)
        signup = actions.signup_cancel(
            signup=signup, actor=request.user, expected_status=data.get("expected_status")
        )
        return self._render(signup)

    @extend_schema(
        request=s.VolunteeringSignupTransitionInput,
        responses={200: s.VolunteeringSignupOutput},
        description="Take the place offered from the waitlist before its deadline. "
        "409: no_offer, offer_expired, place_taken, overlapping_signup.",
    )
    @action(detail=True, methods=["post"], url_path="accept-offer")
    def accept_offer(self, request, id=None):
        signup = self.get_object()
        data = _parse(s.VolunteeringSignupTransitionInput, request.data)
        signup = actions.offer_accept(
            signup=signup, tenant=request.user.tenant, expected_status=data.get("expected_status")
        )
        return self._render(signup)


class RecordView(ConditionalGetMixin, APIView):
    permission_classes = [IsTenant]

    @extend_schema(tags=["volunteering"], responses={200: s.VolunteeringRecordOutput})
    def get(self, request):
        """Validated hours and missions, by category (it feeds the job candidate card)."""
        tenant = getattr(request.user, "tenant", None)
        if tenant is None:
            raise NotFound()
        return Response(s.VolunteeringRecordOutput(selectors.volunteer_record(tenant=tenant)).data)
