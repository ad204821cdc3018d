"""Tenancy pages added with households and moving out: ending a tenancy (the household
itself is shown on the detail page, declared in core.py)."""

from web.access import ADMIN, COMMUNITY

from .base import OK, Case, staff_only


def _tenancy(world, console):
    return {"id": world.tenant_a.tenancy.public_id}


EXPECTATIONS = {
    # GET answers 405 past the role check; the POST proves the landlord scoping.
    "/console/tenancies/{id}/end/": Case(
        expect=staff_only(ADMIN, COMMUNITY, other_landlord=OK), make=_tenancy
    ),
    "/console/tenancies/{id}/end/ POST": Case(
        expect=staff_only(ADMIN, COMMUNITY, other_landlord=404),
        make=_tenancy,
        data={"end_date": "2026-12-31"},
    ),
}
