"""Who a user is to the product: the one place that answers "is this user a tenant, a staff
member, an employer's member", used wherever a role is checked (policies, selectors, the
interfaces' role gates). Each answer is the profile row or None; the row is cached on the
user object by Django's reverse one-to-one accessor, so asking twice costs one query."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import ObjectDoesNotExist

from .models import User

if TYPE_CHECKING:
    from .models import EmployerMember, Landlord, Staff, Tenant


def _profile(user, role: str, accessor: str):
    if user is None or getattr(user, "role", None) != role:
        return None
    try:
        return getattr(user, accessor)
    except ObjectDoesNotExist:
        return None


def tenant_of(user: User | None) -> Tenant | None:
    """The user's tenant profile, if they sign in as a tenant."""
    return _profile(user, User.Role.TENANT, "tenant")


def staff_of(user: User | None) -> Staff | None:
    """The user's staff profile (their landlord and staff role), if they are landlord staff."""
    return _profile(user, User.Role.STAFF, "staff")


def member_of(user: User | None) -> EmployerMember | None:
    """The user's membership of an employer, if they sign in as an employer's member. Which
    landlords' candidates it reaches is `selectors.partner_landlord_ids` (the grants)."""
    return _profile(user, User.Role.EMPLOYER, "employer_member")


def landlord_of(user: User | None) -> Landlord | None:
    """The landlord a tenant or staff member belongs to (employers may have several)."""
    profile = tenant_of(user) or staff_of(user)
    return profile.landlord if profile is not None else None
