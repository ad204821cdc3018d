import datetime
from decimal import Decimal

import factory

from services.core import clock
from services.volunteering.models import Mission, Signup, Slot
from tests.factories.accounts import LandlordFactory, ResidenceFactory, TenantFactory


def in_days(days: float, hour: int = 10) -> datetime.datetime:
    """A round time `days` from now (the factory's default slots are in the future)."""
    base = clock.now().replace(minute=0, second=0, microsecond=0, hour=hour)
    return base + datetime.timedelta(days=days)


class MissionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mission

    landlord = factory.SubFactory(LandlordFactory)
    residence = None
    title = factory.Sequence(lambda n: f"Mission {n}")
    description = "Un coup de main entre voisins."
    category = Mission.Category.NEIGHBOUR_HELP
    place = "Salle commune, 12 rue des Mouettes"
    latitude = Decimal("46.160300")
    longitude = Decimal("-1.151100")
    points = 50
    status = Mission.Status.PUBLISHED


class SlotFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Slot

    mission = factory.SubFactory(MissionFactory)
    starts_at = factory.LazyFunction(lambda: in_days(7))
    ends_at = factory.LazyAttribute(lambda o: o.starts_at + datetime.timedelta(hours=2))
    capacity = 10


class SignupFactory(factory.django.DjangoModelFactory):
    """A raw row (no rule checked): use actions.signup_create to exercise the rules."""

    class Meta:
        model = Signup

    slot = factory.SubFactory(SlotFactory)
    tenant = factory.LazyAttribute(
        lambda o: TenantFactory(
            residence=o.slot.mission.residence or ResidenceFactory(landlord=o.slot.mission.landlord)
        )
    )
    status = Signup.Status.CONFIRMED
