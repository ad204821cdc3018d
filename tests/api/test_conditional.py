"""Every single-object GET answers an ETag, and a 304 when `If-None-Match` matches it.

The routes come from the URL configuration (a viewset's `retrieve`, and the resources that
exist once per user: /me/, /jobs/profile/, /loyalty/account/, /volunteering/record/, /home/);
the objects and the roles that may read them come from the authorisation matrix.
"""

import re

import pytest
from django.urls import get_resolver

from api.conditional import ConditionalGetMixin
from tests.api.authz.base import OK
from tests.api.test_authorization_matrix import EXPECTATIONS, _walk
from tests.conftest import client_for

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")

# Resources that exist once per user: a GET of a single object without an id in the path.
SINGLETONS = {"/me/", "/jobs/profile/", "/loyalty/account/", "/volunteering/record/", "/home/"}


def single_object_gets() -> dict[str, type]:
    found = {}
    for pattern, callback in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/v1/"):
            continue
        template = "/" + _PARAM.sub(r"{\1}", pattern.removeprefix("api/v1/"))
        actions = getattr(callback, "actions", None) or {}
        if actions.get("get") == "retrieve" or template in SINGLETONS:
            found[template] = callback.cls
    return found


ROUTES = single_object_gets()


def test_the_walk_finds_the_single_object_gets():
    assert {"/notifications/{id}/", "/announcements/{id}/", "/jobs/matches/{id}/"} <= set(ROUTES)
    assert set(ROUTES) >= SINGLETONS


@pytest.mark.parametrize("template", sorted(ROUTES))
def test_the_view_is_conditional(template):
    assert issubclass(ROUTES[template], ConditionalGetMixin), (
        f"GET {template}: add api.conditional.ConditionalGetMixin to {ROUTES[template].__name__}"
    )


def _reader(case) -> str:
    for role in ("tenant_a", "staff_a", "employer", "tenant_a2", "tenant_b", "staff_b"):
        if case.expect[role] == OK:
            return role
    raise AssertionError("nobody may read it")


@pytest.mark.parametrize("template", sorted(ROUTES))
def test_etag_then_304_on_a_match(world, template):
    case = EXPECTATIONS[("GET", template)]
    params = case.make(world) if case.make else {}
    url = "/api/v1" + template.format(**params)
    client = client_for(world.users()[_reader(case)])

    first = client.get(url)
    assert first.status_code == 200, f"GET {url}: {first.status_code} {first.content[:300]!r}"
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')

    again = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304, f"GET {url} If-None-Match: {again.status_code}"
    assert again["ETag"] == etag
    assert again.content == b""

    other = client.get(url, HTTP_IF_NONE_MATCH='"not-this-one"')
    assert other.status_code == 200
    drop = {"server_time"}  # home: the clock of the answer, not part of its version
    assert {k: v for k, v in other.json().items() if k not in drop} == {
        k: v for k, v in first.json().items() if k not in drop
    }


def test_a_changed_object_gets_a_new_etag(world):
    from notifications.models import Notification
    from notifications.services import notification_mark_read

    case = EXPECTATIONS[("GET", "/notifications/{id}/")]
    url = "/api/v1/notifications/{id}/".format(**case.make(world))
    client = client_for(world.tenant_a.user)
    etag = client.get(url)["ETag"]
    notification_mark_read(notification=Notification.objects.get(recipient=world.tenant_a.user))
    response = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 200
    assert response.json()["read"] is True
    assert response["ETag"] != etag


def test_another_landlords_object_is_still_a_404_with_an_etag_in_hand(world):
    case = EXPECTATIONS[("GET", "/jobs/offers/{id}/")]
    url = "/api/v1/jobs/offers/{id}/".format(**case.make(world))
    etag = client_for(world.tenant_a.user).get(url)["ETag"]
    response = client_for(world.tenant_b.user).get(url, HTTP_IF_NONE_MATCH=etag)
    assert response.status_code == 404
    assert "ETag" not in response


def test_a_plain_django_response_gets_an_etag_too(rf):
    """An action answering an HttpResponse (an SVG, a CSV) is not a DRF Response."""
    from django.http import HttpResponse
    from rest_framework.permissions import AllowAny
    from rest_framework.views import APIView

    class Image(ConditionalGetMixin, APIView):
        permission_classes = [AllowAny]
        authentication_classes = []

        def get(self, request):
            return HttpResponse(b"<svg/>", content_type="image/svg+xml")

    first = Image.as_view()(rf.get("/x"))
    assert first.status_code == 200 and first["ETag"]
    again = Image.as_view()(rf.get("/x", HTTP_IF_NONE_MATCH=first["ETag"]))
    assert again.status_code == 304
