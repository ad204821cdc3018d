"""System checks that keep the auth setup safe."""

from django.conf import settings
from django.core.checks import Error, register


@register()
def token_blacklist_installed(app_configs, **kwargs):
    errors = []
    if "rest_framework_simplejwt.token_blacklist" not in settings.INSTALLED_APPS:
        errors.append(
            Error(
                "rest_framework_simplejwt.token_blacklist must be installed: rotated and "
                "logged-out refresh tokens would stay valid.",
                id="accounts.E001",
            )
        )
    jwt = settings.SIMPLE_JWT
    if not (jwt.get("ROTATE_REFRESH_TOKENS") and jwt.get("BLACKLIST_AFTER_ROTATION")):
        errors.append(Error("Refresh tokens must rotate and be blacklisted.", id="accounts.E002"))
    if jwt.get("SIGNING_KEY") == settings.SECRET_KEY:
        errors.append(
            Error("JWT_SIGNING_KEY must be set and differ from SECRET_KEY.", id="accounts.E003")
        )
    if jwt["ACCESS_TOKEN_LIFETIME"].total_seconds() > 600:
        errors.append(Error("Access tokens must live 10 minutes at most.", id="accounts.E004"))
    return errors
