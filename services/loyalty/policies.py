"""Who may do what with points and rewards. Actions check these again, whatever the caller."""

from services.accounts import roles
from services.accounts.models import Staff, User

# Catalogue, grants and earning rules: administrators and community officers.
LOYALTY_MANAGERS = (Staff.Role.ADMIN, Staff.Role.COMMUNITY)


_staff = roles.staff_of
_tenant = roles.tenant_of


def is_staff_of(*, actor: User, landlord_id: int) -> bool:
    staff = _staff(actor)
    return staff is not None and staff.landlord_id == landlord_id


def can_manage_loyalty(*, actor: User, landlord_id: int) -> bool:
    """Edit the catalogue and earning rules, upload codes, grant or adjust points."""
    staff = _staff(actor)
    return staff is not None and staff.landlord_id == landlord_id and staff.role in LOYALTY_MANAGERS


def can_view_loyalty_reports(*, actor: User, landlord_id: int) -> bool:
    return can_manage_loyalty(actor=actor, landlord_id=landlord_id)


def can_validate_redemption(*, actor: User, landlord_id: int) -> bool:
    """Any staff member of the landlord may stamp a voucher at the counter."""
    return is_staff_of(actor=actor, landlord_id=landlord_id)


def partner_member_of(actor: User):
    """The actor's partner membership (loyalty.PartnerMember), if they are a partner's member."""
    if actor is None or actor.role != User.Role.EMPLOYER or not actor.is_active:
        return None
    return getattr(actor, "loyalty_partner_member", None)


def redemption_validation_scope(*, actor: User, landlord_id: int) -> dict | None:
    """Which of the landlord's vouchers the actor may validate, as query filters: all of
    them for its staff, those of the rewards their partner honours for a partner's member,
    None for anyone else."""
    if can_validate_redemption(actor=actor, landlord_id=landlord_id):
        return {}
    member = partner_member_of(actor)
    if member is not None:
        # Whatever landlord the caller names: another landlord's code is then "unknown".
        return {
            "reward__partner_id": member.partner_id,
            "reward__landlord_id": member.partner.landlord_id,
        }
    return None


def can_manage_partners(*, actor: User, landlord_id: int) -> bool:
    return can_manage_loyalty(actor=actor, landlord_id=landlord_id)


def can_cancel_redemption(*, actor: User, redemption) -> bool:
    """The tenant before use (and before expiry: checked by the action), or the staff."""
    tenant = _tenant(actor)
    if tenant is not None:
        return tenant.pk == redemption.tenant_id
    return is_staff_of(actor=actor, landlord_id=redemption.landlord_id)


def can_redeem(*, actor: User, reward) -> bool:
    tenant = _tenant(actor)
    return tenant is not None and tenant.landlord_id == reward.landlord_id
