import pytest

from notifications.models import Announcement, Notification
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_staff_announcement_answers_202_and_fans_out_after_commit(
    world, django_capture_on_commit_callbacks
):
    client = client_for(world.staff_a.user)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            "/api/v1/announcements/",
            {
                "title": "Ascenseur en panne",
                "body": "Réparation prévue lundi.",
                "residences": [str(world.residence_a2.public_id)],
            },
            format="json",
        )
    assert response.status_code == 202
    announcement = Announcement.objects.get()
    assert response.json() == {
        "id": str(announcement.public_id),
        "title": "Ascenseur en panne",
        "body": "Réparation prévue lundi.",
        "residences": [str(world.residence_a2.public_id)],
        "marketing": False,
        "status": "pending",
        "created_at": response.json()["created_at"],
    }
    assert Notification.objects.count() == 0  # not in the request
    assert len(callbacks) == 1
    callbacks[0]()
    assert [n.recipient for n in Notification.objects.all()] == [world.tenant_a2.user]


def test_another_landlords_residence_is_a_400_and_nothing_is_sent(world):
    response = client_for(world.staff_a.user).post(
        "/api/v1/announcements/",
        {"title": "x", "body": "y", "residences": [str(world.residence_b.public_id)]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "unknown_residence"
    assert Announcement.objects.count() == 0


def test_idempotency_key_replays_the_first_answer(world):
    client = client_for(world.staff_a.user)
    body = {"title": "Info", "body": "Bonjour"}
    first = client.post("/api/v1/announcements/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = client.post("/api/v1/announcements/", body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert second.status_code == 202
    assert second.json() == first.json()
    assert Announcement.objects.count() == 1
