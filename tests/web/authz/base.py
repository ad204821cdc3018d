"""The web authorisation matrix's vocabulary (the console's twin of tests/api/authz).

Each section declares, in `tests/web/authz/<section>.py`, an `EXPECTATIONS` dict:
    "/console/path/{id}/": Case(expect=staff_only(ADMIN, ...), make=...)
`make(world, console)` creates what the route needs, owned by landlord A, and returns the
path parameters. A route may be declared several times under "<template> <METHOD>" keys
(e.g. "/console/tenancies/new/ POST") to check a write too.

Outcomes: OK (the page answered: 2xx, a redirect that is not to sign-in, 400, 405, 409),
LOGIN (redirected to the sign-in page), or exactly 403 or 404.
Roles: anonymous, tenant_a, employer (landlord A's partner), admin_a, advisor_a (job advisor),
community_a, admin_b (another landlord's admin: landlord A's objects are 404 to them).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from web.access import ADMIN, COMMUNITY, JOB_ADVISOR

OK = "ok"
LOGIN = "login"
ROLES = ("anonymous", "tenant_a", "employer", "admin_a", "advisor_a", "community_a", "admin_b")
STAFF_ROLE_OF = {
    "admin_a": ADMIN,
    "advisor_a": JOB_ADVISOR,
    "community_a": COMMUNITY,
    "admin_b": ADMIN,
}


@dataclass
class Case:
    expect: dict[str, object]
    make: Callable | None = None  # (world, console) -> {"id": "<uuid>", ...}
    data: dict = field(default_factory=dict)  # POST body

    def __post_init__(self):
        missing = set(ROLES) - set(self.expect)
        assert not missing, f"roles without an expected outcome: {sorted(missing)}"


def public() -> dict:
    return dict.fromkeys(ROLES, OK)


def staff_only(*staff_roles: str, other_landlord: object = OK) -> dict:
    """Staff of `staff_roles` pass (no roles: every staff role); anonymous users go to sign
    in; tenants, employers and other staff roles get 403. `other_landlord` is what landlord
    B's admin gets when admins may enter: OK for a list, 404 for landlord A's object."""
    allowed = staff_roles or (ADMIN, JOB_ADVISOR, COMMUNITY)
    outcome: dict[str, object] = {"anonymous": LOGIN, "tenant_a": 403, "employer": 403}
    for role, staff_role in STAFF_ROLE_OF.items():
        if staff_role not in allowed:
            outcome[role] = 403
        elif role == "admin_b":
            outcome[role] = other_landlord
        else:
            outcome[role] = OK
    return outcome
