"""Red-team (issue 10 §7): limits keyed on a client must not be dodged by changing address
inside one subscriber's IPv6 /64 (2**64 addresses): a stranger could then spray passwords
without the per-client limit, and reach the per-account ceiling alone, locking staff out."""

import json

import pytest
from django.conf import settings
from django.test import Client, RequestFactory

from services.core.client import client_address
from tests.factories import StaffFactory
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": "2001:db8:1:2:aaaa::1"}, "2001:db8:1:2::/64"),
        ({"REMOTE_ADDR": "2001:db8:1:2:ffff:ffff:ffff:ffff"}, "2001:db8:1:2::/64"),
        ({"REMOTE_ADDR": "::ffff:198.51.100.4"}, "198.51.100.4"),
        ({"REMOTE_ADDR": "198.51.100.4"}, "198.51.100.4"),
        ({"REMOTE_ADDR": ""}, "unknown"),
    ],
)
def test_an_ipv6_client_is_its_slash_64(meta, expected):
    assert client_address(RequestFactory().get("/", **meta)) == expected


def test_behind_a_proxy_the_forwarded_ipv6_client_is_its_slash_64(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = RequestFactory().get(
        "/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="2001:db8:9:9:1:2:3:4"
    )
    assert client_address(request) == "2001:db8:9:9::/64"


def test_addresses_of_one_slash_64_cannot_lock_a_staff_member_out():
    staff = StaffFactory()
    email = staff.user.email
    # Enough guesses to reach the per-account ceiling if each address were a new client.
    clients = settings.LOGIN_MAX_FAILURES_PER_ACCOUNT // settings.LOGIN_MAX_FAILURES + 1
    for n in range(clients):
        stranger = Client(REMOTE_ADDR=f"2001:db8:bad:1::{n + 1:x}")
        for _ in range(settings.LOGIN_MAX_FAILURES):
            stranger.post(
                "/api/v1/auth/token/",
                data=json.dumps({"email": email, "password": "wrong"}),
                content_type="application/json",
            )
    office = Client(REMOTE_ADDR="198.51.100.20")
    response = office.post(
        "/api/v1/auth/token/",
        data=json.dumps({"email": email, "password": PASSWORD}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
