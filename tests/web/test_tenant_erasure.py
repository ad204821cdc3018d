"""The console's erasure on a tenant's written request (issue 14 §5): logged with who and
when, refused to who must be refused, a form error beside its field, nothing typed lost."""

import pytest

from services.accounts.models import User
from services.privacy.actions import is_erased
from services.privacy.models import Erasure
from tests.factories import StaffFactory
from tests.web.conftest import web_client_for

pytestmark = pytest.mark.django_db


def _url(tenant) -> str:
    return f"/console/tenancies/{tenant.tenancy.public_id}/tenants/{tenant.public_id}/erase/"


def _signed_in(client, staff):
    return web_client_for(staff.user)


def test_the_tenancy_page_offers_the_erasure_per_member(client, world):
    staff = StaffFactory(landlord=world.landlord_a, role="admin")
    page = _signed_in(client, staff).get(f"/console/tenancies/{world.tenant_a.tenancy.public_id}/")
    assert _url(world.tenant_a) in page.content.decode()


def test_staff_erase_on_a_written_request_logged_with_who_and_when(client, world):
    staff = StaffFactory(landlord=world.landlord_a, role="community")
    response = _signed_in(client, staff).post(
        _url(world.tenant_a), {"request_reference": "courrier du 3 mars", "confirm": "on"}
    )

    assert response.status_code == 302
    client = _signed_in(client, staff)
    assert is_erased(User.objects.get(pk=world.tenant_a.user_id))
    erasure = Erasure.objects.get()
    assert (erasure.origin, erasure.erased_by, erasure.request_reference) == (
        "staff",
        staff.user,
        "courrier du 3 mars",
    )
    # The pseudonym has new ids: a replay of the form finds nobody, and erases nothing more.
    replay = client.post(_url(world.tenant_a), {"request_reference": "x", "confirm": "on"})
    assert replay.status_code == 404
    assert Erasure.objects.count() == 1
    world.tenant_a.refresh_from_db()
    page = client.get(_url(world.tenant_a))  # reached from the tenancy page: it says so
    assert page.status_code == 200 and "Ce compte a déjà été effacé." in page.content.decode()


def test_without_the_confirmation_nothing_is_erased_and_the_reference_is_kept(client, world):
    staff = StaffFactory(landlord=world.landlord_a, role="admin")
    response = _signed_in(client, staff).post(
        _url(world.tenant_a), {"request_reference": "mail du 4 avril"}
    )

    assert response.status_code == 400
    body = response.content.decode()
    assert 'value="mail du 4 avril"' in body  # nothing typed is lost
    assert "confirm_error" in body  # the error beside the checkbox
    assert not Erasure.objects.exists()
    assert not is_erased(User.objects.get(pk=world.tenant_a.user_id))


@pytest.mark.parametrize(
    ("landlord", "role", "status"),
    [("b", "admin", 404), ("a", "job_advisor", 403)],
)
def test_who_may_not_erase_cannot(client, world, landlord, role, status):
    staff = StaffFactory(
        landlord=world.landlord_a if landlord == "a" else world.landlord_b, role=role
    )
    response = _signed_in(client, staff).post(
        _url(world.tenant_a), {"request_reference": "x", "confirm": "on"}
    )
    assert response.status_code == status
    assert not Erasure.objects.exists()
