"""The loyalty section's pages: admins and community officers of the landlord; another
landlord's reward or tenant is a 404 (reads and writes), other roles 403."""

from web.access import ADMIN, COMMUNITY

from .base import OK, Case, staff_only

LOY = staff_only(ADMIN, COMMUNITY, other_landlord=OK)
LOY_OBJECT = staff_only(ADMIN, COMMUNITY, other_landlord=404)


def _reward(world, console):
    from services.loyalty.models import Reward
    from tests.factories.loyalty import RewardFactory

    return {"id": RewardFactory(landlord=world.landlord_a, kind=Reward.Kind.POOL_CODE).public_id}


def _tenant(world, console):
    return {"id": world.tenant_a.public_id}


def _partner(world, console):
    from services.loyalty.models import Partner

    return {"id": Partner.objects.create(landlord=world.landlord_a, name="Cinéma").public_id}


EXPECTATIONS = {
    "/console/loyalty/": Case(expect=LOY),
    "/console/loyalty/rewards/": Case(expect=LOY),
    "/console/loyalty/rewards/new/": Case(expect=LOY),
    "/console/loyalty/rewards/new/ POST": Case(expect=LOY, data={"title": ""}),
    "/console/loyalty/rewards/{id}/": Case(expect=LOY_OBJECT, make=_reward),
    "/console/loyalty/rewards/{id}/edit/": Case(expect=LOY_OBJECT, make=_reward),
    "/console/loyalty/rewards/{id}/edit/ POST": Case(
        expect=LOY_OBJECT, make=_reward, data={"title": ""}
    ),
    # POST-only: a GET answers 405 past the role check; the POST proves the scoping.
    "/console/loyalty/rewards/{id}/codes/": Case(expect=LOY, make=_reward),
    "/console/loyalty/rewards/{id}/codes/ POST": Case(expect=LOY_OBJECT, make=_reward),
    "/console/loyalty/tenants/": Case(expect=LOY),
    "/console/loyalty/tenants/{id}/": Case(expect=LOY_OBJECT, make=_tenant),
    "/console/loyalty/tenants/{id}/ POST": Case(
        expect=LOY_OBJECT, make=_tenant, data={"points": "", "reason": ""}
    ),
    "/console/loyalty/counter/": Case(expect=LOY),
    "/console/loyalty/counter/ POST": Case(expect=LOY, data={"code": "NOPE"}),
    "/console/loyalty/redemptions/": Case(expect=LOY),
    "/console/loyalty/partners/": Case(expect=LOY),
    "/console/loyalty/partners/ POST": Case(expect=LOY, data={"name": ""}),
    "/console/loyalty/partners/{id}/": Case(expect=LOY_OBJECT, make=_partner),
    "/console/loyalty/partners/{id}/ POST": Case(
        expect=LOY_OBJECT, make=_partner, data={"email": "not an address"}
    ),
    "/console/loyalty/reports/": Case(expect=LOY),
    "/console/loyalty/reports/points.csv": Case(expect=LOY),
    "/console/loyalty/reports/rewards.csv": Case(expect=LOY),
}
