"""Who may do what in volunteering. Actions check these again, whatever the caller."""

from services.accounts import roles
from services.accounts.models import Staff, User

from .models import Mission, Signup

MISSION_MANAGERS = (Staff.Role.ADMIN, Staff.Role.COMMUNITY)


_staff = roles.staff_of
_tenant = roles.tenant_of


def can_manage_missions(*, actor: User, landlord_id: int | None = None) -> bool:
    """Admins and community officers of the mission's landlord (not job advisors)."""
    staff = _staff(actor)
    if staff is None or staff.role not in MISSION_MANAGERS:
        return False
    return landlord_id is None or staff.landlord_id == landlord_id


def can_see_mission(*, actor: User, mission: Mission) -> bool:
    tenant = _tenant(actor)
    if tenant is not None:
        return (
            mission.landlord_id == tenant.landlord_id
            and mission.status == Mission.Status.PUBLISHED
            and mission.residence_id in (None, tenant.tenancy.residence_id)
        )
    staff = _staff(actor)
    return staff is not None and staff.landlord_id == mission.landlord_id


def can_propose_initiative(*, actor: User) -> bool:
    return _tenant(actor) is not None


def can_cancel_signup(*, actor: User, signup: Signup) -> bool:
    """The tenant themselves, or a mission manager of the landlord."""
    tenant = _tenant(actor)
    if tenant is not None:
        return signup.tenant_id == tenant.pk
    return can_manage_missions(actor=actor, landlord_id=signup.slot.mission.landlord_id)


def can_mark_attendance(*, actor: User, mission: Mission) -> bool:
    return can_manage_missions(actor=actor, landlord_id=mission.landlord_id)
