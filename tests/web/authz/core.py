"""The console's own pages: sign-in, home, password, tenancies, announcements."""

from web.access import ADMIN, COMMUNITY

from .base import OK, Case, public, staff_only

EXPECTATIONS = {
    "/console/sign-in/": Case(expect=public()),
    # Sign-out is POST-only: a GET answers 405 to everyone, which is fine.
    "/console/sign-out/": Case(expect=public()),
    "/console/language/": Case(expect=public()),
    "/console/": Case(expect=staff_only()),
    "/console/password/": Case(expect=staff_only()),
    "/console/password-reset/": Case(expect=public()),
    "/console/password-reset/confirm/": Case(expect=public()),
    "/console/tenancies/": Case(expect=staff_only(ADMIN, COMMUNITY, other_landlord=OK)),
    "/console/announcements/": Case(expect=staff_only()),
}


def _tenancy(world, console):
    return {"id": world.tenant_a.tenancy.public_id}


def _tenant(world, console):
    return {"id": world.tenant_a.tenancy.public_id, "tenant_id": world.tenant_a.public_id}


def _announcement(world, console):
    from notifications.services import announcement_create

    return {"id": announcement_create(author=console.admin_a.user, title="T", body="B").public_id}


MANAGERS = staff_only(ADMIN, COMMUNITY, other_landlord=OK)
MANAGERS_OBJECT = staff_only(ADMIN, COMMUNITY, other_landlord=404)

EXPECTATIONS.update(
    {
        "/console/tenancies/new/": Case(expect=MANAGERS),
        "/console/tenancies/import/": Case(expect=MANAGERS),
        "/console/tenancies/{id}/": Case(expect=MANAGERS_OBJECT, make=_tenancy),
        "/console/tenancies/{id}/letter/": Case(expect=MANAGERS_OBJECT, make=_tenancy),
        # GET answers 405 past the role check; the POST proves the landlord scoping.
        "/console/tenancies/{id}/reissue-code/": Case(expect=MANAGERS, make=_tenancy),
        "/console/tenancies/{id}/reissue-code/ POST": Case(expect=MANAGERS_OBJECT, make=_tenancy),
        "/console/tenancies/new/ POST": Case(expect=MANAGERS, data={"unit_reference": ""}),
        "/console/tenancies/{id}/tenants/{tenant_id}/reset-code/": Case(
            expect=MANAGERS, make=_tenant
        ),
        # Another landlord's staff cannot issue a code for landlord A's tenant: 404.
        "/console/tenancies/{id}/tenants/{tenant_id}/reset-code/ POST": Case(
            expect=MANAGERS_OBJECT, make=_tenant
        ),
        "/console/tenancies/{id}/tenants/{tenant_id}/reset-letter/": Case(
            expect=MANAGERS_OBJECT, make=_tenant
        ),
        "/console/announcements/new/": Case(expect=staff_only()),
        "/console/announcements/new/ POST": Case(expect=staff_only(), data={"title": ""}),
        "/console/announcements/{id}/": Case(
            expect=staff_only(other_landlord=404), make=_announcement
        ),
    }
)
