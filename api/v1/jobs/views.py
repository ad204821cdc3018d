"""Jobs endpoints: parse, authorise, make one selector or action call, render."""

import io
import uuid

from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, PolymorphicProxySerializer, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import sync
from api.conditional import ConditionalGetMixin
from api.idempotency import idempotent
from api.pagination import invalid_cursor
from api.parsers import JSONParser
from api.permissions import EMPLOYER, STAFF, TENANT, PerAction, roles
from services.accounts.models import Landlord
from services.accounts.selectors import employer_list_for_user
from services.core.errors import invalid
from services.jobs import actions, interview_answers, interviews, selectors
from services.jobs.models import ContractType, Match, Offer
from services.jobs.sync import match_sync_for_user, offer_sync_for_user

from .serializers import (
    JobsCandidatePageOutput,
    JobsConsentInput,
    JobsCvInput,
    JobsMatchAnswerInput,
    JobsMatchDetailOutput,
    JobsMatchInterviewAnswerInput,
    JobsMatchOutput,
    JobsMatchProposeInput,
    JobsMatchTransitionInput,
    JobsOfferFeedOutput,
    JobsOfferFeedPageOutput,
    JobsOfferInput,
    JobsOfferOutput,
    JobsOfferPageOutput,
    JobsOfferUpdateInput,
    JobsProfileInput,
    JobsProfileOutput,
    JobsRomeOutput,
    JobsStatsOutput,
    seen_context,
)

# Query strings that cannot be parsed: the interface's errors (the domain gets typed values).
BadMaxKm = invalid("invalid_max_km", _("max_km must be a number."))
BadOfferFilter = invalid("invalid_offer", _("offer must be a UUID."))
BadFilter = invalid("invalid_filter", _("This filter's value is not valid."))


def _choice(request, name: str, choices) -> str | None:
    """A query-string filter that must be one of `choices` (anything else is a 400, not a
    database error: PostgreSQL refuses a NUL character in a string)."""
    value = request.query_params.get(name)
    if not value:
        return None
    if value not in choices:
        message = str(BadFilter.default_message)
        raise BadFilter(fields={name: [message]})
    return value


def _page_size(request, default: int = 20) -> int:
    try:
        value = int(request.query_params.get("page_size", default))
    except ValueError:
        value = default
    return max(1, min(value, 100))


# --- ROME --------------------------------------------------------------------------------


class JobsRomeView(APIView):
    permission_classes = [roles(TENANT, STAFF, EMPLOYER)]

    @extend_schema(
        parameters=[OpenApiParameter("q", str, required=True, description="accent-insensitive")],
        responses=JobsRomeOutput(many=True),
    )
    def get(self, request):
        q = request.query_params.get("q", "")[:100].replace("\x00", "")
        results = selectors.rome_search(q=q)
        return Response(JobsRomeOutput(results, many=True).data)


# --- Profile, consents, CV ---------------------------------------------------------------


