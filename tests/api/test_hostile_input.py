"""Every route × every role, fed what an attacker sends: a forged cursor, a deeply nested body,
dates from year 1 and year 9999, NUL bytes and wrong types. The answer is always a 4xx in the
error format, never a 500; where the role gets past authorisation, the refusal names the cause
(`invalid_cursor`, `parse_error`, the date field).

The routes and roles come from the authorisation matrix (tests/api/authz), the fields and query
parameters of each route from the published OpenAPI schema, so a new route or field is attacked
without touching this file. One test per route (the world is built once per route); the roles a
route refuses get one combined request each, the roles it serves get every attack.
"""

import base64
import datetime
import functools
import importlib
import json
import pkgutil
from urllib.parse import urlencode

import django_filters
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver
from drf_spectacular.generators import SchemaGenerator
from rest_framework import serializers

import api
from api.fields import BoundedDateField, BoundedDateTimeField
from api.parsers import JSONParser
from services.jobs.models import Offer
from tests.api.authz.base import OK, ROLES
from tests.api.test_authorization_matrix import EXPECTATIONS, _walk
from tests.conftest import client_for
from tests.factories.jobs import JobProfileFactory, OfferFactory
from tests.factories.loyalty import RewardFactory
from tests.factories.notifications import NotificationFactory

pytestmark = pytest.mark.django_db

NUL = "x\x00y"
DEEP_BODY = "[" * 5000 + "]" * 5000  # 10 KB; Python's json recurses ~1000 levels deep
FAR_DATES = {"date": ("0001-01-01", "9999-12-31")}
FAR_DATES["date-time"] = ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00")


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


# Positions for every kind of ordering key; each is invalid for some key, NUL for all.
ALWAYS_INVALID_CURSORS = ["!!!not-base64", _cursor("p=\x00"), _cursor("r=1&p=a\x00b")]
MAYBE_INVALID_CURSORS = [
    _cursor("p=abc"),
    _cursor("p=" + "9" * 30),
    _cursor("p=-" + "9" * 30),
    _cursor("p=0001-01-01T00:00:00+14:00"),
    _cursor("p=9999-12-31T23:59:59-14:00"),
    _cursor("o=" + "9" * 30 + "&p=1"),
]
BROKEN_MULTIPART = [
    (b"x", "multipart/form-data"),  # no boundary
    (b"garbage\x00", "multipart/form-data; boundary=b"),
    (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="a\x00.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\nx\x00y\r\n--b--\r\n",
        "multipart/form-data; boundary=b",
    ),
]
# Query parameters that views read whether or not the schema lists them for this route.
COMMON_QUERY = ("q", "status", "tenant", "offer", "since", "until", "rome", "contract", "max_km")


@functools.cache
def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = _schema()["components"]["schemas"][name]
    if "allOf" in schema:
        merged: dict = {"properties": {}}
        for part in schema["allOf"]:
            merged["properties"].update(_resolve(part).get("properties", {}))
        return merged
    return schema


def _operation(method: str, template: str) -> dict:
    return _schema()["paths"].get("/api/v1" + template, {}).get(method.lower(), {})


def _query_parameters(operation: dict) -> dict[str, dict]:
    return {
        p["name"]: p.get("schema", {})
        for p in operation.get("parameters", [])
        if p["in"] == "query"
    }


def _json_body_schema(operation: dict) -> dict | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _resolve(content["application/json"]["schema"])


def _replace(schema: dict, base, pick):
    """`base` with every leaf the schema describes replaced by `pick(leaf_schema)` (or kept
    when it returns None), nested objects and lists of objects included."""
    schema = _resolve(schema)
    if schema.get("type") == "array" or "items" in schema:
        return [_replace(schema.get("items", {}), None, pick)]
    properties = schema.get("properties")
    if properties:
        body = dict(base) if isinstance(base, dict) else {}
        for name, prop in properties.items():
            if _resolve(prop).get("readOnly"):
                continue
            value = _replace(prop, body.get(name), pick)
            if value is not None:
                body[name] = value
        return body
    replaced = pick(schema)
    return base if replaced is None else replaced


def _date_fields(schema: dict, prefix: str = "") -> list[str]:
    schema = _resolve(schema)
    if schema.get("type") == "array" or "items" in schema:
        return _date_fields(schema.get("items", {}), f"{prefix}0.")
    found = []
    for name, prop in schema.get("properties", {}).items():
        resolved = _resolve(prop)
        if resolved.get("readOnly"):
            continue
        if resolved.get("format") in FAR_DATES:
            found.append(prefix + name)
        found.extend(_date_fields(resolved, f"{prefix}{name}.") if "format" not in resolved else [])
    return found


