"""The back-office shows staff only their landlord's missions, slots and sign-ups."""

import pytest
from django.test import Client

from services.core.admin import ensure_landlord_staff_group
from services.volunteering.models import Mission
from tests.factories.volunteering import MissionFactory, SignupFactory, SlotFactory

pytestmark = pytest.mark.django_db


def _back_office(staff) -> Client:
    user = staff.user
    user.is_staff = True
    user.save(update_fields=["is_staff"])
    user.groups.add(ensure_landlord_staff_group())
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_only_their_landlords_rows(world):
    mine = MissionFactory(landlord=world.landlord_a)
    theirs = MissionFactory(landlord=world.landlord_b)
    my_signup = SignupFactory(slot=SlotFactory(mission=mine), tenant=world.tenant_a)
    their_signup = SignupFactory(slot=SlotFactory(mission=theirs), tenant=world.tenant_b)
    client = _back_office(world.staff_a)

    missions = client.get("/admin/volunteering/mission/")
    signups = client.get("/admin/volunteering/signup/")

    assert {m.pk for m in missions.context["cl"].queryset} == {mine.pk}
    assert {s.pk for s in signups.context["cl"].queryset} == {my_signup.pk}
    assert client.get(f"/admin/volunteering/mission/{theirs.pk}/change/").status_code == 404
    assert client.get(f"/admin/volunteering/signup/{their_signup.pk}/change/").status_code == 404
    assert client.get(f"/admin/volunteering/signup/{my_signup.pk}/change/").status_code == 200


def test_a_mission_created_in_the_back_office_belongs_to_the_staffs_landlord(world):
    client = _back_office(world.staff_a)
    response = client.post(
        "/admin/volunteering/mission/add/",
        {
            "title": "Fête des voisins",
            "category": "event",
            "place": "Cour de la résidence",
            "latitude": "46.1",
            "longitude": "-1.1",
            "points": "10",
            "status": "draft",
            "landlord": str(world.landlord_b.pk),
            "slots-TOTAL_FORMS": "0",
            "slots-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content[:2000]
    assert Mission.objects.get().landlord == world.landlord_a


def test_the_status_of_an_existing_mission_is_read_only_in_the_back_office(world):
    mission = MissionFactory(landlord=world.landlord_a)
    client = _back_office(world.staff_a)

    page = client.get(f"/admin/volunteering/mission/{mission.pk}/change/")

    assert page.status_code == 200
    assert "status" not in page.context["adminform"].form.fields
