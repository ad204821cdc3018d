"""Sync everywhere (docs/sync.md): every list a phone keeps walks every page with a cursor
that misses and repeats nothing, takes `updated_since`, and reports the rows that left the
caller's view as tombstones, only to those who could have seen them."""

import datetime
import uuid
from base64 import urlsafe_b64encode
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from services.accounts.models import PartnerAccess
from services.core import clock, sync, tasks
from services.core.models import Tombstone
from services.jobs.models import Match, Offer
from services.loyalty import actions as loyalty
from services.loyalty.models import Entry, Lot, Redemption, Reward
from services.volunteering.models import Mission
from tests.factories import EmployerMemberFactory
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory
from tests.factories.loyalty import RewardFactory, give_points
from tests.factories.notifications import NotificationFactory
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory
from tests.poison import failed_ids, refuse

NOW = clock.now().replace(microsecond=0)
HOUR = datetime.timedelta(hours=1)


def _at(hours: float):
    return time_machine.travel(NOW + hours * HOUR, tick=False)


def client_for(user) -> APIClient:
    """Signed in for the whole test: the clock moves by hours, past a token's lifetime."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def _ids(body) -> list[str]:
    return [row["id"] if "removed" in row else _row_id(row) for row in body["results"]]


def _row_id(row) -> str:
    feed = set(row) == {"offer", "score", "distance_km", "reasons"}  # the tenant's feed
    return row["offer"]["id"] if feed else row["id"]


def _near(text: str, hours: float) -> bool:
    at = datetime.datetime.fromisoformat(text)
    return abs(at - (NOW + hours * HOUR)) < datetime.timedelta(minutes=1)


def _tombstones(body) -> list[str]:
    return [row["id"] for row in body["results"] if row.get("removed") is True]


def _live(body) -> list[str]:
    return [_row_id(row) for row in body["results"] if "removed" not in row]


# --- one row leaves each list -------------------------------------------------------------
# Each case: (list url, who syncs, make(world) -> the row, remove(row)).


def _notification(world):
    return NotificationFactory(recipient=world.tenant_a.user)


def _offer(world):
    return OfferFactory(employer=world.employer_a)


def _close(offer):
    offer.status = Offer.Status.CLOSED
    offer.save()


def _untarget(offer):
    offer.target_landlords.remove(offer.target_landlords.get())


def _match(world):
    JobProfileFactory(tenant=world.tenant_a)
    return MatchFactory(tenant=world.tenant_a, offer=OfferFactory(employer=world.employer_a))


def _mission(world):
    return MissionFactory(landlord=world.landlord_a)


def _cancel_mission(mission):
    mission.status = Mission.Status.CANCELLED
    mission.save()


def _signup(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a))
    return SignupFactory(slot=slot, tenant=world.tenant_a)


def _entry(world):
    give_points(world.tenant_a, 10)
    return Entry.objects.get(account__tenant=world.tenant_a)


def _delete_entry(entry):
    Lot.objects.filter(entry=entry).delete()
    entry.delete()


def _redemption(world):
    give_points(world.tenant_a, 100)
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10)
    return loyalty.reward_redeem(tenant=world.tenant_a, reward=reward)


def _reward(world):
    return RewardFactory(landlord=world.landlord_a, cost_points=10)


def _switch_off(reward):
    reward.is_active = False
    reward.save()


def _delete(row):
    type(row).objects.filter(pk=row.pk).delete()


CASES = {
    "notifications deleted": ("/api/v1/notifications/", _notification, _delete),
    "offer closed": ("/api/v1/jobs/offers/", _offer, _close),
    "offer untargeted": ("/api/v1/jobs/offers/", _offer, _untarget),
    "offer deleted": (
        "/api/v1/jobs/offers/",
        _offer,
        lambda o: (o.matches.all().delete(), _delete(o)),
    ),
    "match deleted": ("/api/v1/jobs/matches/", _match, _delete),
    "mission cancelled": ("/api/v1/volunteering/missions/", _mission, _cancel_mission),
    "mission deleted": ("/api/v1/volunteering/missions/", _mission, _delete),
    "signup deleted": ("/api/v1/volunteering/signups/", _signup, _delete),
    "entry deleted": ("/api/v1/loyalty/entries/", _entry, _delete_entry),
    "redemption deleted": ("/api/v1/loyalty/redemptions/", _redemption, _delete),
    "reward switched off": ("/api/v1/loyalty/rewards/", _reward, _switch_off),
    "reward deleted": ("/api/v1/loyalty/rewards/", _reward, _delete),
}


@pytest.mark.parametrize("case", CASES)
def test_a_row_that_leaves_the_view_is_a_tombstone_in_the_next_sync_only(world, case):
    url, make, remove = CASES[case]
    client = client_for(world.tenant_a.user)
    with _at(0):
        row = make(world)
    row_id = str(row.public_id)
    with _at(1):
        first = client.get(url, {"sync": "true"}).json()
    assert row_id in _live(first)
    assert _near(first["server_time"], 1)
    with _at(2):
        remove(row)
    with _at(3):
        body = client.get(url, {"updated_since": first["server_time"]}).json()
        assert _tombstones(body) == [row_id]
        (tombstone,) = [r for r in body["results"] if r["id"] == row_id]
        assert set(tombstone) == {"id", "removed", "removed_at"}
        assert _near(tombstone["removed_at"], 2)
        # A first sync names no removed row, and no longer lists it.
        fresh = client.get(url, {"sync": "true"}).json()
        assert row_id not in _ids(fresh)
        assert _tombstones(fresh) == []
        # A sync after the removal has nothing to drop.
        later = client.get(url, {"updated_since": body["server_time"]}).json()
        assert row_id not in _ids(later)


def test_a_reward_whose_window_closes_leaves_without_a_write(world):
    client = client_for(world.tenant_a.user)
    with _at(0):
        reward = RewardFactory(
            landlord=world.landlord_a, stock=None, available_until=NOW + 2 * HOUR
        )
    with _at(1):
        first = client.get("/api/v1/loyalty/rewards/", {"sync": "true"}).json()
    assert _live(first) == [str(reward.public_id)]
    with _at(3):
        body = client.get(
            "/api/v1/loyalty/rewards/", {"updated_since": first["server_time"]}
        ).json()
    assert _tombstones(body) == [str(reward.public_id)]
    assert _near(body["results"][0]["removed_at"], 2)


def test_an_offer_targeted_again_comes_back(world):
    client = client_for(world.tenant_a.user)
    with _at(0):
        offer = OfferFactory(employer=world.employer_a)
    with _at(1):
        first = client.get("/api/v1/jobs/offers/", {"sync": "true"}).json()
    with _at(2):
        offer.target_landlords.remove(world.landlord_a)
    with _at(3):
        second = client.get("/api/v1/jobs/offers/", {"updated_since": first["server_time"]})
    assert _tombstones(second.json()) == [str(offer.public_id)]
    with _at(4):
        offer.target_landlords.add(world.landlord_a)
    with _at(5):
        third = client.get("/api/v1/jobs/offers/", {"updated_since": second.json()["server_time"]})
    assert _live(third.json()) == [str(offer.public_id)]
    assert third.json()["results"][0]["score"] >= 0  # the feed's shape: score and reasons


# --- a walk misses and repeats nothing ----------------------------------------------------

WALKS = {
    "notifications": (
        "/api/v1/notifications/",
        lambda w, i: NotificationFactory(recipient=w.tenant_a.user),
        lambda row: (
            type(row).objects.filter(pk=row.pk).update(read_at=clock.now(), updated_at=clock.now())
        ),
    ),
    "missions": (
        "/api/v1/volunteering/missions/",
        lambda w, i: SlotFactory(mission=MissionFactory(landlord=w.landlord_a)).mission,
        lambda row: SlotFactory(mission=row, starts_at=clock.now() + HOUR),  # moves next_start
    ),
    "rewards": (
        "/api/v1/loyalty/rewards/",
        lambda w, i: RewardFactory(landlord=w.landlord_a, cost_points=10 + i),
        lambda row: Reward.objects.filter(pk=row.pk).update(cost_points=1),
    ),
    "matches": (
        "/api/v1/jobs/matches/",
        lambda w, i: MatchFactory(tenant=w.tenant_a, offer=OfferFactory(employer=w.employer_a)),
        lambda row: Match.objects.filter(pk=row.pk).update(updated_at=clock.now()),
    ),
}


@pytest.mark.parametrize("mode", [{"sync": "true"}, {"updated_since": "since"}])
@pytest.mark.parametrize("name", WALKS)
def test_a_cursor_walks_every_page_while_rows_change(world, name, mode):
    url, make, touch = WALKS[name]
    if name == "matches":
        JobProfileFactory(tenant=world.tenant_a)
    client = client_for(world.tenant_a.user)
    with _at(0):  # created at the same instant: ties on the time are broken by the id
        rows = [make(world, i) for i in range(7)]
    params = dict(mode, page_size=3)
    if "updated_since" in params:
        params["updated_since"] = (NOW - HOUR).isoformat()
    seen, pages = [], 0
    with _at(1):
        body = client.get(url, params).json()
    started = body["server_time"]
    while True:
        pages += 1
        assert body["server_time"] == started  # every page answers the walk's start
        seen += _ids(body)
        if pages == 1:  # between two pages: rows change, one goes, one comes
            with _at(1.5):
                for row in rows:
                    touch(row)
                gone = next(r for r in rows if str(r.public_id) not in seen)
                type(gone).objects.filter(pk=gone.pk).delete()
                make(world, 99)
        if not body["next"]:
            break
        with _at(2):
            body = client.get(body["next"]).json()
    expected = {str(r.public_id) for r in rows} - {str(gone.public_id)}
    assert len(seen) == len(set(seen)), "a row came twice"
    live = [i for i in seen if i != str(gone.public_id)]
    assert set(live) == expected, "a row was missed"
    assert pages >= 2
    with _at(3):  # what changed during the walk comes in the next sync
        after = client.get(url, {"updated_since": started, "page_size": 100}).json()
    assert str(gone.public_id) in _tombstones(after)
    assert len(_live(after)) == 7  # the six touched, and the one created


# --- nobody learns of another's removals ---------------------------------------------------


def test_removals_reach_only_who_could_have_seen_the_row(world):
    with _at(0):
        mine = NotificationFactory(recipient=world.tenant_a.user)
        theirs = NotificationFactory(recipient=world.tenant_a2.user)
        reward_b = RewardFactory(landlord=world.landlord_b)
        mission_b = MissionFactory(landlord=world.landlord_b)
        other_residence = MissionFactory(landlord=world.landlord_a, residence=world.residence_a2)
        offer_b = OfferFactory(employer=world.employer_a, targets=[world.landlord_b])
        signup_b = SignupFactory(
            slot=SlotFactory(mission=MissionFactory(landlord=world.landlord_b))
        )
    with _at(2):
        _delete(mine)
        _delete(theirs)
        _switch_off(reward_b)
        _delete(reward_b)
        _cancel_mission(mission_b)
        _cancel_mission(other_residence)
        _delete(other_residence)
        _close(offer_b)
        offer_b.target_landlords.clear()
        _delete(signup_b)
    since = (NOW + HOUR).isoformat()
    names = {}
    with _at(3):
        for user in (world.tenant_a.user, world.staff_a.user, world.employer_member.user):
            client = client_for(user)
            for url in {url for url, _m, _r in CASES.values()}:
                response = client.get(url, {"updated_since": since})
                if response.status_code == 200:
                    names.setdefault(user.pk, set()).update(_tombstones(response.json()))
    assert names[world.tenant_a.user.pk] == {str(mine.public_id)}
    # Landlord A's staff were never shown landlord B's rows, nor a tenant's inbox.
    assert names[world.staff_a.user.pk] == {str(other_residence.public_id)}
    assert names[world.employer_member.user.pk] == set()


# --- the horizon and hostile values ---------------------------------------------------------


@pytest.mark.parametrize("url", sorted({url for url, _m, _r in CASES.values()}))
def test_beyond_the_horizon_is_a_410_and_hostile_values_a_400(world, url):
    client = client_for(world.tenant_a.user)
    now = clock.now()
    old = client.get(url, {"updated_since": (now - datetime.timedelta(days=91)).isoformat()})
    assert (old.status_code, old.json()["code"]) == (410, "sync_expired")
    recent = client.get(url, {"updated_since": (now - datetime.timedelta(days=89)).isoformat()})
    assert recent.status_code == 200
    assert "server_time" in recent.json()
    for value in (
        "yesterday",
        "0001-01-01T00:00:00Z",
        "9999-12-31T23:59:59+14:00",
        "2026-02-30T00:00:00Z",
        (now + datetime.timedelta(hours=1)).isoformat(),  # ahead of the server's clock
    ):
        response = client.get(url, {"updated_since": value})
        assert response.status_code == 400, value
        # Missions and sign-ups check all their filters at once (the code is `invalid` there).
        assert response.json()["code"] in ("invalid_updated_since", "invalid")
        assert "updated_since" in response.json()["fields"]
    for cursor in ("x", "%%%", urlsafe_b64encode(b"t=1&c=2&p=3").decode(), "\x00"):
        response = client.get(url, {"sync": "true", "cursor": cursor})
        assert (response.status_code, response.json().get("code")) == (400, "invalid_cursor"), (
            cursor
        )


def test_a_cursor_older_than_the_horizon_is_a_410(world):
    client = client_for(world.tenant_a.user)
    with _at(0):
        for _ in range(3):
            NotificationFactory(recipient=world.tenant_a.user)
        body = client.get("/api/v1/notifications/", {"sync": "true", "page_size": 1}).json()
    cursor = parse_qs(urlparse(body["next"]).query)["cursor"][0]
    with time_machine.travel(NOW + datetime.timedelta(days=91), tick=False):
        response = client.get("/api/v1/notifications/", {"sync": "true", "cursor": cursor})
    assert (response.status_code, response.json()["code"]) == (410, "sync_expired")


def test_a_sync_page_takes_the_same_queries_at_1_and_30_rows(world):
    client = client_for(world.tenant_a.user)
    counts = []
    for n in (1, 30):
        NotificationFactory.create_batch(n, recipient=world.tenant_a.user)
        since = (clock.now() - HOUR).isoformat()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(
                "/api/v1/notifications/", {"updated_since": since, "page_size": 100}
            )
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1]


# --- the purge -------------------------------------------------------------------------------


def _tombstone(days_ago: int) -> Tombstone:
    return Tombstone.objects.create(
        list_name="notifications",
        public_id=uuid.uuid4(),
        scope="user:1",
        row_created_at=clock.now() - datetime.timedelta(days=days_ago + 1),
        removed_at=clock.now() - datetime.timedelta(days=days_ago),
    )


def test_the_purge_drops_tombstones_past_the_horizon_only(db):
    old, recent = _tombstone(91), _tombstone(89)
    assert tasks.purge_tombstones() == 1
    assert list(Tombstone.objects.values_list("pk", flat=True)) == [recent.pk]
    assert old.pk not in Tombstone.objects.values_list("pk", flat=True)
    assert datetime.timedelta(days=90) == sync.HORIZON


def test_the_purge_goes_on_past_a_tombstone_the_database_refuses(db, caplog):
    rows = [_tombstone(100) for _ in range(3)]
    refuse(Tombstone, on="DELETE", when=f"OLD.id = {rows[1].pk}")
    assert tasks.purge_tombstones() == 2
    assert list(Tombstone.objects.values_list("pk", flat=True)) == [rows[1].pk]
    assert failed_ids(caplog, "core.purge_tombstones") == [str(rows[1].pk)]


def test_a_tenant_sees_its_own_cancellations_as_changes_not_removals(world):
    """Sign-ups and vouchers stay listed in every status: a cancellation is a change."""
    client = client_for(world.tenant_a.user)
    with _at(0):
        redemption = _redemption(world)
    with _at(1):
        first = client.get("/api/v1/loyalty/redemptions/", {"sync": "true"}).json()
    with _at(2):
        loyalty.redemption_cancel(actor=world.tenant_a.user, redemption=redemption, reason="")
    with _at(3):
        body = client.get(
            "/api/v1/loyalty/redemptions/", {"updated_since": first["server_time"]}
        ).json()
    assert _tombstones(body) == []
    assert [r["status"] for r in body["results"]] == [Redemption.Status.CANCELLED]


def test_a_withdrawn_access_is_a_tombstone_for_that_member_only(world):
    member = world.employer_member  # granted landlord A
    colleague = EmployerMemberFactory(employer=world.employer_a, grants=[world.landlord_a])
    with _at(0):
        JobProfileFactory(tenant=world.tenant_a)
        offer = OfferFactory(employer=world.employer_a)
        match = MatchFactory(tenant=world.tenant_a, offer=offer, state=Match.State.PROPOSED)
    client = client_for(member.user)
    with _at(1):
        first = client.get("/api/v1/jobs/matches/", {"sync": "true"}).json()
        offers = client.get("/api/v1/jobs/offers/", {"sync": "true"}).json()
    assert _live(first) == [str(match.public_id)]
    assert _live(offers) == [str(offer.public_id)]
    with _at(2):
        PartnerAccess.objects.filter(member=member, landlord=world.landlord_a).delete()
    since = {"updated_since": first["server_time"]}
    client = client_for(type(member.user).objects.get(pk=member.user.pk))  # a new request's user
    with _at(3):
        assert _tombstones(client.get("/api/v1/jobs/matches/", since).json()) == [
            str(match.public_id)
        ]
        assert _tombstones(client.get("/api/v1/jobs/offers/", since).json()) == [
            str(offer.public_id)
        ]
        other = client_for(colleague.user)
        assert _tombstones(other.get("/api/v1/jobs/matches/", since).json()) == []
        assert _live(other.get("/api/v1/jobs/matches/", {"sync": "true"}).json()) == [
            str(match.public_id)
        ]


def _redeem(world, i):
    give_points(world.tenant_a, 10)
    reward = RewardFactory(landlord=world.landlord_a, cost_points=10)
    return loyalty.reward_redeem(tenant=world.tenant_a, reward=reward)


MAKERS = {
    "/api/v1/notifications/": lambda w, i: NotificationFactory(recipient=w.tenant_a.user),
    "/api/v1/jobs/offers/": lambda w, i: OfferFactory(employer=w.employer_a),
    "/api/v1/jobs/matches/": lambda w, i: MatchFactory(
        tenant=w.tenant_a, offer=OfferFactory(employer=w.employer_a)
    ),
    "/api/v1/volunteering/missions/": lambda w, i: SlotFactory(
        mission=MissionFactory(landlord=w.landlord_a)
    ),
    "/api/v1/volunteering/signups/": lambda w, i: SignupFactory(
        slot=SlotFactory(mission=MissionFactory(landlord=w.landlord_a)), tenant=w.tenant_a
    ),
    "/api/v1/loyalty/entries/": lambda w, i: give_points(w.tenant_a, 1),
    "/api/v1/loyalty/redemptions/": _redeem,
    "/api/v1/loyalty/rewards/": lambda w, i: RewardFactory(landlord=w.landlord_a),
}


@pytest.mark.parametrize("url", MAKERS)
def test_every_sync_page_takes_the_same_queries_at_1_and_20_rows(world, url):
    JobProfileFactory(tenant=world.tenant_a)
    client = client_for(world.tenant_a.user)
    since = (clock.now() - HOUR).isoformat()
    counts = []
    for n in (1, 19):
        for i in range(n):
            MAKERS[url](world, i)
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url, {"updated_since": since, "page_size": 100}).json()
        counts.append((len(queries), len(_live(body))))
    assert counts[1][1] > counts[0][1] >= 1
    assert counts[0][0] == counts[1][0], counts


def test_a_mission_moved_to_another_residence_leaves_the_first_one_only(world):
    with _at(0):
        mission = MissionFactory(landlord=world.landlord_a, residence=world.residence_a)
    here, there = client_for(world.tenant_a.user), client_for(world.tenant_a2.user)
    url = "/api/v1/volunteering/missions/"
    with _at(1):
        first = here.get(url, {"sync": "true"}).json()
    assert _live(first) == [str(mission.public_id)]
    with _at(2):
        mission.residence = world.residence_a2
        mission.save()
    since = {"updated_since": first["server_time"]}
    with _at(3):
        assert _tombstones(here.get(url, since).json()) == [str(mission.public_id)]
        assert _live(there.get(url, since).json()) == [str(mission.public_id)]
        assert _tombstones(there.get(url, since).json()) == []
