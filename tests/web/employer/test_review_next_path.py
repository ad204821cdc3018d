"""Review of next_path_within: a `next` leaves the section's pages for nowhere else."""

import pytest
from django.test import RequestFactory

from web.access import next_path_within

from .conftest import signed_in

HOME = "/espace/"


def _next(value: str, method: str = "get") -> str:
    request = getattr(RequestFactory(), method)("/espace/connexion/", {"next": value})
    return next_path_within(request, HOME)


@pytest.mark.parametrize(
    "value",
    [
        "/espace/offres/",
        "/espace/offres/?page=2",
        "/espace/candidatures/abc/#fin",
    ],
)
def test_a_path_of_the_section_is_kept(value):
    assert _next(value) == value
    assert _next(value, "post") == value


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example/",
        "//evil.example/espace/",
        "/espace//evil.example",
        "/espace/\\evil.example",
        "/console/",
        "/espacex/",
        # A browser resolves dot segments, encoded or not: these lead to the console.
        "/espace/../console/",
        "/espace/%2e%2e/console/",
        "/espace/.%2E/console/",
        "/espace/offres/../../console/",
        # A browser drops tabs and line breaks from a URL it reads in a page's link
        # ("/espace/../console/" again): no control character at all.
        "/espace/.\t./console/",
        "/espace/\r\nSet-Cookie: a=b",
        "/espace/\x00",
    ],
)
def test_anything_else_goes_home(value):
    assert _next(value) == HOME
    assert _next(value, "post") == HOME


@pytest.mark.django_db
@pytest.mark.parametrize(
    "value", ["/espace/../console/", "/espace/%0D%0ASet-Cookie:%20a=b", "/espace/%2e%2e/console/"]
)
def test_a_signed_in_member_is_sent_within_the_pages(companies, value):
    client = signed_in(companies.member_a)
    response = client.get(f"/espace/connexion/?next={value}")
    assert response.status_code == 302
    assert response["Location"] == HOME
