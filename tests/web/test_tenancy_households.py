"""Console: a tenancy's household (names, since when, access; never the members' job data)
and ending a tenancy (its members told at once; a bad date beside its field)."""

import pytest

from notifications.models import Notification
from services.accounts import tenancy_end
from services.accounts.households import household_invitation_create, household_join
from services.accounts.models import Tenancy
from tests.factories.jobs import JobProfileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def member(world):
    issued = household_invitation_create(tenant=world.tenant_a)
    member, _tokens = household_join(
        invitation_code=issued.code,
        email="yanis@example.org",
        password="Un-Mot-De-Passe-Solide-42",
        first_name="Yanis",
        last_name="Lefèvre",
        confirm_adult=True,
    )
    JobProfileFactory(tenant=member, skills=["Cariste CACES 3"])
    return member


def test_the_detail_page_lists_the_household_not_its_job_data(world, console, web_client, member):
    url = f"/console/tenancies/{world.tenant_a.tenancy.public_id}/"
    content = web_client(console.admin_a.user).get(url).content.decode()
    assert "Yanis Lefèvre" in content and "Membre du foyer" in content
    assert "Titulaire" in content
    assert "Cariste" not in content


def test_staff_end_the_tenancy_and_the_household_is_told(world, console, web_client, member):
    tenancy = world.tenant_a.tenancy
    client = web_client(console.community_a.user)
    response = client.post(
        f"/console/tenancies/{tenancy.public_id}/end/", {"end_date": "2026-12-31"}
    )
    assert response.status_code == 302
    tenancy.refresh_from_db()
    assert str(tenancy.end_date) == "2026-12-31"
    assert tenancy.ended_by == console.community_a.user
    told = Notification.objects.filter(kind=tenancy_end.END_NOTICE_KIND)
    assert set(told.values_list("recipient_id", flat=True)) == {
        world.tenant_a.user_id,
        member.user_id,
    }
    page = client.get(response["Location"]).content.decode()
    assert "31 décembre 2026" in page


def test_a_date_before_the_start_is_refused_beside_the_field(world, console, web_client):
    tenancy = world.tenant_a.tenancy
    response = web_client(console.admin_a.user).post(
        f"/console/tenancies/{tenancy.public_id}/end/", {"end_date": "1999-01-01"}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert 'value="1999-01-01"' in content  # what was typed stays
    assert "La date de fin doit" in content or "end date" in content.lower()
    assert Tenancy.objects.get(pk=tenancy.pk).end_date is None
