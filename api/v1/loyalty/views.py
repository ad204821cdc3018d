"""Loyalty: the tenant's account and ledger, the rewards catalogue, redemptions, staff tools."""

import csv
import datetime
import io
import uuid

import segno
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from api import sync
from api.conditional import ConditionalGetMixin
from api.filters import UPDATED_SINCE, filter_updated_since
from api.idempotency import idempotent
from api.parsers import JSONParser
from api.permissions import STAFF, TENANT, IsStaff, IsTenant, PerAction, roles
from services.accounts.roles import tenant_of
from services.core import clock
from services.core.csvexport import write_csv
from services.loyalty import actions, policies, selectors
from services.loyalty.models import Account, EarningRule, Entry, Redemption, Reward
from services.loyalty.sync import (
    entry_sync_for_user,
    redemption_sync_for_user,
    reward_sync_for_user,
)

from . import serializers as s

UnknownTenant = actions.UnknownTenant


def _tenant_param(view) -> uuid.UUID | None:
    """`?tenant=<id>`: a tenant's public id, or a 400 naming the field."""
    tenant = view.request.query_params.get("tenant")
    if not tenant:
        return None
    try:
        return uuid.UUID(tenant)
    except ValueError:
        raise UnknownTenant(fields={"tenant": [str(UnknownTenant.default_message)]}) from None


class UUIDLookup:
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"


@extend_schema(tags=["loyalty"])
class AccountView(ConditionalGetMixin, APIView):
    permission_classes = [IsTenant]

    @extend_schema(responses={200: s.LoyaltyAccountOutput})
    def get(self, request):
        summary = selectors.account_summary(tenant=request.user.tenant)
        return Response(s.LoyaltyAccountOutput(summary).data)


@extend_schema(tags=["loyalty"], parameters=[UPDATED_SINCE])
class AccountViewSet(UUIDLookup, mixins.ListModelMixin, viewsets.GenericViewSet):
    """Staff: their tenants' balances, `?tenant=<id>` for one (e.g. before a grant).

    The balance is the account row, caught up by the nightly expiry run."""

    permission_classes = [IsStaff]
    serializer_class = s.LoyaltyStaffAccountOutput
    queryset = Account.objects.none()

    def get_queryset(self):
        qs = selectors.account_list_for_user(user=self.request.user, tenant=_tenant_param(self))
        return filter_updated_since(self.request, qs)

    @extend_schema(parameters=[OpenApiParameter("tenant", OpenApiTypes.UUID)])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["loyalty"])
