"""JWT authentication: one query loads the user with its role profile, and the per-user token
version carried by the token must match (bumping it ends every session at once)."""

from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from api.permissions import EMPLOYER, STAFF, TENANT
from services.accounts.tokens import ROLE_CLAIM, TOKEN_VERSION_CLAIM

# The profile each role reads; a token issued before the role claim loads all three.
_PROFILE_OF_ROLE = {TENANT: ("tenant",), STAFF: ("staff",), EMPLOYER: ("employer_member",)}
_EVERY_PROFILE = ("tenant", "staff", "employer_member")


class VersionedJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError:
            raise InvalidToken(_("Token contained no recognizable user identification")) from None
        user = (
            get_user_model()
            .objects.select_related(
                *_PROFILE_OF_ROLE.get(str(validated_token.get(ROLE_CLAIM)), _EVERY_PROFILE)
            )
            .filter(**{api_settings.USER_ID_FIELD: user_id})
            .first()
        )
        if user is None:
            raise AuthenticationFailed(_("User not found"), code="user_not_found")
        if not user.is_active:
            raise AuthenticationFailed(_("User is inactive"), code="user_inactive")
        if validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed(
                _("This session has ended. Please sign in again."), code="session_ended"
            )
        return user
