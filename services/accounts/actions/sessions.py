"""Sessions: signing in under the login limits, refreshing, ending every session, signing out."""

import hashlib
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from services.core import clock, ratelimit
from services.core.errors import (
    DomainError,
)

from ..models import (
    KnownSignInClient,
    User,
    normalize_email,
)
from ..tokens import TOKEN_VERSION_CLAIM, issue_tokens
from .tenancies import (
    InvalidCredentials,
    InvalidToken,
    LoginLocked,
    ReadOnlyFields,
    WrongPassword,
    _password_errors,
)

# --- Sign-in and sessions ----------------------------------------------------------


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _login_limits(email: str, client_key: str) -> tuple[ratelimit.Limit, ...]:
    """Failed sign-ins are limited per account and client (what a guesser hits), per client
    across accounts (what a password sprayer hits), and per account across clients with a
    ceiling high enough that a stranger guessing from one client cannot lock the tenant out.
    A caller that does not say who the client is gets the first limit per account alone (and
    no per-client limit, which would then lump all its users together)."""
    account = _digest(normalize_email(email))
    client = _digest(client_key or "unknown")
    window = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    per_account_and_client = ratelimit.Limit(
        f"login:{account}:{client}", settings.LOGIN_MAX_FAILURES, window
    )
    ceiling = ratelimit.Limit(f"login:{account}", settings.LOGIN_MAX_FAILURES_PER_ACCOUNT, window)
    if not client_key:
        return (per_account_and_client, ceiling)
    per_client = ratelimit.Limit(
        f"login-client:{client}", settings.LOGIN_MAX_FAILURES_PER_CLIENT, window
    )
    if _is_known_client(email, client):
        # Strangers can reach the ceiling from many addresses; the owner's own clients
        # stay under the per-account-and-client limit only.
        return (per_account_and_client, per_client)
    return (per_account_and_client, per_client, ceiling)


def _is_known_client(email: str, client: str) -> bool:
    since = clock.now() - timedelta(days=settings.LOGIN_KNOWN_CLIENT_DAYS)
    return KnownSignInClient.objects.filter(
        user__email=normalize_email(email), client=client, last_success_at__gte=since
    ).exists()


def _remember_client(user: User, client_key: str) -> None:
    if client_key:
        KnownSignInClient.objects.update_or_create(
            user=user, client=_digest(client_key), defaults={"last_success_at": clock.now()}
        )


@contextmanager
def _login_attempt(email: str, client_key: str, failure: type[DomainError]):
    try:
        with ratelimit.attempt(*_login_limits(email, client_key), failures=(failure,)):
            yield
    except ratelimit.LimitReached as reached:
        raise LoginLocked(extra={"retry_after": reached.retry_after}) from None


def login(*, email: str, password: str, client_key: str = "") -> tuple[User, dict]:
    """After LOGIN_MAX_FAILURES failures from one client an account is locked for that
    client for LOGIN_LOCKOUT_MINUTES, the right password included; see `_login_limits` for
    the others. Unknown e-mails count and answer like wrong passwords. The attempt is
    counted before the password is checked, so concurrent guesses cannot slip past."""
    from django.contrib.auth import authenticate

    with _login_attempt(email, client_key, InvalidCredentials):
        user = authenticate(email=normalize_email(email), password=password)
        if user is None or not user.is_active:
            raise InvalidCredentials()
    # This client knows the password: its own failures are forgiven (not the others').
    ratelimit.reset(_login_limits(email, client_key)[0].key)
    _remember_client(user, client_key)
    return user, issue_tokens(user)


def _decode_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)
    except TokenError:
        raise InvalidToken() from None


def token_refresh(*, refresh: str) -> dict:
    """Rotate a refresh token. The old token's row is locked, so of N concurrent refreshes
    of one token exactly one wins (simplejwt's own serializer lets several through)."""
    token = _decode_refresh(refresh)
    with transaction.atomic():
        # simplejwt's table, not ours: locked here, the one place a refresh token rotates.
        outstanding = OutstandingToken.objects.select_for_update().filter(jti=token["jti"]).first()
        if outstanding is None or BlacklistedToken.objects.filter(token=outstanding).exists():
            raise InvalidToken()
        user = User.objects.filter(public_id=token["sub"], is_active=True).first()
        if user is None or token.get(TOKEN_VERSION_CLAIM) != user.token_version:
            raise InvalidToken()
        BlacklistedToken.objects.create(token=outstanding)
        return issue_tokens(user)


def logout(*, user: User, refresh: str, device_token: str | None = None) -> None:
    """Kills the given refresh token, and stops pushes to the app's device when it says which."""
    token = _decode_refresh(refresh)
    if str(token["sub"]) != str(user.public_id):
        raise InvalidToken()
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=token["jti"]).first()
        if outstanding is not None:
            BlacklistedToken.objects.get_or_create(token=outstanding)
        if device_token:
            from notifications.services import device_deactivate_for_logout

            device_deactivate_for_logout(user=user, token=device_token)


def sessions_end_all(*, user: User) -> None:
    """Every access and refresh token issued so far stops working at its next use."""
    User.objects.filter(pk=user.pk).update(token_version=F("token_version") + 1)
    user.refresh_from_db(fields=["token_version"])


def password_change(
    *, user: User, current_password: str, new_password: str, client_key: str = ""
) -> dict:
    """Changes the password and ends every other session; returns this session's new tokens.
    Wrong current passwords count against the same limits as sign-in attempts."""
    with _login_attempt(user.email, client_key, WrongPassword):
        if not user.check_password(current_password):
            raise WrongPassword(fields={"current_password": [str(WrongPassword.default_message)]})
    _password_errors(new_password, user, field="new_password")
    with transaction.atomic():
        user.set_password(new_password)
        user.save(update_fields=["password", "updated_at"])
        sessions_end_all(user=user)
        from notifications.services import notify

        notify(recipients=[user], kind="account.password_changed")
    return issue_tokens(user)


def password_confirm(*, user: User, password: str, client_key: str = "") -> None:
    """A signed-in user's password, asked again before a grave act (erasing the account);
    wrong ones count against the sign-in limits, like `password_change`."""
    with _login_attempt(user.email, client_key, WrongPassword):
        if not user.check_password(password or ""):
            raise WrongPassword(fields={"password": [str(WrongPassword.default_message)]})


PROFILE_FIELDS = ("first_name", "last_name", "phone", "language")


@transaction.atomic
def profile_update(*, user: User, **changes) -> User:
    unknown = set(changes) - set(PROFILE_FIELDS)
    if unknown:
        raise ReadOnlyFields(fields={name: [str(_("Read-only field."))] for name in unknown})
    for name, value in changes.items():
        setattr(user, name, value)
    user.save(update_fields=[*changes.keys(), "updated_at"])
    return user
