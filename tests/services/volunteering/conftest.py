import pytest

from tests.factories import TenantFactory
from tests.factories.volunteering import MissionFactory, SlotFactory


@pytest.fixture
def mission(world):
    """A published mission of landlord A open to all its tenants, 50 points a slot."""
    return MissionFactory(landlord=world.landlord_a, title="Jardin partagé", points=50)


@pytest.fixture
def slot(mission):
    return SlotFactory(mission=mission, capacity=2)


@pytest.fixture
def make_tenants(world):
    def make(n, residence=None):
        return [TenantFactory(residence=residence or world.residence_a) for _ in range(n)]

    return make
