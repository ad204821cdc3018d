"""GET /api/v1/home/: the tenant app's first screen in one answer, in a fixed number of queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.services import notification_mark_all_read
from services.core import clock
from services.jobs.models import Match
from services.loyalty.models import Lot
from services.volunteering.models import Signup
from tests.conftest import client_for
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.factories.loyalty import give_points
from tests.factories.notifications import NotificationFactory
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory, in_days

URL = "/api/v1/home/"


def _fill(world, n: int):
    """`n` rows of each kind the home screen reads, for tenant A."""
    tenant = world.tenant_a
    for i in range(n):
        give_points(tenant, 10)
        NotificationFactory(recipient=tenant.user)
        mission = MissionFactory(landlord=world.landlord_a)
        SignupFactory(slot=SlotFactory(mission=mission, starts_at=in_days(2 + i)), tenant=tenant)
        SignupFactory(
            slot=SlotFactory(mission=mission, starts_at=in_days(3 + i)),
            tenant=tenant,
            status=Signup.Status.OFFERED,
            offer_expires_at=clock.now() + datetime.timedelta(hours=5 + i),
        )
        offer = OfferFactory(employer=world.employer_a)
        MatchFactory(tenant=tenant, offer=offer)


@pytest.mark.parametrize("rows", [1, 100])
@pytest.mark.parametrize("job_profile", [True, False])
def test_home_answers_in_a_fixed_number_of_queries(
    world, django_assert_num_queries, rows, job_profile
):
    if job_profile:
        JobProfileFactory(tenant=world.tenant_a)
    _fill(world, rows)
    client = client_for(world.tenant_a.user)
    # Authentication (user + token checks) is counted too: the whole request. Without a job
    # profile the feed reads the tenancy's residence for the distance instead.
    with django_assert_num_queries(HOME_QUERIES if job_profile else HOME_QUERIES_NO_PROFILE):
        response = client.get(URL)
    assert response.status_code == 200, response.content
    # Then the offers' ranking comes from the cache: fewer queries, as many at 1 and 100 rows.
    with django_assert_num_queries(HOME_QUERIES_RANKED):
        again = client.get(URL)
    assert again.json()["offers"] == response.json()["offers"]
    body = response.json()
    assert body["unread_count"] == rows
    assert body["loyalty"]["balance"] == 10 * rows
    assert len(body["matches_changed"]) == min(rows, 10)
    assert len(body["announcements"]) == min(rows, 3)
    assert len(body["offers"]) == min(rows, 3)
    assert body["volunteering"]["next_confirmed"]["status"] == "confirmed"
    assert body["volunteering"]["next_confirmed"]["tenant_name"] == world.tenant_a.user.full_name
    assert len(body["volunteering"]["offered"]) == min(rows, 5)


HOME_QUERIES = 15
HOME_QUERIES_NO_PROFILE = 14
HOME_QUERIES_RANKED = 10


def test_home_shows_each_part(world):
    tenant = world.tenant_a
    JobProfileFactory(tenant=tenant)
    give_points(tenant, 30)
    give_points(tenant, 12)
    soon = clock.now() + datetime.timedelta(days=10)
    Lot.objects.filter(account__tenant=tenant, remaining=12).update(expires_at=soon)
    mission = MissionFactory(landlord=world.landlord_a, title="Jardin partagé")
    later = SignupFactory(slot=SlotFactory(mission=mission, starts_at=in_days(9)), tenant=tenant)
    sooner = SignupFactory(slot=SlotFactory(mission=mission, starts_at=in_days(4)), tenant=tenant)
    SignupFactory(  # past: not "next"
        slot=SlotFactory(
            mission=mission,
            starts_at=in_days(-3),
            ends_at=in_days(-3) + datetime.timedelta(hours=1),
        ),
        tenant=tenant,
    )
    deadline = clock.now() + datetime.timedelta(hours=20)
    offered = SignupFactory(
        slot=SlotFactory(mission=mission, starts_at=in_days(6)),
        tenant=tenant,
        status=Signup.Status.OFFERED,
        offer_expires_at=deadline,
    )
    SignupFactory(slot=SlotFactory(mission=mission), status=Signup.Status.CONFIRMED)  # another's
    NotificationFactory(recipient=tenant.user, title="Coupure d'eau")
    NotificationFactory(recipient=world.tenant_b.user, title="Ailleurs")
    offer = OfferFactory(employer=world.employer_a, title="Jardinier")
    match = MatchFactory(tenant=tenant, offer=offer, state=Match.State.INTERESTED)
    MatchFactory(tenant=world.tenant_a2, offer=offer)

    body = client_for(tenant.user).get(URL).json()

    assert body["unread_count"] == 1
    assert body["loyalty"]["balance"] == 42
    assert body["loyalty"]["next_expiring"]["points"] == 12
    assert body["volunteering"]["next_confirmed"]["id"] == str(sooner.public_id)
    assert str(later.public_id) != body["volunteering"]["next_confirmed"]["id"]
    assert [s["id"] for s in body["volunteering"]["offered"]] == [str(offered.public_id)]
    assert body["volunteering"]["offered"][0]["offer_expires_at"] is not None
    assert [m["id"] for m in body["matches_changed"]] == [str(match.public_id)]
    assert body["matches_changed"][0]["offer_title"] == "Jardinier"
    assert [a["title"] for a in body["announcements"]] == ["Coupure d'eau"]
    assert body["offers"][0]["offer"]["id"] == str(offer.public_id)
    assert body["offers"][0]["score"] > 0 and body["offers"][0]["reasons"]
    assert "server_time" in body


def test_since_keeps_only_matches_changed_after_it(world):
    tenant = world.tenant_a
    old = MatchFactory(tenant=tenant, offer=OfferFactory(employer=world.employer_a))
    client = client_for(tenant.user)
    server_time = client.get(URL).json()["server_time"]
    Match.objects.filter(pk=old.pk).update(updated_at=clock.now() - datetime.timedelta(hours=1))
    fresh = MatchFactory(tenant=tenant, offer=OfferFactory(employer=world.employer_a))
    Match.objects.filter(pk=fresh.pk).update(updated_at=clock.now() + datetime.timedelta(seconds=1))

    body = client.get(URL, {"since": server_time}).json()

    assert [m["id"] for m in body["matches_changed"]] == [str(fresh.public_id)]


def test_a_get_writes_nothing(world):
    client = client_for(world.tenant_a.user)
    with CaptureQueriesContext(connection) as queries:
        client.get(URL)
    writes = [
        q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")
    ]
    assert writes == []


def test_an_absurd_since_is_a_400_naming_the_field(world):
    response = client_for(world.tenant_a.user).get(URL, {"since": "99999-01-01T00:00:00Z"})
    assert response.status_code == 400
    assert "since" in response.json()["fields"]


@pytest.mark.parametrize("role", ["staff_a", "employer"])
def test_non_tenants_are_refused(world, role):
    response = client_for(world.users()[role]).get(URL)
    assert response.status_code == 403
    assert response.json()["code"]


def test_anonymous_is_401(world):
    assert client_for(None).get(URL).status_code == 401


def test_etag_then_304_without_building_the_body(world, django_assert_max_num_queries):
    tenant = world.tenant_a
    _fill(world, 3)
    client = client_for(tenant.user)
    first = client.get(URL)
    etag = first["ETag"]
    assert etag
    # Authentication, then the one fingerprint query; none of the body's reads.
    with django_assert_max_num_queries(HOME_304_QUERIES):
        again = client.get(URL, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again["ETag"] == etag
    assert again.content == b""


HOME_304_QUERIES = 3


@pytest.mark.parametrize(
    "change",
    ["notification", "read", "points", "signup", "match", "offer", "since"],
)
def test_the_etag_moves_when_the_answer_would(world, change):
    tenant = world.tenant_a
    _fill(world, 1)
    client = client_for(tenant.user)
    etag = client.get(URL)["ETag"]
    params = {}
    if change == "notification":
        NotificationFactory(recipient=tenant.user)
    elif change == "read":
        notification_mark_all_read(user=tenant.user)
    elif change == "points":
        give_points(tenant, 5)
    elif change == "signup":
        SignupFactory(
            slot=SlotFactory(mission=MissionFactory(landlord=world.landlord_a)), tenant=tenant
        )
    elif change == "match":
        MatchFactory(tenant=tenant, offer=OfferFactory(employer=world.employer_a))
    elif change == "offer":
        OfferFactory(employer=world.employer_a)
    elif change == "since":
        params = {"since": clock.now().isoformat()}
    response = client.get(URL, params, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response["ETag"] != etag
