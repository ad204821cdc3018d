from tests.api.authz.base import EVERYONE, OK, ROLES, STAFF, TENANTS, Case, allow

PUBLIC = {role: OK for role in ROLES}


def _tenancy(world):
    return {"id": world.tenant_a.tenancy.public_id}


def _residence(world):
    return {"id": world.residence_a.public_id}


def _employer(world):
    return {"id": world.employer_a.public_id}


def _member(world):
    return {"id": world.employer_a.public_id, "member_id": world.employer_member.public_id}


def _household_invitation(world):
    from services.accounts.households import household_invitation_create

    return {"id": household_invitation_create(tenant=world.tenant_a).invitation.public_id}


def _household_member(world):
    from tests.factories import TenantFactory

    member = TenantFactory(tenancy=world.tenant_a.tenancy, is_holder=False)
    return {"id": member.public_id}


EXPECTATIONS = {
    ("POST", "/auth/token/"): Case(expect=PUBLIC),
    ("POST", "/auth/token/refresh/"): Case(expect=PUBLIC),
    ("POST", "/auth/activate/"): Case(expect=PUBLIC),
    ("POST", "/auth/employer-invitations/accept/"): Case(expect=PUBLIC),
    ("POST", "/auth/password-reset/"): Case(expect=PUBLIC),
    ("POST", "/auth/password-reset/confirm/"): Case(expect=PUBLIC),
    ("POST", "/auth/logout/"): Case(expect=allow(*EVERYONE)),
    ("GET", "/me/"): Case(expect=allow(*EVERYONE)),
    ("PATCH", "/me/"): Case(expect=allow(*EVERYONE)),
    ("POST", "/me/password/"): Case(expect=allow(*EVERYONE)),
    # A tenant's own consents and who saw their profile: staff and employers have neither.
    ("GET", "/me/consents/"): Case(expect=allow(*TENANTS)),
    ("POST", "/me/consents/"): Case(expect=allow(*TENANTS)),
    ("GET", "/me/profile-views/"): Case(expect=allow(*TENANTS)),
    ("POST", "/me/sessions/revoke/"): Case(expect=allow(*EVERYONE)),
    ("GET", "/residences/"): Case(expect=allow("tenant_a", "tenant_a2", "tenant_b", *STAFF)),
    # A tenant sees only its own residence; the other landlord's staff see nothing of A's.
    ("GET", "/residences/{id}/"): Case(
        make=_residence,
        expect=allow("tenant_a", "staff_a", hidden=("tenant_a2", "tenant_b", "staff_b")),
    ),
    ("GET", "/tenancies/"): Case(expect=allow(*STAFF)),
    ("POST", "/tenancies/"): Case(expect=allow(*STAFF)),
    ("GET", "/tenancies/{id}/"): Case(make=_tenancy, expect=allow("staff_a", hidden=("staff_b",))),
    ("POST", "/tenancies/{id}/activation-code/"): Case(
        make=_tenancy, expect=allow("staff_a", hidden=("staff_b",))
    ),
    ("POST", "/tenancies/import/"): Case(expect=allow(*STAFF)),
    ("POST", "/tenancies/{id}/end/"): Case(
        make=_tenancy, expect=allow("staff_a", hidden=("staff_b",))
    ),
    # Households: anyone with a code joins; each tenant reads their own household and
    # tenancy; the holder manages theirs (another household's invitation or member: 404).
    ("POST", "/auth/household/join/"): Case(expect=PUBLIC),
    ("GET", "/me/tenancy/"): Case(expect=allow(*TENANTS)),
    ("PATCH", "/me/tenancy/"): Case(expect=allow(*TENANTS)),
    ("GET", "/me/household/"): Case(expect=allow(*TENANTS)),
    ("GET", "/me/household/invitations/"): Case(expect=allow(*TENANTS)),
    ("POST", "/me/household/invitations/"): Case(expect=allow(*TENANTS)),
    ("DELETE", "/me/household/invitations/{id}/"): Case(
        make=_household_invitation,
        expect=allow("tenant_a", hidden=("tenant_a2", "tenant_b")),
    ),
    ("DELETE", "/me/household/members/{id}/"): Case(
        make=_household_member,
        expect=allow("tenant_a", hidden=("tenant_a2", "tenant_b")),
    ),
    ("GET", "/employers/"): Case(expect=allow(*STAFF, "employer")),
    ("POST", "/employers/"): Case(expect=allow(*STAFF)),
    # A member of the company sees the company, whichever landlord granted it access.
    ("GET", "/employers/{id}/"): Case(
        make=_employer,
        expect=allow("staff_a", "employer", hidden=("staff_b",)),
        shared_employer=OK,
    ),
    ("GET", "/employers/{id}/members/"): Case(
        make=_employer, expect=allow("staff_a", hidden=("staff_b",))
    ),
    ("POST", "/employers/{id}/members/{member_id}/access/"): Case(
        make=_member, expect=allow("staff_a", hidden=("staff_b",))
    ),
    ("DELETE", "/employers/{id}/members/{member_id}/access/"): Case(
        make=_member, expect=allow("staff_a", hidden=("staff_b",))
    ),
    ("POST", "/employers/{id}/invitations/"): Case(
        make=_employer, expect=allow("staff_a", hidden=("staff_b",))
    ),
}
