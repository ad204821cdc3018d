import pytest

from tests.services.privacy.rich import rich_tenant


@pytest.fixture
def person(world):
    """Landlord A's rich tenant."""
    return rich_tenant(
        world.residence_a,
        first="Zéphyrine",
        last="Quaglia-Bertrand",
        email="zephyrine.quaglia@example.net",
        phone="+33 6 12 34 56 78",
    )


@pytest.fixture
def neighbour(world):
    """Another rich tenant (landlord B), who must appear in nobody's export or erasure."""
    return rich_tenant(
        world.residence_b,
        first="Anatole",
        last="Vasseur-Lindqvist",
        email="anatole.vasseur@example.net",
        phone="+33 7 98 76 54 32",
        cv_text="Anatole Vasseur-Lindqvist, cariste, permis CACES",
    )
