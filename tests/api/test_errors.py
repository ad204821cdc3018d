"""Every error, whatever raises it, answers {code, message, fields} in the user's language."""

import functools
import io

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.exceptions import ParseError
from rest_framework.permissions import AllowAny
from rest_framework.views import APIView

from api.parsers import JSONParser
from tests.conftest import client_for
from tests.factories import ResidenceFactory, TenancyFactory

pytestmark = pytest.mark.django_db


class Boom(APIView):
    permission_classes = [AllowAny]

    def get(self, request):
        raise RuntimeError("boom")


def plain_boom(request):
    raise RuntimeError("boom")


urlpatterns = [path("boom/", Boom.as_view()), path("plain-boom/", plain_boom)]
handler500 = "api.exceptions.handler500"


def _shape(response):
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}
    return body


def test_validation_errors_list_each_field(world):
    response = client_for(world.staff_a.user).post(
        "/api/v1/tenancies/", {"start_date": "not-a-date"}, format="json"
    )
    body = _shape(response)
    assert response.status_code == 400
    assert body["code"] == "invalid"
    assert body["message"] == "Certains champs sont invalides."
    assert set(body["fields"]) == {
        "residence",
        "unit_reference",
        "tenant_reference",
        "holder_names",
        "start_date",
    }


def test_messages_follow_accept_language(world):
    client = client_for(world.staff_a.user)
    english = client.post("/api/v1/tenancies/", {}, format="json", HTTP_ACCEPT_LANGUAGE="en")
    french = client.post("/api/v1/tenancies/", {}, format="json", HTTP_ACCEPT_LANGUAGE="fr")
    assert english.json()["message"] == "Some fields are invalid."
    assert french.json()["message"] == "Certains champs sont invalides."
    assert english.json()["code"] == french.json()["code"] == "invalid"


def test_unknown_path_is_a_json_404(world):
    response = client_for(world.tenant_a.user).get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert _shape(response)["code"] == "not_found"


def test_wrong_method_is_405(world):
    response = client_for(world.tenant_a.user).put("/api/v1/me/", {}, format="json")
    assert response.status_code == 405
    assert _shape(response)["code"] == "method_not_allowed"


def test_wrong_content_type_is_415(world):
    response = client_for(world.staff_a.user).post(
        "/api/v1/employers/", data="name=x", content_type="text/plain"
    )
    assert response.status_code == 415
    assert _shape(response)["code"] == "unsupported_media_type"


def test_malformed_json_is_400(world):
    response = client_for(world.staff_a.user).post(
        "/api/v1/employers/", data="{bad", content_type="application/json"
    )
    assert response.status_code == 400
    assert _shape(response)["code"] == "parse_error"


