"""The authorisation matrix's vocabulary.

Each area declares, in `tests/api/authz/<area>.py`, an `EXPECTATIONS` dict:
    (METHOD, "/path/{id}/" relative to /api/v1): Case(make=..., expect={role: outcome})
`make(world)` creates what the route needs (owned by landlord A's side: tenant_a, staff_a,
the employer) and returns the path parameters. Outcomes: OK (any answer that shows the
request went past authorisation: 2xx, 400, 409, 415, 422), or exactly 401, 403 or 404.
Roles: anonymous, tenant_a, tenant_a2 (same landlord, other residence), tenant_b (other
landlord), staff_a, staff_b (other landlord), employer (member of landlord A's partner).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

OK = "ok"
ROLES = ("anonymous", "tenant_a", "tenant_a2", "tenant_b", "staff_a", "staff_b", "employer")


@dataclass
class Case:
    expect: dict[str, object]
    make: Callable | None = None  # world -> {"id": "<uuid>", ...}
    body: dict = field(default_factory=dict)
    # A member of the same company that only landlord B granted (the shared-employer case):
    # None derives it from "employer" (its 403/404, else 404 on an object, else OK).
    shared_employer: object = None

    def __post_init__(self):
        missing = set(ROLES) - set(self.expect)
        assert not missing, f"roles without an expected outcome: {sorted(missing)}"


def allow(*roles: str, hidden: tuple[str, ...] = (), anonymous: object = 401) -> dict:
    """`roles` pass; `hidden` get 404 (not theirs); other signed-in roles get 403."""
    outcome: dict[str, object] = {}
    for role in ROLES:
        if role in roles:
            outcome[role] = OK
        elif role in hidden:
            outcome[role] = 404
        elif role == "anonymous":
            outcome[role] = anonymous
        else:
            outcome[role] = 403
    return outcome


TENANTS = ("tenant_a", "tenant_a2", "tenant_b")
STAFF = ("staff_a", "staff_b")
EVERYONE = (*TENANTS, *STAFF, "employer")