def _far(index: int):
    def pick(schema):
        pair = FAR_DATES.get(schema.get("format"))
        return pair[index] if pair else None

    return pick


def _nul(schema):
    if schema.get("type") == "string" and schema.get("format") not in ("binary",):
        return NUL
    return None


def _wrong_type(schema):
    return {"nested": [NUL]}


def _error(response, context: str) -> dict:
    assert 400 <= response.status_code < 500, (
        f"{context}: {response.status_code} {response.content[:400]!r}"
    )
    body = response.json()
    assert set(body) >= {"code", "message", "fields"}, f"{context}: {body}"
    return body


def _not_a_server_error(response, context: str) -> None:
    assert response.status_code < 500, (
        f"{context}: {response.status_code} {response.content[:400]!r}"
    )
    if response.status_code >= 400:
        _error(response, context)


def _send(client, method, url, *, query=None, raw=None, body=None):
    if query:
        url = f"{url}?{urlencode(query)}"
    call = getattr(client, method.lower())
    if raw is not None:
        return call(url, data=raw, content_type="application/json")
    if body is not None:
        return call(url, data=json.dumps(body), content_type="application/json")
    return call(url)


def _ignored(client, method, url, response) -> bool:
    """A 200 identical to the answer without the query: this view (or this role's view of the
    route, e.g. the tenant's one-page offer feed) does not read the parameter at all."""
    if response.status_code != 200:
        return False
    return response.content == _send(client, method, url).content


def _attack_refused_role(client, method, url, operation, context):
    """A role the route refuses: one request carrying everything at once."""
    query = {name: NUL for name in (*_query_parameters(operation), *COMMON_QUERY)}
    query["cursor"] = ALWAYS_INVALID_CURSORS[1]
    raw = DEEP_BODY if method != "GET" else None
    _error(_send(client, method, url, query=query, raw=raw), context)


def _attack_list(client, method, url, operation, context):
    parameters = _query_parameters(operation)
    if "cursor" in parameters:
        for cursor in ALWAYS_INVALID_CURSORS:
            response = _send(client, method, url, query={"cursor": cursor})
            if _ignored(client, method, url, response):
                continue
            body = _error(response, f"{context} cursor={cursor!r}")
            assert body["code"] == "invalid_cursor", f"{context} cursor={cursor!r}: {body}"
        for cursor in MAYBE_INVALID_CURSORS:
            response = _send(client, method, url, query={"cursor": cursor})
            _not_a_server_error(response, f"{context} cursor={cursor!r}")
            if response.status_code >= 400:
                assert response.json()["code"] == "invalid_cursor", context
    nul_query = {name: NUL for name in (*parameters, *COMMON_QUERY) if name != "cursor"}
    _not_a_server_error(_send(client, method, url, query=nul_query), f"{context} NUL query")
    wrong = {name: "[]" for name in parameters if name != "cursor"}
    _not_a_server_error(_send(client, method, url, query=wrong), f"{context} wrong types")
    dated = [name for name, s in parameters.items() if s.get("format") in FAR_DATES]
    for index in (0, 1):
        if not dated:
            break
        query = {name: FAR_DATES[parameters[name]["format"]][index] for name in dated}
        response = _send(client, method, url, query=query)
        if _ignored(client, method, url, response):
            continue
        body = _error(response, f"{context} far dates {query}")
        assert set(dated) <= set(body["fields"]), f"{context} far dates {query}: {body}"


def _attack_body(client, method, url, operation, base_body, context):
    if "multipart/form-data" in operation.get("requestBody", {}).get("content", {}):
        for raw, content_type in BROKEN_MULTIPART:
            response = client.generic(method, url, raw, content_type=content_type)
            _error(response, f"{context} multipart {raw[:40]!r}")
    schema = _json_body_schema(operation)
    deep = _send(client, method, url, raw=DEEP_BODY)
    if schema is None:
        _not_a_server_error(deep, f"{context} deep body")
        return
    assert _error(deep, f"{context} deep body")["code"] == "parse_error", context
    for wrong in ("[1, 2]", '"text"', "12", "null"):
        _error(_send(client, method, url, raw=wrong), f"{context} body={wrong}")
    if not schema.get("properties"):
        return
    nul = _replace(schema, base_body, _nul)
    _not_a_server_error(_send(client, method, url, body=nul), f"{context} NUL {nul}")
    wrong = _replace(schema, base_body, _wrong_type)
    _error(_send(client, method, url, body=wrong), f"{context} wrong types {wrong}")
    dated = _date_fields(schema)
    for index in (0, 1):
        if not dated:
            break
        body = _replace(schema, base_body, _far(index))
        answer = _error(_send(client, method, url, body=body), f"{context} far dates {body}")
        named = set(answer["fields"])
        assert all(field in named for field in dated), f"{context} far dates {body}: {answer}"


