from datetime import timedelta

import pytest
import time_machine

from notifications import services
from notifications.kinds import PASSWORD_CHANGED
from notifications.models import Notification
from tests.conftest import client_for
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db


def test_inbox_is_newest_first_in_my_language(world):
    user = world.tenant_a.user
    with time_machine.travel("2026-11-20 09:00:00+00:00", tick=False) as traveller:
        older = NotificationFactory(recipient=user, title="Première")
        traveller.shift(timedelta(hours=1))
        (newer,) = services.notify(recipients=[user], kind=PASSWORD_CHANGED)
    NotificationFactory(recipient=world.tenant_a2.user)
    NotificationFactory(recipient=user, in_inbox=False)
    body = client_for(user).get("/api/v1/notifications/").json()
    assert [n["id"] for n in body["results"]] == [str(newer.public_id), str(older.public_id)]
    assert body["results"][0] == {
        "id": str(newer.public_id),
        "kind": "account.password_changed",
        "category": "account",
        "title": "Votre mot de passe a été modifié",
        "body": newer.body,
        "link": {"type": "account", "id": ""},
        "data": {},
        "read": False,
        "read_at": None,
        "created_at": "2026-11-20T11:00:00+01:00",
        "updated_at": "2026-11-20T11:00:00+01:00",
    }


def test_unread_filter_count_and_mark_read(world):
    user = world.tenant_a.user
    first, second = NotificationFactory.create_batch(2, recipient=user)
    client = client_for(user)
    assert client.get("/api/v1/notifications/unread-count/").json() == {"count": 2}

    with time_machine.travel("2026-11-27 10:00:00+00:00", tick=False):
        response = client_for(user).post(f"/api/v1/notifications/{first.public_id}/read/")
    assert response.status_code == 200
    assert (response.json()["read"], response.json()["read_at"]) == (
        True,
        "2026-11-27T11:00:00+01:00",
    )
    unread = client.get("/api/v1/notifications/?unread=true").json()["results"]
    assert [n["id"] for n in unread] == [str(second.public_id)]
    read = client.get("/api/v1/notifications/?unread=false").json()["results"]
    assert [n["id"] for n in read] == [str(first.public_id)]
    assert client.get("/api/v1/notifications/unread-count/").json() == {"count": 1}

    # reading twice keeps the first reading time
    client.post(f"/api/v1/notifications/{first.public_id}/read/")
    first.refresh_from_db()
    assert first.read_at.isoformat() == "2026-11-27T10:00:00+00:00"


def test_read_all_marks_only_mine(world):
    NotificationFactory.create_batch(3, recipient=world.tenant_a.user)
    other = NotificationFactory(recipient=world.tenant_b.user)
    response = client_for(world.tenant_a.user).post("/api/v1/notifications/read-all/")
    assert response.json() == {"count": 3}
    assert Notification.objects.filter(read_at__isnull=True).get() == other


def test_someone_elses_notification_is_404_and_untouched(world):
    theirs = NotificationFactory(recipient=world.tenant_a2.user)
    response = client_for(world.tenant_a.user).post(
        f"/api/v1/notifications/{theirs.public_id}/read/"
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_updated_since_returns_what_changed(world):
    user = world.tenant_a.user
    with time_machine.travel("2026-11-20 09:00:00+00:00", tick=False):
        old = NotificationFactory(recipient=user)
    with time_machine.travel("2026-11-25 09:00:00+00:00", tick=False):
        recent = NotificationFactory(recipient=user)
    client = client_for(user)
    response = client.get("/api/v1/notifications/?updated_since=2026-11-24T00:00:00Z")
    assert [n["id"] for n in response.json()["results"]] == [str(recent.public_id)]
    with time_machine.travel("2026-11-26 09:00:00+00:00", tick=False):
        services.notification_mark_read(notification=old)
    response = client.get("/api/v1/notifications/?updated_since=2026-11-26T00:00:00Z")
    assert [n["id"] for n in response.json()["results"]] == [str(old.public_id)]
    bad = client.get("/api/v1/notifications/?updated_since=yesterday")
    assert bad.status_code == 400
    assert bad.json()["code"] == "invalid_updated_since"


def test_inbox_query_count_is_constant(world, django_assert_num_queries):
    user = world.tenant_a.user
    client = client_for(user)
    NotificationFactory(recipient=user)
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/notifications/").json()["results"]) == 1
    NotificationFactory.create_batch(30, recipient=user)
    with django_assert_num_queries(2):
        assert len(client.get("/api/v1/notifications/").json()["results"]) == 20