class JobsProfileView(ConditionalGetMixin, APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(responses=JobsProfileOutput)
    def get(self, request):
        profile = actions.profile_ensure(tenant=request.user.tenant)
        return Response(JobsProfileOutput(profile).data)

    @extend_schema(request=JobsProfileInput, responses=JobsProfileOutput)
    def put(self, request):
        data = JobsProfileInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = actions.profile_update(tenant=request.user.tenant, data=data.validated_data)
        return Response(JobsProfileOutput(profile).data)


class JobsConsentView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(request=JobsConsentInput, responses={201: JobsProfileOutput})
    @idempotent
    def post(self, request):
        data = JobsConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = actions.consent_set(tenant=request.user.tenant, **data.validated_data)
        return Response(JobsProfileOutput(profile).data, status=status.HTTP_201_CREATED)


class JobsCvView(APIView):
    """The tenant's own CV: upload (multipart, PDF only, <= 5 MB), download, delete."""

    permission_classes = [roles(TENANT)]

    parser_classes = [MultiPartParser, JSONParser]  # JSON only to answer "file missing"

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request):
        profile = selectors.profile_for_tenant(tenant=request.user.tenant)
        if profile is None or not profile.cv:
            raise actions.NoCv()
        return _pdf(profile)

    @extend_schema(request={"multipart/form-data": JobsCvInput}, responses={201: JobsProfileOutput})
    @idempotent
    def post(self, request):
        data = JobsCvInput(data=request.data)
        data.is_valid(raise_exception=True)
        profile = actions.cv_upload(tenant=request.user.tenant, upload=data.validated_data["file"])
        return Response(JobsProfileOutput(profile).data, status=status.HTTP_201_CREATED)

    @extend_schema(responses={204: None})
    def delete(self, request):
        actions.cv_delete(tenant=request.user.tenant)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _pdf(profile) -> FileResponse:
    response = FileResponse(
        profile.cv.open("rb"),
        content_type="application/pdf",
        as_attachment=True,
        filename=profile.cv_name or "cv.pdf",
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- Offers ------------------------------------------------------------------------------


class JobsOfferViewSet(
    ConditionalGetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [PerAction]
    action_roles = {
        "create": (STAFF, EMPLOYER),
        "partial_update": (STAFF, EMPLOYER),
        "candidates": (STAFF, EMPLOYER),
        "interest": (TENANT,),
        "untarget": (STAFF,),
    }
    serializer_class = JobsOfferOutput
    queryset = Offer.objects.none()  # for the schema; requests use get_queryset()
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"

    def get_queryset(self):
        return selectors.offer_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("contract", str, description="tenants: a contract type"),
            OpenApiParameter("max_km", float, description="tenants: at most this far"),
            OpenApiParameter("rome", str, description="tenants: a ROME code or prefix"),
            OpenApiParameter("status", str, description="staff and employers: an offer status"),
            OpenApiParameter("page_size", int),
            *sync.SYNC_PARAMETERS,
        ],
        responses=sync.responses(
            PolymorphicProxySerializer(
                component_name="JobsOfferListOutput",
                serializers=[
                    JobsOfferPageOutput,
                    JobsOfferFeedPageOutput,
                    sync.sync_page(JobsOfferOutput, name="JobsOffers"),
                    sync.sync_page(JobsOfferFeedOutput, name="JobsOfferFeed"),
                ],
                resource_type_field_name=None,
            )
        ),
        description=(
            "Tenants: published offers for me, best first, each as "
            "`{offer, score, distance_km, reasons}` (see JobsOfferFeedPageOutput): the top "
            "`page_size`; a sync walk (`sync=true` or `updated_since`) goes through all of "
            "them, newest first, a tombstone's `id` being the offer's. Staff: offers "
            "targeting their landlord; employers: their company's."
        ),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            source = offer_sync_for_user(user=request.user)
            if request.user.role == TENANT:
                return sync.respond(request, source, self._feed_rows)
            return sync.respond(request, source, lambda rows: JobsOfferOutput(rows, many=True).data)
        if request.user.role == TENANT:
            return self._feed(request)
        qs = selectors.offer_list_for_user(
            user=request.user, status=_choice(request, "status", Offer.Status.values)
        )
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(JobsOfferOutput(page, many=True).data)

    def _feed_rows(self, offers):
        items = selectors.offer_feed_scores(user=self.request.user, offers=offers)
        return JobsOfferFeedOutput(items, many=True).data

    def _feed(self, request):
        params = request.query_params
        if "cursor" in params:  # the feed is one page and issues no cursor: this one is forged
            raise invalid_cursor()
        try:
            max_km = float(params["max_km"]) if params.get("max_km") else None
        except ValueError:
            message = str(BadMaxKm.default_message)
            raise BadMaxKm(fields={"max_km": [message]}) from None
        rome = (params.get("rome") or "").strip()
        if rome and not (rome.isascii() and rome.isalnum() and len(rome) <= 5):
            message = str(BadFilter.default_message)
            raise BadFilter(fields={"rome": [message]})
        items = selectors.offer_feed_for_tenant(
            user=request.user,
            contract=_choice(request, "contract", ContractType.values),
            max_km=max_km,
            rome=rome or None,
            limit=_page_size(request),
        )
        return Response(
            JobsOfferFeedPageOutput({"next": None, "previous": None, "results": items}).data
        )

    @extend_schema(request=JobsOfferInput, responses={201: JobsOfferOutput})
    @idempotent
    def create(self, request):
        data = JobsOfferInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        employer = _employer_for(request, values.pop("employer", None))
        targets = _landlords(values.pop("target_landlords", None))
        offer = actions.offer_create(
            actor=request.user, employer=employer, data=values, target_landlords=targets
        )
        offer = self.get_queryset().get(pk=offer.pk)
        return Response(JobsOfferOutput(offer).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=JobsOfferUpdateInput, responses=JobsOfferOutput)
    def partial_update(self, request, *args, **kwargs):
        offer = self.get_object()
        data = JobsOfferUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        targets = _landlords(values.pop("target_landlords", None))
        updated = actions.offer_update(
            actor=request.user, offer=offer, data=values, target_landlords=targets
        )
        # Staff who untarget their own landlord no longer see the offer: show what was saved.
        return Response(JobsOfferOutput(updated).data)

    @extend_schema(
        parameters=[OpenApiParameter("page_size", int)],
        responses=JobsCandidatePageOutput,
        description="Ranked anonymised candidate cards (top `page_size`, at most 100).",
    )
    @action(detail=True, methods=["get"])
    def candidates(self, request, *args, **kwargs):
        offer = self.get_object()
        cards = selectors.offer_candidates(
            user=request.user, offer=offer, limit=_page_size(request)
        )
        return Response(
            JobsCandidatePageOutput({"next": None, "previous": None, "results": cards}).data
        )

    @extend_schema(request=None, responses={201: JobsMatchOutput, 200: JobsMatchOutput})
    @idempotent
    @action(detail=True, methods=["post"])
    def interest(self, request, *args, **kwargs):
        offer = self.get_object()
        match, created = actions.match_express_interest(user=request.user, offer=offer)
        return _match_response(
            request, match, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )

    @extend_schema(
        request=None,
        responses={204: None},
        description=(
            "Job staff take their own landlord off the offer's targets (only the employer "
            "and the landlord that created it edit or close it): their tenants stop seeing "
            "it and their open matches on it become obsolete; the other landlords' stay."
        ),
    )
    @action(detail=True, methods=["post"])
    def untarget(self, request, *args, **kwargs):
        actions.offer_untarget(actor=request.user, offer=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


def _employer_for(request, employer_id):
    if request.user.role == EMPLOYER:
        return request.user.employer_member.employer
    if employer_id is None:
        required = serializers.Field.default_error_messages["required"]
        raise serializers.ValidationError({"employer": [required]})
    return get_object_or_404(employer_list_for_user(user=request.user), public_id=employer_id)


def _landlords(ids):
    if ids is None:
        return None
    found = list(Landlord.objects.filter(public_id__in=ids))
    if len(found) != len(set(ids)):
        message = str(selectors.UnknownLandlord.default_message)
        raise selectors.UnknownLandlord(fields={"target_landlords": [message]})
    return found


# --- Matches -----------------------------------------------------------------------------


def _match_response(request, match, *, status=status.HTTP_200_OK, detail=True):
    match = selectors.match_list_for_user(user=request.user).get(pk=match.pk)
    seen = actions.matches_show(viewer=request.user, matches=[match])
    serializer = JobsMatchDetailOutput if detail else JobsMatchOutput
    return Response(serializer(match, context=seen_context(seen)).data, status=status)


class JobsMatchViewSet(
    ConditionalGetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [PerAction]
    action_roles = {
        "propose": (STAFF,),
        "answer": (EMPLOYER,),
        "cv": (TENANT, EMPLOYER),
        "interview_ics": (TENANT,),
        "interview_answer": (TENANT,),
    }
    serializer_class = JobsMatchOutput
    queryset = Match.objects.none()  # for the schema; requests use get_queryset()
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    ordering = ("-updated_at", "-id")

    def get_queryset(self):
        return selectors.match_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("state", str, description="only matches in this state"),
            OpenApiParameter("offer", OpenApiTypes.UUID, description="only this offer's"),
            *sync.SYNC_PARAMETERS,
        ],
        responses=sync.responses(sync.list_schema(JobsMatchOutput, name="JobsMatches")),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            return sync.respond(
                request, match_sync_for_user(user=request.user), self._render_matches
            )
        offer = None
        if request.query_params.get("offer"):
            try:
                offer = uuid.UUID(request.query_params["offer"])
            except ValueError:
                message = str(BadOfferFilter.default_message)
                raise BadOfferFilter(fields={"offer": [message]}) from None
        qs = selectors.match_list_for_user(
            user=request.user, state=_choice(request, "state", Match.State.values), offer=offer
        )
        page = list(self.paginate_queryset(qs))
        return self.get_paginated_response(self._render_matches(page))

    def _render_matches(self, matches):
        seen = actions.matches_show(viewer=self.request.user, matches=matches)
        return JobsMatchOutput(matches, many=True, context=seen_context(seen)).data

    @extend_schema(responses=JobsMatchDetailOutput)
    def retrieve(self, request, *args, **kwargs):
        return _match_response(request, self.get_object())

    @extend_schema(request=JobsMatchProposeInput, responses=JobsMatchDetailOutput)
    @action(detail=True, methods=["post"])
    def propose(self, request, *args, **kwargs):
        match = self.get_object()
        data = JobsMatchProposeInput(data=request.data)
        data.is_valid(raise_exception=True)
        actions.match_propose(user=request.user, match=match, **data.validated_data)
        return _match_response(request, match)

    @extend_schema(request=JobsMatchAnswerInput, responses=JobsMatchDetailOutput)
    @action(detail=True, methods=["post"])
    def answer(self, request, *args, **kwargs):
        match = self.get_object()
        data = JobsMatchAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        actions.match_answer(user=request.user, match=match, **data.validated_data)
        return _match_response(request, match)

    @extend_schema(
        request=JobsMatchInterviewAnswerInput,
        responses=JobsMatchDetailOutput,
        description="The tenant answers the planned interview (the match stays `interview`); "
        "the employer's members are told by e-mail.",
    )
    @action(detail=True, methods=["post"], url_path="interview-answer")
    def interview_answer(self, request, *args, **kwargs):
        match = self.get_object()
        data = JobsMatchInterviewAnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        interview_answers.match_interview_answer(
            user=request.user, match=match, **data.validated_data
        )
        return _match_response(request, match)

    @extend_schema(request=JobsMatchTransitionInput, responses=JobsMatchDetailOutput)
    @action(detail=True, methods=["post"])
    def transition(self, request, *args, **kwargs):
        match = self.get_object()
        data = JobsMatchTransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        to = values.pop("to")
        expected = values.pop("expected_state", None)
        note = values.pop("note", "")
        if "reason" in values:
            values["withdraw_reason"] = values.pop("reason")
        actions.match_move(
            user=request.user, match=match, to=to, expected_state=expected, data=values, note=note
        )
        return _match_response(request, match)

    @extend_schema(
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        description="The tenant's CV: the tenant, or the employer once introduced (logged).",
    )
    @action(detail=True, methods=["get"])
    def cv(self, request, *args, **kwargs):
        profile = actions.match_cv_open(user=request.user, match=self.get_object())
        return _pdf(profile)

    @extend_schema(
        responses={(200, "text/calendar"): OpenApiTypes.BINARY},
        description="The interview as an .ics event, for the match's tenant (404 when none).",
    )
    @action(detail=True, methods=["get"], url_path="interview.ics")
    def interview_ics(self, request, *args, **kwargs):
        body = interviews.interview_calendar(user=request.user, match=self.get_object())
        response = FileResponse(
            io.BytesIO(body),
            content_type="text/calendar; charset=utf-8",
            as_attachment=True,
            filename="entretien.ics",
        )
        response["Cache-Control"] = "private, no-store"
        return response


class JobsStatsView(APIView):
    permission_classes = [roles(STAFF)]

    @extend_schema(responses=JobsStatsOutput)
    def get(self, request):
        return Response(JobsStatsOutput(selectors.job_stats(user=request.user)).data)
