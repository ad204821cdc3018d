"""The shape of the code, checked: imports go one way, migrations are committed, the schema
generates without a warning.

Layers (docs/ARCHITECTURE.md): `api` may import anything below it; the domain (`services`)
and `notifications` never import `api` or the URL configuration; `notifications` never
imports the areas that register kinds with it; jobs and volunteering never import each
other (they meet in services/core/extensions.py); accounts and core, which every area builds
on, import no area when they are loaded.
"""

import ast
import importlib.util
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.apps import apps
from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats

ROOT = Path(__file__).resolve().parent.parent

AREAS = ("services.jobs", "services.volunteering", "services.loyalty", "notifications")


@dataclass(frozen=True)
class Import:
    file: str  # relative to the repository root
    line: int
    module: str  # absolute dotted name, e.g. "services.jobs.models"
    module_level: bool  # runs when the importing module is loaded


@dataclass(frozen=True)
class Rule:
    importers: tuple[str, ...]  # packages the rule applies to
    forbidden: tuple[str, ...]  # packages they must not import
    why: str
    module_level_only: bool = False


RULES = (
    Rule(
        ("services", "notifications"),
        ("api", "backend.urls"),
        "the domain never imports the interface layer",
    ),
    Rule(
        ("notifications",),
        ("services.jobs", "services.volunteering", "services.loyalty"),
        "notifications never imports a domain area: areas register their kinds with it",
    ),
    Rule(
        ("services.jobs",),
        ("services.volunteering",),
        "jobs and volunteering never import each other: use services/core/extensions.py",
    ),
    Rule(
        ("services.volunteering",),
        ("services.jobs",),
        "jobs and volunteering never import each other: use services/core/extensions.py",
    ),
    Rule(
        ("services.accounts", "services.core"),
        AREAS,
        "accounts and core are the base every area builds on: no area import at module level",
        module_level_only=True,
    ),
)


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(path: Path, root: Path) -> list[Import]:
    """Every import in a file, relative ones resolved, `from a import b` also seen as `a.b`."""
    module = _module_name(path, root)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    tree = ast.parse(path.read_text(), filename=str(path))
    relative = str(path.relative_to(root))
    found: list[Import] = []

    def visit(node: ast.AST, module_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append(Import(relative, child.lineno, alias.name, module_level))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)] if child.level > 1 else base
                    target = ".".join([*base, child.module] if child.module else base)
                else:
                    target = child.module or ""
                found.append(Import(relative, child.lineno, target, module_level))
                for alias in child.names:
                    if alias.name != "*":
                        name = f"{target}.{alias.name}"
                        found.append(Import(relative, child.lineno, name, module_level))
            elif isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                visit(child, False)  # never executed at run time
            else:
                visit(child, module_level)

    visit(tree, True)
    return found


def violations(root: Path, rules=RULES) -> list[str]:
    problems = []
    for top in ("services", "notifications"):
        for path in sorted((root / top).rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            importer = _module_name(path, root)
            for found in imports_of(path, root):
                for rule in rules:
                    if not any(_within(importer, package) for package in rule.importers):
                        continue
                    if rule.module_level_only and not found.module_level:
                        continue
                    if any(_within(found.module, package) for package in rule.forbidden):
                        problems.append(
                            f"{found.file}:{found.line} imports {found.module}: {rule.why}"
                        )
    return sorted(set(problems))


def test_imports_keep_the_layers_one_way():
    problems = violations(ROOT)
    assert problems == [], "\n".join(problems)


def test_the_import_check_sees_every_kind_of_forbidden_import(tmp_path):
    files = {
        "services/__init__.py": "",
        "services/jobs/__init__.py": "",
        "services/jobs/views.py": "from api.permissions import roles\n",
        "services/jobs/matching.py": "from ..volunteering import selectors\n",
        "services/jobs/late.py": "def f():\n    import services.volunteering.models\n",
        "services/volunteering/__init__.py": "",
        "services/volunteering/x.py": "from services import jobs\n",
        "services/accounts/__init__.py": "",
        "services/accounts/demo.py": (
            "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from services.loyalty.models import Ledger\n"
            "def seed():\n    from services.loyalty import demo\n"
        ),
        "services/accounts/bad.py": "import notifications.services as n\n",
        "services/core/ok.py": "from . import clock\nfrom .errors import conflict\n",
        "notifications/__init__.py": "",
        "notifications/dispatch.py": "from backend.urls import urlpatterns\n",
        "notifications/kinds.py": "from services.loyalty.models import Lot\n",
        "notifications/fine.py": "from services.accounts.models import Tenant\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)

    found = {
        line.split(":")[0] + ":" + line.split(" ")[2].rstrip(":") for line in violations(tmp_path)
    }

    assert found == {
        "services/jobs/views.py:api.permissions",
        "services/jobs/views.py:api.permissions.roles",
        "services/jobs/matching.py:services.volunteering",
        "services/jobs/matching.py:services.volunteering.selectors",
        "services/jobs/late.py:services.volunteering.models",
        "services/volunteering/x.py:services.jobs",
        "services/accounts/bad.py:notifications.services",
        "notifications/dispatch.py:backend.urls",
        "notifications/dispatch.py:backend.urls.urlpatterns",
        "notifications/kinds.py:services.loyalty.models",
        "notifications/kinds.py:services.loyalty.models.Lot",
    }


def test_every_app_with_models_has_a_migrations_package():
    # makemigrations skips an app without one, so its models would escape the check below.
    ours = [
        config
        for config in apps.get_app_configs()
        if config.name.split(".")[0] in {"services", "notifications", "api"}
    ]
    assert ours
    missing = [
        config.name
        for config in ours
        if list(config.get_models())
        and importlib.util.find_spec(f"{config.name}.migrations") is None
    ]
    assert missing == []


@pytest.mark.django_db
def test_every_model_change_has_a_committed_migration():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=1)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found model changes without migration ({exit_})")


@pytest.mark.django_db
def test_the_openapi_schema_generates_without_a_warning(tmp_path, capsys):
    schema = tmp_path / "schema.yaml"
    reset_generator_stats()  # process-wide: forget what earlier tests' schema requests left
    try:
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(schema))
    except Exception as exc:  # SchemaGenerationError, or the validator's error
        pytest.fail(f"{type(exc).__name__}: {exc}\n{capsys.readouterr().err}")
    assert schema.read_text().startswith("openapi: 3")
