"""The shape of the code, checked: imports go one way, migrations are committed, the schema
generates without a warning.

The import rules are import-linter contracts in pyproject.toml ([tool.importlinter]): the
layers (backend; api and web; privacy; jobs and volunteering; loyalty; accounts;
notifications; core), nothing but the wiring imports `backend`, jobs and volunteering never
import each other, notifications imports no domain area, and no package has an import cycle
between its modules. Imports inside functions count; imports under TYPE_CHECKING (types
only) do not.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import grimp
import pytest
from django.apps import apps
from django.core.management import call_command
from drf_spectacular.drainage import reset_generator_stats

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "pyproject.toml"
CONTRACTS = ("layers", "wiring", "jobs-volunteering", "notifications", "no-cycles")


def lint_imports(where: Path, *contracts: str) -> subprocess.CompletedProcess:
    """The lint-imports command on the code under `where`, with the project's contracts."""
    run_cli = "import sys; from importlinter.cli import lint_imports_command as c; sys.exit(c())"
    command = [sys.executable, "-c", run_cli, str(CONFIG), "--no-cache", "--no-logo"]
    for contract in contracts:
        command += ["--contract", contract]
    env = {**os.environ, "PYTHONPATH": str(where), "COLUMNS": "200"}
    return subprocess.run(command, cwd=where, env=env, capture_output=True, text=True, timeout=120)


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout, result.stdout


# A small project with the real package names and only legal imports: the contracts keep it,
# and each deliberate violation below breaks the contract that names it.
LEGAL = {
    "backend/__init__.py": "",
    "backend/celery.py": "import services.jobs.tasks\n",
    "backend/urls.py": "import api.views\nimport web.views\n",
    "api/__init__.py": "",
    "api/views.py": "from services.jobs import actions\nfrom notifications import services\n",
    "web/__init__.py": "",
    "web/views.py": "from services.loyalty import selectors\n",
    "demo/__init__.py": "",
    "demo/jobs.py": "from services.jobs import actions\nfrom services.accounts import models\n",
    "services/__init__.py": "",
    "services/core/__init__.py": "",
    "services/core/clock.py": "",
    "services/core/extensions.py": "",
    "services/accounts/__init__.py": "",
    "services/accounts/models.py": "from services.core import clock\n",
    "services/accounts/actions.py": (
        "from services.core import extensions\n"
        "def activate():\n    from notifications import services\n"
    ),
    "services/privacy/__init__.py": "",
    "services/privacy/actions.py": (
        "from services.jobs import models\nfrom services.loyalty import actions\n"
    ),
    "services/jobs/__init__.py": "",
    "services/jobs/actions.py": (
        "from services.loyalty import actions\nfrom services.core import extensions\n"
    ),
    "services/jobs/tasks.py": "from celery import shared_task\nfrom . import actions\n",
    "services/jobs/matching.py": "from . import actions\n",
    "services/volunteering/__init__.py": "",
    "services/volunteering/actions.py": "from services.accounts import models\n",
    "services/loyalty/__init__.py": "",
    "services/loyalty/actions.py": "from services.accounts.models import *\n",
    "services/loyalty/selectors.py": "",
    "notifications/__init__.py": "",
    "notifications/services.py": "from . import dispatch\nfrom services.core import clock\n",
    "notifications/dispatch.py": "from . import outbox\n",
    "notifications/outbox.py": "",
    "notifications/selectors.py": (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from services.accounts.models import User\n"
    ),
}

VIOLATIONS = {
    "the domain imports the wiring": (
        "services/core/tasks.py",
        "from backend.celery import app\n",
        "wiring",
    ),
    "an interface imports the wiring": (
        "web/health.py",
        "def probe():\n    from backend.celery import app\n",
        "wiring",
    ),
    "notifications imports accounts": (
        "notifications/audience.py",
        "from services.accounts.models import Tenant\n",
        "notifications",
    ),
    "accounts imports loyalty, even inside a function": (
        "services/accounts/welcome.py",
        "def award():\n    from services.loyalty.actions import welcome_bonus_award\n",
        "layers",
    ),
    "the domain imports the interface": (
        "services/loyalty/errors.py",
        "from api import views\n",
        "layers",
    ),
    "the domain imports the demo": ("services/jobs/seed.py", "import demo.jobs\n", "layers"),
    "the demo imports the interface": ("demo/web.py", "from web import views\n", "layers"),
    "core imports an area": ("services/core/demo.py", "import services.jobs.actions\n", "layers"),
    "api imports web": ("api/forms.py", "from web import views\n", "layers"),
    "an area imports privacy (above every area)": (
        "services/loyalty/erasure.py",
        "from services.privacy import actions\n",
        "layers",
    ),
    "jobs imports volunteering": (
        "services/jobs/hours.py",
        "from services.volunteering import actions\n",
        "jobs-volunteering",
    ),
    "two modules of a package import each other": (
        "notifications/outbox.py",
        "def later():\n    from .services import notify\n",
        "no-cycles",
    ),
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_contracts_keep_a_project_with_only_legal_imports(tmp_path):
    _write(tmp_path, LEGAL)
    result = lint_imports(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("violation", list(VIOLATIONS))
def test_a_deliberate_violation_breaks_its_contract(tmp_path, violation):
    name, text, contract = VIOLATIONS[violation]
    _write(tmp_path, LEGAL)
    _write(tmp_path, {name: text})

    result = lint_imports(tmp_path, contract)

    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    # the report names the offending module (a cycle: the package it is in)
    module = name.removesuffix(".py").replace("/", ".")
    named = (
        f"No cycles are allowed in {module.rpartition('.')[0]}"
        if contract == "no-cycles"
        else module
    )
    assert named in result.stdout, result.stdout


def _cycles(nodes: list[str], imports) -> list[list[str]]:
    """Strongly connected groups of more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in nodes:
            if other == node or not imports(node, other):
                continue
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in nodes:
        if node not in index:
            visit(node)
    return found


TOP_LEVEL = [
    "api",
    "web",
    "notifications",
    "services.core",
    "services.accounts",
    "services.jobs",
    "services.volunteering",
    "services.loyalty",
]


def test_no_import_cycle_between_the_top_level_packages():
    graph = grimp.build_graph(
        "backend", "api", "web", "services", "notifications", exclude_type_checking_imports=True
    )
    present = [name for name in TOP_LEVEL if name in graph.modules]
    assert {"api", "notifications", "services.core", "services.jobs"} <= set(present)

    def imports(a: str, b: str) -> bool:
        return graph.direct_import_exists(importer=a, imported=b, as_packages=True)

    assert _cycles(present, imports) == []
    # the check itself sees a cycle when there is one
    assert _cycles(["a", "b", "c"], lambda x, y: (x, y) in {("a", "b"), ("b", "c"), ("c", "a")})


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
