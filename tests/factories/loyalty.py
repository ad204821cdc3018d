import itertools

import factory

from services.loyalty import actions
from services.loyalty.models import EarningRule, Reward, Rule

from .accounts import LandlordFactory

_keys = itertools.count(1)


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    landlord = factory.SubFactory(LandlordFactory)
    title = factory.Sequence(lambda n: f"Place de cinéma {n}")
    description = "Une place au CGR Dragon, La Rochelle."
    partner_name = "CGR Dragon"
    category = Reward.Category.CULTURE
    kind = Reward.Kind.GENERATED_CODE
    cost_points = 100
    stock = 10
    validity_days = 30


class EarningRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EarningRule

    landlord = factory.SubFactory(LandlordFactory)
    code = Rule.VOLUNTEER_ATTENDANCE
    points = 10


def give_points(tenant, points: int, key: str | None = None):
    """Earn points the way the product does (a volunteer attendance), through the action."""
    return actions.points_award(
        tenant=tenant,
        rule=Rule.VOLUNTEER_ATTENDANCE,
        source=None,
        idempotency_key=key or f"test-earn-{next(_keys)}",
        points=points,
    )
