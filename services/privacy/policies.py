"""Who may erase whom, and who may read an export."""

from services.accounts.models import Tenant, User
from services.accounts.policies import can_manage_tenancies


def can_erase_tenant(*, actor: User, tenant: Tenant) -> bool:
    """The tenant themselves, or (on their written request) the administrators and
    community officers of their own landlord: the staff who manage tenancies."""
    if actor.pk == tenant.user_id:
        return True
    staff = getattr(actor, "staff", None) if actor.role == User.Role.STAFF else None
    return (
        staff is not None
        and staff.landlord_id == tenant.landlord_id
        and can_manage_tenancies(actor=actor)
    )


def can_export(*, actor: User) -> bool:
    """Tenants export their own data (staff and employer accounts are professional ones:
    their organisation answers their requests)."""
    return actor.role == User.Role.TENANT and hasattr(actor, "tenant")
