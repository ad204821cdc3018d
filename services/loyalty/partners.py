"""Loyalty partners: a local business (the cinema, the shop) whose members validate, at
their own counter (/partenaire/), the vouchers of the rewards it honours.

Staff (administrators, community officers) create partners, link rewards to them and invite
members by e-mail; the e-mail carries a sign-in link scoped to the partner pages. Which
vouchers a member may see and validate is decided here and in `actions.redemption_validate`
(`policies.redemption_validation_scope`): another partner's or another landlord's voucher
answers exactly like an unknown code.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.email import magic_link
from notifications.services import notify
from services.accounts.locks import lock_user
from services.accounts.models import User
from services.core.errors import conflict, invalid, not_allowed

from . import actions, policies
from .models import Partner, PartnerMember, Redemption, Reward
from .notifications import PARTNER_INVITATION, PARTNER_SCOPE, PARTNER_SIGN_IN_LINK

HOME = "/partenaire/"
LINK_PATH = "/partenaire/lien/"

EmailInUse = conflict(
    "email_in_use", _("This address already belongs to another account of the service.")
)
AlreadyMember = conflict("already_member", _("This person is already a member of a partner."))
CannotManagePartners = not_allowed(
    "cannot_manage_partners", _("Only administrators and community officers manage partners.")
)
NameRequired = invalid("name_required", _("Give the partner's name."))


def sign_in_link(user: User, path: str = HOME) -> str:
    """A magic link that opens the partner pages only (scope `partenaire`)."""
    return magic_link(user, path, link_path=LINK_PATH, scope=PARTNER_SCOPE)


# --------------------------------------------------------------------------- reads


def member_of(user) -> PartnerMember | None:
    return policies.partner_member_of(user) if getattr(user, "is_authenticated", False) else None


def partner_list_for_user(*, user: User) -> QuerySet[Partner]:
    """Staff managers: their landlord's partners. Anyone else: none."""
    staff = getattr(user, "staff", None) if user.role == User.Role.STAFF else None
    if staff is None or not policies.can_manage_partners(actor=user, landlord_id=staff.landlord_id):
        return Partner.objects.none()
    return Partner.objects.filter(landlord_id=staff.landlord_id)


def _member_vouchers(member: PartnerMember) -> QuerySet[Redemption]:
    return Redemption.objects.filter(
        landlord_id=member.partner.landlord_id, reward__partner_id=member.partner_id
    ).select_related("reward", "validated_by")


def voucher_lookup(*, user: User, code: str) -> Redemption | None:
    """The voucher a code names, as a partner's counter may see it (same scope as the
    validation): None for an unknown code and for anyone else's voucher alike."""
    member = member_of(user)
    code = (code or "").strip()[:64]
    if member is None or not code:
        return None
    qs = _member_vouchers(member)
    return qs.filter(code=code).first() or qs.filter(code=code.upper()).first()


def validated_history(*, user: User, month: date | None = None) -> QuerySet[Redemption]:
    """What this partner's members validated, newest first; one calendar month (local time)
    when `month` is given."""
    member = member_of(user)
    if member is None:
        return Redemption.objects.none()
    qs = _member_vouchers(member).filter(
        status=Redemption.Status.USED,
        validated_by__loyalty_partner_member__partner_id=member.partner_id,
    )
    if month is not None:
        tz = timezone.get_current_timezone()
        start = datetime(month.year, month.month, 1, tzinfo=tz)
        end = (start + timedelta(days=32)).replace(day=1)
        qs = qs.filter(used_at__gte=start, used_at__lt=end)
    return qs.order_by("-used_at", "-id")


# --------------------------------------------------------------------------- writes


def voucher_validate(*, actor: User, code: str) -> Redemption:
    """The counter's validation: the staff's domain action, scoped to this partner."""
    member = member_of(actor)
    if member is None:
        raise actions.CannotValidate()
    return actions.redemption_validate(
        actor=actor, landlord_id=member.partner.landlord_id, code=code
    )


def _require_manager(actor: User, landlord_id: int) -> None:
    if not policies.can_manage_partners(actor=actor, landlord_id=landlord_id):
        raise CannotManagePartners()


@transaction.atomic
def partner_create(*, actor: User, name: str, address: str = "") -> Partner:
    staff = getattr(actor, "staff", None) if actor.role == User.Role.STAFF else None
    if staff is None:
        raise CannotManagePartners()
    _require_manager(actor, staff.landlord_id)
    name = (name or "").strip()
    if not name:
        raise NameRequired()
    return Partner.objects.create(
        landlord_id=staff.landlord_id,
        name=name[:200],
        address=(address or "").strip()[:255],
        created_by=actor,
    )


@transaction.atomic
def partner_rewards_set(*, actor: User, partner: Partner, rewards: list[Reward]) -> int:
    """The rewards this partner honours: exactly `rewards` (of the same landlord)."""
    _require_manager(actor, partner.landlord_id)
    ids = [r.pk for r in rewards if r.landlord_id == partner.landlord_id]
    Reward.objects.filter(partner=partner).exclude(pk__in=ids).update(
        partner=None, updated_at=timezone.now()
    )
    return Reward.objects.filter(landlord_id=partner.landlord_id, pk__in=ids).update(
        partner=partner, updated_at=timezone.now()
    )


@transaction.atomic
def partner_member_invite(
    *, actor: User, partner: Partner, email: str, first_name: str = "", last_name: str = ""
) -> PartnerMember:
    """Create the member (an account without a password) and e-mail them a sign-in link.
    An address of another kind of account (a tenant, staff, an employer's member) is refused:
    one person, one role."""
    _require_manager(actor, partner.landlord_id)
    address = User.objects.normalize_email(email or "").strip().lower()
    user = lock_user(email=address)
    if user is None:
        user = User(
            email=address,
            role=User.Role.EMPLOYER,
            first_name=(first_name or "").strip()[:100],
            last_name=(last_name or "").strip()[:100],
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():  # two invitations of one new address at once
                user.save()
        except IntegrityError:
            raise EmailInUse() from None
    elif user.role != User.Role.EMPLOYER or hasattr(user, "employer_member"):
        raise EmailInUse()
    elif hasattr(user, "loyalty_partner_member"):
        raise AlreadyMember()
    try:
        with transaction.atomic():
            member = PartnerMember.objects.create(user=user, partner=partner, invited_by=actor)
    except IntegrityError:
        raise AlreadyMember() from None
    notify(
        recipients=[user],
        kind=PARTNER_INVITATION,
        params={"partner": partner.name, "landlord": partner.landlord.name},
        sender=partner.landlord.name,
    )
    return member


def send_sign_in_link(*, address: str) -> None:
    """A new link for a member who asks (the caller rate-limits and answers the same page
    whether or not the address is a member's)."""
    user = User.objects.filter(
        email__iexact=address,
        role=User.Role.EMPLOYER,
        is_active=True,
        loyalty_partner_member__isnull=False,
    ).first()
    if user is not None:
        with transaction.atomic():
            notify(recipients=[user], kind=PARTNER_SIGN_IN_LINK)
