"""Password reset for every role: a one-time code sent by e-mail (or printed by staff for a
tenant without a mailbox), then a new password that ends every other session.

The request answers the same whether the address exists or not, and goes down the same
path: the rate limits are taken for every request, then one transaction looks the user up
and, only for a real active account, writes the code's row and the e-mail's outbox row.
Codes are stored hashed (SHA-256 of 80 random bits, like activation codes) and die when used
or after `PASSWORD_RESET_CODE_MINUTES`.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register
from services.core import clock, ratelimit
from services.core.errors import NotFound, invalid

from . import codes, locks, policies
from .actions import (
    ActivationThrottled,
    CannotManageTenancies,
    _digest,
    _password_errors,
    sessions_end_all,
)
from .models import PasswordResetCode, Tenant, User, normalize_email

PASSWORD_RESET_KIND = "account.password_reset"
# Web page the e-mail's button opens (the same form serves every role).
CONFIRM_PATH = "/console/password-reset/confirm/"

register(
    NotificationKind(
        code=PASSWORD_RESET_KIND,
        category=Category.ACCOUNT,
        title=_("Your password reset code"),
        body=_(
            "Someone (we hope you) asked to reset your Voisinage password. Your code is "
            "{code}. It works once, for {minutes} minutes. If you did not ask for it, "
            "ignore this message: your password stays the same."
        ),
        switchable=False,
        channels=("email",),  # never in the inbox or a push: the code is for the mailbox
        ttl_seconds=30 * 60,
        extra={"email_path": CONFIRM_PATH},
    )
)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def code_minutes() -> int:
    return _setting("PASSWORD_RESET_CODE_MINUTES", 30)


def staff_code_hours() -> int:
    return _setting("PASSWORD_RESET_STAFF_CODE_HOURS", 72)


InvalidResetCode = invalid(
    "invalid_reset_code", _("This code is not valid or has expired. Ask for a new one.")
)


def _request_limits(email: str, client_key: str) -> tuple[ratelimit.Limit, ...]:
    hour = timedelta(hours=1)
    return (
        ratelimit.Limit(
            f"reset:{_digest(normalize_email(email))}",
            _setting("PASSWORD_RESET_MAX_PER_ADDRESS", 3),
            hour,
        ),
        ratelimit.Limit(
            f"reset-client:{_digest(client_key or 'unknown')}",
            _setting("PASSWORD_RESET_MAX_PER_CLIENT", 10),
            hour,
        ),
    )


def _confirm_limits(email: str, client_key: str) -> tuple[ratelimit.Limit, ...]:
    hour = timedelta(hours=1)
    return (
        ratelimit.Limit(
            f"reset-code:{_digest(normalize_email(email))}",
            # A ceiling well above the per-client limit: a stranger guessing from one client
            # cannot lock the owner out of their own code (80 random bits need no more).
            _setting("PASSWORD_RESET_MAX_CODE_ATTEMPTS_PER_ADDRESS", 50),
            hour,
        ),
        ratelimit.Limit(
            f"reset-code-client:{_digest(client_key or 'unknown')}",
            _setting("PASSWORD_RESET_MAX_CODE_ATTEMPTS_PER_CLIENT", 20),
            hour,
        ),
    )


def _sender(user: User) -> str:
    for link in ("tenant", "staff"):
        holder = getattr(user, link, None)
        if holder is not None:
            return holder.landlord.name
    return "Voisinage"


def password_reset_request(*, email: str, client_key: str = "") -> None:
    """Send a reset code to `email` if it is an active account's. Every request counts
    against the per-address and per-client limits (raises ActivationThrottled, 429, the same
    for a known and an unknown address); nothing tells whether the address exists."""
    try:
        ratelimit.take(*_request_limits(email, client_key))
    except ratelimit.LimitReached as reached:
        raise ActivationThrottled(extra={"retry_after": reached.retry_after}) from None
    code = codes.new_code()
    code_hash = codes.hash_code(code)
    with transaction.atomic():
        user = (
            User.objects.select_related("tenant__landlord", "staff__landlord")
            .filter(email=normalize_email(email), is_active=True)
            .first()
        )
        if user is None:
            return
        minutes = code_minutes()
        PasswordResetCode.objects.create(
            user=user, code_hash=code_hash, expires_at=clock.now() + timedelta(minutes=minutes)
        )
        from notifications.services import notify

        notify(
            recipients=[user],
            kind=PASSWORD_RESET_KIND,
            params={"code": code, "minutes": minutes},
            sender=_sender(user),
        )


def password_reset_confirm(
    *, email: str, code: str, new_password: str, client_key: str = ""
) -> User:
    """Set a new password with a valid code: the code and the account's other unused codes
    die, every session ends. Attempts are counted before the code is looked at (a weak
    password gives its attempt back and keeps the code alive)."""
    try:
        with ratelimit.attempt(*_confirm_limits(email, client_key), failures=(InvalidResetCode,)):
            return _confirm(email=email, code=code, new_password=new_password)
    except ratelimit.LimitReached as reached:
        raise ActivationThrottled(extra={"retry_after": reached.retry_after}) from None


@transaction.atomic
def _confirm(*, email: str, code: str, new_password: str) -> User:
    now = clock.now()
    reset = locks.lock_reset_code(
        related=("user",),
        code_hash=codes.hash_code(code),
        user__email=normalize_email(email),
        user__is_active=True,
        used_at__isnull=True,
        expires_at__gt=now,
    )
    if reset is None:
        raise InvalidResetCode(fields={"code": [str(InvalidResetCode.default_message)]})
    user = reset.user
    _password_errors(new_password, user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password", "updated_at"])
    PasswordResetCode.objects.filter(user=user, used_at__isnull=True).update(
        used_at=now, updated_at=now
    )
    sessions_end_all(user=user)
    from notifications.services import notify

    notify(recipients=[user], kind="account.password_changed")
    return user


@dataclass
class ResetCodeIssued:
    reset: PasswordResetCode
    code: str


@transaction.atomic
def password_reset_code_issue(*, actor: User, tenant: Tenant) -> ResetCodeIssued:
    """Staff (admins and community officers of the tenant's landlord) print a one-time code
    for a tenant who cannot read their mailbox; the row keeps who issued it and when."""
    if not policies.can_manage_tenancies(actor=actor):
        raise CannotManageTenancies()
    if tenant.landlord_id != actor.staff.landlord_id or not tenant.user.is_active:
        raise NotFound()
    code = codes.new_code()
    reset = PasswordResetCode.objects.create(
        user=tenant.user,
        code_hash=codes.hash_code(code),
        expires_at=clock.now() + timedelta(hours=staff_code_hours()),
        issued_by=actor,
    )
    return ResetCodeIssued(reset=reset, code=code)
