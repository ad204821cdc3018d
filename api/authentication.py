"""JWT authentication that also checks the per-user token version, from the same user query."""

from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed

from services.accounts.tokens import TOKEN_VERSION_CLAIM


class VersionedJWTAuthentication(JWTAuthentication):
    def get_user(self, validated_token):
        user = super().get_user(validated_token)
        if validated_token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise AuthenticationFailed(_("This session has ended. Please sign in again."), code="session_ended")
        return user
