"""Who may open a console page: staff of given roles, scoped to their landlord.

The role gate here is the coarse one (like `api.permissions.roles`): a role that may never use
a page gets 403. Which objects exist for the viewer is the domain's selectors' business: fetch
objects with `get_for_user_or_404(<selector queryset>, ...)` so another landlord's object is a
404, indistinguishable from a wrong id. Actions check their policies again.
"""

from functools import wraps
from urllib.parse import unquote

from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.urls import reverse

from services.accounts.models import Staff
from services.accounts.roles import staff_of

ADMIN = Staff.Role.ADMIN
JOB_ADVISOR = Staff.Role.JOB_ADVISOR
COMMUNITY = Staff.Role.COMMUNITY
ALL_STAFF = (ADMIN, JOB_ADVISOR, COMMUNITY)

SESSION_TOKEN_VERSION = "web_token_version"


def staff_role(user) -> str | None:
    """The staff role of a signed-in user, or None for tenants, employers and anonymous."""
    staff = staff_of(user)
    return staff.role if staff is not None else None


def _session_ended(request) -> bool:
    """Ending every session (`sessions_end_all`, a password change elsewhere, deactivation)
    bumps the user's token version: a console session started before it ends too."""
    return request.session.get(SESSION_TOKEN_VERSION) != request.user.token_version


def check_staff(request, roles=ALL_STAFF):
    """None when the request may go on, else the response to send (redirect to sign-in).
    Raises PermissionDenied (403) for a signed-in user whose role may not."""
    user = request.user
    if user.is_authenticated and _session_ended(request):
        logout(request)
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path(), reverse("web:login"))
    if staff_role(request.user) not in roles:
        raise PermissionDenied
    return None


def staff_required(*roles: str):
    """Decorator for function views: `@staff_required(ADMIN, COMMUNITY)`; no role = any staff."""
    allowed = roles or ALL_STAFF

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            refusal = check_staff(request, allowed)
            if refusal is not None:
                return refusal
            return view(request, *args, **kwargs)

        wrapper.staff_roles = allowed  # read by the web authorisation matrix
        return wrapper

    return decorator


class StaffRequiredMixin:
    """For class-based views: `roles = (ADMIN,)`; the default lets every staff role in."""

    roles: tuple[str, ...] = ALL_STAFF

    def dispatch(self, request, *args, **kwargs):
        refusal = check_staff(request, self.roles)
        if refusal is not None:
            return refusal
        return super().dispatch(request, *args, **kwargs)


def get_for_user_or_404(queryset: QuerySet, **lookup) -> Model:
    """One object from a selector's queryset (already scoped to the viewer), or 404."""
    obj = queryset.filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj


def next_path_within(request, home: str) -> str:
    """The `next` the request asks to return to, when it is a path under `home` (never
    another site, nor another section of the site); otherwise `home`."""
    value = request.POST.get("next") or request.GET.get("next") or ""
    # A browser resolves "..", even encoded ("%2e%2e"), and drops tabs and line breaks:
    # "/espace/../console/" is the console.
    path = unquote(value.split("?", 1)[0].split("#", 1)[0])
    if (
        value.startswith(home)
        and "//" not in value
        and "\\" not in value
        and ".." not in path.split("/")
        and value.isprintable()
    ):
        return value
    return home
