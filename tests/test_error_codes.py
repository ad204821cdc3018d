"""docs/errors.md lists every error code the domain declares, with its HTTP status: the
apps switch on `code`, so a new one must be written down (and one code keeps one status)."""

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from django.utils import translation

from api.exceptions import INTERFACE_CODES
from services.core import errors

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "errors.md"
HELPERS = {"invalid", "conflict", "not_allowed", "not_found", "not_authenticated", "unprocessable"}
ROW = re.compile(r"^\| `([a-z0-9_]+)` \| (\d{3}) \|", re.MULTILINE)


def _import_everything() -> None:
    for package in ("services", "notifications", "api", "web"):
        root = importlib.import_module(package)
        for info in pkgutil.walk_packages(root.__path__, package + "."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


def declared() -> dict[str, tuple[int, object]]:
    _import_everything()
    return dict(errors.DECLARED)


def documented() -> dict[str, int]:
    return {code: int(status) for code, status in ROW.findall(DOC.read_text())}


def test_every_declared_code_is_documented_with_its_status():
    codes = declared()
    listed = documented()
    with translation.override("en"):
        missing = [
            f"| `{code}` | {status} | {message} |"
            for code, (status, message) in sorted(codes.items())
            if listed.get(code) != status
        ]
    assert not missing, "add or fix these rows in docs/errors.md:\n" + "\n".join(missing)


def test_the_doc_names_no_code_that_is_gone():
    codes = declared()
    gone = sorted(set(documented()) - set(codes) - set(INTERFACE_CODES))
    assert not gone, f"docs/errors.md lists codes nobody raises any more: {gone}"


def test_the_interfaces_own_codes_are_documented_with_their_status():
    listed = documented()
    wrong = {code: status for code, status in INTERFACE_CODES.items() if listed.get(code) != status}
    assert not wrong, f"add these to docs/errors.md (code: status): {wrong}"


def test_a_code_cannot_come_back_with_another_status():
    errors.invalid("zz_probe_code", "probe")
    with pytest.raises(errors.CodeReused):
        errors.conflict("zz_probe_code", "probe")
    del errors.DECLARED["zz_probe_code"]


def test_errors_are_declared_at_module_level():
    """A code declared inside a function exists only once that line runs: the list above
    would miss it. Declare it beside the function, at module level."""
    inside = []
    for package in ("services", "notifications", "api", "web"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            for function in ast.walk(tree):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(function):
                    if (
                        isinstance(node, ast.Call)
                        and isinstance(node.func, ast.Name)
                        and node.func.id in HELPERS
                        and node.args
                        and isinstance(node.args[0], ast.Constant)
                    ):
                        inside.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not inside, f"error codes declared inside functions: {inside}"
