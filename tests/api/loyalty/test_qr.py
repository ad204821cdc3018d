"""The voucher as a QR image for the tenant's app: the code only, the owner only."""

import io

import pytest
import segno

from services.loyalty import actions
from tests.conftest import client_for
from tests.factories import ResidenceFactory, StaffFactory, TenantFactory
from tests.factories.loyalty import RewardFactory, give_points

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher():
    tenant = TenantFactory()
    give_points(tenant, 500)
    return actions.reward_redeem(tenant=tenant, reward=RewardFactory(landlord=tenant.landlord))


def expected_svg(code: str) -> bytes:
    out = io.BytesIO()
    segno.make_qr(code, error="m").save(
        out, kind="svg", scale=8, border=4, xmldecl=False, svgns=True
    )
    return out.getvalue()


def test_the_owner_gets_an_svg_that_encodes_the_code_only(voucher):
    client = client_for(voucher.tenant.user)
    response = client.get(
        f"/api/v1/loyalty/redemptions/{voucher.public_id}/qr.svg", HTTP_ACCEPT="image/svg+xml"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert response.content == expected_svg(voucher.code)
    assert str(voucher.public_id).encode() not in response.content


def test_another_tenant_gets_404_and_staff_403_as_json(voucher):
    neighbour = TenantFactory(residence=ResidenceFactory(landlord=voucher.landlord))
    url = f"/api/v1/loyalty/redemptions/{voucher.public_id}/qr.svg"
    refused = client_for(neighbour.user).get(url, HTTP_ACCEPT="image/svg+xml")
    assert refused.status_code == 404 and refused.json()["code"]
    staff = StaffFactory(landlord=voucher.landlord).user
    assert client_for(staff).get(url).status_code == 403
