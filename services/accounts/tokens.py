"""JWT pairs carrying the user's token version, so bumping it ends every session at once."""

from rest_framework_simplejwt.tokens import RefreshToken

TOKEN_VERSION_CLAIM = "ver"
# Which role profile authentication loads with the user (one join instead of three); a hint
# only: the user's row, read on every request, still decides the role.
ROLE_CLAIM = "role"


def refresh_for(user) -> RefreshToken:
    refresh = RefreshToken.for_user(user)
    refresh[TOKEN_VERSION_CLAIM] = user.token_version
    refresh[ROLE_CLAIM] = user.role
    return refresh


def issue_tokens(user) -> dict[str, str]:
    refresh = refresh_for(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
