"""Accounts and tenancy: sign-in, onboarding, profiles, residences, tenancies, employers."""

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import AllowAny, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from api.conditional import ConditionalGetMixin
from api.idempotency import idempotent
from api.permissions import (
    EMPLOYER,
    STAFF,
    TENANT,
    IsAnyRole,
    PerAction,
    TenancyActive,
    has_role,
    roles,
)
from services.accounts import (
    actions,
    consents,
    employers,
    households,
    password_reset,
    policies,
    selectors,
    tenancy_end,
)
from services.core.client import client_address
from services.core.errors import invalid
from services.jobs import selectors as jobs_selectors
from services.privacy import actions as privacy_actions

from . import serializers as s

MAX_IMPORT_BYTES = 2 * 1024 * 1024
UnknownResidence = invalid("unknown_residence", _("Unknown residence."))
FileTooLarge = invalid("file_too_large", _("The file is larger than 2 MB."))
RESET_ACCEPTED = _(
    "If an account exists with this address, a code to reset its password has been sent."
)


def _client_key(request) -> str:
    return client_address(request)


class CanManageTenancies(BasePermission):
    """Tenancies are customer data: job advisors get 403 (DOMAIN.md: separate purposes)."""

    message = _("Only administrators and community officers manage tenancies.")

    def has_permission(self, request, view) -> bool:
        return has_role(request.user, STAFF) and policies.can_manage_tenancies(actor=request.user)


class AnonymousView(APIView):
    """Sign-in endpoints: no authentication, so a stale Authorization header does not 401."""

    authentication_classes: list = []
    permission_classes = [AllowAny]


class TokenObtainView(AnonymousView):
    @extend_schema(tags=["auth"], request=s.AuthTokenInput, responses={200: s.AuthTokenPairOutput})
    def post(self, request):
        data = s.AuthTokenInput(data=request.data)
        data.is_valid(raise_exception=True)
        _user, tokens = actions.login(**data.validated_data, client_key=_client_key(request))
        return Response(tokens)


class TokenRefreshView(AnonymousView):
    @extend_schema(
        tags=["auth"], request=s.AuthRefreshInput, responses={200: s.AuthTokenPairOutput}
    )
    def post(self, request):
        data = s.AuthRefreshInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(actions.token_refresh(refresh=data.validated_data["refresh"]))


