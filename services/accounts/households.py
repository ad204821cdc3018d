"""Households: the members of a tenancy, each with their own account.

The holder (the tenant who activated the tenancy with its code) invites the other adults
of the household with a one-time code, given by hand or sent by e-mail. Whoever uses a
valid code first (`household_join`, before it expires, once) gets their own account: their
own profile, consents, points, inbox and job search, which the holder never sees. Wrong
codes count against the activation codes' limit per client (`ACTIVATION_MAX_ATTEMPTS_PER_
HOUR`); the holder's invitations are limited per day and by the size of the household.

The holder sees the members (names, since when) and can remove one: the member's
membership ends that day, like moving out (services/accounts/tenancy_end.py: read-only for
90 days, then the account is closed).

Locks: an invitation row, then its tenancy (joining); a tenancy, then its members
(inviting, removing). Never the other way.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from types import SimpleNamespace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from notifications.registry import Category, NotificationKind, register
from services.core import clock, ratelimit
from services.core.errors import NotFound, conflict, invalid, not_allowed

from . import codes, locks, tenancy_end
from .actions import ActivationThrottled, InvalidInvitationCode, _code_attempts, _new_user
from .models import HouseholdInvitation, Tenancy, Tenant, User, normalize_email
from .tokens import issue_tokens

INVITATION_KIND = "account.household_invitation"

register(
    NotificationKind(
        code=INVITATION_KIND,
        category=Category.ACCOUNT,
        title=_("{name} invites you to join their household on Voisinage"),
        body=_(
            "{name} invites you to your own account on Voisinage, the app of {landlord}: "
            'jobs near home, volunteering and rewards. In the app, choose "Join a '
            'household" and type this code: {code}. It works once, until {date}.'
        ),
        switchable=False,
        # Only to the invitee's mailbox: they have no account yet. The row is the holder's
        # (the one who sent it), never in their inbox.
        channels=("email",),
        ttl_seconds=24 * 3600,
        extra={"email_path": "/"},
    )
)


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


def invitation_ttl_days() -> int:
    return _setting("HOUSEHOLD_INVITATION_TTL_DAYS", 7)


def max_members() -> int:
    """Members (the holder included) and pending invitations of one household."""
    return _setting("HOUSEHOLD_MAX_MEMBERS", 8)


def invitations_per_day() -> int:
    return _setting("HOUSEHOLD_INVITATIONS_PER_DAY", 10)


NotHolder = not_allowed(
    "not_household_holder", _("Only the holder of the tenancy manages its household.")
)
HouseholdFull = conflict("household_full", _("This household has as many members as allowed."))
AdultRequired = invalid(
    "adult_required", _("Only adults of the household can join: confirm you are 18 or older.")
)
InvalidAddress = invalid("invalid_email", _("Enter a valid e-mail address."))
CannotRemoveHolder = conflict(
    "cannot_remove_holder", _("The holder of the tenancy cannot be removed from it.")
)
InvitationClosed = conflict(
    "invitation_closed", _("This invitation was already used, cancelled or has expired.")
)


class TooManyHouseholdInvitations(ActivationThrottled):
    default_message = _("Too many invitations today. Try again tomorrow.")


# --- Reads ----------------------------------------------------------------------------------


def members_of(tenancy: Tenancy) -> QuerySet[Tenant]:
    """The household as it stands: members not removed and whose account is not closed nor
    erased (after the tenancy's end they are still there, read-only), the holder first."""
    return (
        Tenant.objects.filter(
            tenancy=tenancy, left_at__isnull=True, closed_at__isnull=True, user__is_active=True
        )
        .select_related("user")
        .order_by("-is_holder", "created_at", "id")
    )


def household_composition(*, tenancy: Tenancy) -> QuerySet[Tenant]:
    """Every member the tenancy ever had, for its landlord's staff (removed and closed ones
    too, with their dates): names and membership, never their job, points or inbox."""
    return (
        Tenant.objects.filter(tenancy=tenancy)
        .select_related("user", "tenancy")
        .order_by("-is_holder", "created_at", "id")
    )


def pending_invitations(*, tenant: Tenant) -> QuerySet[HouseholdInvitation]:
    """The holder's invitations still waiting (not used, cancelled or expired)."""
    if not tenant.is_holder:
        return HouseholdInvitation.objects.none()
    return _pending(tenant.tenancy_id).order_by("-created_at", "-id")


def _pending(tenancy_id: int) -> QuerySet[HouseholdInvitation]:
    return HouseholdInvitation.objects.filter(
        tenancy_id=tenancy_id,
        accepted_at__isnull=True,
        cancelled_at__isnull=True,
        expires_at__gt=clock.now(),
    )


# --- The holder's writes --------------------------------------------------------------------


@dataclass
class HouseholdInvitationIssued:
    invitation: HouseholdInvitation
    code: str


def _check_holder(tenant: Tenant) -> None:
    if not tenant.is_holder or tenant.left_at is not None:
        raise NotHolder()


def _address(email: str) -> str:
    address = normalize_email(email)
    try:
        validate_email(address)
    except ValidationError:
        raise InvalidAddress(fields={"email": [str(InvalidAddress.default_message)]}) from None
    return address


def household_invitation_create(*, tenant: Tenant, email: str = "") -> HouseholdInvitationIssued:
    """The holder invites an adult of the household: a one-time code, returned to be given
    by hand, or sent to `email` (then not returned: it is for that mailbox)."""
    _check_holder(tenant)
    tenancy_end.require_active(tenant)
    address = _address(email) if email else ""
    try:
        ratelimit.take(
            ratelimit.Limit(
                f"household-invite:{tenant.tenancy_id}", invitations_per_day(), timedelta(days=1)
            )
        )
    except ratelimit.LimitReached as reached:
        raise TooManyHouseholdInvitations(extra={"retry_after": reached.retry_after}) from None
    with transaction.atomic():
        tenancy = locks.lock_tenancy(related=("landlord",), pk=tenant.tenancy_id)
        if members_of(tenancy).count() + _pending(tenancy.pk).count() >= max_members():
            raise HouseholdFull(extra={"max_members": max_members()})
        code = codes.new_code()
        invitation = HouseholdInvitation.objects.create(
            tenancy=tenancy,
            invited_by=tenant,
            email=address,
            code_hash=codes.hash_code(code),
            expires_at=clock.now() + timedelta(days=invitation_ttl_days()),
        )
        if address:
            _send(invitation, tenant=tenant, code=code)
    return HouseholdInvitationIssued(invitation=invitation, code=code)


def _send(invitation: HouseholdInvitation, *, tenant: Tenant, code: str) -> None:
    from notifications.services import notify

    holder = tenant.user
    # The notification is the holder's record of what they sent; the e-mail goes to the
    # invitee's address (notify() reads a recipient's id, e-mail and language only).
    addressee = SimpleNamespace(pk=holder.pk, email=invitation.email, language=holder.language)
    notify(
        recipients=[addressee],
        kind=INVITATION_KIND,
        params={
            "name": holder.full_name or holder.email,
            "landlord": invitation.tenancy.landlord.name,
            "code": code,
            "date": formats.date_format(invitation.expires_at, "SHORT_DATE_FORMAT"),
        },
        link_id=invitation.public_id,
        sender=invitation.tenancy.landlord.name,
    )


@transaction.atomic
def household_invitation_cancel(*, tenant: Tenant, invitation_id: uuid.UUID) -> None:
    _check_holder(tenant)
    invitation = locks.lock_household_invitation(
        tenancy_id=tenant.tenancy_id, public_id=invitation_id
    )
    if invitation is None:
        raise NotFound()
    if (
        invitation.accepted_at is not None
        or invitation.cancelled_at is not None
        or invitation.expires_at <= clock.now()
    ):
        raise InvitationClosed()
    invitation.cancelled_at = clock.now()
    invitation.save(update_fields=["cancelled_at", "updated_at"])


@transaction.atomic
def household_member_remove(*, tenant: Tenant, member_id: uuid.UUID) -> Tenant:
    """The holder removes a member: their membership ends today, like moving out (read
    access for the read-only days, open matches closed unless kept, then closure)."""
    _check_holder(tenant)
    locks.lock_tenancy(pk=tenant.tenancy_id)
    member = locks.lock_tenant(
        tenancy_id=tenant.tenancy_id,
        public_id=member_id,
        left_at__isnull=True,
        closed_at__isnull=True,
    )
    if member is None:
        raise NotFound()
    if member.is_holder:
        raise CannotRemoveHolder()
    member.left_at = clock.now()
    member.removed_by = tenant.user
    member.save(update_fields=["left_at", "removed_by", "updated_at"])
    tenancy_end.membership_end(tenant_id=member.pk)
    return member


def household_holder_hand_over(*, tenant: Tenant) -> Tenant | None:
    """The holder's account goes (erased): the member who joined first and is still in the
    household becomes the holder, so that someone can still invite and remove. None when
    `tenant` was not the holder or nobody is left. Runs in the caller's transaction, which
    holds the leaving holder's user row (the lock order: a user, a tenancy, its tenants)."""
    if not tenant.is_holder:
        return None
    locks.lock_tenancy(pk=tenant.tenancy_id)
    Tenant.objects.filter(pk=tenant.pk).update(is_holder=False, updated_at=clock.now())
    successor = locks.lock_tenant(
        tenancy_id=tenant.tenancy_id,
        is_holder=False,
        left_at__isnull=True,
        closed_at__isnull=True,
        # A subquery, not a join: locking the successor's user here would take a user
        # after the tenancy.
        user_id__in=User.objects.filter(is_active=True).exclude(pk=tenant.user_id).values("pk"),
        order_by=("created_at", "id"),
    )
    if successor is None:
        return None
    successor.is_holder = True
    successor.save(update_fields=["is_holder", "updated_at"])
    return successor


# --- Joining --------------------------------------------------------------------------------


def household_join(
    *,
    invitation_code: str,
    email: str,
    password: str,
    first_name: str,
    last_name: str,
    confirm_adult: bool,
    language: str = "fr",
    client_key: str = "",
) -> tuple[Tenant, dict]:
    """An invited adult creates their own account in the household with a valid code. Used,
    cancelled, expired and unknown codes all answer the same error (and count as a wrong
    code); of two people using one code at once, one joins."""
    if not confirm_adult:
        raise AdultRequired(fields={"confirm_adult": [str(AdultRequired.default_message)]})
    with _code_attempts(client_key), transaction.atomic():
        invitation = locks.lock_household_invitation(code_hash=codes.hash_code(invitation_code))
        if (
            invitation is None
            or invitation.accepted_at is not None
            or invitation.cancelled_at is not None
            or invitation.expires_at <= clock.now()
        ):
            raise InvalidInvitationCode()
        tenancy = locks.lock_tenancy(related=("landlord",), pk=invitation.tenancy_id)
        holder = Tenant.objects.select_related("tenancy").get(pk=invitation.invited_by_id)
        if tenancy_end.standing(holder).state != tenancy_end.ACTIVE:
            raise InvalidInvitationCode()  # the tenancy ended, or the inviter left it
        if members_of(tenancy).count() >= max_members():
            raise HouseholdFull(extra={"max_members": max_members()})
        user = _new_user(
            email=email,
            password=password,
            role=User.Role.TENANT,
            language=language if language in User.Language.values else "fr",
            first_name=first_name.strip()[:100],
            last_name=last_name.strip()[:100],
        )
        # No welcome bonus: it comes once per tenancy, with the holder's activation.
        tenant = Tenant.objects.create(
            user=user, landlord=tenancy.landlord, tenancy=tenancy, is_holder=False
        )
        invitation.accepted_at = clock.now()
        invitation.accepted_by = tenant
        invitation.save(update_fields=["accepted_at", "accepted_by", "updated_at"])
    return tenant, issue_tokens(user)
