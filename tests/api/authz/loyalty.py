import uuid

from services.accounts.models import Tenant
from services.loyalty import actions
from services.loyalty.models import EarningRule, Redemption
from tests.api.authz.base import STAFF, TENANTS, Case, allow
from tests.factories.loyalty import RewardFactory, give_points

AUTHZ_CODE = "AUTHZCODE1"
AUTHZ_TENANT = uuid.UUID("00000000-0000-4000-8000-00000000a001")


def _reward(world):
    return {"id": RewardFactory(landlord=world.landlord_a, cost_points=10).public_id}


def _redemption(world):
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10)
    give_points(world.tenant_a, 10)
    redemption = actions.reward_redeem(tenant=world.tenant_a, reward=reward)
    Redemption.objects.filter(pk=redemption.pk).update(code=AUTHZ_CODE)
    return {"id": redemption.public_id}


def _grantee(world):
    Tenant.objects.filter(pk=world.tenant_a.pk).update(public_id=AUTHZ_TENANT)
    return {}


def _rule(world):
    rule = EarningRule.objects.create(landlord=world.landlord_a, code="hire", points=100)
    return {"id": rule.public_id}


REWARD_BODY = {"title": "Place de cinéma", "cost_points": 120, "stock": 5}
STAFF_ONLY = allow(*STAFF)
A_ONLY = allow("staff_a", hidden=("staff_b",))

EXPECTATIONS = {
    ("GET", "/loyalty/account/"): Case(expect=allow(*TENANTS)),
    ("GET", "/loyalty/accounts/"): Case(expect=STAFF_ONLY),
    ("GET", "/loyalty/entries/"): Case(expect=allow(*TENANTS, *STAFF)),
    ("GET", "/loyalty/rewards/"): Case(expect=allow(*TENANTS, *STAFF)),
    ("POST", "/loyalty/rewards/"): Case(expect=STAFF_ONLY, body=REWARD_BODY),
    ("GET", "/loyalty/rewards/{id}/"): Case(
        make=_reward,
        expect=allow("tenant_a", "tenant_a2", "staff_a", hidden=("tenant_b", "staff_b")),
    ),
    ("PATCH", "/loyalty/rewards/{id}/"): Case(make=_reward, expect=A_ONLY, body={"stock": 3}),
    ("POST", "/loyalty/rewards/{id}/redeem/"): Case(
        make=_reward, expect=allow("tenant_a", "tenant_a2", hidden=("tenant_b",))
    ),
    ("POST", "/loyalty/rewards/{id}/codes/"): Case(
        make=_reward, expect=A_ONLY, body={"codes": ["CODE-1"]}
    ),
    ("GET", "/loyalty/redemptions/"): Case(expect=allow(*TENANTS, *STAFF)),
    ("GET", "/loyalty/redemptions/{id}/"): Case(
        make=_redemption,
        expect=allow("tenant_a", "staff_a", hidden=("tenant_a2", "tenant_b", "staff_b")),
    ),
    # The voucher as a QR image for the tenant's app: its owner only.
    ("GET", "/loyalty/redemptions/{id}/qr.svg"): Case(
        make=_redemption, expect=allow("tenant_a", hidden=("tenant_a2", "tenant_b"))
    ),
    ("POST", "/loyalty/redemptions/{id}/cancel/"): Case(
        make=_redemption,
        expect=allow("tenant_a", "staff_a", hidden=("tenant_a2", "tenant_b", "staff_b")),
    ),
    # An unknown code in staff_b's landlord is a 404, as if it did not exist.
    ("POST", "/loyalty/redemptions/validate/"): Case(
        make=_redemption, expect=A_ONLY, body={"code": AUTHZ_CODE}
    ),
    # staff_b names a tenant it cannot see: 400 unknown_tenant (shape of a bad reference).
    ("POST", "/loyalty/grants/"): Case(
        make=_grantee,
        expect=STAFF_ONLY,
        body={"tenant": str(AUTHZ_TENANT), "points": 10, "reason": "Fête des voisins"},
    ),
    ("GET", "/loyalty/earning-rules/"): Case(expect=STAFF_ONLY),
    ("POST", "/loyalty/earning-rules/"): Case(
        expect=STAFF_ONLY, body={"code": "hire", "points": 300}
    ),
    ("GET", "/loyalty/earning-rules/{id}/"): Case(make=_rule, expect=A_ONLY),
    ("PATCH", "/loyalty/earning-rules/{id}/"): Case(make=_rule, expect=A_ONLY, body={"points": 5}),
    ("GET", "/loyalty/reports/points/"): Case(expect=STAFF_ONLY),
    ("GET", "/loyalty/reports/points/export/"): Case(expect=STAFF_ONLY),
    ("GET", "/loyalty/reports/rewards/"): Case(expect=STAFF_ONLY),
    ("GET", "/loyalty/reports/rewards/export/"): Case(expect=STAFF_ONLY),
}
