"""Who may do what in accounts. Actions check these again, whatever the caller."""

from . import roles
from .models import Staff, User

TENANCY_MANAGERS = (Staff.Role.ADMIN, Staff.Role.COMMUNITY)
EMPLOYER_MANAGERS = (Staff.Role.ADMIN, Staff.Role.JOB_ADVISOR)


def _staff_role(actor: User) -> str | None:
    staff = roles.staff_of(actor)
    return staff.role if staff is not None else None


def can_manage_tenancies(*, actor: User) -> bool:
    """Tenancies are customer data: admins and community officers, not job advisors."""
    return _staff_role(actor) in TENANCY_MANAGERS


def can_manage_employers(*, actor: User) -> bool:
    return _staff_role(actor) in EMPLOYER_MANAGERS
