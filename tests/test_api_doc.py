"""docs/api.md, the mobile contract, stays true: every route of the URL configuration under
/api/v1/ is named there with its methods, and every method and path named there answers."""

import re
from pathlib import Path

from django.urls import URLResolver, get_resolver

DOC = Path(__file__).resolve().parent.parent / "docs" / "api.md"
PREFIX = "api/v1"
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
# "GET PUT `/jobs/profile/`", several per cell separated by " · "
ENTRY = re.compile(r"((?:(?:GET|POST|PUT|PATCH|DELETE) )+)`(/[^`]*)`")


def documented(text: str) -> set[tuple[str, str]]:
    found = set()
    for line in text.splitlines():
        if not line.startswith("| "):
            continue
        cell = line.split("|")[1]
        for methods, path in ENTRY.findall(cell):
            path = path.split("?")[0]
            found |= {(method, path) for method in methods.split()}
    return found


def _methods(callback) -> set[str]:
    actions = getattr(callback, "actions", None)  # a DRF viewset route: {method: action}
    if actions:  # DRF adds "head" once a GET has been served: HEAD follows GET, not listed
        return {method.upper() for method in actions} & set(METHODS)
    view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    return {m for m in METHODS if view is not None and hasattr(view, m.lower())}


def routed() -> set[tuple[str, str]]:
    found = set()

    def walk(patterns, prefix):
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif route.startswith(PREFIX + "/"):
                path = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route[len(PREFIX) :])
                found.update((method, path) for method in _methods(pattern.callback))

    walk(get_resolver().url_patterns, "")
    return found


def test_the_parser_reads_every_way_the_page_writes_a_route():
    row = "| GET `/a/` · POST DELETE `/b/{id}/` · GET `/c/?q=` | T | x |"
    assert documented(row) == {
        ("GET", "/a/"),
        ("POST", "/b/{id}/"),
        ("DELETE", "/b/{id}/"),
        ("GET", "/c/"),
    }


def test_every_route_is_in_the_contract():
    missing = sorted(routed() - documented(DOC.read_text()))
    assert missing == [], f"document these in docs/api.md: {missing}"


def test_everything_the_contract_names_is_routed():
    routes = routed()
    assert len(routes) > 60
    absent = sorted(documented(DOC.read_text()) - routes)
    assert absent == [], f"docs/api.md names routes that do not exist: {absent}"
