"""Every deep link opens: each `link_type` a push or an inbox item can carry has a GET.

The kinds come from the notifications registry (every area registers its own), so a new
kind with a new `link_type` fails here until the app has somewhere to go. The objects and
who may read them come from the authorisation matrix: the made object is landlord A's, so
landlord B's user of the same role gets a 404.
"""

import pytest

from notifications import registry
from tests.api.authz.base import OK
from tests.api.test_authorization_matrix import EXPECTATIONS, api_routes
from tests.conftest import client_for

# The contract with the app (docs/api.md, "Deep links"): link_type -> the GET it opens,
# `{id}` being the push's `link_id`.
LINK_ROUTES = {
    "account": "/me/",
    "announcement": "/announcements/{id}/",
    "initiative": "/volunteering/initiatives/{id}/",
    "job_match": "/jobs/matches/{id}/",
    "job_matches": "/jobs/matches/",
    "job_offer": "/jobs/offers/{id}/",
    "loyalty_account": "/loyalty/account/",
    "mission": "/volunteering/missions/{id}/",
    "redemption": "/loyalty/redemptions/{id}/",
    "signup": "/volunteering/signups/{id}/",
}

# Landlord B's user with the same role as a reader of landlord A's object.
OTHER_LANDLORD = {"tenant_a": "tenant_b", "tenant_a2": "tenant_b", "staff_a": "staff_b"}

LINK_TYPES = sorted({k.link_type for k in registry.all_kinds() if k.link_type})


def test_every_link_type_of_the_registry_has_a_route():
    assert LINK_TYPES, "no kind registers a link_type: is the registry loaded?"
    missing = [t for t in LINK_TYPES if t not in LINK_ROUTES]
    assert not missing, f"link types with no GET for the app to open: {missing}"
    routes = set(api_routes())
    assert not [t for t in LINK_ROUTES.values() if ("GET", t) not in routes]


@pytest.mark.parametrize("link_type", LINK_TYPES)
def test_the_link_opens_for_its_reader_and_is_a_404_for_another_landlord(world, link_type):
    template = LINK_ROUTES[link_type]
    case = EXPECTATIONS[("GET", template)]
    params = case.make(world) if case.make else {}
    url = "/api/v1" + template.format(**params)
    readers = [r for r in ("tenant_a", "staff_a", "employer") if case.expect[r] == OK]
    assert readers, f"{link_type}: nobody of landlord A may open {template}"
    for role in readers:
        response = client_for(world.users()[role]).get(url)
        assert response.status_code == 200, f"{link_type} as {role}: {response.status_code}"
        if "{id}" not in template:
            continue  # the reader's own resource (their account, matches, points)
        other = OTHER_LANDLORD.get(role)
        if other is None:
            continue
        response = client_for(world.users()[other]).get(url)
        assert response.status_code == 404, f"{link_type} as {other}: {response.status_code}"


@pytest.mark.parametrize("link_type", LINK_TYPES)
def test_an_inbox_item_carrying_the_link_opens_too(world, link_type):
    """GET /notifications/{id}/ of an item with this link: the recipient's, nobody else's."""
    from notifications.models import Notification

    item = Notification.objects.create(
        recipient=world.tenant_a.user,
        kind="test",
        category=registry.Category.ACCOUNT,
        title="t",
        body="b",
        link_type=link_type,
        link_id="",
    )
    url = f"/api/v1/notifications/{item.public_id}/"
    mine = client_for(world.tenant_a.user).get(url)
    assert mine.status_code == 200
    assert mine.json()["link"]["type"] == link_type
    assert client_for(world.tenant_b.user).get(url).status_code == 404