@pytest.mark.parametrize(("method", "template"), sorted(EXPECTATIONS))
def test_hostile_input_is_a_4xx_in_the_error_format(world, method, template):
    case = EXPECTATIONS[(method, template)]
    params = case.make(world) if case.make else {}
    url = "/api/v1" + template.format(**params)
    operation = _operation(method, template)
    users = world.users()
    for role in ROLES:
        client = client_for(users[role])
        context = f"{method} {url} as {role}"
        if case.expect[role] != OK:
            _attack_refused_role(client, method, url, operation, context)
        elif method == "GET":
            _attack_list(client, method, url, operation, context)
        elif method != "DELETE":
            _attack_body(client, method, url, operation, case.body, context)
        else:
            _not_a_server_error(_send(client, method, url, raw=DEEP_BODY), context)


# --- Dates: bounded once, in the fields every serializer uses -------------------------------


def _serializer_classes():
    for module in pkgutil.walk_packages(api.__path__, "api."):
        if module.name.endswith((".serializers", ".filters", ".fields", ".schema")):
            loaded = importlib.import_module(module.name)
            for value in vars(loaded).values():
                if (
                    isinstance(value, type)
                    and issubclass(value, serializers.Serializer)
                    and value.__module__ == loaded.__name__
                ):
                    yield value


def _writable_fields(serializer, prefix=""):
    for name, field in serializer.fields.items():
        if field.read_only:
            continue
        if isinstance(field, serializers.ListSerializer):
            field = field.child
        while isinstance(field, (serializers.ListField, serializers.DictField)):
            field = field.child
        if isinstance(field, serializers.Serializer):
            yield from _writable_fields(field, f"{prefix}{name}.")
        else:
            yield prefix + name, field


def test_no_serializer_reads_an_unbounded_date():
    """Inputs, by the house naming (`...Output` serializers only render), nested ones and
    query-string serializers included."""
    classes = [c for c in _serializer_classes() if not c.__name__.endswith("Output")]
    assert len(classes) > 30
    unbounded = [
        f"{cls.__module__}.{cls.__name__}.{name}"
        for cls in classes
        for name, field in _writable_fields(cls())
        if isinstance(field, (serializers.DateField, serializers.DateTimeField))
        and not isinstance(field, (BoundedDateField, BoundedDateTimeField))
    ]
    assert not unbounded, f"dates without a window (use api.fields): {unbounded}"


def test_no_filter_reads_an_unbounded_date():
    unbounded = []
    for _pattern, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        filterset = getattr(view, "filterset_class", None)
        for name, found in getattr(filterset, "base_filters", {}).items():
            if isinstance(found, (django_filters.DateFilter, django_filters.DateTimeFilter)):
                unbounded.append(f"{view.__name__}.{name}")
    assert not unbounded, f"date filters without a window (use api.filters): {unbounded}"


def test_every_json_body_goes_through_the_projects_parser():
    """DRF's own JSONParser lets RecursionError through: a 500 with a traceback."""
    wrong = []
    for _pattern, callback in _walk(get_resolver().url_patterns):
        view = getattr(callback, "cls", None)
        if view is None:
            continue
        actions = getattr(callback, "actions", None) or {}
        handlers = [getattr(view, name, None) for name in actions.values()]
        kinds = [view.parser_classes]
        kinds += [
            h.kwargs["parser_classes"]
            for h in handlers
            if "parser_classes" in getattr(h, "kwargs", {})
        ]
        for parser_classes in kinds:
            for parser in parser_classes:
                if parser.media_type == "application/json" and not issubclass(parser, JSONParser):
                    wrong.append(f"{view.__name__}: {parser.__module__}.{parser.__name__}")
    assert not wrong, wrong


def test_a_window_is_written_in_the_schema():
    properties = _resolve({"$ref": "#/components/schemas/JobsOfferInputRequest"})["properties"]
    assert "from 1 year(s) ago to 2 year(s) ahead" in properties["start_date"]["description"]


@pytest.mark.parametrize("start_date", ["9999-12-31", "0001-01-01", "2020-01-01"])
def test_an_offer_dated_far_away_is_refused_naming_the_field(world, start_date):
    response = client_for(world.staff_a.user).post(
        "/api/v1/jobs/offers/",
        {
            "employer": str(world.employer_a.public_id),
            "title": "Agent d'entretien",
            "contract_type": "cdi",
            "start_date": start_date,
            "status": "published",
        },
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()["fields"]) == {"start_date"}
    assert not Offer.objects.exists()


