"""Erasing a tenant's data on their written request (issue 14 §5): the tenancy managers of
the tenant's landlord only; another landlord's admin finds nothing (404)."""

from web.access import ADMIN, COMMUNITY

from .base import Case, staff_only


def _tenant(world, console):
    return {"id": world.tenant_a.tenancy.public_id, "tenant_id": world.tenant_a.public_id}


EXPECTATIONS = {
    "/console/tenancies/{id}/tenants/{tenant_id}/erase/": Case(
        expect=staff_only(ADMIN, COMMUNITY, other_landlord=404), make=_tenant
    ),
    # Without the reference and the confirmation: a 400 beside the fields, nothing erased.
    "/console/tenancies/{id}/tenants/{tenant_id}/erase/ POST": Case(
        expect=staff_only(ADMIN, COMMUNITY, other_landlord=404), make=_tenant, data={}
    ),
}
