"""Role gates: a role that may never do a thing gets 403; scoping (404) is the selectors' job."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission

TENANT = "tenant"
STAFF = "staff"
EMPLOYER = "employer"


def has_role(user, *roles: str) -> bool:
    if not (user and user.is_authenticated):
        return False
    if user.role == TENANT:
        return TENANT in roles and hasattr(user, "tenant")
    if user.role == STAFF:
        return STAFF in roles and hasattr(user, "staff")
    if user.role == EMPLOYER:
        return EMPLOYER in roles and hasattr(user, "employer_member")
    return False


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
