import pytest
from django.test import Client

from services.core.admin import ensure_landlord_staff_group
from tests.factories.jobs import JobProfileFactory, MatchFactory, OfferFactory

pytestmark = pytest.mark.django_db


def _admin_client(staff):
    user = staff.user
    user.is_staff = True
    user.save()
    user.groups.add(ensure_landlord_staff_group())
    client = Client()
    client.force_login(user)
    return client


def test_staff_see_only_their_landlords_matches_and_cannot_change_them(world):
    JobProfileFactory(tenant=world.tenant_a)
    match = MatchFactory(tenant=world.tenant_a, offer=OfferFactory(employer=world.employer_a))
    own = _admin_client(world.staff_a)
    other = _admin_client(world.staff_b)
    assert str(match.public_id) in own.get("/admin/jobs/match/").content.decode()
    assert str(match.public_id) not in other.get("/admin/jobs/match/").content.decode()
    assert other.get(f"/admin/jobs/match/{match.pk}/change/").status_code == 404
    page = own.get(f"/admin/jobs/match/{match.pk}/change/")
    assert page.status_code == 200
    assert own.post(f"/admin/jobs/match/{match.pk}/change/", {"state": "hired"}).status_code == 403


def test_profile_admin_never_shows_sensitive_situations(world):
    profile = JobProfileFactory(tenant=world.tenant_a, disability_recognition=True)
    page = _admin_client(world.staff_a).get(f"/admin/jobs/jobprofile/{profile.pk}/change/")
    assert page.status_code == 200
    assert "disability_recognition" not in page.content.decode()
