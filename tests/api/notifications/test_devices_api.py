import pytest

from notifications.models import Device
from tests.conftest import client_for
from tests.factories.notifications import DeviceFactory

pytestmark = pytest.mark.django_db


def test_register_201_then_200_for_the_same_token(world):
    client = client_for(world.tenant_a.user)
    body = {"token": "tok-123", "platform": "android", "app_version": "1.2.0", "locale": "fr-FR"}
    first = client.post("/api/v1/devices/", body, format="json")
    assert first.status_code == 201
    device = Device.objects.get()
    assert first.json() == {
        "id": str(device.public_id),
        "token": "tok-123",
        "kind": "token",
        "platform": "android",
        "app_version": "1.2.0",
        "locale": "fr-FR",
        "is_active": True,
        "created_at": first.json()["created_at"],
        "last_seen_at": first.json()["last_seen_at"],
    }
    again = client.post("/api/v1/devices/", {**body, "app_version": "1.3.0"}, format="json")
    assert again.status_code == 200
    assert again.json()["id"] == str(device.public_id)
    assert again.json()["app_version"] == "1.3.0"


def test_a_token_registered_by_someone_else_moves_to_me(world):
    DeviceFactory(user=world.tenant_b.user, identifier="shared")
    response = client_for(world.tenant_a.user).post(
        "/api/v1/devices/", {"token": "shared", "platform": "ios"}, format="json"
    )
    assert response.status_code == 200
    assert Device.objects.get().user == world.tenant_a.user
    assert client_for(world.tenant_b.user).get("/api/v1/devices/").json()["results"] == []


def test_bad_input_is_a_400_with_fields(world):
    response = client_for(world.tenant_a.user).post(
        "/api/v1/devices/", {"token": "", "platform": "symbian"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"token", "platform"}
    assert Device.objects.count() == 0


def test_list_shows_my_active_devices_with_constant_queries(world, django_assert_num_queries):
    client = client_for(world.tenant_a.user)
    mine = DeviceFactory(user=world.tenant_a.user)
    DeviceFactory(user=world.tenant_a.user, is_active=False)
    DeviceFactory(user=world.tenant_b.user)
    with django_assert_num_queries(2):
        response = client.get("/api/v1/devices/")
    assert [d["id"] for d in response.json()["results"]] == [str(mine.public_id)]
    DeviceFactory.create_batch(5, user=world.tenant_a.user)
    with django_assert_num_queries(2):
        response = client.get("/api/v1/devices/")
    assert len(response.json()["results"]) == 6


def test_delete_deactivates_and_another_users_device_is_404(world):
    mine = DeviceFactory(user=world.tenant_a.user)
    theirs = DeviceFactory(user=world.tenant_a2.user)
    client = client_for(world.tenant_a.user)
    assert client.delete(f"/api/v1/devices/{theirs.public_id}/").status_code == 404
    assert client.delete(f"/api/v1/devices/{mine.public_id}/").status_code == 204
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.is_active, mine.deactivation_reason) == (False, "removed")
    assert theirs.is_active
