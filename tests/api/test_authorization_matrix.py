"""Every route × every role has an expected outcome; a route with no entry fails."""

import importlib
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.api import authz
from tests.api.authz.base import OK, ROLES
from tests.conftest import client_for
from tests.factories import EmployerMemberFactory

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p.callback


def _methods(callback) -> list[str]:
    actions = getattr(callback, "actions", None)
    if actions:
        return sorted(m.upper() for m in actions if m not in ("options", "head"))
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if cls is None:
        return ["GET"]
    return sorted(
        m.upper()
        for m in cls.http_method_names
        if m not in ("options", "head", "trace") and hasattr(cls, m)
    )


def api_routes() -> list[tuple[str, str]]:
    routes = []
    for pattern, callback in _walk(get_resolver().url_patterns):
        if not pattern.startswith("api/v1/"):
            continue
        template = "/" + _PARAM.sub(r"{\1}", pattern.removeprefix("api/v1/"))
        routes.extend((method, template) for method in _methods(callback))
    return sorted(set(routes))


def expectations() -> dict:
    merged = {}
    for module in pkgutil.iter_modules(authz.__path__):
        if module.name == "base":
            continue
        found = importlib.import_module(f"tests.api.authz.{module.name}").EXPECTATIONS
        overlap = set(found) & set(merged)
        assert not overlap, f"routes declared twice: {overlap}"
        merged.update(found)
    return merged


EXPECTATIONS = expectations()


def test_every_route_has_an_expected_outcome():
    missing = [route for route in api_routes() if route not in EXPECTATIONS]
    assert not missing, f"routes without an authorisation entry: {missing}"


def test_no_expectation_for_a_route_that_does_not_exist():
    assert set(EXPECTATIONS) <= set(api_routes())


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "template"), sorted(EXPECTATIONS))
def test_route_answers_each_role_as_expected(world, method, template, role):
    case = EXPECTATIONS[(method, template)]
    params = case.make(world) if case.make else {}
    url = "/api/v1" + template.format(**params)
    client = client_for(world.users()[role])
    response = getattr(client, method.lower())(url, case.body, format="json")
    expected = case.expect[role]
    if expected == OK:
        assert response.status_code < 400 or response.status_code in (400, 409, 415, 422), (
            f"{method} {url} as {role}: {response.status_code} {response.content[:300]!r}"
        )
    else:
        assert response.status_code == expected, (
            f"{method} {url} as {role}: {response.status_code} {response.content[:300]!r}"
        )
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "message", "fields"}


def _shared_employer_outcome(template: str, case) -> object:
    if case.shared_employer is not None:
        return case.shared_employer
    if case.expect["employer"] != OK:
        return case.expect["employer"]
    return 404 if "{" in template else OK


@pytest.mark.parametrize(("method", "template"), sorted(EXPECTATIONS))
def test_a_shared_employer_member_reaches_only_what_its_own_landlord_granted(
    world, method, template
):
    """The company is also landlord B's partner, and B's staff invited a member into it.
    Every object the routes make is landlord A's side: that member is answered like a
    stranger (404 on an object, absent from lists), never with A's candidates or matches."""
    case = EXPECTATIONS[(method, template)]
    params = case.make(world) if case.make else {}
    world.employer_a.landlords.add(world.landlord_b)
    member_of_b = EmployerMemberFactory(employer=world.employer_a, grants=[world.landlord_b])
    url = "/api/v1" + template.format(**params)
    response = getattr(client_for(member_of_b.user), method.lower())(url, case.body, format="json")
    expected = _shared_employer_outcome(template, case)
    shown = f"{method} {url}: {response.status_code} {response.content[:300]!r}"
    if expected == OK:
        assert response.status_code < 400 or response.status_code in (400, 409, 415, 422), shown
        if method == "GET" and "{" not in template:
            for made in params.values():  # a list route: A's object is not listed
                assert str(made) not in response.content.decode(), shown
    else:
        assert response.status_code == expected, shown
    if response.status_code >= 400:
        assert set(response.json()) >= {"code", "message", "fields"}
