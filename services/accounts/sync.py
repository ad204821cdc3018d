"""Who a user is to the sync tombstones: the audiences (`services.core.sync.scope`) a user
belongs to. A row that leaves without a trace in its table is logged for the audiences that
could see it (the areas' `sync.py`); a user reads the tombstones of their own audiences only,
so a removal never names a row of another landlord, tenant or company."""

from __future__ import annotations

from services.core.sync import scope

from .models import User
from .selectors import partner_landlord_ids


def tenant_scopes(*, tenant) -> list[str]:
    """A tenant's own rows, and the rows shown to every tenant of its landlord or residence."""
    return [
        scope("tenant", tenant.pk),
        scope("landlord", tenant.landlord_id),
        scope("residence", tenant.tenancy.residence_id),
    ]


def staff_scopes(*, landlord_id: int) -> list[str]:
    """Staff see their landlord's rows: those shown to its tenants, and the staff-only ones."""
    return [scope("staff", landlord_id), scope("landlord", landlord_id)]


def employer_scopes(*, employer_id: int, landlord_ids) -> list[str]:
    """A member sees its company's rows, per landlord that granted it access."""
    return [scope("employer", employer_id)] + [
        employer_landlord_scope(employer_id, landlord_id) for landlord_id in sorted(landlord_ids)
    ]


def employer_landlord_scope(employer_id: int, landlord_id: int) -> str:
    return scope("employer", f"{employer_id}@{landlord_id}")


def viewer_scopes(*, user: User) -> list[str]:
    """Every audience the user belongs to (their own user id included)."""
    scopes = [scope("user", user.pk)]
    if user.role == User.Role.TENANT and hasattr(user, "tenant"):
        scopes += tenant_scopes(tenant=user.tenant)
    elif user.role == User.Role.STAFF and hasattr(user, "staff"):
        scopes += staff_scopes(landlord_id=user.staff.landlord_id)
    elif user.role == User.Role.EMPLOYER and hasattr(user, "employer_member"):
        scopes += employer_scopes(
            employer_id=user.employer_member.employer_id,
            landlord_ids=partner_landlord_ids(user=user),
        )
    return scopes
