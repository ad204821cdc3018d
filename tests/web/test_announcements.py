"""Console announcements: write one to some residences, see delivered/read/failed."""

import pytest

from notifications.models import Announcement, Delivery, Notification
from tests.factories import ResidenceFactory
from tests.factories.notifications import DeviceFactory

pytestmark = pytest.mark.django_db


def test_staff_sends_to_one_residence_and_sees_how_far_it_went(
    world, console, web_client, django_capture_on_commit_callbacks
):
    DeviceFactory(user=world.tenant_a.user)
    client = web_client(console.community_a.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/console/announcements/new/",
            {
                "title": "Coupure d'eau",
                "body": "Jeudi de 9 h à 12 h.",
                "residences": [str(world.residence_a.public_id)],
            },
        )
    announcement = Announcement.objects.get(title="Coupure d'eau")
    assert response["Location"] == f"/console/announcements/{announcement.public_id}/"
    # Tasks run in-process in the tests: the fan-out ran at commit.
    recipients = Notification.objects.filter(link_id=str(announcement.public_id))
    assert [n.recipient for n in recipients] == [world.tenant_a.user]
    recipients.update(read_at=announcement.created_at)
    Delivery.objects.filter(notification__in=recipients).update(status=Delivery.Status.FAILED)
    page = client.get(response["Location"])
    assert page.context["counts"] == {
        "recipients": 1,
        "read": 1,
        "pushes_sent": 0,
        "pushes_failed": 1,
        "pushes_pending": 0,
    }
    assert "Les Minimes" in page.content.decode()


def test_only_this_landlords_residences_are_offered_and_accepted(world, console, web_client):
    ResidenceFactory(landlord=world.landlord_b, name="Résidence de B")
    client = web_client(console.admin_a.user)
    assert "Résidence de B" not in client.get("/console/announcements/new/").content.decode()
    response = client.post(
        "/console/announcements/new/",
        {"title": "T", "body": "B", "residences": [str(world.residence_b.public_id)]},
    )
    assert 'id="id_residences_error"' in response.content.decode()
    assert not Announcement.objects.exists()


def test_missing_title_is_shown_beside_it_and_the_body_is_kept(world, console, web_client):
    response = web_client(console.admin_a.user).post(
        "/console/announcements/new/", {"title": "", "body": "Fête des voisins samedi"}
    )
    content = response.content.decode()
    assert 'id="id_title_error"' in content
    assert "Fête des voisins samedi" in content


def test_list_shows_this_landlords_announcements_in_constant_queries(
    world, console, web_client, django_assert_num_queries
):
    from notifications.services import announcement_create

    client = web_client(console.admin_a.user)
    announcement_create(author=console.admin_a.user, title="Mine", body="x")
    announcement_create(author=console.admin_b.user, title="Theirs", body="x")
    client.get("/console/announcements/")
    with django_assert_num_queries(5) as one:
        content = client.get("/console/announcements/").content.decode()
    assert "Mine" in content and "Theirs" not in content
    for n in range(20):
        announcement_create(author=console.admin_a.user, title=f"A{n}", body="x")
    with django_assert_num_queries(len(one.captured_queries)):
        client.get("/console/announcements/")
