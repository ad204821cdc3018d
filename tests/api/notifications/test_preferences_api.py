import pytest

from notifications.models import Preference
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _switch(body, category, channel):
    return next(
        p for p in body["preferences"] if (p["category"], p["channel"]) == (category, channel)
    )


def test_every_switch_is_on_by_default_and_account_is_locked(world):
    body = client_for(world.tenant_a.user).get("/api/v1/notifications/preferences/").json()
    assert len(body["preferences"]) == 10
    assert all(p["enabled"] for p in body["preferences"])
    assert _switch(body, "account", "push") == {
        "category": "account",
        "label": "Compte et sécurité",
        "channel": "push",
        "enabled": True,
        "switchable": False,
    }
    assert _switch(body, "jobs", "inbox")["switchable"] is True


def test_put_sets_the_named_switches_only(world):
    client = client_for(world.tenant_a.user)
    response = client.put(
        "/api/v1/notifications/preferences/",
        {"preferences": [{"category": "jobs", "channel": "push", "enabled": False}]},
        format="json",
    )
    assert response.status_code == 200
    assert _switch(response.json(), "jobs", "push")["enabled"] is False
    assert _switch(response.json(), "jobs", "inbox")["enabled"] is True
    assert list(Preference.objects.values_list("user", "category", "channel", "enabled")) == [
        (world.tenant_a.user.pk, "jobs", "push", False)
    ]


def test_account_messages_cannot_be_switched_off(world):
    response = client_for(world.tenant_a.user).put(
        "/api/v1/notifications/preferences/",
        {
            "preferences": [
                {"category": "jobs", "channel": "push", "enabled": False},
                {"category": "account", "channel": "push", "enabled": False},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "preference_not_switchable"
    assert Preference.objects.count() == 0  # nothing half-applied


def test_unknown_category_is_a_400(world):
    response = client_for(world.tenant_a.user).put(
        "/api/v1/notifications/preferences/",
        {"preferences": [{"category": "casino", "channel": "push", "enabled": False}]},
        format="json",
    )
    assert response.status_code == 400
    assert "preferences.0.category" in response.json()["fields"]