class LogoutView(APIView):
    permission_classes = [IsAnyRole]

    @extend_schema(tags=["auth"], request=s.AuthLogoutInput, responses={204: None})
    def post(self, request):
        data = s.AuthLogoutInput(data=request.data)
        data.is_valid(raise_exception=True)
        actions.logout(
            user=request.user,
            refresh=data.validated_data["refresh"],
            device_token=data.validated_data.get("device_token"),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ActivateView(AnonymousView):
    @extend_schema(
        tags=["auth"], request=s.AuthActivateInput, responses={201: s.AuthTokenPairOutput}
    )
    @idempotent
    def post(self, request):
        data = s.AuthActivateInput(data=request.data)
        data.is_valid(raise_exception=True)
        _tenant, tokens = actions.tenant_activate(
            **data.validated_data, client_key=_client_key(request)
        )
        return Response(tokens, status=status.HTTP_201_CREATED)


class InvitationAcceptView(AnonymousView):
    @extend_schema(
        tags=["auth"],
        request=s.AuthInvitationAcceptInput,
        responses={201: s.AuthTokenPairOutput},
    )
    @idempotent
    def post(self, request):
        data = s.AuthInvitationAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        _member, tokens = actions.employer_invitation_accept(
            **data.validated_data, client_key=_client_key(request)
        )
        return Response(tokens, status=status.HTTP_201_CREATED)


class PasswordResetView(AnonymousView):
    @extend_schema(
        tags=["auth"],
        request=s.AuthPasswordResetInput,
        responses={202: s.AuthPasswordResetAcceptedOutput},
        description=(
            "Sends a one-time code (valid 30 minutes) to the address if it is an account's. "
            "The answer is the same 202 for an unknown address; 429 `throttled` past the "
            "limits per address and per client."
        ),
    )
    def post(self, request):
        data = s.AuthPasswordResetInput(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset.password_reset_request(
            email=data.validated_data["email"], client_key=_client_key(request)
        )
        return Response(
            {"detail": str(RESET_ACCEPTED)},
            status=status.HTTP_202_ACCEPTED,
        )


class PasswordResetConfirmView(AnonymousView):
    @extend_schema(
        tags=["auth"],
        request=s.AuthPasswordResetConfirmInput,
        responses={204: None},
        description=(
            "Sets the new password with the code; the code dies and every session ends. "
            "400 `invalid_reset_code` (counted: 429 `throttled` past the limit), "
            "400 `invalid_password`."
        ),
    )
    def post(self, request):
        data = s.AuthPasswordResetConfirmInput(data=request.data)
        data.is_valid(raise_exception=True)
        password_reset.password_reset_confirm(
            **data.validated_data, client_key=_client_key(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(ConditionalGetMixin, APIView):
    permission_classes = [IsAnyRole]

    @extend_schema(tags=["me"], responses={200: s.AccountsMeOutput})
    def get(self, request):
        return Response(s.AccountsMeOutput(selectors.user_profile(user=request.user)).data)

    @extend_schema(
        tags=["me"], request=s.AccountsMeUpdateInput, responses={200: s.AccountsMeOutput}
    )
    def patch(self, request):
        data = s.AccountsMeUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        actions.profile_update(user=request.user, **data.validated_data)
        return Response(s.AccountsMeOutput(selectors.user_profile(user=request.user)).data)

    @extend_schema(
        tags=["me"],
        request=s.AccountsEraseInput,
        responses={204: None},
        description=(
            "Erases my account, confirmed with my password (tenants; docs/privacy.md, "
            '"Erasure"): personal data erased at once, points and matches kept without a '
            "name, unused vouchers cancelled, devices deleted, every session ended."
        ),
    )
    def delete(self, request):
        if not has_role(request.user, TENANT):
            raise privacy_actions.CannotErase()
        data = s.AccountsEraseInput(data=request.data)
        data.is_valid(raise_exception=True)
        privacy_actions.account_erase(
            user=request.user,
            password=data.validated_data["password"],
            client_key=_client_key(request),
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordChangeView(APIView):
    permission_classes = [IsAnyRole]

    @extend_schema(
        tags=["me"],
        request=s.AccountsPasswordChangeInput,
        responses={200: s.AuthTokenPairOutput},
        description="Every other session ends; the answer carries this session's new tokens.",
    )
    def post(self, request):
        data = s.AccountsPasswordChangeInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(
            actions.password_change(
                user=request.user, **data.validated_data, client_key=_client_key(request)
            )
        )


class SessionsRevokeView(APIView):
    permission_classes = [IsAnyRole]

    @extend_schema(
        tags=["me"],
        request=None,
        responses={204: None},
        description="Signs out everywhere: every access and refresh token stops working.",
    )
    def post(self, request):
        actions.sessions_end_all(user=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConsentsView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        responses={200: s.AccountsConsentOutput(many=True)},
        description=(
            "Every consent the tenant gave or withdrew (job matching, introduction to "
            "employers, push marketing), newest first, with the version of the text."
        ),
    )
    def get(self, request):
        rows = [
            *consents.consent_list_for_user(user=request.user),
            *jobs_selectors.consent_history_for_tenant(tenant=request.user.tenant),
        ]
        rows.sort(key=lambda row: row.at, reverse=True)
        return Response(s.AccountsConsentOutput(rows, many=True).data)

    @extend_schema(
        tags=["me"],
        request=s.AccountsConsentInput,
        responses={201: s.AccountsConsentOutput},
        description="Grants or withdraws push marketing (announcements marked marketing).",
    )
    def post(self, request):
        data = s.AccountsConsentInput(data=request.data)
        data.is_valid(raise_exception=True)
        row = consents.consent_set(user=request.user, **data.validated_data)
        return Response(s.AccountsConsentOutput(row).data, status=status.HTTP_201_CREATED)


class ProfileViewsView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        responses={200: s.AccountsProfileViewOutput(many=True)},
        description="Who saw my revealed profile or CV: the company's name and when.",
    )
    def get(self, request):
        rows = jobs_selectors.profile_views_for_tenant(tenant=request.user.tenant)
        return Response(s.AccountsProfileViewOutput(rows, many=True).data)


class ResidenceViewSet(ConditionalGetMixin, viewsets.ReadOnlyModelViewSet):
    permission_classes = [roles(TENANT, STAFF)]
    serializer_class = s.AccountsResidenceOutput
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    ordering = ("name", "id")

    def get_queryset(self):
        return selectors.residence_list_for_user(user=self.request.user)


@extend_schema(tags=["tenancies"])
class TenancyViewSet(
    ConditionalGetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [CanManageTenancies]
    serializer_class = s.AccountsTenancyOutput
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"

    def get_queryset(self):
        return selectors.tenancy_list_for_user(user=self.request.user)

    def _detail(self, tenancy) -> dict:
        tenancy.household_members = households.household_composition(tenancy=tenancy)
        return s.AccountsTenancyDetailOutput(tenancy).data

    @extend_schema(
        responses={200: s.AccountsTenancyDetailOutput},
        description=(
            "The tenancy and its household (every member it had, with since when and when "
            "they left or their account closed): names only, never their job, points or inbox."
        ),
    )
    def retrieve(self, request, id=None):
        return Response(self._detail(self.get_object()))

    @extend_schema(
        request=s.AccountsTenancyEndInput,
        responses={200: s.AccountsTenancyDetailOutput},
        description=(
            "Sets the tenancy's last day (today: it ends tonight; a past day: it has ended) "
            "and tells its members at once. From the next day they are read-only for "
            "`TENANCY_READ_ACCESS_DAYS` (90), then their accounts are closed. 400 "
            "`invalid_end_date` before the start."
        ),
    )
    @action(detail=True, methods=["post"], url_path="end")
    def end(self, request, id=None):
        tenancy = self.get_object()  # another landlord's: 404 before the body is read
        data = s.AccountsTenancyEndInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenancy = tenancy_end.tenancy_end(
            actor=request.user, tenancy=tenancy, **data.validated_data
        )
        return Response(self._detail(tenancy))

    @extend_schema(
        request=s.AccountsTenancyCreateInput, responses={201: s.AccountsTenancyCreatedOutput}
    )
    @idempotent
    def create(self, request):
        data = s.AccountsTenancyCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        residence = (
            selectors.residence_list_for_user(user=request.user)
            .filter(public_id=fields.pop("residence"))
            .first()
        )
        if residence is None:
            raise UnknownResidence(fields={"residence": [str(UnknownResidence.default_message)]})
        created = actions.tenancy_create(actor=request.user, residence=residence, **fields)
        return self._created_response(created)

    def _created_response(self, created, status_code=status.HTTP_201_CREATED):
        body = s.AccountsTenancyOutput(created.tenancy).data
        body["activation_code"] = created.activation_code
        return Response(body, status=status_code)

    @extend_schema(request=None, responses={200: s.AccountsTenancyCreatedOutput})
    @action(detail=True, methods=["post"], url_path="activation-code")
    def reissue_activation_code(self, request, id=None):
        """A new one-time code; the previous one stops working."""
        tenancy = self.get_object()
        created = actions.tenancy_reissue_activation_code(actor=request.user, tenancy=tenancy)
        return self._created_response(created, status.HTTP_200_OK)

    @extend_schema(
        request={"multipart/form-data": s.AccountsTenancyImportInput},
        responses={200: s.AccountsTenancyImportOutput},
    )
    @action(
        detail=False,
        methods=["post"],
        url_path="import",
        parser_classes=[MultiPartParser, FormParser],
    )
    @idempotent
    def import_csv(self, request):
        data = s.AccountsTenancyImportInput(data=request.data)
        data.is_valid(raise_exception=True)
        upload = data.validated_data["file"]
        if upload.size > MAX_IMPORT_BYTES:
            raise FileTooLarge(fields={"file": [str(FileTooLarge.default_message)]})
        report = actions.tenancy_import_csv(actor=request.user, content=upload.read())
        return Response(
            s.AccountsTenancyImportOutput(
                {"created": report.created, "rejected": report.rejected}
            ).data
        )


@extend_schema(tags=["employers"])
class EmployerViewSet(
    ConditionalGetMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    permission_classes = [PerAction]
    default_roles = (STAFF, EMPLOYER)
    action_roles = {
        "create": (STAFF,),
        "invitations": (STAFF,),
        "members": (STAFF,),
        "member_access": (STAFF,),
    }
    serializer_class = s.AccountsEmployerOutput
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    lookup_value_converter = "uuid"
    ordering = ("name", "id")

    def get_queryset(self):
        return selectors.employer_list_for_user(user=self.request.user)

    @extend_schema(
        request=s.AccountsEmployerCreateInput,
        responses={201: s.AccountsEmployerOutput},
        description="A SIRET already registered answers 409 `employer_exists`.",
    )
    @idempotent
    def create(self, request):
        data = s.AccountsEmployerCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        employer = actions.employer_create(actor=request.user, **data.validated_data)
        return Response(s.AccountsEmployerOutput(employer).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        request=s.AccountsInvitationCreateInput,
        responses={201: s.AccountsInvitationOutput},
        description=(
            "With `email`, the invitation is e-mailed in your landlord's name with a link to "
            "accept it on the employer pages (409 `email_in_use` for another kind of account "
            "or another company's member, 409 `already_granted` for a member who already "
            "reaches your candidates). Without it, pass the code on by hand as before."
        ),
    )
    @action(detail=True, methods=["post"])
    @idempotent
    def invitations(self, request, id=None):
        employer = self.get_object()
        data = s.AccountsInvitationCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        email = data.validated_data.get("email", "")
        if email:
            issued = employers.employer_invitation_send(
                actor=request.user, employer=employer, email=email
            )
        else:
            issued = actions.employer_invitation_create(actor=request.user, employer=employer)
        return Response(
            s.AccountsInvitationOutput(
                {
                    "invitation_code": issued.invitation_code,
                    "expires_at": issued.invitation.expires_at,
                    "email": issued.invitation.email,
                }
            ).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        responses={200: s.AccountsEmployerMemberOutput(many=True)},
        description="The company's members and whether your landlord granted each access.",
    )
    @action(detail=True, methods=["get"])
    def members(self, request, id=None):
        employer = self.get_object()
        members = selectors.employer_member_list_for_user(user=request.user, employer=employer)
        return Response(s.AccountsEmployerMemberOutput(members, many=True).data)

    @extend_schema(
        request=None,
        responses={204: None},
        description=(
            "POST: your landlord grants this member its partnership (the member then reaches "
            "your tenants' candidates and matches); DELETE: withdraws it. Another landlord's "
            "grant is untouched."
        ),
    )
    @action(detail=True, methods=["post", "delete"], url_path="members/<uuid:member_id>/access")
    def member_access(self, request, id=None, member_id=None):
        employer = self.get_object()
        member = get_object_or_404(
            selectors.employer_member_list_for_user(user=request.user, employer=employer),
            public_id=member_id,
        )
        if request.method == "POST":
            actions.partner_access_grant(actor=request.user, member=member)
        else:
            actions.partner_access_revoke(actor=request.user, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- Households and moving out --------------------------------------------------------


class HouseholdJoinView(AnonymousView):
    @extend_schema(
        tags=["auth"],
        request=s.AuthHouseholdJoinInput,
        responses={201: s.AuthTokenPairOutput},
        description=(
            "An adult of the household joins the tenancy with the holder's one-time code and "
            "gets their own account. Used, cancelled, expired and unknown codes all answer 400 "
            "`invalid_invitation_code` (counted: 429 `throttled` past the limit); 400 "
            "`adult_required` without `confirm_adult`; 409 `household_full`."
        ),
    )
    @idempotent
    def post(self, request):
        data = s.AuthHouseholdJoinInput(data=request.data)
        data.is_valid(raise_exception=True)
        _tenant, tokens = households.household_join(
            **data.validated_data, client_key=_client_key(request)
        )
        return Response(tokens, status=status.HTTP_201_CREATED)


def _household_body(tenant) -> dict:
    members = households.members_of(tenant.tenancy)
    if tenant.left_at is not None:  # removed: no longer shown who lives there (or joins)
        members = members.none()
    return s.AccountsHouseholdOutput(
        {
            "is_holder": tenant.is_holder,
            "members": members,
            "max_members": households.max_members(),
        },
        context={"tenant_id": tenant.pk},
    ).data


class HouseholdView(ConditionalGetMixin, APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        responses={200: s.AccountsHouseholdOutput},
        description=(
            "The members of my tenancy's household (names and since when), the holder first. "
            "Each member's job search, points and inbox are theirs alone."
        ),
    )
    def get(self, request):
        return Response(_household_body(request.user.tenant))


class HouseholdMemberView(APIView):
    permission_classes = [roles(TENANT), TenancyActive]

    @extend_schema(
        tags=["me"],
        request=None,
        responses={204: None},
        description=(
            "The holder removes a member: their membership ends today, like moving out "
            "(read-only, then closed). 403 `not_household_holder`; 409 `cannot_remove_holder`."
        ),
    )
    def delete(self, request, id):
        households.household_member_remove(tenant=request.user.tenant, member_id=id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class HouseholdInvitationsView(APIView):
    permission_classes = [roles(TENANT), TenancyActive]

    @extend_schema(
        tags=["me"],
        responses={200: s.AccountsHouseholdInvitationOutput(many=True)},
        description="The holder's invitations still waiting. 403 `not_household_holder`.",
    )
    def get(self, request):
        tenant = request.user.tenant
        if not tenant.is_holder:
            raise households.NotHolder()
        rows = households.pending_invitations(tenant=tenant)
        return Response(s.AccountsHouseholdInvitationOutput(rows, many=True).data)

    @extend_schema(
        tags=["me"],
        request=s.AccountsHouseholdInvitationInput,
        responses={201: s.AccountsHouseholdInvitationCreatedOutput},
        description=(
            "The holder invites an adult of the household: a one-time code (valid "
            "`HOUSEHOLD_INVITATION_TTL_DAYS`, 7 days), returned to give by hand, or sent to "
            "`email` (then `code` is null). 409 `household_full`; 429 `throttled` past "
            "`HOUSEHOLD_INVITATIONS_PER_DAY`; 403 `tenancy_ended`."
        ),
    )
    @idempotent
    def post(self, request):
        data = s.AccountsHouseholdInvitationInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = households.household_invitation_create(
            tenant=request.user.tenant, email=data.validated_data.get("email", "")
        )
        body = s.AccountsHouseholdInvitationOutput(issued.invitation).data
        body["code"] = None if issued.invitation.email else issued.code
        return Response(body, status=status.HTTP_201_CREATED)


class HouseholdInvitationView(APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        request=None,
        responses={204: None},
        description="The holder cancels a waiting invitation. 409 `invitation_closed`.",
    )
    def delete(self, request, id):
        households.household_invitation_cancel(tenant=request.user.tenant, invitation_id=id)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _my_tenancy_body(tenant) -> dict:
    standing = tenancy_end.standing(tenant)
    return s.AccountsMyTenancyOutput(
        {
            "standing": standing,
            "job_support_offered": tenant.landlord.job_support_after_move_out,
            "keep_job_support": tenant.keep_job_support,
        }
    ).data


class MyTenancyView(ConditionalGetMixin, APIView):
    permission_classes = [roles(TENANT)]

    @extend_schema(
        tags=["me"],
        responses={200: s.AccountsMyTenancyOutput},
        description=(
            "Where my membership stands: active, or ended (read-only until `read_until`, then "
            "the account is closed), and whether I keep my job support after moving out."
        ),
    )
    def get(self, request):
        return Response(_my_tenancy_body(request.user.tenant))

    @extend_schema(
        tags=["me"],
        request=s.AccountsMyTenancyInput,
        responses={200: s.AccountsMyTenancyOutput},
        description=(
            "Ask to keep (or no longer keep) my open job matches when I move out. 403 "
            "`job_support_not_offered` when the landlord does not offer it."
        ),
    )
    def patch(self, request):
        data = s.AccountsMyTenancyInput(data=request.data)
        data.is_valid(raise_exception=True)
        tenant = tenancy_end.job_support_set(
            tenant=request.user.tenant, keep=data.validated_data["keep_job_support"]
        )
        return Response(_my_tenancy_body(tenant))