class EntryViewSet(UUIDLookup, mixins.ListModelMixin, viewsets.GenericViewSet):
    """T: my ledger. S: the landlord's ledger, `?tenant=<id>` for one tenant."""

    permission_classes = [roles(TENANT, STAFF)]
    serializer_class = s.LoyaltyEntryOutput
    queryset = Entry.objects.none()  # for the schema; requests use get_queryset()

    def get_queryset(self):
        tenant = _tenant_param(self) if self.request.user.role == STAFF else None
        return selectors.entry_list_for_user(user=self.request.user, tenant=tenant)

    @extend_schema(
        parameters=[
            OpenApiParameter("tenant", OpenApiTypes.UUID, description="Staff only."),
            *sync.SYNC_PARAMETERS,
        ],
        responses=sync.responses(sync.list_schema(s.LoyaltyEntryOutput, name="LoyaltyEntries")),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            return sync.respond(
                request,
                entry_sync_for_user(user=request.user),
                lambda rows: s.LoyaltyEntryOutput(rows, many=True).data,
            )
        return super().list(request, *args, **kwargs)


@extend_schema(tags=["loyalty"])
class RewardViewSet(
    ConditionalGetMixin,
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [PerAction]
    default_roles = (TENANT, STAFF)
    action_roles = {
        "create": (STAFF,),
        "partial_update": (STAFF,),
        "redeem": (TENANT,),
        "codes": (STAFF,),
    }
    serializer_class = s.LoyaltyRewardOutput
    queryset = Reward.objects.none()
    ordering = ("cost_points", "id")

    def get_queryset(self):
        return selectors.reward_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=sync.SYNC_PARAMETERS,
        responses=sync.responses(sync.list_schema(s.LoyaltyRewardOutput, name="LoyaltyRewards")),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            return sync.respond(
                request,
                reward_sync_for_user(user=request.user),
                lambda rows: self.get_serializer(rows, many=True).data,
            )
        return super().list(request, *args, **kwargs)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if tenant := tenant_of(self.request.user):
            context["balance"] = selectors.account_balance(tenant=tenant)
        return context

    @extend_schema(request=s.LoyaltyRewardCreateInput, responses={201: s.LoyaltyRewardOutput})
    @idempotent
    def create(self, request):
        data = s.LoyaltyRewardCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        reward = actions.reward_create(
            actor=request.user, landlord=request.user.staff.landlord, **data.validated_data
        )
        return Response(self.get_serializer(reward).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.LoyaltyRewardUpdateInput, responses={200: s.LoyaltyRewardOutput})
    def partial_update(self, request, id=None):
        reward = self.get_object()
        data = s.LoyaltyRewardUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        reward = actions.reward_update(actor=request.user, reward=reward, **data.validated_data)
        return Response(self.get_serializer(reward).data)

    @extend_schema(
        request=None,
        responses={201: s.LoyaltyRedemptionOutput},
        description="Spends the points, takes one unit of stock and issues a voucher code. "
        "409: insufficient_points, out_of_stock, limit_reached, not_available.",
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def redeem(self, request, id=None):
        # Inactive or out-of-window rewards are hidden from the list but answer not_available.
        reward = selectors.reward_for_redeem(user=request.user, public_id=id)
        if reward is None:
            self.get_object()  # the standard 404
        redemption = actions.reward_redeem(
            tenant=request.user.tenant,
            reward=reward,
            idempotency_key=request.headers.get("Idempotency-Key"),
        )
        return Response(s.LoyaltyRedemptionOutput(redemption).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request={
            "application/json": s.LoyaltyCodesUploadInput,
            "multipart/form-data": s.LoyaltyCodesUploadInput,
        },
        responses={201: s.LoyaltyCodesUploadOutput},
        description="Add partner voucher codes to a pool reward (JSON list or a file, one "
        "code per line); each code is handed out once.",
    )
    @action(detail=True, methods=["post"], parser_classes=[JSONParser, MultiPartParser])
    @idempotent
    def codes(self, request, id=None):
        reward = self.get_object()
        data = s.LoyaltyCodesUploadInput(data=request.data)
        data.is_valid(raise_exception=True)
        codes = list(data.validated_data.get("codes") or [])
        upload = data.validated_data.get("file")
        if upload is not None:
            if upload.size > 2 * 1024 * 1024:
                raise actions.FileTooLarge()
            try:
                text = upload.read().decode("utf-8-sig")
            except UnicodeDecodeError:
                raise actions.InvalidFile() from None
            try:
                codes.extend(row[0] for row in csv.reader(io.StringIO(text)) if row)
            except csv.Error:  # a field over the csv module's limit, a stray NUL…
                raise actions.InvalidFile() from None
        result = actions.voucher_codes_upload(actor=request.user, reward=reward, codes=codes)
        return Response(s.LoyaltyCodesUploadOutput(result).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["loyalty"])
class RedemptionViewSet(
    ConditionalGetMixin,
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    permission_classes = [PerAction]
    default_roles = (TENANT, STAFF)
    action_roles = {"validate": (STAFF,)}
    serializer_class = s.LoyaltyRedemptionOutput
    queryset = Redemption.objects.none()

    def get_queryset(self):
        return selectors.redemption_list_for_user(user=self.request.user)

    @extend_schema(
        parameters=sync.SYNC_PARAMETERS,
        responses=sync.responses(
            sync.list_schema(s.LoyaltyRedemptionOutput, name="LoyaltyRedemptions")
        ),
    )
    def list(self, request, *args, **kwargs):
        if sync.requested(request):
            return sync.respond(
                request,
                redemption_sync_for_user(user=request.user),
                lambda rows: self.get_serializer(rows, many=True).data,
            )
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=s.LoyaltyRedemptionCancelInput,
        responses={200: s.LoyaltyRedemptionOutput},
        description="Before use: points back (a reverse entry) and, for a generated code, the "
        "stock; the code is dead. A partner code that was shown: staff only, with a reason "
        "(409 code_revealed for the tenant, 400 reason_required); it never returns to the pool.",
    )
    @action(detail=True, methods=["post"])
    def cancel(self, request, id=None):
        redemption = self.get_object()
        data = s.LoyaltyRedemptionCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = actions.redemption_cancel(
            actor=request.user,
            redemption=redemption,
            reason=data.validated_data.get("reason", ""),
        )
        return Response(self.get_serializer(redemption).data)

    @extend_schema(
        request=s.LoyaltyValidateInput,
        responses={200: s.LoyaltyRedemptionOutput},
        description="Marks a voucher used at the counter, once. 404 unknown_code; 409 "
        "already_used, voucher_cancelled, voucher_expired.",
    )
    @action(detail=False, methods=["post"])
    def validate(self, request):
        data = s.LoyaltyValidateInput(data=request.data)
        data.is_valid(raise_exception=True)
        redemption = actions.redemption_validate(
            actor=request.user,
            landlord_id=request.user.staff.landlord_id,
            code=data.validated_data["code"],
        )
        return Response(self.get_serializer(redemption).data)


@extend_schema(tags=["loyalty"])
class RedemptionQRView(APIView):
    """The voucher's code as a QR image for the tenant's app."""

    permission_classes = [IsTenant]

    def perform_content_negotiation(self, request, force=False):
        # An app asking for the image (Accept: image/svg+xml) still gets errors as JSON.
        return super().perform_content_negotiation(request, force=True)

    @extend_schema(
        responses={(200, "image/svg+xml"): OpenApiTypes.BINARY},
        description="The voucher's code as a QR image (SVG): a partner's or the landlord's "
        "counter reads it instead of typing the code. The QR holds the code only. The "
        "tenant's own vouchers only (another's: 404).",
    )
    def get(self, request, id):
        redemption = get_object_or_404(
            selectors.redemption_list_for_user(user=request.user), public_id=id
        )
        svg = io.BytesIO()
        segno.make_qr(redemption.code, error="m").save(
            svg, kind="svg", scale=8, border=4, xmldecl=False, svgns=True
        )
        response = HttpResponse(svg.getvalue(), content_type="image/svg+xml")
        response["Cache-Control"] = "private, max-age=300"
        response["X-Content-Type-Options"] = "nosniff"
        return response


@extend_schema(tags=["loyalty"])
class GrantView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(
        request=s.LoyaltyGrantInput,
        responses={201: s.LoyaltyEntryOutput},
        description="A staff grant (points > 0) or adjustment (points < 0), with its reason.",
    )
    @idempotent
    def post(self, request):
        data = s.LoyaltyGrantInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = selectors.tenant_for_staff(
            user=request.user, public_id=data.validated_data["tenant"]
        )
        if tenant is None:
            raise UnknownTenant(fields={"tenant": [str(UnknownTenant.default_message)]})
        entry = actions.points_grant(
            actor=request.user,
            tenant=tenant,
            points=data.validated_data["points"],
            reason=data.validated_data["reason"],
        )
        entry = selectors.entry_list_for_user(user=request.user).get(pk=entry.pk)
        return Response(s.LoyaltyEntryOutput(entry).data, status=status.HTTP_201_CREATED)


@extend_schema(tags=["loyalty"])
class EarningRuleViewSet(
    ConditionalGetMixin,
    UUIDLookup,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The landlord's earning rules; a rule not configured gives its default amount."""

    permission_classes = [IsStaff]
    serializer_class = s.LoyaltyEarningRuleOutput
    queryset = EarningRule.objects.none()
    ordering = ("code", "id")

    def get_queryset(self):
        return selectors.earning_rule_list_for_user(user=self.request.user)

    @extend_schema(request=s.LoyaltyEarningRuleInput, responses={201: s.LoyaltyEarningRuleOutput})
    @idempotent
    def create(self, request):
        data = s.LoyaltyEarningRuleInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        rule = actions.earning_rule_save(
            actor=request.user, landlord=request.user.staff.landlord, **fields
        )
        return Response(self.get_serializer(rule).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.LoyaltyEarningRuleUpdateInput, responses={200: s.LoyaltyEarningRuleOutput}
    )
    def partial_update(self, request, id=None):
        rule = self.get_object()
        data = s.LoyaltyEarningRuleUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        rule = actions.earning_rule_save(
            actor=request.user,
            landlord=request.user.staff.landlord,
            code=rule.code,
            rule=rule,
            **data.validated_data,
        )
        return Response(self.get_serializer(rule).data)


def _report_landlord(request) -> int:
    landlord_id = request.user.staff.landlord_id
    if not policies.can_view_loyalty_reports(actor=request.user, landlord_id=landlord_id):
        raise actions.ReportsNotAllowed()
    return landlord_id


def _month_range(request) -> tuple[datetime.date, datetime.date]:
    data = s.LoyaltyReportQueryInput(data=request.query_params)
    data.is_valid(raise_exception=True)
    today = clock.today()
    until = data.validated_data.get("until")
    until_date = datetime.date.fromisoformat(until + "-01") if until else today.replace(day=1)
    since = data.validated_data.get("since")
    if since:
        since_date = datetime.date.fromisoformat(since + "-01")
    else:
        year, month = until_date.year, until_date.month - 11
        if month < 1:
            year, month = year - 1, month + 12
        since_date = datetime.date(year, month, 1)
    if (
        since_date > until_date
        or (until_date.year - since_date.year) * 12 + (until_date.month - since_date.month) >= 60
    ):
        raise actions.InvalidRange()
    return since_date, until_date


REPORT_PARAMS = [
    OpenApiParameter("since", OpenApiTypes.STR, description="YYYY-MM; default 11 months ago."),
    OpenApiParameter("until", OpenApiTypes.STR, description="YYYY-MM; default this month."),
]
CSV_RESPONSE = {
    (200, "text/csv"): OpenApiResponse(OpenApiTypes.STR, description="CSV, UTF-8, comma.")
}


def _csv(filename: str, header: list[str], rows: list[list]) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    write_csv(response, header, rows)
    return response


@extend_schema(tags=["loyalty"])
class MonthlyReportView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(parameters=REPORT_PARAMS, responses={200: s.LoyaltyMonthlyReportOutput})
    def get(self, request):
        landlord_id = _report_landlord(request)
        since, until = _month_range(request)
        months = selectors.points_report_monthly(landlord_id=landlord_id, since=since, until=until)
        return Response(
            {"since": since.strftime("%Y-%m"), "until": until.strftime("%Y-%m"), "months": months}
        )


@extend_schema(tags=["loyalty"])
class MonthlyReportExportView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(parameters=REPORT_PARAMS, responses=CSV_RESPONSE)
    def get(self, request):
        landlord_id = _report_landlord(request)
        since, until = _month_range(request)
        months = selectors.points_report_monthly(landlord_id=landlord_id, since=since, until=until)
        return _csv(
            f"loyalty-points-{since:%Y-%m}-{until:%Y-%m}.csv",
            selectors.POINTS_REPORT_COLUMNS,
            [[row[c] for c in selectors.POINTS_REPORT_COLUMNS] for row in months],
        )


@extend_schema(tags=["loyalty"])
class RewardReportView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses={200: s.LoyaltyRewardReportOutput})
    def get(self, request):
        rows = selectors.redemption_report_by_reward(landlord_id=_report_landlord(request))
        return Response({"rewards": s.LoyaltyRewardReportRowOutput(rows, many=True).data})


@extend_schema(tags=["loyalty"])
class RewardReportExportView(APIView):
    permission_classes = [IsStaff]

    @extend_schema(responses=CSV_RESPONSE)
    def get(self, request):
        rows = selectors.redemption_report_by_reward(landlord_id=_report_landlord(request))
        return _csv(
            "loyalty-redemptions-by-reward.csv",
            selectors.REWARDS_REPORT_COLUMNS,
            [
                ["" if row[c] is None else row[c] for c in selectors.REWARDS_REPORT_COLUMNS]
                for row in rows
            ],
        )
