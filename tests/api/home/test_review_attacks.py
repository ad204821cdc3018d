"""Review of the home screen's cached ranking and its ETag: attacks that must not succeed."""

import datetime
import os
import runpy
import socket
import threading
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from dateutil.relativedelta import relativedelta
from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from services.core import clock
from services.core.memo import memoized
from services.loyalty.models import Lot
from tests.conftest import client_for
from tests.factories.jobs import JobProfileFactory, OfferFactory
from tests.factories.loyalty import give_points
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

URL = "/api/v1/home/"


def _reasons(client, language: str) -> list[str]:
    response = client.get(URL, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200, response.content
    return [reason["label"] for reason in response.json()["offers"][0]["reasons"]]


@pytest.mark.django_db
def test_the_reasons_are_in_the_readers_language_when_the_ranking_is_cached(world):
    # The reasons' sentences are rendered when the offers are ranked: a ranking kept for one
    # language must not answer another.
    JobProfileFactory(tenant=world.tenant_a, romes__experience={"K2204": 3})
    OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    english = _reasons(client, "en")
    cache.clear()
    french = _reasons(client, "fr")
    assert english != french  # the test means something: the sentences are translated
    assert _reasons(client, "en") == english


@pytest.mark.django_db
def test_an_empty_selection_has_the_version_of_no_rows(world):
    # A selector may answer `.none()` (a role it does not serve): its version is that of an
    # empty set, not an error of the whole home screen.
    from notifications.models import Notification
    from services.core import stamps

    nobody = Notification.objects.filter(recipient=world.tenant_a.user)
    versions = stamps.read(
        none=stamps.version(Notification.objects.none()), empty=stamps.version(nobody)
    )
    assert versions == {"none": "0/", "empty": "0/"}


def _production_caches(redis_url: str) -> dict:
    """CACHES as production's settings make them from REDIS_URL."""
    base = Path(__file__).resolve().parents[3] / "backend" / "settings" / "base.py"
    with mock.patch.dict(os.environ, {"REDIS_URL": redis_url}):
        return runpy.run_path(str(base))["CACHES"]


def test_a_redis_that_never_answers_costs_the_home_screen_a_bounded_delay():
    answered = threading.Event()
    values = []

    def home_ranking():
        values.append(memoized("memo:review", lambda: "ranked", timeout=60))
        answered.set()

    # The kernel accepts the connection; nobody reads or answers (a Redis stuck or paused).
    with socket.create_server(("127.0.0.1", 0)) as silent:
        port = silent.getsockname()[1]
        with override_settings(CACHES=_production_caches(f"redis://127.0.0.1:{port}/0")):
            threading.Thread(target=home_ranking, daemon=True).start()
            in_time = answered.wait(3)
    answered.wait(10)  # the server closed: the client fails and the value is computed
    assert in_time
    assert values == ["ranked"]


def _noon_today():
    return timezone.localtime(clock.now()).replace(hour=12, minute=0, second=0, microsecond=0)


@pytest.mark.django_db
def test_a_slot_that_started_since_the_last_visit_is_not_a_304(world):
    # The body hides slots that started: later the same day, the answer changed.
    noon = _noon_today()
    with time_machine.travel(noon, tick=False):
        mission = MissionFactory(landlord=world.landlord_a)
        slot = SlotFactory(mission=mission, starts_at=noon + datetime.timedelta(hours=2))
        SignupFactory(slot=slot, tenant=world.tenant_a)
        client = client_for(world.tenant_a.user)
        first = client.get(URL)
        assert first.json()["volunteering"]["next_confirmed"] is not None
    with time_machine.travel(noon + datetime.timedelta(hours=3), tick=False):
        client = client_for(world.tenant_a.user)
        again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
        fresh = client.get(URL)
    assert fresh.json()["volunteering"]["next_confirmed"] is None
    assert again.status_code == 200


@pytest.mark.django_db
def test_points_that_expired_since_the_last_visit_are_not_a_304(world):
    noon = _noon_today()
    with time_machine.travel(noon - relativedelta(months=24), tick=False):
        give_points(world.tenant_a, 10)
    expiry = Lot.objects.get(account__tenant=world.tenant_a).expires_at
    before = timezone.localtime(expiry).replace(hour=0, minute=30)
    with time_machine.travel(before, tick=False):
        first = client_for(world.tenant_a.user).get(URL)
        assert first.json()["loyalty"]["balance"] == 10
    with time_machine.travel(expiry + datetime.timedelta(minutes=1), tick=False):
        client = client_for(world.tenant_a.user)
        again = client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"])
        fresh = client.get(URL)
    assert fresh.json()["loyalty"]["balance"] == 0
    assert again.status_code == 200


@pytest.mark.django_db
def test_an_employers_new_name_is_not_a_304(world):
    JobProfileFactory(tenant=world.tenant_a)
    OfferFactory(employer=world.employer_a)
    client = client_for(world.tenant_a.user)
    first = client.get(URL)
    world.employer_a.name = "Boulangerie Renommée"
    world.employer_a.save()
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.django_db
def test_a_missions_new_title_is_not_a_304(world):
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a))
    SignupFactory(slot=slot, tenant=world.tenant_a)
    client = client_for(world.tenant_a.user)
    first = client.get(URL)
    slot.mission.title = "Jardin partagé"
    slot.mission.save()
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


@pytest.mark.django_db
def test_a_version_tells_apart_a_microsecond_and_an_empty_set(world):
    # The text of COUNT and MAX, on SQLite and PostgreSQL: the newest instant to the
    # microsecond (two edits within a second), and "0/" for no rows (MAX is NULL).
    from notifications.models import Notification
    from services.core import stamps
    from tests.factories.notifications import NotificationFactory

    mine = Notification.objects.filter(recipient=world.tenant_a.user)
    empty = stamps.read(v=stamps.version(mine))["v"]
    row = NotificationFactory(recipient=world.tenant_a.user)
    at = datetime.datetime(2026, 12, 1, 9, 30, 0, tzinfo=datetime.UTC)
    seen = [empty]
    for instant in (at, at + datetime.timedelta(microseconds=1)):
        mine.filter(pk=row.pk).update(updated_at=instant)
        seen.append(stamps.read(v=stamps.version(mine))["v"])
    assert seen[0] == "0/"
    assert len(set(seen)) == 3
    assert all(v.startswith("1/") for v in seen[1:])


@pytest.mark.django_db
def test_my_new_name_is_not_a_304(world):
    # My sign-ups show my name: renaming myself changes the body.
    slot = SlotFactory(mission=MissionFactory(landlord=world.landlord_a))
    SignupFactory(slot=slot, tenant=world.tenant_a)
    client = client_for(world.tenant_a.user)
    first = client.get(URL)
    world.tenant_a.user.first_name = "Yasmine"
    world.tenant_a.user.save()
    assert client.get(URL, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200
