"""Role gates: a role that may never do a thing gets 403; scoping (404) is the selectors' job."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

from services.accounts.roles import member_of, staff_of, tenant_of

TENANT = "tenant"
STAFF = "staff"
EMPLOYER = "employer"


def has_role(user, *roles: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    return (
        (TENANT in roles and tenant_of(user) is not None)
        or (STAFF in roles and staff_of(user) is not None)
        or (EMPLOYER in roles and member_of(user) is not None)
    )


def roles(*allowed: str) -> type[BasePermission]:
    """`permission_classes = [roles(TENANT, STAFF)]`."""

    class RolePermission(BasePermission):
        message = _("Your role may not do this.")

        def has_permission(self, request, view) -> bool:
            return has_role(request.user, *allowed)

    RolePermission.__name__ = "Role_" + "_".join(allowed)
    return RolePermission


IsTenant = roles(TENANT)
IsStaff = roles(STAFF)
IsEmployer = roles(EMPLOYER)
IsTenantOrStaff = roles(TENANT, STAFF)
IsStaffOrEmployer = roles(STAFF, EMPLOYER)
IsAnyRole = roles(TENANT, STAFF, EMPLOYER)


class PerAction(BasePermission):
    """Lets a viewset name the roles per action: `action_roles = {"create": (STAFF,)}`."""

    def has_permission(self, request, view) -> bool:
        allowed = getattr(view, "action_roles", {}).get(getattr(view, "action", None))
        if allowed is None:
            allowed = getattr(view, "default_roles", (TENANT, STAFF, EMPLOYER))
        return has_role(request.user, *allowed)


class TenancyActive(BasePermission):
    """A tenant's writes (every method but GET, HEAD, OPTIONS) once their membership of the
    tenancy has ended are refused with 403 `tenancy_ended`: reads stay for the read-only
    days. The check is the domain's (`services.accounts.tenancy_end.require_active`), which
    the areas' write actions call too."""

    def has_permission(self, request, view) -> bool:
        from rest_framework.permissions import SAFE_METHODS

        from services.accounts import tenancy_end

        user = request.user
        if request.method in SAFE_METHODS or getattr(user, "role", None) != TENANT:
            return True
        tenant = getattr(user, "tenant", None)
        if tenant is not None:
            tenancy_end.require_active(tenant)
        return True
