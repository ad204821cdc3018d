"""Every console route × every role has an expected outcome; a route with no entry fails.

Declare a new page's outcomes in tests/web/authz/<section>.py (see base.py there).
"""

import importlib
import pkgutil
import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from tests.web import authz
from tests.web.authz.base import LOGIN, OK, ROLES
from tests.web.conftest import web_client_for

_PARAM = re.compile(r"<(?:\w+:)?(\w+)>")


def _walk(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern)


def console_routes() -> set[str]:
    return {
        "/" + _PARAM.sub(r"{\1}", pattern)
        for pattern in _walk(get_resolver().url_patterns)
        if pattern.startswith("console/")
    }


def expectations() -> dict:
    merged = {}
    for module in pkgutil.iter_modules(authz.__path__):
        if module.name == "base":
            continue
        found = importlib.import_module(f"tests.web.authz.{module.name}").EXPECTATIONS
        overlap = set(found) & set(merged)
        assert not overlap, f"routes declared twice: {overlap}"
        merged.update(found)
    return merged


EXPECTATIONS = expectations()


def _template(key: str) -> str:
    return key.split(" ")[0]


def test_every_console_route_has_an_expected_outcome():
    declared = {_template(key) for key in EXPECTATIONS}
    missing = sorted(console_routes() - declared)
    assert not missing, f"console routes without an authorisation entry: {missing}"


def test_no_expectation_for_a_route_that_does_not_exist():
    declared = {_template(key) for key in EXPECTATIONS}
    assert declared <= console_routes()


def _outcome(response) -> object:
    if response.status_code == 302 and response["Location"].startswith("/console/sign-in/"):
        return LOGIN
    if response.status_code in (403, 404):
        return response.status_code
    assert response.status_code < 500, response.status_code
    return OK


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("key", sorted(EXPECTATIONS))
def test_console_route_answers_each_role_as_expected(world, console, key, role):
    case = EXPECTATIONS[key]
    template, _sep, method = key.partition(" ")
    params = case.make(world, console) if case.make else {}
    url = template.format(**params)
    client = web_client_for(console.users(world)[role])
    response = client.post(url, case.data) if (method or "GET") == "POST" else client.get(url)
    assert _outcome(response) == case.expect[role], (
        f"{method or 'GET'} {url} as {role}: {response.status_code}"
    )


PUBLIC_VIEWS = {
    "login_view",
    "logout_view",
    "set_language",
    # Forgotten password: for people who cannot sign in, by definition.
    "password_reset_request_view",
    "password_reset_confirm_view",
}


def test_every_console_view_but_sign_in_out_and_language_requires_staff():
    from web.access import StaffRequiredMixin

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                yield from walk(p.url_patterns, prefix + str(p.pattern))
            else:
                yield prefix + str(p.pattern), p.callback

    unguarded = []
    for pattern, callback in walk(get_resolver().url_patterns):
        if not pattern.startswith("console/") or callback.__name__ in PUBLIC_VIEWS:
            continue
        view_class = getattr(callback, "view_class", None)
        guarded = getattr(callback, "staff_roles", None) or (
            view_class is not None and issubclass(view_class, StaffRequiredMixin)
        )
        if not guarded:
            unguarded.append(pattern)
    assert not unguarded, f"console views without staff_required/StaffRequiredMixin: {unguarded}"