def test_unauthenticated_is_401(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert _shape(response)["code"] == "not_authenticated"


def test_a_role_that_may_never_do_it_is_403(world):
    response = client_for(world.tenant_a.user).get("/api/v1/tenancies/")
    assert response.status_code == 403
    assert _shape(response)["code"] == "permission_denied"


def test_too_many_login_attempts_is_429(api_client, world):
    for _ in range(6):
        response = api_client.post(
            "/api/v1/auth/token/", {"email": "x@example.org", "password": "bad"}, format="json"
        )
    assert response.status_code == 429
    assert _shape(response)["code"] == "login_locked"


def test_an_oversized_json_body_is_413(world, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(world.staff_a.user).post(
        "/api/v1/employers/",
        data='{"name": "' + "x" * 2000 + '"}',
        content_type="application/json",
    )
    assert response.status_code == 413
    assert _shape(response)["code"] == "request_too_large"


def test_a_declared_length_over_the_limit_is_refused_before_reading(world, settings):
    settings.MAX_REQUEST_BODY_BYTES = 100
    response = client_for(world.staff_a.user).post(
        "/api/v1/employers/", data={"name": "x" * 200}, format="json"
    )
    assert response.status_code == 413
    assert _shape(response)["code"] == "request_too_large"


@override_settings(ROOT_URLCONF=__name__)
def test_an_unexpected_error_in_a_view_is_a_json_500(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/boom/")
    assert response.status_code == 500
    assert _shape(response) == {
        "code": "server_error",
        "message": "Une erreur est survenue de notre côté. Veuillez réessayer.",
        "fields": {},
    }


@override_settings(ROOT_URLCONF=__name__)
def test_an_unexpected_error_outside_drf_is_a_json_500(api_client):
    api_client.raise_request_exception = False
    response = api_client.get("/plain-boom/")
    assert response.status_code == 500
    assert _shape(response)["code"] == "server_error"


def test_page_size_is_capped_at_100(world):
    TenancyFactory.create_batch(101, residence=world.residence_a)
    response = client_for(world.staff_a.user).get("/api/v1/tenancies/?page_size=1000")
    assert response.status_code == 200
    assert set(response.json()) == {"next", "previous", "results"}
    assert len(response.json()["results"]) == 100
    assert response.json()["next"]


def test_lists_follow_the_views_declared_order(world):
    ResidenceFactory(landlord=world.landlord_a, name="AAA Première")
    names = [
        r["name"]
        for r in client_for(world.staff_a.user).get("/api/v1/residences/").json()["results"]
    ]
    assert names == sorted(names)


def test_health_endpoints(api_client):
    assert api_client.get("/healthz").json() == {"status": "ok"}
    ready = api_client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["checks"]["database"] == "ok"


def test_docs_and_schema_are_served_without_internet(api_client):
    schema = api_client.get("/api/schema/")
    assert schema.status_code == 200
    docs = api_client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "cdn." not in html and "unpkg" not in html
    assert "swagger-ui" in html


@pytest.mark.parametrize(
    "body",
    [
        "[" * 950 + "]" * 950,  # the reported 1.9 KB body: RecursionError, a 500 and a traceback
        "[" * 50_000 + "]" * 50_000,
        '{"a": ' * 40 + "1" + "}" * 40,  # parses, but deeper than any body of ours
        "\xff\xfe not utf-8",
        '{"email": NaN}',
    ],
)
def test_an_unparseable_body_is_a_400_with_one_log_line_before_authentication(
    api_client, caplog, body
):
    caplog.set_level("INFO")
    response = api_client.post(
        "/api/v1/auth/token/", data=body.encode("latin-1"), content_type="application/json"
    )
    assert response.status_code == 400
    assert _shape(response)["code"] == "parse_error"
    assert response.json()["message"] == "Le corps de la requête n'est pas un JSON valide."
    records = [r for r in caplog.records if r.levelname in ("WARNING", "ERROR", "CRITICAL")]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert records[0].exc_info is None
    assert "/api/v1/auth/token/" in records[0].getMessage()


def test_the_depth_cap_leaves_room_for_our_bodies():
    """Our deepest body (a mission with its slots) is three levels deep; the cap is 32."""
    parser = JSONParser()
    assert parser.parse(io.BytesIO(b"[" * 32 + b"]" * 32)) == functools.reduce(
        lambda inner, _: [inner], range(31), []
    )
    with pytest.raises(ParseError):
        parser.parse(io.BytesIO(b"[" * 33 + b"]" * 33))


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize(
    "path", ["/api/nothing", "/api/v1/nothing-here/", "/api/v2/me/", "/api/v1/jobs/nope/x"]
)
def test_an_unknown_api_path_is_a_json_404_even_with_debug_on(world, settings, method, path):
    settings.DEBUG = True
    response = getattr(client_for(world.tenant_a.user), method)(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert _shape(response)["code"] == "not_found"


def test_a_get_missing_its_trailing_slash_is_still_redirected(world):
    response = client_for(world.tenant_a.user).get("/api/v1/me?x=1")
    assert response.status_code == 301
    assert response["Location"] == "/api/v1/me/?x=1"