def test_the_window_follows_the_clock(world):
    field = BoundedDateField(years_back=1, years_ahead=2)
    with time_machine.travel(datetime.datetime(2030, 2, 28, 12, tzinfo=datetime.UTC)):
        assert field.run_validation("2032-02-28") == datetime.date(2032, 2, 28)
        assert field.run_validation("2029-02-28") == datetime.date(2029, 2, 28)
        with pytest.raises(serializers.ValidationError):
            field.run_validation("2032-02-29")
        with pytest.raises(serializers.ValidationError):
            field.run_validation("2029-02-27")


def test_rows_saved_before_dates_were_bounded_still_rank(world):
    """An offer starting 9999-12-31 and a candidate available then, as the old API let them
    be saved: ranking them overflowed (500 on candidates, the daily task stopped)."""
    offer = OfferFactory(employer=world.employer_a, start_date=datetime.date.max)
    JobProfileFactory(tenant=world.tenant_a, available_from=datetime.date.max)
    JobProfileFactory(tenant=world.tenant_a2, available_from=datetime.date.min)
    response = client_for(world.staff_a.user).get(
        f"/api/v1/jobs/offers/{offer.public_id}/candidates/"
    )
    assert response.status_code == 200
    assert len(response.json()["results"]) == 2


def test_a_tenancy_file_with_absurd_dates_rejects_those_lines(world):
    """Dates from a file are client dates too: the same window as the API's."""
    csv = (
        "residence;unit_reference;tenant_reference;holder_names;start_date;end_date\n"
        "Les Minimes;A-01;LOC-200;Léa Moreau;2023-04-01;\n"
        "Les Minimes;A-02;LOC-201;Année Un;0001-01-01;\n"
        "Les Minimes;A-03;LOC-202;Fin Du Monde;2023-04-01;31/12/9999\n"
    )
    upload = SimpleUploadedFile("baux.csv", csv.encode(), content_type="text/csv")
    response = client_for(world.staff_a.user).post(
        "/api/v1/tenancies/import/", {"file": upload}, format="multipart"
    )
    assert response.status_code == 200
    assert [r["tenant_reference"] for r in response.json()["created"]] == ["LOC-200"]
    assert [r["line"] for r in response.json()["rejected"]] == [3, 4]


# --- Cursors: forged ones refused, the ones we issue still followed -------------------------


@pytest.mark.parametrize(
    ("url", "cursor"),
    [
        ("/api/v1/loyalty/rewards/", "cD1hYmM="),  # p=abc on an integer key: was a ValueError
        ("/api/v1/residences/", "cD0A"),  # p=NUL: PostgreSQL refused it, a 500
        ("/api/v1/notifications/", _cursor("p=2026-13-45 25:00:00")),
        ("/api/v1/loyalty/rewards/", _cursor("p=" + "9" * 25)),
    ],
)
def test_the_reported_forged_cursors_are_a_400(world, url, cursor):
    RewardFactory(landlord=world.landlord_a)
    user = world.staff_a.user if "residences" in url else world.tenant_a.user
    response = client_for(user).get(url, {"cursor": cursor})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"
    assert set(response.json()["fields"]) == {"cursor"}


def _walk_pages(client, url) -> list[str]:
    seen, response = [], client.get(url)
    for _page in range(10):  # bounded: a refused cursor must fail, not loop
        assert response.status_code == 200, response.content
        seen += [row["id"] for row in response.json()["results"]]
        if not response.json()["next"]:
            return seen
        response = client.get(response.json()["next"])
    raise AssertionError("more pages than rows")


def test_the_cursors_we_issue_are_followed_on_every_kind_of_key(world):
    """Integer (rewards' cost), text (residences' name), date-time (notifications)."""
    for points in (10, 20, 30):
        RewardFactory(landlord=world.landlord_a, cost_points=points)
    for _ in range(3):
        NotificationFactory(recipient=world.tenant_a.user)
    tenant, staff = client_for(world.tenant_a.user), client_for(world.staff_a.user)
    assert len(_walk_pages(tenant, "/api/v1/loyalty/rewards/?page_size=1")) == 3
    assert len(_walk_pages(tenant, "/api/v1/notifications/?page_size=1")) == 3
    assert len(_walk_pages(staff, "/api/v1/residences/?page_size=1")) == 2
    last = staff.get("/api/v1/residences/?page_size=1").json()["next"]
    previous = staff.get(last).json()["previous"]
    assert staff.get(previous).status_code == 200
